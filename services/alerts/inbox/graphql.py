"""GraphQL of the inbox and the notification log: types, reads, and the mutations
(mark read, channel preferences, re-send, unit robot)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from services.alerts import access
from services.alerts.inbox import service, store
from services.core.graphql import (
    AppInfo,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import parse_optional_uuid


@strawberry.enum(description="通知渠道")
class NotificationChannel(Enum):
    WECOM_ROBOT = "WECOM_ROBOT"  # 企业微信群机器人
    WECOM_APP = "WECOM_APP"  # 企业微信应用消息
    EMAIL = "EMAIL"  # 邮件
    INBOX = "INBOX"  # 站内信


@strawberry.enum(description="投递状态")
class DeliveryState(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    DEAD = "DEAD"
    SKIPPED = "SKIPPED"
    HELD = "HELD"  # the item is suspended: sent when it resumes


@strawberry.enum(description="提醒原因")
class ReminderKind(Enum):
    LEVEL_CHANGED = "LEVEL_CHANGED"
    DEADLINE_NEAR = "DEADLINE_NEAR"
    REPORT_DUE = "REPORT_DUE"
    RED_CHASE = "RED_CHASE"
    RED_ESCALATION = "RED_ESCALATION"
    ITEM_CHANGED = "ITEM_CHANGED"  # 修改 / 转办 / 调整时限: the people a move affects
    NOTICE_UNACKED = "NOTICE_UNACKED"  # 督查通知单未签阅
    NOTICE_ESCALATION = "NOTICE_ESCALATION"  # 督查通知单无人签阅 (to leaders)


@strawberry.type(description="一条通知: one reminder on one channel to one recipient.")
class Notification:
    id: strawberry.ID
    kind: ReminderKind
    channel: NotificationChannel
    item_id: strawberry.ID | None
    person_id: strawberry.ID | None
    unit_id: strawberry.ID | None
    title: str
    body: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None
    read: bool

    @classmethod
    def from_row(cls, r: Any) -> Notification:
        return cls(
            id=strawberry.ID(str(r["id"])),
            kind=ReminderKind(r["kind"]),
            channel=NotificationChannel(r["channel"]),
            item_id=strawberry.ID(str(r["item_id"])) if r["item_id"] else None,
            person_id=strawberry.ID(str(r["person_id"])) if r["person_id"] else None,
            unit_id=strawberry.ID(str(r["unit_id"])) if r["unit_id"] else None,
            title=r["title"],
            body=r["body"],
            state=DeliveryState(r["state"]),
            attempts=r["attempts"],
            last_error=r["last_error"],
            created_at=r["created_at"],
            sent_at=r["sent_at"],
            read_at=r["read_at"],
            read=r["read_at"] is not None,
        )


@strawberry.type(description="个人通知渠道偏好 (the inbox is always kept unless switched off).")
class ChannelPreferences:
    person_id: strawberry.ID
    wecom_app: bool
    email: bool
    inbox: bool

    @classmethod
    def from_row(cls, person_id: str, r: Any) -> ChannelPreferences:
        return cls(
            person_id=strawberry.ID(person_id),
            wecom_app=r["wecom_app"] if r else True,
            email=r["email"] if r else True,
            inbox=r["inbox"] if r else True,
        )


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
        person = access.inbox_person(info.context.require(), person_id)
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
        person = access.inbox_person(info.context.require(), person_id)
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
        info.context.require(*access.LOG_READERS)
        async with info.context.pool.acquire() as conn:
            rows = await store.list_notifications(
                conn,
                state=state.value if state else None,
                channel=channel.value if channel else None,
                item_id=parse_optional_uuid(item_id, "itemId"),
                person_id=parse_optional_uuid(person_id, "personId"),
                limit=max(1, min(first, MAX_PAGE)),
            )
        return [Notification.from_row(r) for r in rows]

    @strawberry.field(description="各单位群机器人 (office): which units have one, never the key.")
    async def unit_robots(self, info: AppInfo) -> list[UnitRobot]:
        rows = await service.unit_robots(info.context.pool, info.context.require())
        return [
            UnitRobot(
                unit_id=strawberry.ID(str(r["id"])),
                code=r["code"] or "",
                name=r["name"] or "",
                has_robot=r["has_robot"],
                overridden=r["overridden"],
            )
            for r in rows
        ]

    @strawberry.field(description="通知渠道偏好: the caller's own (office: anyone's).")
    async def channel_preferences(
        self, info: AppInfo, person_id: strawberry.ID | None = None
    ) -> ChannelPreferences:
        person = access.inbox_person(info.context.require(), person_id)
        async with info.context.pool.acquire() as conn:
            row = await store.get_preferences(conn, person)
        return ChannelPreferences.from_row(str(person), row)


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
        default=None,
        description="企业微信群机器人 key (or the whole webhook URL); empty: use the key from tasks",
    )


@strawberry.type
class UnitRobotSetSuccess:
    unit_id: strawberry.ID
    has_robot: bool


@strawberry.type(description="单位群机器人: whether a unit's reminders reach a WeCom group")
class UnitRobot:
    unit_id: strawberry.ID
    code: str
    name: str
    has_robot: bool
    overridden: bool = strawberry.field(
        description="the key was set by the office here, not taken from the unit's record"
    )


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
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.mark_read(info.context.pool, principal, ids),
            lambda counts: NotificationMarkReadSuccess(marked=counts[0], unread_count=counts[1]),
        )

    @strawberry.mutation(description="设置通知渠道偏好")
    async def channel_preferences_update(
        self, info: AppInfo, input: ChannelPreferencesUpdateInput
    ) -> ChannelPreferencesUpdateResult:
        principal = info.context.require()
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.set_preferences(
                info.context.pool,
                principal,
                str(input.person_id) if input.person_id else None,
                input.wecom_app,
                input.email,
                input.inbox,
            ),
            lambda row: ChannelPreferencesUpdateSuccess(
                preferences=ChannelPreferences.from_row(str(row["person_id"]), row)
            ),
        )

    @strawberry.mutation(
        description="重发投递失败的消息 (office): to the person's or unit's current address."
    )
    async def notification_resend(
        self, info: AppInfo, input: NotificationResendInput
    ) -> NotificationResendResult:
        principal = info.context.require()
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.resend(info.context.pool, principal, [str(i) for i in input.ids]),
            lambda rows: NotificationResendSuccess(
                notifications=[Notification.from_row(r) for r in rows]
            ),
        )

    @strawberry.mutation(description="设置单位企业微信群机器人 (office).")
    async def unit_robot_set(self, info: AppInfo, input: UnitRobotSetInput) -> UnitRobotSetResult:
        principal = info.context.require()
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.set_unit_robot(
                info.context.pool, principal, str(input.unit_id), input.wecom_robot_key
            ),
            lambda row: UnitRobotSetSuccess(
                unit_id=strawberry.ID(str(row["id"])), has_robot=bool(row["robot_key"])
            ),
        )
