"""Use-cases: settings, periods, rankings, closing, flags and office inputs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from uuid import UUID

import asyncpg

from services.contracts.evaluation import PeriodClosed
from services.core.auth import Principal
from services.core.errors import InvalidTransition, NotFound, ValidationFailed
from services.core.outbox import record_event
from services.evaluation import store, store_periods
from services.evaluation.domain import scoring, updown
from services.evaluation.domain.periods import PeriodSpan, validate_period
from services.evaluation.domain.ranking import (
    DEFAULT_SELECTION_WEIGHTS,
    composite,
    rank_all,
    validate_weights,
)
from services.evaluation.domain.units import (
    DEFAULT_UNIT_WEIGHTS,
    UnitFacts,
    UnitResult,
    evaluate_units,
    validate_unit_weights,
)
from services.evaluation.service_projection import rules_at

RULE_KINDS: dict[str, Any] = {
    "SCORING": scoring.DEFAULT_RULES,
    "SELECTION_WEIGHTS": DEFAULT_SELECTION_WEIGHTS,
    "UNIT_WEIGHTS": DEFAULT_UNIT_WEIGHTS,
    "UP_DOWN": updown.DEFAULT_UP_DOWN_RULES,
}


def validate_rule_body(kind: str, body: Any) -> Any:
    if kind == "SCORING":
        return scoring.validate_rules(body)
    if kind == "SELECTION_WEIGHTS":
        return validate_weights(body, "weights", ("performance",))
    if kind == "UNIT_WEIGHTS":
        return validate_unit_weights(body)
    if kind == "UP_DOWN":
        return updown.validate_up_down_rules(body)
    raise ValidationFailed("未知的规则类别", field="kind")


@dataclass(frozen=True)
class RuleSet:
    kind: str
    version: int
    body: Any
    effective_from: datetime | None
    created_by: str | None


async def current_rule_set(conn: asyncpg.Connection, kind: str) -> RuleSet:
    row = await store_periods.latest_rule_set(conn, kind)
    if row is None:
        return RuleSet(kind, 0, RULE_KINDS[kind], None, None)
    return RuleSet(kind, row["version"], row["body"], row["effective_from"], row["created_by"])


async def update_rule_set(
    pool: asyncpg.Pool, principal: Principal, kind: str, body: Any, now: datetime
) -> RuleSet:
    if kind not in RULE_KINDS:
        raise ValidationFailed("未知的规则类别", field="kind")
    body = validate_rule_body(kind, body)
    async with pool.acquire() as conn, conn.transaction():
        row = await store_periods.insert_rule_set(conn, kind, body, now, principal.subject)
    invalidate_standings()
    return RuleSet(kind, row["version"], row["body"], row["effective_from"], row["created_by"])


def window(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """A period's dates as [start, end) instants, days in Asia/Shanghai."""
    start = datetime.combine(starts_on, time(), scoring.SHANGHAI).astimezone(UTC)
    end = datetime.combine(ends_on + timedelta(days=1), time(), scoring.SHANGHAI).astimezone(UTC)
    return start, end


async def create_period(
    pool: asyncpg.Pool, kind: str, name: str, starts_on: date, ends_on: date
) -> asyncpg.Record:
    if not name.strip():
        raise ValidationFailed("请填写考核期名称", field="name")
    async with pool.acquire() as conn, conn.transaction():
        await store_periods.lock_periods(conn)
        existing = [
            (r["name"], PeriodSpan(r["kind"], r["starts_on"], r["ends_on"]))
            for r in await store_periods.list_periods(conn)
        ]
        validate_period(PeriodSpan(kind, starts_on, ends_on), existing)
        return await store_periods.insert_period(
            conn, uuid.uuid4(), kind, name.strip(), starts_on, ends_on
        )


async def require_period(conn: asyncpg.Connection, period_id: UUID) -> asyncpg.Record:
    period = await store_periods.get_period(conn, period_id)
    if period is None:
        raise NotFound("考核期不存在", field="periodId")
    return period


@dataclass
class CadreStanding:
    person_id: str
    group: str
    score: float
    entries: int
    rank: int
    rank_in_group: int
    normalised: float
    composite: float | None
    red_items: int
    red_item_ids: list[str] = field(default_factory=list)
    composite_lines: list[str] = field(default_factory=list)


# An open period's ranking is recomputed from the ledger at most every few seconds per
# process (events arrive asynchronously anyway); this process's own office inputs that
# change a ranking drop the cached copy at once.
STANDINGS_TTL_SECONDS = 5.0
_standings_cache: dict[UUID, tuple[float, list[CadreStanding]]] = {}


def invalidate_standings() -> None:
    _standings_cache.clear()


