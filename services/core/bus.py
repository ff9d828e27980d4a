"""NATS JetStream connection and stream set-up."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from services.core.events import STREAMS

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_SECONDS = 2 * 60 * 60


async def connect_nats(url: str, name: str, timeout: float = 20.0) -> NATS:
    async def on_error(e: Exception) -> None:
        log.warning("nats error: %s", e)

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    # max_reconnect_attempts=-1 retries the first connect forever too: bound it.
    return await asyncio.wait_for(
        nats.connect(
            url,
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            allow_reconnect=True,
            error_cb=on_error,
            disconnected_cb=on_disconnect,
            reconnected_cb=on_reconnect,
        ),
        timeout,
    )


async def ensure_streams(js: JetStreamContext, replicas: int = 1, max_age_days: int = 3650) -> None:
    """Create or update every stream (idempotent; safe from several replicas)."""
    for name, subject in STREAMS.items():
        config = StreamConfig(
            name=name,
            subjects=[subject],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            num_replicas=replicas,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=max_age_days * 24 * 3600,
        )
        try:
            await js.stream_info(name)
            await js.update_stream(config)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except Exception:  # another replica created it first
                await js.update_stream(config)
