"""Shared pieces for benchmarks: embedded servers, latency statistics."""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from services.core.embedded import EmbeddedNats, EmbeddedPostgres


@contextlib.contextmanager
def embedded_servers() -> Iterator[tuple[str, str, Path]]:
    """(database_url, nats_url, data_dir) of fresh embedded servers, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="ducha-bench-") as tmp:
        root = Path(tmp)
        pg = EmbeddedPostgres(root / "pg")
        nats = EmbeddedNats(root / "nats")
        try:
            dsn = pg.start()
            url = nats.start()
            yield dsn, url, root
        finally:
            nats.stop()
            pg.stop()


def latency_summary(samples_ms: list[float], wall_seconds: float | None = None) -> dict[str, Any]:
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 3)

    summary: dict[str, Any] = {
        "n": len(ordered),
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }
    if wall_seconds:
        summary["throughput_per_s"] = round(len(ordered) / wall_seconds, 1)
    return summary


def wait_http_ok(url: str, timeout: float = 60) -> None:
    """Until ``url`` answers 200 (a process the bench started beside a Stack)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(url)