async def cadre_standings(conn: asyncpg.Connection, period: asyncpg.Record) -> list[CadreStanding]:
    """Frozen snapshot of a closed period, else computed live from the ledger (cached briefly)."""
    if period["state"] == "OPEN":
        cached = _standings_cache.get(period["id"])
        if cached and cached[0] > monotonic():
            return cached[1]
        standings = await _compute_standings(conn, period)
        _standings_cache[period["id"]] = (monotonic() + STANDINGS_TTL_SECONDS, standings)
        return standings
    return await _compute_standings(conn, period)


async def _compute_standings(
    conn: asyncpg.Connection, period: asyncpg.Record
) -> list[CadreStanding]:
    if period["state"] == "CLOSED":
        return [
            CadreStanding(
                str(r["person_id"]),
                r["grp"] or "未定级",
                r["score"],
                r["entries"],
                r["rank"],
                r["rank_in_group"],
                r["normalised"],
                r["composite"],
                r["red_items"],
            )
            for r in await store_periods.frozen_person_scores(conn, period["id"])
        ]
    start, end = window(period["starts_on"], period["ends_on"])
    rows = await store_periods.live_person_scores(conn, start, end)
    by_id = {str(r["person_id"]): r for r in rows}
    ranked = rank_all([(str(r["person_id"]), r["grp"], r["score"]) for r in rows])
    weights = (await current_rule_set(conn, "SELECTION_WEIGHTS")).body
    comps: dict[str, dict[str, float]] = {}
    for c in await store_periods.components(conn, period["id"]):
        comps.setdefault(str(c["person_id"]), {})[c["component"]] = c["value"]
    out = []
    for r in ranked:
        value, lines = composite(r.normalised, comps.get(r.key, {}), weights)
        reds = [str(x) for x in by_id[r.key]["reds"]]
        out.append(
            CadreStanding(
                r.key,
                r.group,
                r.score,
                by_id[r.key]["entries"],
                r.rank,
                r.rank_in_group,
                r.normalised,
                value,
                len(reds),
                reds,
                lines,
            )
        )
    return out


async def unit_results(conn: asyncpg.Connection, period: asyncpg.Record) -> list[UnitResult]:
    if period["state"] == "CLOSED":
        return [
            UnitResult(
                str(r["unit_id"]),
                r["category"],
                r["body"]["workload_score"],
                r["body"]["difficulty_score"],
                r["body"]["effect_score"],
                r["total"],
                r["rank"],
                r["body"]["failed"],
                r["body"]["veto_reason"],
                r["body"]["lines"],
            )
            for r in await store_periods.frozen_unit_scores(conn, period["id"])
        ]
    weights = (await current_rule_set(conn, "UNIT_WEIGHTS")).body
    start, end = window(period["starts_on"], period["ends_on"])
    rows = await store_periods.unit_facts(
        conn,
        start,
        end,
        period["starts_on"],
        period["ends_on"],
        weights["co_unit_share"],
        period["id"],
    )
    facts = [
        UnitFacts(
            str(r["unit_id"]),
            r["category"],
            r["workload"],
            r["items"],
            r["difficulty_sum"],
            r["due"],
            r["on_time"],
            r["verified"],
            r["disputed"],
            r["satisfaction"],
            r["veto_reason"],
        )
        for r in rows
    ]
    return evaluate_units(facts, weights)


async def evaluate_flags(conn: asyncpg.Connection, period: asyncpg.Record) -> list[updown.Flag]:
    """Run the up/down rules for the period (with earlier periods of its kind) and store flags."""
    rules = (await current_rule_set(conn, "UP_DOWN")).body
    needed = max([int(r.get("periods", 1)) for r in rules] + [1])
    earlier = list(
        reversed(
            await store_periods.previous_periods(
                conn, period["kind"], period["starts_on"], needed - 1
            )
        )
    )
    series = []
    for p in [*earlier, period]:
        standings = await cadre_standings(conn, p)
        series.append(
            (
                p["name"],
                [
                    updown.Standing(s.person_id, s.rank, s.red_items, tuple(s.red_item_ids))
                    for s in standings
                ],
            )
        )
    flags = updown.evaluate_flags(rules, series)
    await store_periods.replace_flags(
        conn,
        period["id"],
        [(period["id"], UUID(f.person_id), f.rule_code, f.direction, f.evidence) for f in flags],
    )
    return flags


async def evaluate_flags_now(pool: asyncpg.Pool, period_id: UUID) -> list[updown.Flag]:
    async with pool.acquire() as conn, conn.transaction():
        return await evaluate_flags(conn, await require_period(conn, period_id))


