"""The services this distribution can run, by name."""

from __future__ import annotations

import importlib

from services.core.app_factory import ServiceSpec

SERVICE_NAMES = ("tasks", "alerts", "evaluation")
DEFAULT_PORTS = {"tasks": 4101, "alerts": 4102, "evaluation": 4103}
GATEWAY_PORT = 4000


def spec(name: str) -> ServiceSpec:
    if name not in SERVICE_NAMES:
        raise SystemExit(f"unknown service {name!r}; choose from {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}.app").SPEC  # type: ignore[no-any-return]


def has_background_work(name: str) -> bool:
    """Whether the service consumes events or runs jobs: only such a service gets a worker
    process (ADR 0021); tasks serves requests and relays its outbox, nothing more."""
    from services.core.settings import Settings

    s = spec(name)
    settings = Settings(database_url="postgresql://unused/x", jwt_secret="x")
    return bool(s.subscriptions() or s.jobs(settings))
