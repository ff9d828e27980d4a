"""One-tap actions from WeCom cards (pure): who pressed, what it means, what the card says."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.core.auth import Principal, Role

DONE_TEXT = {"SIGN": "已签收", "RETURN": "已退回", "ACK": "已阅"}
RETURN_REASON = "经企业微信卡片退回，详情请与督查办联系"


@dataclass(frozen=True)
class CardPress:
    key: str  # dedupe key of the callback
    user_id: str
    task_id: str
    event_key: str
    response_code: str


def card_press(msg: dict[str, str]) -> CardPress | None:
    """A template-card button press from a decrypted callback, else None (ignored)."""
    if msg.get("MsgType") != "event" or msg.get("Event") != "template_card_event":
        return None
    user, task, key = msg.get("FromUserName", ""), msg.get("TaskId", ""), msg.get("EventKey", "")
    if not (user and task and key):
        return None
    return CardPress(
        key=f"{user}:{msg.get('CreateTime', '')}:{task}:{key}",
        user_id=user,
        task_id=task,
        event_key=key,
        response_code=msg.get("ResponseCode", ""),
    )


def principal_for(
    person_id: UUID, name: str, roles: Iterable[str], unit_id: UUID | None
) -> Principal:
    """The person behind a WeCom user id, as the access policy sees a signed-in person.
    The one place WeCom identities become principals; re-point it at a shared policy."""
    return Principal(
        subject=str(person_id),
        name=name,
        roles=frozenset(Role(r) for r in roles if r in Role.__members__),
        unit_ids=frozenset({str(unit_id)}) if unit_id else frozenset(),
    )


def done_message(action: str, name: str, at: datetime) -> str:
    return f"{DONE_TEXT.get(action, '已处理')} · {name} · {at:%m-%d %H:%M}"


def refused_message(reason: str) -> str:
    return f"未能办理：{reason}"[:60]
