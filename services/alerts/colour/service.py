"""Use-cases of the colour engine: project tasks events, evaluate, record colour changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.alerts.colour import store
from services.alerts.colour.domain import (
    DONE_UNIT_STATES,
    ItemFacts,
    UnitProgress,
    evaluate,
    recheck_on,
)
from services.alerts.rules.service import rules_for, rules_read_with
from services.contracts.alerts import LevelChanged
from services.contracts.tasks import ENDED_ASSIGNMENT_STATES, ItemSnapshot
from services.core.clock import local_date
from services.core.outbox import record_events

NEVER = date(9999, 12, 31)  # recheck_on when only an event can change the colour


# -- projection -------------------------------------------------------------------------


def merge_units(
    previous: Sequence[Mapping[str, Any]], item: ItemSnapshot, occurred_at: datetime
) -> list[dict[str, Any]]:
    """Per-unit progress from a snapshot, keeping when each unit last gained percent.

    A report that raises a unit's percent moves its ``last_gain_at`` to the report's time
    (the event's time when the snapshot has none); a report without a gain does not.
    """
    before = {u["unit_id"]: u for u in previous}
    units = []
    for a in item.assignments:
        if a.state in ENDED_ASSIGNMENT_STATES:  # transferred away / withdrawn: history only
            continue
        old = before.get(a.unit_id, {})
        gain_at: str | None = old.get("last_gain_at")
        if a.percent > int(old.get("percent", 0)):
            gain_at = (a.last_report_at or occurred_at).isoformat()
        units.append(
            {
                "unit_id": a.unit_id,
                "role": a.role,
                "state": a.state,
                "percent": a.percent,
                "last_report_at": a.last_report_at.isoformat() if a.last_report_at else None,
                "last_gain_at": gain_at,
                "last_gain_on": local_date(datetime.fromisoformat(gain_at)).isoformat()
                if gain_at
                else None,
                "done": a.state in DONE_UNIT_STATES or a.completed_at is not None,
            }
        )
    return units


def facts_of(row: Mapping[str, Any]) -> ItemFacts:
    """The colour rule's input from a projection row."""
    return ItemFacts(
        state=row["state"],
        start_date=row["start_date"],
        deadline=row["deadline"],
        reporting_cycle=row["reporting_cycle"],
        plan_nodes=tuple(
            (date.fromisoformat(n["date"]), int(n["percent"])) for n in row["plan_nodes"]
        ),
        units=tuple(
            UnitProgress(
                unit_id=u["unit_id"],
                percent=int(u["percent"]),
                last_gain_on=date.fromisoformat(u["last_gain_on"])
                if u.get("last_gain_on")
                else None,
                done=bool(u.get("done")),
            )
            for u in row["units"]
        ),
    )


async def project_item(
    conn: asyncpg.Connection, item: ItemSnapshot, version: int, occurred_at: datetime
) -> asyncpg.Record:
    """Apply one tasks item snapshot to the projection (facts only); returns the facts and
    the rule settings in force for the item (``reevaluate``'s ``facts_row``)."""
    old = await store.get_item_for_update(conn, UUID(item.id))
    units = merge_units(old["units"] if old else [], item, occurred_at)
    last = max((a.last_report_at for a in item.assignments if a.last_report_at), default=None)
    return await store.upsert_facts(conn, item.model_dump(mode="json"), version, units, last)


# -- evaluation -------------------------------------------------------------------------


def change_event(row: Mapping[str, Any], now: datetime) -> LevelChanged:
    return LevelChanged(
        item_id=str(row["id"]),
        unit_ids=[str(u) for u in row["unit_ids"]],
        source=row["source"],
        previous_level=row["previous_level"],
        level=row["level"],
        reason=row["reason"],
        rule_version=row["rule_version"] or 0,
        changed_at=now,
        responsible_leader_id=str(row["responsible_leader_id"])
        if row["responsible_leader_id"]
        else None,
        owner_ids=[str(o) for o in row["owner_ids"]],
        code=row["code"],
        title=row["title"],
        lead_unit_id=str(row["lead_unit_id"]),
        deadline=row["deadline"],
    )


async def record_change_events(
    conn: asyncpg.Connection, changed: Sequence[Mapping[str, Any]], now: datetime
) -> None:
    """``alerts.level.changed`` events for colour changes (same transaction)."""
    await record_events(
        conn,
        [change_event(r, now).envelope(str(r["id"]), r["level_version"], now) for r in changed],
    )


async def record_changes(
    conn: asyncpg.Connection, changed: Sequence[Mapping[str, Any]], now: datetime
) -> None:
    """History rows and ``alerts.level.changed`` events for colour changes (same transaction)."""
    await store.append_history(
        conn,
        [
            (r["id"], r["level"], r["previous_level"], r["reason"], r["rule_version"])
            for r in changed
        ],
        now,
    )
    await record_change_events(conn, changed, now)


async def reevaluate(
    conn: asyncpg.Connection, item_id: UUID, at: datetime, facts_row: Any = None
) -> str | None:
    """Evaluate one item now (inside the caller's transaction); returns its colour.
    ``facts_row``: the item's facts as ``project_item`` just wrote them in this transaction,
    with the rules in force (else both are read)."""
    if facts_row is not None:
        row, rules = facts_row, rules_read_with(facts_row)
    else:
        row = await store.get_item_facts(conn, item_id)
        if row is None:
            return None
        rules = await rules_for(conn, row["source"])
    facts, today = facts_of(row), local_date(at)
    result = evaluate(facts, today, rules)
    level = result.level.value if result.level else None
    updated = await store.set_evaluation(
        conn,
        item_id,
        level,
        result.reason,
        result.planned_percent,
        result.reported_percent,
        rules.version,
        at,
        recheck_on(facts, today, rules, result) or NEVER,
    )
    if updated is not None and updated["changed"]:  # its history rows are written
        await record_change_events(conn, [{**updated, "reason": result.reason}], at)
    return level
