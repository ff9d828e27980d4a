"""Mutations on units and people (the office manages the organisation)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from services.core.graphql import (
    AppInfo,
    ConflictError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import parse_optional_uuid, parse_uuid
from services.tasks.org import service
from services.tasks.org.domain import PersonChanges, UnitChanges
from services.tasks.org.graphql.types import Person, Unit, UnitKind


@strawberry.input
class UnitCreateInput:
    code: str
    name: str
    kind: UnitKind
    category: str


@strawberry.type
class UnitCreateSuccess:
    unit: Unit


UnitCreateResult = Annotated[
    UnitCreateSuccess | ValidationError | ConflictError, strawberry.union("UnitCreateResult")
]
# (unit_create validates kind through the UnitKind enum; a duplicate code is a ConflictError)


@strawberry.input
class PersonCreateInput:
    name: str
    unit_id: strawberry.ID | None = None
    rank: str | None = None
    position: str | None = None
    mobile: str | None = None
    wecom_user_id: str | None = None
    email: str | None = None
    roles: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class PersonCreateSuccess:
    person: Person


PersonCreateResult = Annotated[
    PersonCreateSuccess | ValidationError | NotFoundError, strawberry.union("PersonCreateResult")
]


@strawberry.input(description="Only the given fields change.")
class UnitUpdateInput:
    id: strawberry.ID
    code: str | None = None
    name: str | None = None
    kind: UnitKind | None = None
    category: str | None = None


@strawberry.type
class UnitUpdateSuccess:
    unit: Unit


UnitUpdateResult = Annotated[
    UnitUpdateSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("UnitUpdateResult"),
]


@strawberry.input(description="Only the given fields change; an empty string clears a field.")
class PersonUpdateInput:
    id: strawberry.ID
    name: str | None = None
    unit_id: strawberry.ID | None = None
    rank: str | None = None
    position: str | None = None
    mobile: str | None = None
    wecom_user_id: str | None = None
    email: str | None = None
    roles: list[str] | None = None


@strawberry.type
class PersonUpdateSuccess:
    person: Person


PersonUpdateResult = Annotated[
    PersonUpdateSuccess | ValidationError | NotFoundError, strawberry.union("PersonUpdateResult")
]


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(description="修改单位 (office)")
    async def unit_update(self, info: AppInfo, input: UnitUpdateInput) -> UnitUpdateResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            changes = UnitChanges(
                code=input.code,
                name=input.name,
                kind=input.kind.value if input.kind else None,
                category=input.category,
            )
            return await service.update_unit(pool, principal, parse_uuid(input.id, "id"), changes)

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda row: UnitUpdateSuccess(unit=Unit.from_row(row))
        )

    @strawberry.mutation(description="修改人员 (office)")
    async def person_update(self, info: AppInfo, input: PersonUpdateInput) -> PersonUpdateResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            changes = PersonChanges(
                name=input.name,
                unit_id=parse_optional_uuid(input.unit_id, "unitId"),
                rank=input.rank,
                position=input.position,
                mobile=input.mobile,
                wecom_user_id=input.wecom_user_id,
                email=input.email,
                roles=input.roles,
            )
            return await service.update_person(pool, principal, parse_uuid(input.id, "id"), changes)

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda row: PersonUpdateSuccess(person=Person.from_row(row))
        )

    @strawberry.mutation(description="新增单位")
    async def unit_create(self, info: AppInfo, input: UnitCreateInput) -> UnitCreateResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            return await service.create_unit(
                pool, principal, input.code, input.name, input.kind.value, input.category
            )

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda row: UnitCreateSuccess(unit=Unit.from_row(row))
        )

    @strawberry.mutation(description="新增人员")
    async def person_create(self, info: AppInfo, input: PersonCreateInput) -> PersonCreateResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            return await service.create_person(
                pool,
                principal,
                name=input.name,
                unit_id=parse_optional_uuid(input.unit_id, "unitId"),
                rank=input.rank,
                position=input.position,
                mobile=input.mobile,
                wecom_user_id=input.wecom_user_id,
                email=input.email,
                roles=input.roles,
            )

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda row: PersonCreateSuccess(person=Person.from_row(row))
        )
