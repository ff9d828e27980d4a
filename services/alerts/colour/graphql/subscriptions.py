"""Live colour changes for the big screen, fanned out across replicas through NATS.

Every replica's resolver subscribes to ``alerts.level.changed`` on NATS core (the
JetStream publish of the outbox relay is delivered to core subscribers too), so a
change evaluated on any replica reaches clients connected to any other.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator

import strawberry

from services.alerts.access import ItemScope, can_read
from services.alerts.colour.domain import Level as DomainLevel
from services.alerts.colour.graphql.types import AlertLevelChange, SupervisionItem
from services.contracts.alerts import LevelChanged
from services.core.events import Envelope
from services.core.graphql import AppInfo

log = logging.getLogger(__name__)


def to_change(event: LevelChanged) -> AlertLevelChange:
    return AlertLevelChange(
        item=SupervisionItem(id=strawberry.ID(event.item_id)),
        code=event.code,
        title=event.title,
        source=event.source,
        unit_ids=[strawberry.ID(u) for u in event.unit_ids],
        previous_level=DomainLevel(event.previous_level) if event.previous_level else None,
        level=DomainLevel(event.level) if event.level else None,
        reason=event.reason,
        rule_version=event.rule_version,
        changed_at=event.changed_at,
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(description="颜色变化推送: colour changes as they happen.")
    async def alert_level_changed(
        self, info: AppInfo, unit_id: strawberry.ID | None = None
    ) -> AsyncGenerator[AlertLevelChange, None]:
        principal = info.context.require()
        nc = info.context.app_state.nc
        sub = await nc.subscribe(LevelChanged.type)
        try:
            async for msg in sub.messages:
                try:
                    event = LevelChanged.model_validate(Envelope.from_json(msg.data).data)
                except Exception as e:
                    log.warning("undecodable %s: %s", msg.subject, e)
                    continue
                if unit_id is not None and str(unit_id) not in event.unit_ids:
                    continue
                facts = ItemScope.of(
                    event.lead_unit_id, event.unit_ids, event.owner_ids, event.responsible_leader_id
                )
                if not can_read(principal, facts):
                    continue
                yield to_change(event)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
