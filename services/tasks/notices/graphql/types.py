"""GraphQL types of supervision notices (督查通知单) and file downloads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import LazyType
from strawberry.dataloader import DataLoader

from services.core.graphql import AppInfo, Context
from services.tasks import loaders
from services.tasks.access import sees_item
from services.tasks.notices import store
from services.tasks.notices.domain import RecipientRole
from services.tasks.org.graphql.types import Person

# The item type refers to notices; a notice refers back to its item lazily, by name,
# so that this module never imports the item's.
SUPERVISION_ITEM: LazyType[Any, Any] = LazyType(
    "SupervisionItem", "services.tasks.items.graphql.types"
)

strawberry.enum(RecipientRole, name="NoticeRecipientRole", description="通知单接收人身份")


@strawberry.type(description="A file for download, base64-encoded (e.g. a .docx or .xlsx).")
class FileDownload:
    file_name: str
    mime_type: str
    content_base64: str


@strawberry.type(description="通知单接收人 and their acknowledgement (签收).")
class NoticeRecipient:
    person_id: strawberry.ID
    role: RecipientRole
    acknowledged_at: datetime | None
    note: str | None

    @strawberry.field
    async def person(self, info: AppInfo) -> Person | None:
        row = await loaders.person_by_id(info.context).load(str(self.person_id))
        return Person.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Any) -> NoticeRecipient:
        return cls(
            person_id=strawberry.ID(str(row["person_id"])),
            role=RecipientRole(row["role"]),
            acknowledged_at=row["acknowledged_at"],
            note=row["ack_note"],
        )


def recipients_by_notice(ctx: Context) -> DataLoader[str, list[Any]]:
    async def load(keys: list[str]) -> list[list[Any]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_recipients_by_notices(conn, [UUID(k) for k in keys])
        grouped: dict[str, list[Any]] = {k: [] for k in keys}
        for r in rows:
            grouped[str(r["notice_id"])].append(r)
        return [grouped[k] for k in keys]

    return ctx.loader("RecipientsByNoticeLoader", lambda: DataLoader(load_fn=load))


def notices_by_item(ctx: Context) -> DataLoader[str, list[Any]]:
    """An item's notices, oldest first; one query per batch of items (for item detail)."""

    async def load(keys: list[str]) -> list[list[Any]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_notices_by_items(conn, [UUID(k) for k in keys])
        grouped: dict[str, list[Any]] = {k: [] for k in keys}
        for r in rows:
            grouped[str(r["item_id"])].append(r)
        return [grouped[k] for k in keys]

    return ctx.loader("NoticesByItemLoader", lambda: DataLoader(load_fn=load))


@strawberry.type(description="督查通知单: a numbered supervision notice for an item.")
class Notice:
    id: strawberry.ID
    code: str = strawberry.field(description="e.g. 督查通知〔2018〕第12号")
    year: int
    number: int
    content: str
    response_deadline: date
    issued_at: datetime
    issued_by: str
    item_id: strawberry.ID

    @strawberry.field(
        graphql_type=SUPERVISION_ITEM | None,
        description="The item, or null when the caller may not read it (a recipient who"
        " no longer reads the item still reads the notice).",
    )
    async def item(self, info: AppInfo) -> Any:
        row = await loaders.item_by_id(info.context).load(str(self.item_id))
        if row is None or not sees_item(info.context.require(), row):
            return None
        return SUPERVISION_ITEM.resolve_type().from_row(row)

    @strawberry.field(description="接收人, in the order they were chosen.")
    async def recipients(self, info: AppInfo) -> list[NoticeRecipient]:
        rows = await recipients_by_notice(info.context).load(str(self.id))
        return [NoticeRecipient.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: Any) -> Notice:
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            year=row["year"],
            number=row["number"],
            content=row["content"],
            response_deadline=row["response_deadline"],
            issued_at=row["issued_at"],
            issued_by=row["issued_by"],
            item_id=strawberry.ID(str(row["item_id"])),
        )
