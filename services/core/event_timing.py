"""Opt-in timestamps along the event path (``Settings.event_path_timing``, ADR 0020).

The consumers and the outbox relay stamp each event's steps with wall-clock times. The
records are kept in memory and written (logger ``ducha.event_path``, one JSON line each)
when their owner goes idle or has collected ``limit`` of them, so that writing them never
sits between two of the steps being timed. Off, the owners hold no ``TimingLog`` at all.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger("ducha.event_path")


def enable() -> None:
    """Let the records through a root logger set above INFO."""
    log.setLevel(logging.INFO)


class TimingLog:
    def __init__(self, where: str, limit: int = 512) -> None:
        self.where = where
        self.limit = limit
        self.pending: list[dict[str, Any]] = []

    def add(self, **fields: Any) -> None:
        self.pending.append(fields)
        if len(self.pending) >= self.limit:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for fields in pending:
            log.info("event path", extra={"where": self.where, "pid": os.getpid(), **fields})
