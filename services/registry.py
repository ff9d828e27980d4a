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
