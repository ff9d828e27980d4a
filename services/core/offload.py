"""Heavy synchronous work (Excel parsing, workbook and .docx building) off the event loop.

``off_loop(fn, *args)`` runs ``fn`` in a small dedicated thread pool and waits at most
``HEAVY_WORK_TIMEOUT_SECONDS``; past that the caller gets ``TimedOut`` (the thread
cannot be interrupted and finishes in the background, but the pool's size bounds how
many such threads there can be). ``check_size`` refuses an upload over
``UPLOAD_MAX_BYTES`` with ``TooLarge`` before anything parses it. Meanwhile the loop
keeps serving requests, consumers, the outbox relay and subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram

from services.core.errors import TimedOut, TooLarge
from services.core.settings import get_settings

log = logging.getLogger(__name__)

T = TypeVar("T")

HEAVY_SECONDS = Histogram("ducha_heavy_work_seconds", "Heavy work off the loop", ["what"])
HEAVY_REFUSED = Counter(
    "ducha_heavy_work_refused_total", "Heavy work refused (size or time)", ["what", "reason"]
)


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(get_settings().heavy_work_threads, thread_name_prefix="heavy")


def max_upload_bytes() -> int:
    return get_settings().upload_max_bytes


def check_size(size: int, what: str, field: str = "file") -> None:
    """``TooLarge`` when ``size`` bytes exceed the upload limit."""
    limit = max_upload_bytes()
    if size > limit:
        HEAVY_REFUSED.labels(what, "size").inc()
        raise TooLarge(f"文件超过 {limit / 1024 / 1024:g} MB", field=field)


async def off_loop(fn: Callable[..., T], *args: Any, what: str, timeout: float | None = None) -> T:
    """``fn(*args)`` in a worker thread; ``TimedOut`` after ``timeout`` seconds
    (default: settings' ``heavy_work_timeout_seconds``)."""
    limit = get_settings().heavy_work_timeout_seconds if timeout is None else timeout
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(_pool(), lambda: fn(*args))
    with HEAVY_SECONDS.labels(what).time():
        try:
            return await asyncio.wait_for(future, limit)
        except TimeoutError:
            HEAVY_REFUSED.labels(what, "time").inc()
            log.warning("heavy work %s took longer than %.0f s; refused", what, limit)
            raise TimedOut(f"处理超时(超过 {limit:g} 秒), 请缩小文件或筛选范围后重试") from None
