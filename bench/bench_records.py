"""Demo district load time, audit-chain verification, ledger export/import at district size.

`BENCH_ONLY=records make bench`. One embedded PostgreSQL; no NATS needed (the use-cases
write the outbox; nothing relays it here).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.support import embedded_servers
from services.core.db import connect, create_pool
from services.tasks.audit.service import verify_chain
from services.tasks.demo import loader as demo
from services.tasks.items.store import ItemFilter
from services.tasks.ledger import export
from services.tasks.ledger.cli import CLI_PRINCIPAL
from services.tasks.ledger.items_import import import_items


async def _run(dsn: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    started = time.perf_counter()
    await demo.load(dsn, progress=False)
    out["demo_load_seconds"] = round(time.perf_counter() - started, 1)
    conn = await connect(dsn, "tasks")
    try:
        out["demo_items"] = await conn.fetchval("SELECT count(*) FROM items")
        out["demo_people"] = await conn.fetchval("SELECT count(*) FROM people")
        out["demo_events"] = await conn.fetchval("SELECT count(*) FROM outbox")
        started = time.perf_counter()
        result = await verify_chain(conn)
        out["audit_verify"] = {
            "entries": result.checked,
            "ok": result.ok,
            "seconds": round(time.perf_counter() - started, 2),
        }
        started = time.perf_counter()
        ledger = await export.export_items(conn, ItemFilter(), None)
        out["ledger_export_all"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "kib": len(ledger) // 1024,
        }
        started = time.perf_counter()
        stats = await export.export_statistics(conn, ItemFilter(), None, demo.AS_OF)
        out["statistics_export_seconds"] = round(time.perf_counter() - started, 2)
        del stats
    finally:
        await conn.close()
    pool = await create_pool(dsn, "tasks", 1, 2)
    try:  # the exported ledger is importable as it is: all ~2,200 rows in one transaction
        started = time.perf_counter()
        rows = await import_items(pool, CLI_PRINCIPAL, ledger)
        out["ledger_import"] = {
            "rows": len(rows),
            "seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        await pool.close()
    return out


def main(results: dict[str, Any]) -> None:
    with embedded_servers() as (dsn, _nats, _root):
        results["records"] = asyncio.run(_run(dsn))
