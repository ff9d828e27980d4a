"""Heavy work runs off the event loop, with a size limit and a time limit (typed errors)."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.core.errors import TimedOut, TooLarge
from services.core.offload import check_size, off_loop
from services.tasks.ledger.graphql import decode_file


def build() -> str:
    time.sleep(0.5)  # a blocking build, as openpyxl's or python-docx's
    return "built"


async def test_the_loop_keeps_running_while_heavy_work_runs() -> None:
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    beat = asyncio.create_task(heartbeat())
    try:
        result = await off_loop(build, what="test")
    finally:
        beat.cancel()
    assert result == "built"
    assert ticks >= 10  # a blocking call on the loop would have allowed one tick


async def test_too_slow_is_a_typed_timeout() -> None:
    with pytest.raises(TimedOut) as raised:
        await off_loop(time.sleep, 2, what="test", timeout=0.1)
    assert raised.value.code == "TIMED_OUT" and raised.value.extensions == {"code": "TIMED_OUT"}


def test_too_large_is_refused_before_decoding() -> None:
    check_size(20 * 1024 * 1024, "test")
    with pytest.raises(TooLarge) as raised:
        decode_file("A" * (28 * 1024 * 1024))  # ~21 MB once decoded
    assert raised.value.code == "TOO_LARGE" and raised.value.field == "contentBase64"
