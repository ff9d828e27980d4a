"""Read side: periods, rule sets, rankings, exemptions, flags and Excel exports."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import strawberry

from services.core.auth import Role
from services.core.graphql import AppInfo
from services.evaluation import exports, service, store_exemptions, store_periods
from services.evaluation.domain.exemptions import CASE_TYPES
from services.evaluation.graphql.loaders import score_by_person_id, standings_for, unit_results_for
from services.evaluation.graphql.types import (
    CadreRanking,
    CadreRankingPage,
    EvaluationExport,
    EvaluationPeriod,
    EvaluationRuleSet,
    Exemption,
    ExemptionCaseType,
    Performance,
    PerformanceFlag,
    RuleKind,
    UnitEvaluation,
    parse_uuid,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        return int(base64.b64decode(after).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return 0


def _cursor(offset: int) -> str:
    return base64.b64encode(f"rank:{offset}".encode()).decode()


async def _names(info: AppInfo) -> tuple[dict[str, Any], dict[str, Any]]:
    async with info.context.pool.acquire() as conn:
        people = {str(r["id"]): r for r in await conn.fetch("SELECT id, name, unit_id FROM people")}
        units = {str(r["id"]): r for r in await conn.fetch("SELECT id, name FROM units")}
    return people, units


@strawberry.type
class Query:
    @strawberry.field(description="The caller's own performance file (all time).")
    async def my_performance(self, info: AppInfo) -> Performance:
        principal = info.context.require()
        row = await score_by_person_id(info.context).load(principal.subject)
        return Performance(
            score=row["score"] if row else 0.0,
            entries=row["entries"] if row else 0,
            person_id=strawberry.ID(principal.subject),
        )

    @strawberry.field(description="考核期")
    async def evaluation_periods(self, info: AppInfo) -> list[EvaluationPeriod]:
        info.context.require()
        async with info.context.pool.acquire() as conn:
            return [EvaluationPeriod.from_row(r) for r in await store_periods.list_periods(conn)]

    @strawberry.field(description="现行规则/权重(最新版本)")
    async def evaluation_rule_set(self, info: AppInfo, kind: RuleKind) -> EvaluationRuleSet:
        info.context.require()
        async with info.context.pool.acquire() as conn:
            return EvaluationRuleSet.of(await service.current_rule_set(conn, kind.value))

    @strawberry.field(description="干部政绩排名(分页; 单位负责人只看到本单位干部)")
    async def cadre_rankings(
        self,
        info: AppInfo,
        period_id: strawberry.ID,
        first: int = 50,
        after: str | None = None,
        rank_group: str | None = None,
    ) -> CadreRankingPage | None:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER, Role.UNIT_HEAD)
        pid = parse_uuid(period_id)
        found = await standings_for(info.context, pid) if pid else None
        if found is None:
            return None
        rows = list(found[1].values())
        if rank_group:
            rows = [s for s in rows if s.group == rank_group]
        if not principal.sees_everything:
            people, _ = await _names(info)
            rows = [
                s
                for s in rows
                if s.person_id in people
                and str(people[s.person_id]["unit_id"]) in principal.unit_ids
            ]
        start = _offset(after)
        first = max(1, min(first, 500))
        page = rows[start : start + first]
        return CadreRankingPage(
            nodes=[CadreRanking.of(s) for s in page],
            total_count=len(rows),
            end_cursor=_cursor(start + len(page)) if page else None,
            has_next_page=start + len(page) < len(rows),
        )

    @strawberry.field(description="单位差异化评价排名(按类别)")
    async def unit_rankings(
        self, info: AppInfo, period_id: strawberry.ID, category: str | None = None
    ) -> list[UnitEvaluation]:
        info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
        pid = parse_uuid(period_id)
        results = await unit_results_for(info.context, pid) if pid else None
        if results is None:
            return []
        return [
            UnitEvaluation.of(r, str(pid))
            for r in results.values()
            if category is None or r.category == category
        ]

    @strawberry.field(description="容错情形(8类)")
    def exemption_case_types(self) -> list[ExemptionCaseType]:
        return [ExemptionCaseType(code=k, label=v) for k, v in CASE_TYPES.items()]

    @strawberry.field(description="容错申请: 督查办和领导看全部，其他人看自己或本单位提出的")
    async def exemptions(self, info: AppInfo, state: str | None = None) -> list[Exemption]:
        principal = info.context.require()
        async with info.context.pool.acquire() as conn:
            if principal.sees_everything:
                rows = await store_exemptions.list_exemptions(conn, state)
            else:
                rows = await store_exemptions.list_exemptions(
                    conn,
                    state,
                    requester_units=[UUID(u) for u in principal.unit_ids if parse_uuid(u)],
                    requested_by=principal.subject,
                )
        return [Exemption.from_row(r) for r in rows]

    @strawberry.field(description="能上能下预警标记")
    async def evaluation_flags(
        self, info: AppInfo, period_id: strawberry.ID
    ) -> list[PerformanceFlag]:
        info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
        pid = parse_uuid(period_id)
        if pid is None:
            return []
        async with info.context.pool.acquire() as conn:
            return [
                PerformanceFlag.from_row(r) for r in await store_periods.list_flags(conn, pid, None)
            ]

    @strawberry.field(description="导出干部政绩排名(.xlsx, base64)")
    async def rankings_export(
        self, info: AppInfo, period_id: strawberry.ID
    ) -> EvaluationExport | None:
        info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
        pid = parse_uuid(period_id)
        found = await standings_for(info.context, pid) if pid else None
        if found is None:
            return None
        period, standings = found
        people, units = await _names(info)
        data = exports.rankings_workbook(
            period["name"], exports.cadre_rows(list(standings.values()), people, units)
        )
        return EvaluationExport(
            filename=f"干部政绩排名-{period['name']}.xlsx",
            mime_type=XLSX,
            content_base64=base64.b64encode(data).decode(),
        )

    @strawberry.field(description="导出考核通报(.xlsx, base64)")
    async def bulletin_export(
        self, info: AppInfo, period_id: strawberry.ID
    ) -> EvaluationExport | None:
        info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
        pid = parse_uuid(period_id)
        found = await standings_for(info.context, pid) if pid else None
        results = await unit_results_for(info.context, pid) if pid else None
        if found is None or results is None or pid is None:
            return None
        period, standings = found
        people, units = await _names(info)
        async with info.context.pool.acquire() as conn:
            flags = await store_periods.list_flags(conn, pid, None)
        flag_rows: list[list[Any]] = [
            [
                people[str(f["person_id"])]["name"]
                if str(f["person_id"]) in people
                else str(f["person_id"]),
                f["evidence"].get("label") or f["rule_code"],
                "能上" if f["direction"] == "UP" else "能下",
                "; ".join(f"{k}: {v}" for k, v in f["evidence"].items() if k != "label"),
            ]
            for f in flags
        ]
        data = exports.bulletin_workbook(
            period["name"],
            exports.unit_rows(list(results.values()), units),
            exports.cadre_rows(list(standings.values()), people, units),
            flag_rows,
        )
        return EvaluationExport(
            filename=f"督查考核通报-{period['name']}.xlsx",
            mime_type=XLSX,
            content_base64=base64.b64encode(data).decode(),
        )
