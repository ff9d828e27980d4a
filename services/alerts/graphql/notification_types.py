"""GraphQL types of reminders: notifications (inbox and delivery log), preferences."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry


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


@strawberry.enum(description="提醒原因")
class ReminderKind(Enum):
    LEVEL_CHANGED = "LEVEL_CHANGED"
    DEADLINE_NEAR = "DEADLINE_NEAR"
    REPORT_DUE = "REPORT_DUE"
    RED_CHASE = "RED_CHASE"
    RED_ESCALATION = "RED_ESCALATION"


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
