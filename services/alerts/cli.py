"""The ``ducha alerts-rebuild`` command."""

from __future__ import annotations

from services.alerts.colour.rebuild import rebuild
from services.core import calendar_store, clock
from services.core.bus import connect_nats, ensure_streams
from services.core.db import apply_migrations, create_pool, migrations_for
from services.core.settings import Settings


async def rebuild_command(settings: Settings) -> str:
    dsn = settings.require_database_url()
    await apply_migrations(dsn, "alerts", migrations_for("alerts"))
    pool = await create_pool(dsn, "alerts", 1, 2)
    await calendar_store.start(pool)  # re-colour on the office's calendar, not the shipped one
    nc = await connect_nats(settings.require_nats_url(), "ducha-alerts-rebuild")
    try:
        js = nc.jetstream()
        await ensure_streams(js, settings.stream_replicas, settings.stream_max_age_days)
        result = await rebuild(pool, js, clock.now())
    finally:
        await nc.drain()
        await pool.close()
    changed = result.sweep.changed if result.sweep else 0
    lines = [
        f"alerts: rebuilt {result.items} item(s) from {result.events} event(s);"
        f" {changed} colour change(s); {len(result.skipped)} unreadable message(s) skipped"
    ]
    return "\n".join(lines + [f"  skipped {note}" for note in result.skipped])
