"""GraphQL types of supervision notices (督查通知单) and file downloads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader

from services.core.auth import Principal
from services.core.graphql import AppInfo, Context
from services.tasks import store_notices
from services.tasks.domain.access import ItemScope, can_read
from services.tasks.domain.notices import RecipientRole
from services.tasks.graphql import loaders
from services.tasks.graphql.types import Person, SupervisionItem

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
    def from_row(cls, row: asyncpg.Record) -> NoticeRecipient:
        return cls(
            person_id=strawberry.ID(str(row["person_id"])),
            role=RecipientRole(row["role"]),
            acknowledged_at=row["acknowledged_at"],
            note=row["ack_note"],
        )


def recipients_by_notice(ctx: Context) -> DataLoader[str, list[asyncpg.Record]]:
    async def load(keys: list[str]) -> list[list[asyncpg.Record]]:
        async with ctx.pool.acquire() as conn:
            rows = await store_notices.list_recipients_by_notices(conn, [UUID(k) for k in keys])
        grouped: dict[str, list[asyncpg.Record]] = {k: [] for k in keys}
        for r in rows:
            grouped[str(r["notice_id"])].append(r)
        return [grouped[k] for k in keys]

    return ctx.loader("RecipientsByNoticeLoader", lambda: DataLoader(load_fn=load))


def notices_by_item(ctx: Context) -> DataLoader[str, list[asyncpg.Record]]:
    """An item's notices, oldest first; one query per batch of items (for item detail)."""

    async def load(keys: list[str]) -> list[list[asyncpg.Record]]:
        async with ctx.pool.acquire() as conn:
            rows = await store_notices.list_notices_by_items(conn, [UUID(k) for k in keys])
        grouped: dict[str, list[asyncpg.Record]] = {k: [] for k in keys}
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

    @strawberry.field
    async def item(self, info: AppInfo) -> SupervisionItem | None:
        row = await loaders.item_by_id(info.context).load(str(self.item_id))
        return SupervisionItem.from_row(row) if row else None

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


def sees_item(principal: Principal, item: asyncpg.Record) -> bool:
    """The item-read rule of domain.access, for an item row."""
    scope = ItemScope.of(
        item["lead_unit_id"], item["co_unit_ids"], item["owner_ids"], item["responsible_leader_id"]
    )
    return can_read(principal, scope)
