"""WeCom template cards with buttons (pure): 签收/退回 on a new assignment, 已阅 on a
notice, 去汇报 opening the mobile report page. Button keys are the contract's
``card_key``; tasks' callback reads them back."""

from __future__ import annotations

import hashlib
from typing import Any

from services.contracts.tasks import card_key


def task_id(kind: str, *parts: str) -> str:
    """WeCom task ids: at most 128 of [A-Za-z0-9_-@]; one per card and person."""
    return f"{kind.lower()}-" + hashlib.sha1("|".join(parts).encode()).hexdigest()


def assignment_card(task: str, item: dict[str, Any], unit_id: str) -> dict[str, Any]:
    return {
        "card_type": "button_interaction",
        "source": {"desc": "督查督办"},
        "main_title": {"title": f"【督查交办】{item['code']}", "desc": item["title"][:40]},
        "horizontal_content_list": [
            {"keyname": "办理时限", "value": str(item["deadline"])},
        ],
        "card_action": {"type": 1, "url": f"{LINK}/items/{item['id']}"},
        "task_id": task,
        "button_list": [
            {"text": "签收", "style": 1, "key": card_key("SIGN", item["id"], unit_id)},
            {"text": "退回", "style": 2, "key": card_key("RETURN", item["id"], unit_id)},
            {"text": "去汇报", "style": 3, "type": 1, "url": report_link(item["id"])},
        ],
    }


def notice_card(
    task: str, item: dict[str, Any], notice_id: str, notice_code: str, respond_by: str | None
) -> dict[str, Any]:
    rows = [{"keyname": "事项", "value": f"{item['code']} {item['title']}"[:30]}]
    if respond_by:
        rows.append({"keyname": "反馈时限", "value": respond_by})
    return {
        "card_type": "button_interaction",
        "source": {"desc": "督查督办"},
        "main_title": {"title": f"【督查通知单】{notice_code}", "desc": item["title"][:40]},
        "horizontal_content_list": rows,
        "card_action": {"type": 1, "url": f"{LINK}/items/{item['id']}"},
        "task_id": task,
        "button_list": [
            {"text": "已阅", "style": 1, "key": card_key("ACK", notice_id)},
            {"text": "去汇报", "style": 3, "type": 1, "url": report_link(item["id"])},
        ],
    }


LINK = "ducha-mobile:"  # stored cards carry this; the sender puts the mobile base URL in


def report_link(item_id: str) -> str:
    """The mobile report page of an item (web route /m/items/:id, 事项办理)."""
    return f"{LINK}/items/{item_id}"


def reminder_card(title: str, text: str, link: str) -> dict[str, Any]:
    """A reminder that asks a unit to act, as a ``text_notice`` card: the same title and
    text as the plain message, and a 去汇报 jump (the whole card opens it too)."""
    return {
        "card_type": "text_notice",
        "source": {"desc": "督查督办"},
        "main_title": {"title": title[:26]},
        "sub_title_text": text,
        "jump_list": [{"type": 1, "title": "去汇报", "url": link}],
        "card_action": {"type": 1, "url": link},
    }


def resolve_links(card: dict[str, Any], base: str) -> dict[str, Any]:
    def fix(v: Any) -> Any:
        if isinstance(v, str) and v.startswith(LINK):
            return base.rstrip("/") + v[len(LINK) :]
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return fix(card)  # type: ignore[no-any-return]


def retry_delay(attempts: int, base: float, cap: float) -> float:
    return float(min(base * 2 ** max(attempts - 1, 0), cap))
