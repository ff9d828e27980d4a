"""Mutations of supervision notices (督查通知单): issue and acknowledge."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import parse_uuid
from services.tasks.notices import service
from services.tasks.notices.domain import Recipient, RecipientRole
from services.tasks.notices.graphql.types import Notice, NoticeRecipient


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
        principal, pool = info.context.require(), info.context.pool

        async def call() -> service.IssuedNotice:
            recipients = [
                Recipient(parse_uuid(r.person_id, "recipients"), r.role) for r in input.recipients
            ]
            return await service.issue_notice(
                pool,
                principal,
                parse_uuid(input.item_id, "itemId"),
                recipients,
                input.response_deadline,
                input.content,
            )

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda issued: NoticeIssueSuccess(notice=Notice.from_row(issued.notice))
        )

    @strawberry.mutation(description="签收督查通知单: the calling recipient acknowledges it.")
    async def notice_acknowledge(
        self, info: AppInfo, input: NoticeAcknowledgeInput
    ) -> NoticeAcknowledgeResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            notice_id = parse_uuid(input.notice_id, "noticeId")
            return await service.acknowledge_notice(pool, principal, notice_id, input.note)

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda row: NoticeAcknowledgeSuccess(recipient=NoticeRecipient.from_row(row))
        )
