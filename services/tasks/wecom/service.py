"""The WeCom card callback's use-case: a button press runs the same use-case as the
GraphQL mutation (签收 → lifecycle.sign, 退回 → lifecycle.return_assignment, 已阅 →
notices.acknowledge_notice) as the person behind the WeCom user id, with the same
access checks, audit entry and events; then asks alerts (event) to update the card.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import asyncpg

from services.contracts import tasks as ev
from services.core import clock
from services.core.auth import Principal
from services.core.errors import AccessDenied, DomainError
from services.core.outbox import record_event
from services.tasks.lifecycle import service as lifecycle
from services.tasks.notices import service as notices
from services.tasks.transaction import transaction
from services.tasks.wecom import domain, store
from services.tasks.wecom.domain import CardPress

log = logging.getLogger(__name__)


async def _run(
    conn: asyncpg.Connection, principal: Principal, action: str, ids: list[str], now: datetime
) -> None:
    if action in ("SIGN", "RETURN"):
        step = lifecycle.UnitStep(
            item_id=uuid.UUID(ids[0]),
            unit_id=uuid.UUID(ids[1]),
            reason=domain.RETURN_REASON if action == "RETURN" else "",
        )
        if action == "SIGN":
            await lifecycle.sign(conn, principal, step, now)
        else:
            await lifecycle.return_assignment(conn, principal, step, now)
    else:
        await notices.acknowledge_notice(conn, principal, uuid.UUID(ids[0]), None, now)


async def handle_press(pool: asyncpg.Pool, press: CardPress) -> bool:
    """Handle one press once; False when it was a replay (nothing done)."""
    parsed = ev.parse_card_key(press.event_key)
    now = clock.now()
    async with transaction(pool) as conn:
        if not await store.claim_callback(
            conn, press.key, press.user_id, press.task_id, press.event_key
        ):
            return False
        person = await store.person_by_wecom_user(conn, press.user_id)
        action = parsed[0] if parsed else "UNKNOWN"
        done, person_id = False, None
        if parsed is None:
            message = domain.refused_message("无法识别的按钮")
        elif person is None:
            message = domain.refused_message("企业微信账号未关联人员")
        else:
            person_id = person["id"]
            principal = domain.principal_for(
                person["id"], person["name"], person["roles"], person["unit_id"]
            )
            try:
                await _run(conn, principal, action, parsed[1], now)  # a savepoint
                done, message = (
                    True,
                    domain.done_message(action, person["name"], now.astimezone(clock.local_tz())),
                )
            except (DomainError, AccessDenied) as e:
                message = domain.refused_message(e.message)
            except (ValueError, IndexError):
                message = domain.refused_message("无法识别的按钮")
        await store.finish_callback(conn, press.key, person_id, done, message)
        event = ev.WeComCardActed(
            task_id=press.task_id,
            response_code=press.response_code,
            wecom_user_id=press.user_id,
            person_id=str(person_id) if person_id else None,
            action=action,
            done=done,
            message=message,
            acted_at=now,
        )
        await record_event(conn, event.envelope(press.task_id, 1, occurred_at=now))
    log.info("wecom card press %s by %s: %s", action, press.user_id, message)
    return True
