"""GraphQL of the Excel exports: cadre rankings and the period bulletin (通报)."""

from __future__ import annotations

import base64

import strawberry

from services.core.auth import Role
from services.core.graphql import AppInfo
from services.core.ids import try_uuid
from services.core.offload import off_loop
from services.evaluation.exports import workbook
from services.evaluation.ledger.loaders import names
from services.evaluation.periods.loaders import standings_for
from services.evaluation.units.loaders import unit_results_for
from services.evaluation.updown import store as updown_store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@strawberry.type(description="导出的Excel文件 (base64)")
class EvaluationExport:
    filename: str
    mime_type: str
    content_base64: str


@strawberry.field(description="导出干部政绩排名(.xlsx, base64)")
async def rankings_export(info: AppInfo, period_id: strawberry.ID) -> EvaluationExport | None:
    info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
    pid = try_uuid(period_id)
    found = await standings_for(info.context, pid) if pid else None
    if found is None:
        return None
    period, standings = found
    people, units = await names(info.context)
    data = await off_loop(
        workbook.rankings_workbook,
        period["name"],
        workbook.cadre_rows(list(standings.values()), people, units),
        what="xlsx-rankings",
    )
    return EvaluationExport(
        filename=f"干部政绩排名-{period['name']}.xlsx",
        mime_type=XLSX,
        content_base64=base64.b64encode(data).decode(),
    )


@strawberry.field(description="导出考核通报(.xlsx, base64)")
async def bulletin_export(info: AppInfo, period_id: strawberry.ID) -> EvaluationExport | None:
    info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
    pid = try_uuid(period_id)
    found = await standings_for(info.context, pid) if pid else None
    results = await unit_results_for(info.context, pid) if pid else None
    if found is None or results is None or pid is None:
        return None
    period, standings = found
    people, units = await names(info.context)
    async with info.context.pool.acquire() as conn:
        flags = await updown_store.list_flags(conn, pid, None)
    data = await off_loop(
        workbook.bulletin_workbook,
        period["name"],
        workbook.unit_rows(list(results.values()), units),
        workbook.cadre_rows(list(standings.values()), people, units),
        workbook.flag_rows(flags, people),
        what="xlsx-bulletin",
    )
    return EvaluationExport(
        filename=f"督查考核通报-{period['name']}.xlsx",
        mime_type=XLSX,
        content_base64=base64.b64encode(data).decode(),
    )
