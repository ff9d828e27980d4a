"""Mutations and queries of supervision notices (督查通知单)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from services.core.errors import DomainError, ValidationFailed
from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    user_error,
)
from services.tasks import service_notices, store_notices
from services.tasks.domain.notices import Recipient, RecipientRole
from services.tasks.graphql import loaders
from services.tasks.graphql.notice_types import (
    FileDownload,
    Notice,
    NoticeRecipient,
    notices_by_item,
    sees_item,
)
from services.tasks.notice_document import MIME_DOCX


def _uuid(value: str, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as e:
        raise ValidationFailed(f"无效的标识: {value}", field=field) from e


@strawberry.input
class NoticeRecipientInput:
    person_id: strawberry.ID
    role: RecipientRole


@strawberry.input
class NoticeIssueInput:
    item_id: strawberry.ID
    recipients: list[NoticeRecipientInput]
    response_deadline: date
    content: str = strawberry.field(default="", description="督查要求; a standard text if empty")


@strawberry.type
class NoticeIssueSuccess:
    notice: Notice


NoticeIssueResult = Annotated[
    NoticeIssueSuccess | ValidationError | NotFoundError | InvalidTransitionError,
    strawberry.union("NoticeIssueResult"),
]


@strawberry.input
class NoticeAcknowledgeInput:
    notice_id: strawberry.ID
    note: str | None = None


@strawberry.type
class NoticeAcknowledgeSuccess:
    recipient: NoticeRecipient


NoticeAcknowledgeResult = Annotated[
    NoticeAcknowledgeSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("NoticeAcknowledgeResult"),
]


@strawberry.type
class NoticeMutation:
    @strawberry.mutation(description="下发督查通知单 (office): numbered, to chosen recipients.")
    async def notice_issue(self, info: AppInfo, input: NoticeIssueInput) -> NoticeIssueResult:
        principal = info.context.require()
        try:
            recipients = [
                Recipient(_uuid(r.person_id, "recipients"), r.role) for r in input.recipients
            ]
            issued = await service_notices.issue_notice(
                info.context.pool,
                principal,
                _uuid(input.item_id, "itemId"),
                recipients,
                input.response_deadline,
                input.content,
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return NoticeIssueSuccess(notice=Notice.from_row(issued.notice))

    @strawberry.mutation(description="签收督查通知单: the calling recipient acknowledges it.")
    async def notice_acknowledge(
        self, info: AppInfo, input: NoticeAcknowledgeInput
    ) -> NoticeAcknowledgeResult:
        principal = info.context.require()
        try:
            row = await service_notices.acknowledge_notice(
                info.context.pool, principal, _uuid(input.notice_id, "noticeId"), input.note
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return NoticeAcknowledgeSuccess(recipient=NoticeRecipient.from_row(row))


async def _readable_notice(info: AppInfo, notice_id: str) -> Notice | None:
    principal = info.context.require()
    try:
        ident = UUID(str(notice_id))
    except ValueError:
        return None
    async with info.context.pool.acquire() as conn:
        row = await store_notices.get_notice(conn, ident)
        if row is None:
            return None
        if not principal.sees_everything:
            item = await loaders.item_by_id(info.context).load(str(row["item_id"]))
            if item is None or not sees_item(principal, item):
                recipients = await store_notices.list_recipients_by_notices(conn, [ident])
                if principal.subject not in {str(r["person_id"]) for r in recipients}:
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
        try:
            person = UUID(principal.subject)
        except ValueError:
            return []
        async with info.context.pool.acquire() as conn:
            rows = await store_notices.list_notices_for_person(
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
        rendered = await service_notices.render_notice_docx(info.context.pool, UUID(str(id)))
        if rendered is None:
            return None
        name, content = rendered
        return FileDownload(
            file_name=name, mime_type=MIME_DOCX, content_base64=base64.b64encode(content).decode()
        )
