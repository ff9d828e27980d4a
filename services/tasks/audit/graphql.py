"""Read side of the audit trail (痕迹): per item, per person, or everything (office/leaders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from services.core.errors import Forbidden, ValidationFailed
from services.core.graphql import AppInfo, Context
from services.core.ids import try_uuid
from services.tasks.access import audit_scope
from services.tasks.audit import store

MAX_PAGE = 500


@strawberry.type(description="痕迹: one append-only, hash-chained entry of the audit trail.")
class AuditEntry:
    id: strawberry.ID
    seq: int = strawberry.field(description="Position in the chain (gap-free).")
    occurred_at: datetime
    actor_id: str
    action: str
    subject_type: str
    subject_id: str
    item_id: strawberry.ID | None
    before: JSON | None
    after: JSON | None
    request_id: str | None
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: Any) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row["id"])),
            seq=row["chain_seq"],
            occurred_at=row["occurred_at"],
            actor_id=row["actor_id"],
            action=row["action"],
            subject_type=row["subject_type"],
            subject_id=row["subject_id"],
            item_id=strawberry.ID(str(row["item_id"])) if row["item_id"] else None,
            before=row["before"],
            after=row["after"],
            request_id=row["request_id"],
            prev_hash=row["prev_hash"],
            hash=row["hash"],
        )


@strawberry.type
class AuditTrail:
    entries: list[AuditEntry]
    has_more: bool
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


def audit_entries_by_item(ctx: Context) -> DataLoader[str, list[Any]]:
    """An item's audit entries, oldest first; one query per batch of items."""

    def make() -> DataLoader[str, list[Any]]:
        async def load(keys: list[str]) -> list[list[Any]]:
            async with ctx.pool.acquire() as conn:
                rows = await store.list_audit_entries_by_items(conn, [UUID(k) for k in keys])
            grouped: dict[str, list[Any]] = {k: [] for k in keys}
            for r in rows:
                grouped[str(r["item_id"])].append(r)
            return [grouped[k] for k in keys]

        return DataLoader(load_fn=load)

    return ctx.loader("AuditEntriesByItemLoader", make)  # type: ignore[no-any-return]


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description=(
            "痕迹: the audit trail, oldest first. With itemId: that item's entries; with"
            " actorId: that person's entries. The office and leaders read everything; others"
            " read entries on items they see and their own entries."
        )
    )
    async def audit_trail(
        self,
        info: AppInfo,
        item_id: strawberry.ID | None = None,
        actor_id: strawberry.ID | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> AuditTrail:
        principal = info.context.require()
        scope = audit_scope(principal)
        if scope is not None and item_id is None and actor_id is None:
            raise Forbidden("只有督查办和区领导可以查看全部痕迹")
        limit = max(1, min(first, MAX_PAGE))
        if after and not (after.isdigit() and len(after) <= 18):
            raise ValidationFailed("无效的分页游标 (not a cursor this list gave)", field="after")
        after_seq = int(after) if after else 0
        item_uuid = try_uuid(item_id) if item_id is not None else None
        if item_id is not None and item_uuid is None:
            return AuditTrail(entries=[], has_more=False, end_cursor=None)
        async with info.context.pool.acquire() as conn:
            rows = await store.list_audit_entries(
                conn,
                limit + 1,
                after_seq,
                item_uuid,
                str(actor_id) if actor_id is not None else None,
                scope,
            )
        page = rows[:limit]
        return AuditTrail(
            entries=[AuditEntry.from_row(r) for r in page],
            has_more=len(rows) > limit,
            end_cursor=str(page[-1]["chain_seq"]) if page else None,
        )
