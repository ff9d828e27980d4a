"""Applying tasks and alerts events: the projection and the ledger entries they cause.

Used by the live consumers (events.py) and by the rebuild (rebuild/), so the two
produce the same ledger. Every entry's points depend only on the event itself and the
rule set in force when the event occurred, so the totals do not depend on the order in
which the TASKS and ALERTS streams are interleaved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.contracts import alerts as alerts_events
from services.contracts import tasks as tasks_events
from services.core import clock
from services.core.consumer import is_newer
from services.core.events import Envelope, EventContract
from services.evaluation.ledger import domain as scoring
from services.evaluation.ledger import store
from services.evaluation.ledger.domain import Entry, Rules
from services.evaluation.rules import store as rules_store

DISPUTED = {"DISPUTED", "REJECTED", "FAILED", "NOT_CONFIRMED"}


RuleVersions = list[tuple[datetime, Rules]]


async def load_rule_versions(conn: asyncpg.Connection) -> RuleVersions:
    """Every SCORING version with the instant it took effect (a rebuild picks in memory)."""
    rows = await rules_store.scoring_rule_versions(conn)
    return [(r["effective_from"], Rules(r["version"], r["body"])) for r in rows]


def pick_rules(versions: RuleVersions, at: datetime) -> Rules:
    chosen = scoring.default_rules()
    for effective_from, rules in versions:
        if effective_from <= at:
            chosen = rules
    return chosen


async def rules_at(conn: asyncpg.Connection, at: datetime) -> Rules:
    row = await rules_store.rule_set_at(conn, "SCORING", at)
    return Rules(row["version"], row["body"]) if row else scoring.default_rules()


def _participants(owner_ids: list[str], leader_id: str | None) -> list[tuple[UUID, bool]]:
    people = [(UUID(o), False) for o in dict.fromkeys(owner_ids)]
    if leader_id and leader_id not in owner_ids:
        people.append((UUID(leader_id), True))
    return people


async def _write(
    conn: asyncpg.Connection,
    env: Envelope,
    item_id: UUID,
    rules: Rules,
    entries: list[tuple[UUID, Entry]],
    unit_id: UUID | None = None,
) -> None:
    if not entries:
        return
    await store.insert_entries(
        conn,
        [
            (
                person,
                item_id,
                env.id,
                entry.rule,
                entry.points,
                entry.explanation,
                env.occurred_at,
                rules.version,
                unit_id,
            )
            for person, entry in entries
        ],
    )
    if any(entry.points < 0 for _, entry in entries):
        exemption = await store.approved_exemption_for_item(conn, item_id)
        if exemption is not None:
            await store.offset_penalties(
                conn, item_id, exemption["id"], f"容错免责({exemption['case_type']})"
            )


def item_row(item: tasks_events.ItemSnapshot, env: Envelope) -> dict[str, Any]:
    outcome, overdue = None, 0
    if item.state == "COMPLETED":
        done = scoring.local_date(item.completed_at or env.occurred_at, clock.local_tz())
        overdue = scoring.days_overdue(done, item.deadline)
        outcome = "LATE" if overdue else "ON_TIME"
    return {
        "id": UUID(item.id),
        "code": item.code,
        "title": item.title,
        "state": item.state,
        "importance": item.importance,
        "difficulty": item.difficulty,
        "deadline": item.deadline,
        "original_deadline": item.original_deadline,
        "lead_unit_id": UUID(item.lead_unit_id),
        "responsible_leader_id": UUID(item.responsible_leader_id)
        if item.responsible_leader_id
        else None,
        "owner_ids": [UUID(o) for o in item.owner_ids],
        "created_at": item.created_at or env.occurred_at,
        "completed_at": item.completed_at,
        "outcome": outcome,
        "days_overdue": overdue,
        "version": env.aggregate_version,
    }


def unit_rows(item: tasks_events.ItemSnapshot) -> list[tuple[Any, ...]]:
    rows: dict[str, tuple[Any, ...]] = {}
    assignments = item.assignments or [
        tasks_events.AssignmentSnapshot(unit_id=u, role="CO") for u in item.co_unit_ids
    ] + [tasks_events.AssignmentSnapshot(unit_id=item.lead_unit_id, role="LEAD")]
    for a in assignments:
        if a.state in tasks_events.ENDED_ASSIGNMENT_STATES:
            continue  # transferred away or withdrawn: history, never scored as failing
        outcome, overdue = None, 0
        done_at = a.completed_at or (item.completed_at if item.state == "COMPLETED" else None)
        if done_at is not None:
            overdue = scoring.days_overdue(
                scoring.local_date(done_at, clock.local_tz()), item.deadline
            )
            outcome = "LATE" if overdue else "ON_TIME"
        rows[a.unit_id] = (UUID(a.unit_id), a.role, a.state, a.percent, done_at, outcome, overdue)
    return list(rows.values())


SCORED_ITEM_EVENTS = (
    tasks_events.ItemCreated,
    tasks_events.ItemCompleted,
    tasks_events.ItemReportVerified,
    tasks_events.ItemExtensionDecided,
)


def extension_approved(event: tasks_events.ItemEvent) -> bool:
    return isinstance(event, tasks_events.ItemExtensionDecided) and (
        event.detail.get("approved") is True or event.detail.get("decision") == "APPROVED"
    )


def item_fact(event: tasks_events.ItemEvent) -> str | None:
    """The counter column an item event increments, if any."""
    if isinstance(event, tasks_events.ItemReportVerified):
        result = str(event.detail.get("result", "")).upper()
        disputed = result in DISPUTED or event.detail.get("disputed") is True
        return "verifications_disputed" if disputed else "verifications_passed"
    if extension_approved(event):
        return "extensions"
    return None


def item_entries(
    event: tasks_events.ItemEvent, env: Envelope, rules: Rules
) -> list[tuple[UUID, Entry]]:
    """What an item event scores, for whom (pure; the rules in force are given)."""
    item = event.item
    people = _participants(item.owner_ids, item.responsible_leader_id)
    if isinstance(event, tasks_events.ItemCreated):
        return [
            (
                p,
                scoring.score_item_taken_on(
                    rules, item.title, item.importance, item.difficulty, lead
                ),
            )
            for p, lead in people
        ]
    if isinstance(event, tasks_events.ItemCompleted):
        done = scoring.local_date(item.completed_at or env.occurred_at, clock.local_tz())
        return [
            (
                p,
                scoring.score_completion(
                    rules,
                    item.title,
                    item.importance,
                    item.difficulty,
                    done,
                    item.deadline,
                    lead,
                    item.original_deadline,
                ),
            )
            for p, lead in people
        ]
    if extension_approved(event):
        new_deadline = str(event.detail.get("new_deadline") or item.deadline)
        return [
            (
                p,
                scoring.score_extension_approved(
                    rules, item.title, item.importance, item.difficulty, new_deadline, lead
                ),
            )
            for p, lead in people
        ]
    if (
        isinstance(event, tasks_events.ItemReportVerified)
        and item_fact(event) == "verifications_disputed"
    ):
        return [
            (p, scoring.score_verification_disputed(rules, item.title, lead)) for p, lead in people
        ]
    return []


def colour_entries(
    event: alerts_events.LevelChanged, rules: Rules, title: str
) -> list[tuple[UUID, Entry]]:
    if event.level is None or event.level == event.previous_level:
        return []
    entries = []
    for person, lead in _participants(event.owner_ids, event.responsible_leader_id):
        entry = scoring.score_colour_entered(rules, event.level, title, lead)
        if entry is not None:
            entries.append((person, entry))
    return entries


def colour_scores(event: alerts_events.LevelChanged) -> bool:
    return event.level is not None and event.level != event.previous_level


async def apply_item_event(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.ItemEvent)
    item = event.item
    item_id = UUID(item.id)
    if await is_newer(conn, env):
        await store.upsert_item(conn, item_row(item, env))
        await store.replace_item_units(conn, item_id, unit_rows(item))
    fact = item_fact(event)
    if fact:
        await store.count_item_fact(conn, item_id, fact)
    if isinstance(event, SCORED_ITEM_EVENTS):
        rules = await rules_at(conn, env.occurred_at)
        await _write(conn, env, item_id, rules, item_entries(event, env, rules))


async def apply_level_changed(
    conn: asyncpg.Connection, env: Envelope, event: EventContract
) -> None:
    assert isinstance(event, alerts_events.LevelChanged)
    item_id = UUID(event.item_id)
    if await is_newer(conn, env):
        await store.set_level(conn, item_id, event.level, event.changed_at)
    if not colour_scores(event):
        return
    rules = await rules_at(conn, env.occurred_at)
    title = event.title
    if not title:
        known = await store.get_item(conn, item_id)
        title = known["title"] if known else event.code
    await _write(conn, env, item_id, rules, colour_entries(event, rules, title))


async def apply_unit_upserted(
    conn: asyncpg.Connection, env: Envelope, event: EventContract
) -> None:
    assert isinstance(event, tasks_events.UnitUpserted)
    if await is_newer(conn, env):
        await store.upsert_unit(
            conn,
            {
                "id": UUID(event.id),
                "code": event.code,
                "name": event.name,
                "kind": event.kind,
                "category": event.category,
            },
        )


async def apply_person_upserted(
    conn: asyncpg.Connection, env: Envelope, event: EventContract
) -> None:
    assert isinstance(event, tasks_events.PersonUpserted)
    if await is_newer(conn, env):
        await store.upsert_person(
            conn,
            {
                "id": UUID(event.id),
                "name": event.name,
                "unit_id": UUID(event.unit_id) if event.unit_id else None,
                "rank": event.rank,
                "roles": event.roles,
                "active": event.active,
            },
        )
