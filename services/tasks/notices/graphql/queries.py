"""Queries of supervision notices (督查通知单): one, an item's, the caller's, the .docx."""

from __future__ import annotations

import base64

import strawberry

from services.core.graphql import AppInfo
from services.core.ids import parse_uuid, try_uuid
from services.tasks import loaders
from services.tasks.access import ItemScope, can_read, sees_item, sees_notice
from services.tasks.notices import service, store
from services.tasks.notices.document import MIME_DOCX
from services.tasks.notices.graphql.types import FileDownload, Notice, notices_by_item


async def _readable_notice(info: AppInfo, notice_id: str) -> Notice | None:
    principal = info.context.require()
    ident = try_uuid(notice_id)
    if ident is None:
        return None
    async with info.context.pool.acquire() as conn:
        row = await store.get_notice(conn, ident)
        if row is None:
            return None
        item = await loaders.item_by_id(info.context).load(str(row["item_id"]))
        scope = ItemScope.of_row(item) if item is not None else None
        if scope is None or not can_read(principal, scope):
            recipients = await store.list_recipients_by_notices(conn, [ident])
            if not sees_notice(principal, scope, [str(r["person_id"]) for r in recipients]):
                return None
    return Notice.from_row(row)


@strawberry.type
class NoticeQuery:
    @strawberry.field(description="One notice, or null when absent or not visible.")
    async def notice(self, info: AppInfo, id: strawberry.ID) -> Notice | None:
        return await _readable_notice(info, id)

    @strawberry.field(description="督查通知单 of an item, oldest first (empty if not visible).")
    async def notices(self, info: AppInfo, item_id: strawberry.ID) -> list[Notice]:
        principal = info.context.require()
        item = await loaders.item_by_id(info.context).load(str(item_id))
        if item is None or not sees_item(principal, item):
            return []
        rows = await notices_by_item(info.context).load(str(item["id"]))
        return [Notice.from_row(r) for r in rows]

    @strawberry.field(description="Notices addressed to the caller, newest first.")
    async def my_notices(
        self, info: AppInfo, pending_only: bool = False, first: int = 50
    ) -> list[Notice]:
        principal = info.context.require()
        person = try_uuid(principal.subject)
        if person is None:
            return []
        async with info.context.pool.acquire() as conn:
            rows = await store.list_notices_for_person(
                conn, person, pending_only, max(1, min(first, 200))
            )
        return [Notice.from_row(r) for r in rows]

    @strawberry.field(
        description="The printable notice as .docx (base64), or null when absent or not visible."
    )
    async def notice_document(self, info: AppInfo, id: strawberry.ID) -> FileDownload | None:
        notice = await _readable_notice(info, id)
        if notice is None:
            return None
        rendered = await service.render_notice_docx(info.context.pool, parse_uuid(id))
        if rendered is None:
            return None
        name, content = rendered
        return FileDownload(
            file_name=name, mime_type=MIME_DOCX, content_base64=base64.b64encode(content).decode()
        )
