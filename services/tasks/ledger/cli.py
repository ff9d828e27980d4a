"""`ducha ledger ...`: the same imports and exports as GraphQL, as the supervision office."""

from __future__ import annotations

from services.core.auth import Principal, Role
from services.core.db import apply_migrations, create_pool, migrations_for
from services.tasks.items.store import ItemFilter
from services.tasks.ledger import export
from services.tasks.ledger.errors import LedgerRejected
from services.tasks.ledger.items_import import import_items
from services.tasks.ledger.organisation_import import import_organisation

CLI_PRINCIPAL = Principal(
    subject="cli", name="命令行 (督查办)", roles=frozenset({Role.SUPERVISION_OFFICE})
)


async def run(dsn: str, action: str, content: bytes | None, year: int | None) -> bytes | None:
    """Imports read ``content``; ``export-items`` returns the workbook. Exit 1 on bad rows."""
    await apply_migrations(dsn, "tasks", migrations_for("tasks"))
    pool = await create_pool(dsn, "tasks", 1, 2)
    try:
        if action == "export-items":
            async with pool.acquire() as conn:
                return await export.export_items(conn, ItemFilter(year=year), None)
        assert content is not None
        try:
            if action == "import-items":
                rows = await import_items(pool, CLI_PRINCIPAL, content)
                print(f"imported {len(rows)} item(s)")
            else:
                done = await import_organisation(pool, CLI_PRINCIPAL, content)
                print(f"imported {len(done.units)} unit(s), {len(done.people)} person(s)")
        except LedgerRejected as e:
            print(e.message)
            for error in e.errors:
                print(f"  {error}")
            raise SystemExit(1) from e
        return None
    finally:
        await pool.close()
