"""台账 through GraphQL: .xlsx imports (base64 in) and exports (base64 out)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from uuid import UUID

import strawberry

from services.core import clock
from services.core.errors import DomainError, ValidationFailed
from services.core.graphql import AppInfo, UserError, ValidationError, error_code, user_error
from services.core.offload import check_size
from services.tasks.access import list_scope
from services.tasks.items import store as items_store
from services.tasks.items.graphql.queries import ItemFilter, to_store_filter
from services.tasks.items.graphql.types import SupervisionItem
from services.tasks.ledger import export
from services.tasks.ledger.errors import LedgerRejected
from services.tasks.ledger.items_import import import_items
from services.tasks.ledger.organisation_import import import_organisation
from services.tasks.ledger.workbook import MIME_XLSX
from services.tasks.notices.graphql.types import FileDownload
from services.tasks.org.graphql.types import Person, Unit


@strawberry.type(description="One wrong cell or row of an uploaded workbook.")
class LedgerRowError:
    sheet: str
    row: int = strawberry.field(description="Excel row number (the header is usually row 1).")
    column: str | None
    message: str


@strawberry.type(description="The workbook has wrong rows; nothing was imported.")
class LedgerRowsError(UserError):
    row_errors: list[LedgerRowError]


def _rows_error(e: LedgerRejected) -> LedgerRowsError:
    return LedgerRowsError(
        code=error_code(e),
        message=e.message,
        field=e.field,
        row_errors=[
            LedgerRowError(sheet=r.sheet, row=r.row, column=r.column, message=r.message)
            for r in e.errors
        ],
    )


def decode_file(content_base64: str) -> bytes:
    check_size(len(content_base64) * 3 // 4, "upload", "contentBase64")  # before decoding
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationFailed("文件内容不是有效的 base64", field="contentBase64") from e


@strawberry.input
class LedgerUploadInput:
    content_base64: str = strawberry.field(description="The .xlsx file, base64-encoded.")
    confirm_duplicate: bool = strawberry.field(
        default=False,
        description="导入台账: import rows that look like open items (重复督查) all the same.",
    )
    dry_run: bool = strawberry.field(
        default=False,
        description="organisationImport: report what would change (the diff) and write nothing.",
    )


@strawberry.type
class LedgerImportItemsSuccess:
    created_count: int
    items: list[SupervisionItem]


LedgerImportItemsResult = Annotated[
    LedgerImportItemsSuccess | LedgerRowsError | ValidationError,
    strawberry.union("LedgerImportItemsResult"),
]


@strawberry.type
class OrganisationImportSuccess:
    units: list[Unit] = strawberry.field(
        description="Units created or changed (none in a dry run)."
    )
    people: list[Person] = strawberry.field(
        description="People created or changed (none in a dry run)."
    )
    dry_run: bool
    diff: OrganisationDiff


@strawberry.type(description="One field of a row that changes: before and after.")
class FieldChange:
    field: str
    before: str | None
    after: str | None


@strawberry.type(description="One row of the sheet and what importing it does.")
class OrganisationDiffRow:
    sheet: str
    row: int
    action: str = strawberry.field(description="CREATED, UPDATED, RETIRED or UNCHANGED")
    code: str | None
    name: str
    changes: list[FieldChange]


@strawberry.type(description="What a re-import changes (dry run) or changed.")
class OrganisationDiff:
    created: int
    updated: int
    retired: int
    unchanged: int
    rows: list[OrganisationDiffRow]

    @classmethod
    def of(cls, plan: Any) -> OrganisationDiff:
        counts = plan.counts()
        return cls(
            created=counts["CREATED"],
            updated=counts["UPDATED"],
            retired=counts["RETIRED"],
            unchanged=counts["UNCHANGED"],
            rows=[
                OrganisationDiffRow(
                    sheet=c.sheet,
                    row=c.row,
                    action=c.action,
                    code=c.code,
                    name=c.name,
                    changes=[
                        FieldChange(field=k, before=v["before"], after=v["after"])
                        for k, v in c.changes.items()
                    ],
                )
                for c in [*plan.units, *plan.people]
            ],
        )


OrganisationImportResult = Annotated[
    OrganisationImportSuccess | LedgerRowsError | ValidationError,
    strawberry.union("OrganisationImportResult"),
]


@strawberry.type
class LedgerMutation:
    @strawberry.mutation(
        description="导入台账: create items from a .xlsx (sheet 督办事项); all rows or none."
    )
    async def ledger_import_items(
        self, info: AppInfo, input: LedgerUploadInput
    ) -> LedgerImportItemsResult:
        principal = info.context.require()
        try:
            rows = await import_items(
                info.context.pool,
                principal,
                decode_file(input.content_base64),
                confirm_duplicate=input.confirm_duplicate,
            )
        except LedgerRejected as e:
            return _rows_error(e)
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return LedgerImportItemsSuccess(
            created_count=len(rows), items=[SupervisionItem.from_row(r) for r in rows]
        )

    @strawberry.mutation(
        description="批量导入单位和人员 from a .xlsx (sheets 单位 and 人员); all rows or none."
        " A re-import updates by code and retires rows marked 撤销/离任; dryRun reports the diff."
    )
    async def organisation_import(
        self, info: AppInfo, input: LedgerUploadInput
    ) -> OrganisationImportResult:
        principal = info.context.require()
        try:
            done = await import_organisation(
                info.context.pool,
                principal,
                decode_file(input.content_base64),
                dry_run=input.dry_run,
            )
        except LedgerRejected as e:
            return _rows_error(e)
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return OrganisationImportSuccess(
            units=[Unit.from_row(r) for r in done.units],
            people=[Person.from_row(r) for r in done.people],
            dry_run=done.dry_run,
            diff=OrganisationDiff.of(done.plan),
        )


def _download(name: str, content: bytes) -> FileDownload:
    return FileDownload(
        file_name=name, mime_type=MIME_XLSX, content_base64=base64.b64encode(content).decode()
    )


@strawberry.type
class LedgerQuery:
    @strawberry.field(
        description="导出台账: the items the filter lists for the caller, as .xlsx (re-importable)."
    )
    async def ledger_export(self, info: AppInfo, filter: ItemFilter | None = None) -> FileDownload:
        principal = info.context.require()
        criteria = to_store_filter(filter)
        async with info.context.pool.acquire() as conn:
            content = await export.export_items(
                conn,
                criteria or items_store.ItemFilter(unit_id=UUID(int=0)),  # matches nothing
                list_scope(principal),
            )
        year = f"-{filter.year}" if filter and filter.year else ""
        return _download(f"督办事项台账{year}.xlsx", content)

    @strawberry.field(
        description="导出统计: counts by year, source, unit and state for the caller, as .xlsx."
    )
    async def statistics_export(
        self, info: AppInfo, filter: ItemFilter | None = None
    ) -> FileDownload:
        principal = info.context.require()
        criteria = to_store_filter(filter) or items_store.ItemFilter(unit_id=UUID(int=0))
        async with info.context.pool.acquire() as conn:
            content = await export.export_statistics(
                conn, criteria, list_scope(principal), clock.today()
            )
        year = f"-{filter.year}" if filter and filter.year else ""
        return _download(f"督办事项统计{year}.xlsx", content)
