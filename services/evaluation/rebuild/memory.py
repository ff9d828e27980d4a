"""The in-memory replay behind ``ducha evaluation-rebuild``.

It calls the same pure decisions as the live handlers in ledger/projection.py
(``item_row``, ``unit_rows``, ``item_fact``, ``item_entries``, ``colour_entries``) and
mirrors the handlers' SQL semantics (newer-version upserts, counters that only touch a
known item, colour spans, first-wins ledger entries), then bulk-copies the result.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.contracts import alerts as alerts_events
from services.contracts import tasks as tasks_events
from services.core.events import Envelope, EventContract
from services.evaluation.ledger import projection
from services.evaluation.rebuild import store


class MemoryReplay:
    """The projection and ledger of a whole history, built in memory."""

    def __init__(self, rules: projection.RuleVersions) -> None:
        self.rules = rules
        self.seen: dict[UUID, str] = {}
        self.versions: dict[str, int] = {}
        self.units: dict[UUID, tuple[Any, ...]] = {}
        self.people: dict[UUID, tuple[Any, ...]] = {}
        self.items: dict[UUID, dict[str, Any]] = {}
        self.latest: dict[UUID, tuple[tasks_events.ItemSnapshot, Envelope]] = {}
        self.spans: dict[UUID, dict[Any, list[Any]]] = {}
        self.entries: dict[tuple[UUID, UUID, str], tuple[Any, ...]] = {}

    def _newer(self, env: Envelope) -> bool:
        key = f"{env.producer}:{env.aggregate_id}"
        if self.versions.get(key, -1) >= env.aggregate_version:
            return False
        self.versions[key] = env.aggregate_version
        return True

    def _write(self, env: Envelope, item_id: UUID, version: int, entries: list[Any]) -> None:
        for person, entry in entries:
            self.entries.setdefault(
                (env.id, person, entry.rule),
                (
                    person,
                    item_id,
                    env.id,
                    entry.rule,
                    entry.points,
                    entry.explanation,
                    env.occurred_at,
                    version,
                    None,
                ),
            )

    def apply(self, env: Envelope, event: EventContract) -> None:
        if env.id in self.seen:
            return  # the inbox: an event is applied once
        self.seen[env.id] = env.type
        if isinstance(event, tasks_events.ItemEvent):
            self._item(env, event)
        elif isinstance(event, alerts_events.LevelChanged):
            self._level(env, event)
        elif isinstance(event, tasks_events.UnitUpserted):
            if self._newer(env):
                self.units[UUID(event.id)] = (
                    UUID(event.id),
                    event.code,
                    event.name,
                    event.kind,
                    event.category,
                )
        elif isinstance(event, tasks_events.PersonUpserted) and self._newer(env):
            self.people[UUID(event.id)] = (
                UUID(event.id),
                event.name,
                UUID(event.unit_id) if event.unit_id else None,
                event.rank,
                event.roles,
                event.active,
            )

    def _item(self, env: Envelope, event: tasks_events.ItemEvent) -> None:
        """Only the newest snapshot becomes the row (built at write time); the first
        created_at is kept, counters and colour live beside it."""
        item_id = UUID(event.item.id)
        if self._newer(env):
            self.latest[item_id] = (event.item, env)
            if item_id not in self.items:
                self.items[item_id] = {
                    "created_at": event.item.created_at or env.occurred_at,
                    "title": event.item.title,
                    "extensions": 0,
                    "verifications_passed": 0,
                    "verifications_disputed": 0,
                    "level": None,
                    "level_since": None,
                }
            else:
                self.items[item_id]["title"] = event.item.title
        fact = projection.item_fact(event)
        if fact and item_id in self.items:
            self.items[item_id][fact] += 1
        if isinstance(event, projection.SCORED_ITEM_EVENTS):
            rules = projection.pick_rules(self.rules, env.occurred_at)
            self._write(env, item_id, rules.version, projection.item_entries(event, env, rules))

    def item_records(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        items, units = [], []
        for item_id, (snapshot, env) in self.latest.items():
            row = projection.item_row(snapshot, env)
            row.update(self.items[item_id])
            items.append(tuple(row[c] for c in store.ITEM_COLUMNS))
            units += [(item_id, *u) for u in projection.unit_rows(snapshot)]
        return items, units

    def _level(self, env: Envelope, event: alerts_events.LevelChanged) -> None:
        item_id = UUID(event.item_id)
        if self._newer(env):
            spans = self.spans.setdefault(item_id, {})
            for span in spans.values():
                if span[3] is None:
                    span[3] = event.changed_at
            if event.level and event.changed_at not in spans:
                spans[event.changed_at] = [item_id, event.level, event.changed_at, None]
            if item_id in self.items:
                self.items[item_id].update(level=event.level, level_since=event.changed_at)
        if not projection.colour_scores(event):
            return
        rules = projection.pick_rules(self.rules, env.occurred_at)
        title = event.title
        if not title:
            known = self.items.get(item_id)
            title = known["title"] if known else event.code
        self._write(env, item_id, rules.version, projection.colour_entries(event, rules, title))

    async def write(self, conn: asyncpg.Connection) -> None:
        item_rows, unit_rows = self.item_records()
        await store.copy_replay(
            conn,
            units=list(self.units.values()),
            people=list(self.people.values()),
            items=item_rows,
            item_units=unit_rows,
            colour_spans=[tuple(s) for spans in self.spans.values() for s in spans.values()],
            entries=list(self.entries.values()),
            processed=list(self.seen.items()),
            versions=list(self.versions.items()),
        )
