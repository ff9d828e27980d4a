"""Mutations on reminders: mark read, channel preferences, re-send, unit robot."""

from __future__ import annotations

from typing import Annotated

import strawberry

from services.alerts import service_inbox
from services.alerts.graphql.notification_types import ChannelPreferences, Notification
from services.core.errors import DomainError
from services.core.graphql import (
    AppInfo,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    user_error,
)


@strawberry.input
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="消息编号; omitted: every unread message"
    )


@strawberry.type
class NotificationMarkReadSuccess:
    marked: int
    unread_count: int


NotificationMarkReadResult = Annotated[
    NotificationMarkReadSuccess | ValidationError | NotFoundError,
    strawberry.union("NotificationMarkReadResult"),
]


@strawberry.input
class ChannelPreferencesUpdateInput:
    person_id: strawberry.ID | None = None
    wecom_app: bool | None = None
    email: bool | None = None
    inbox: bool | None = None


@strawberry.type
class ChannelPreferencesUpdateSuccess:
    preferences: ChannelPreferences


ChannelPreferencesUpdateResult = Annotated[
    ChannelPreferencesUpdateSuccess | ValidationError,
    strawberry.union("ChannelPreferencesUpdateResult"),
]


@strawberry.input
class NotificationResendInput:
    ids: list[strawberry.ID]


@strawberry.type
class NotificationResendSuccess:
    notifications: list[Notification]


NotificationResendResult = Annotated[
    NotificationResendSuccess | ValidationError | NotFoundError | InvalidTransitionError,
    strawberry.union("NotificationResendResult"),
]


@strawberry.input
class UnitRobotSetInput:
    unit_id: strawberry.ID
    wecom_robot_key: str | None = strawberry.field(
        default=None, description="企业微信群机器人 key; empty: use the key from tasks"
    )


@strawberry.type
class UnitRobotSetSuccess:
    unit_id: strawberry.ID
    has_robot: bool


UnitRobotSetResult = Annotated[
    UnitRobotSetSuccess | ValidationError | NotFoundError, strawberry.union("UnitRobotSetResult")
]


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="标记已读: the caller's own inbox messages.")
    async def notification_mark_read(
        self, info: AppInfo, input: NotificationMarkReadInput
    ) -> NotificationMarkReadResult:
        principal = info.context.require()
        ids = [str(i) for i in input.ids] if input.ids is not None else None
        try:
            marked, unread = await service_inbox.mark_read(info.context.pool, principal, ids)
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return NotificationMarkReadSuccess(marked=marked, unread_count=unread)

    @strawberry.mutation(description="设置通知渠道偏好")
    async def channel_preferences_update(
        self, info: AppInfo, input: ChannelPreferencesUpdateInput
    ) -> ChannelPreferencesUpdateResult:
        principal = info.context.require()
        try:
            row = await service_inbox.set_preferences(
                info.context.pool,
                principal,
                str(input.person_id) if input.person_id else None,
                input.wecom_app,
                input.email,
                input.inbox,
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return ChannelPreferencesUpdateSuccess(
            preferences=ChannelPreferences.from_row(str(row["person_id"]), row)
        )

    @strawberry.mutation(description="重发投递失败的消息 (office).")
    async def notification_resend(
        self, info: AppInfo, input: NotificationResendInput
    ) -> NotificationResendResult:
        principal = info.context.require()
        try:
            rows = await service_inbox.resend(
                info.context.pool, principal, [str(i) for i in input.ids]
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return NotificationResendSuccess(notifications=[Notification.from_row(r) for r in rows])

    @strawberry.mutation(description="设置单位企业微信群机器人 (office).")
    async def unit_robot_set(self, info: AppInfo, input: UnitRobotSetInput) -> UnitRobotSetResult:
        principal = info.context.require()
        try:
            row = await service_inbox.set_unit_robot(
                info.context.pool, principal, str(input.unit_id), input.wecom_robot_key
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return UnitRobotSetSuccess(
            unit_id=strawberry.ID(str(row["id"])), has_robot=bool(row["robot_key"])
        )