async def close_period(pool: asyncpg.Pool, period_id: UUID, now: datetime) -> asyncpg.Record:
    """Freeze the period's cadre and unit rankings, raise flags, emit PeriodClosed."""
    async with pool.acquire() as conn, conn.transaction():
        period = await store_periods.get_period(conn, period_id)
        if period is None:
            raise NotFound("考核期不存在", field="id")
        period = await conn.fetchrow("SELECT * FROM periods WHERE id = $1 FOR UPDATE", period_id)
        assert period is not None
        if period["state"] != "OPEN":
            raise InvalidTransition("考核期已关闭", current_state=period["state"], field="id")
        invalidate_standings()  # freeze what the ledger says now, not a cached copy
        standings = await cadre_standings(conn, period)
        await store_periods.save_person_scores(
            conn,
            [
                (
                    period_id,
                    UUID(s.person_id),
                    s.group,
                    s.score,
                    s.entries,
                    s.rank,
                    s.rank_in_group,
                    s.normalised,
                    s.composite,
                    s.red_items,
                )
                for s in standings
            ],
        )
        units = await unit_results(conn, period)
        await store_periods.save_unit_scores(
            conn,
            [
                (
                    period_id,
                    UUID(u.unit_id),
                    u.category,
                    {
                        "workload_score": u.workload_score,
                        "difficulty_score": u.difficulty_score,
                        "effect_score": u.effect_score,
                        "failed": u.failed,
                        "veto_reason": u.veto_reason,
                        "lines": u.lines,
                    },
                    u.total,
                    u.rank,
                )
                for u in units
            ],
        )
        await evaluate_flags(conn, period)
        closed = await store_periods.mark_closed(conn, period_id, now)
        await record_event(
            conn,
            PeriodClosed(
                period_id=str(period_id),
                name=closed["name"],
                starts_on=closed["starts_on"],
                ends_on=closed["ends_on"],
            ).envelope(str(period_id), 2),
        )
        return closed


async def _open_period(conn: asyncpg.Connection, period_id: UUID) -> asyncpg.Record:
    period = await require_period(conn, period_id)
    if period["state"] != "OPEN":
        raise InvalidTransition(
            "考核期已关闭，不能修改", current_state=period["state"], field="periodId"
        )
    return period


def _score_0_100(value: float, field_name: str) -> None:
    if not 0 <= value <= 100:
        raise ValidationFailed("分值须在0到100之间", field=field_name)


async def set_component(
    pool: asyncpg.Pool, period_id: UUID, person_id: UUID, component: str, value: float
) -> None:
    _score_0_100(value, "value")
    async with pool.acquire() as conn, conn.transaction():
        await _open_period(conn, period_id)
        weights = (await current_rule_set(conn, "SELECTION_WEIGHTS")).body
        if component == "performance" or component not in weights:
            names = ", ".join(k for k in weights if k != "performance")
            raise ValidationFailed(f"未知的选拔组成项(可选: {names})", field="component")
        await store_periods.upsert_component(conn, period_id, person_id, component, value)
    invalidate_standings()


async def set_survey(pool: asyncpg.Pool, period_id: UUID, unit_id: UUID, score: float) -> None:
    _score_0_100(score, "score")
    async with pool.acquire() as conn, conn.transaction():
        await _open_period(conn, period_id)
        if not await store_periods.unit_exists(conn, unit_id):
            raise NotFound("单位不存在", field="unitId")
        await store_periods.upsert_survey(conn, period_id, unit_id, score)


async def record_veto(
    pool: asyncpg.Pool, principal: Principal, period_id: UUID, unit_id: UUID, reason: str
) -> None:
    if not reason.strip():
        raise ValidationFailed("一票否决须说明理由", field="reason")
    async with pool.acquire() as conn, conn.transaction():
        await _open_period(conn, period_id)
        if not await store_periods.unit_exists(conn, unit_id):
            raise NotFound("单位不存在", field="unitId")
        await store_periods.upsert_veto(conn, period_id, unit_id, reason.strip(), principal.subject)


async def apply_commendation(
    conn: asyncpg.Connection, row: asyncpg.Record | dict[str, Any]
) -> None:
    """Ledger entry for a commendation/criticism row (also used by the rebuild)."""
    rules = await rules_at(conn, row["occurred_at"])
    entry = scoring.score_commendation(rules, row["kind"], float(row["points"]), row["reason"])
    await store.insert_entry(
        conn,
        row["person_id"],
        row["item_id"],
        row["id"],
        entry.rule,
        entry.points,
        entry.explanation,
        row["occurred_at"],
        rules.version,
    )


async def record_commendation(
    pool: asyncpg.Pool,
    principal: Principal,
    person_id: UUID,
    kind: str,
    points: float,
    reason: str,
    item_id: UUID | None,
    now: datetime,
) -> dict[str, Any]:
    if not reason.strip():
        raise ValidationFailed("请填写表扬或批评的事由", field="reason")
    row = {
        "id": uuid.uuid4(),
        "person_id": person_id,
        "item_id": item_id,
        "kind": kind,
        "points": points,
        "reason": reason.strip(),
        "recorded_by": principal.subject,
        "occurred_at": now,
    }
    async with pool.acquire() as conn, conn.transaction():
        scoring.score_commendation(await rules_at(conn, now), kind, points, reason)  # validates
        await store_periods.insert_commendation(conn, row)
        await apply_commendation(conn, row)
    invalidate_standings()
    return row
