"""Reads: a person's inbox and unread count, the notification log, preferences."""

from __future__ import annotations

import strawberry

from services.alerts import store_reminders as store
from services.alerts.graphql.notification_types import (
    ChannelPreferences,
    DeliveryState,
    Notification,
    NotificationChannel,
)
from services.alerts.service_inbox import parse_uuid, person_scope
from services.core.auth import Role
from services.core.graphql import AppInfo

MAX_PAGE = 500


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="站内信: the caller's inbox, newest first (office: anyone's).")
    async def inbox(
        self,
        info: AppInfo,
        person_id: strawberry.ID | None = None,
        unread_only: bool = False,
        first: int = 50,
    ) -> list[Notification]:
        person = person_scope(info.context.require(), person_id)
        async with info.context.pool.acquire() as conn:
            rows = await store.list_notifications(
                conn,
                person_id=person,
                channel="INBOX",
                unread_only=unread_only,
                limit=max(1, min(first, MAX_PAGE)),
            )
        return [Notification.from_row(r) for r in rows]

    @strawberry.field(description="未读站内信数")
    async def inbox_unread_count(
        self, info: AppInfo, person_id: strawberry.ID | None = None
    ) -> int:
        person = person_scope(info.context.require(), person_id)
        async with info.context.pool.acquire() as conn:
            return await store.unread_count(conn, person)

    @strawberry.field(description="通知投递记录 (office and leaders): every channel and state.")
    async def notification_log(
        self,
        info: AppInfo,
        state: DeliveryState | None = None,
        channel: NotificationChannel | None = None,
        item_id: strawberry.ID | None = None,
        person_id: strawberry.ID | None = None,
        first: int = 100,
    ) -> list[Notification]:
        info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
        async with info.context.pool.acquire() as conn:
            rows = await store.list_notifications(
                conn,
                state=state.value if state else None,
                channel=channel.value if channel else None,
                item_id=parse_uuid(str(item_id), "itemId") if item_id else None,
                person_id=parse_uuid(str(person_id), "personId") if person_id else None,
                limit=max(1, min(first, MAX_PAGE)),
            )
        return [Notification.from_row(r) for r in rows]

    @strawberry.field(description="通知渠道偏好: the caller's own (office: anyone's).")
    async def channel_preferences(
        self, info: AppInfo, person_id: strawberry.ID | None = None
    ) -> ChannelPreferences:
        person = person_scope(info.context.require(), person_id)
        async with info.context.pool.acquire() as conn:
            row = await store.get_preferences(conn, person)
        return ChannelPreferences.from_row(str(person), row)
