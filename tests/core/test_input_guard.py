"""The GraphQL edge of every subgraph: bad input becomes a typed error, never INTERNAL, and
each error is logged once at the level it deserves (services.core.graphql.inputs/errors)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator
from types import SimpleNamespace
from typing import Annotated, Any

import pytest
import strawberry
from strawberry.scalars import JSON

from services.core.errors import Forbidden, ValidationFailed
from services.core.graphql import ValidationError, federation_schema, run_mutation

UID = str(uuid.uuid4())


@strawberry.input
class ThingInput:
    id: strawberry.ID
    name: str
    tags: list[str] = strawberry.field(default_factory=list)
    serial: strawberry.ID | None = None
    body: JSON | None = None


@strawberry.type
class Thing:
    name: str

    @strawberry.field
    def child(self, id: strawberry.ID) -> str:
        return id


@strawberry.type
class ThingMade:
    name: str


ThingResult = Annotated[ThingMade | ValidationError, strawberry.union("ThingResult")]


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, id: strawberry.ID, text: str = "", after: str | None = None) -> Thing:
        return Thing(name=text)

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("password=hunter2 SELECT * FROM secrets")

    @strawberry.field
    def refuse(self) -> str:
        raise Forbidden()

    @strawberry.field
    def bad(self) -> str:
        raise ValidationFailed("游标无效", field="after")


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def thing_make(self, input: ThingInput) -> ThingResult:
        async def call() -> str:
            return input.name

        return await run_mutation(call, lambda name: ThingMade(name=name))  # type: ignore[no-any-return]


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, unit_id: strawberry.ID | None = None) -> AsyncGenerator[int, None]:
        yield 1


SCHEMA = federation_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    max_lengths={"ThingInput.name": 20, "Query.echo(after:)": 8},
    id_formats={"ThingInput.serial": "integer"},
)


async def run(query: str, variables: dict[str, Any] | None = None) -> Any:
    return await SCHEMA.execute(query, variable_values=variables, context_value=SimpleNamespace())


def codes(result: Any) -> list[tuple[str, str | None]]:
    return [(e.extensions["code"], e.extensions.get("field")) for e in result.errors or []]


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        ('{ echo(id: "x") { name } }', None, "id"),
        ("{ echo(id: 42) { name } }", None, "id"),
        ("query($i: ID!) { echo(id: $i) { name } }", {"i": "not-a-uuid"}, "id"),
        (f'{{ echo(id: "{UID}", text: "a\\u0000b") {{ name }} }}', None, "text"),
        (
            f'query($t: String!) {{ echo(id: "{UID}", text: $t) {{ name }} }}',
            {"t": "a\x00"},
            "text",
        ),
        (f'{{ echo(id: "{UID}", text: "{"x" * 10_001}") {{ name }} }}', None, "text"),
        (f'{{ echo(id: "{UID}", after: "123456789") {{ name }} }}', None, "after"),
        # nested fields and fragments are walked too
        (f'{{ echo(id: "{UID}") {{ child(id: "nope") }} }}', None, "id"),
        (
            f'{{ ...F }} fragment F on Query {{ echo(id: "{UID}") {{ child(id: "1") }} }}',
            None,
            "id",
        ),
        (
            f'query($i: ID = "bad") {{ echo(id: "{UID}") {{ child(id: $i) }} }}',
            None,
            "id",
        ),
    ],
)
async def test_bad_query_input_is_bad_user_input(
    query: str, variables: dict[str, Any] | None, field: str
) -> None:
    result = await run(query, variables)
    assert result.data is None
    assert codes(result)[0] == ("BAD_USER_INPUT", field)


async def test_good_input_passes() -> None:
    result = await run(
        f'{{ echo(id: "{UID}", text: "中文", after: "12345678") {{ name child(id: "{UID}") }} }}'
    )
    assert result.errors is None
    assert result.data == {"echo": {"name": "中文", "child": UID}}


MAKE = """mutation($input: ThingInput!) { thingMake(input: $input) {
  __typename ... on ThingMade { name } ... on ValidationError { code field message } } }"""


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"id": "x", "name": "n"}, "id"),
        ({"id": UID, "name": "a\x00b"}, "name"),
        ({"id": UID, "name": "x" * 21}, "name"),
        ({"id": UID, "name": "n", "tags": ["ok", "bad\x00"]}, "tags"),
        ({"id": UID, "name": "n", "serial": UID}, "serial"),
        ({"id": UID, "name": "n", "body": {"k": ["v\x00"]}}, "body"),
        ({"id": UID, "name": "n", "body": {"k": "x" * 100_001}}, "body"),
    ],
)
async def test_bad_mutation_input_is_a_typed_validation_error(
    values: dict[str, Any], field: str
) -> None:
    result = await run(MAKE, {"input": values})
    assert result.errors is None
    made = result.data["thingMake"]
    assert made["__typename"] == "ValidationError"
    assert (made["code"], made["field"]) == ("VALIDATION", field)


async def test_good_mutation_input_runs() -> None:
    result = await run(MAKE, {"input": {"id": UID, "name": "甲", "serial": "12", "body": {"a": 1}}})
    assert result.errors is None
    assert result.data == {"thingMake": {"__typename": "ThingMade", "name": "甲"}}


async def test_errors_are_logged_once_at_their_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    refused = await run("{ refuse }")
    bad = await run("{ bad }")
    bad_input = await run('{ echo(id: "x") { name } }')
    expected = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert codes(refused) == [("FORBIDDEN", None)]
    assert codes(bad) == [("BAD_USER_INPUT", "after")]
    assert bad.errors[0].extensions["reason"] == "VALIDATION"
    assert codes(bad_input) == [("BAD_USER_INPUT", "id")]
    assert not [r for r in expected if r.levelno >= logging.ERROR or r.exc_info]
    assert len(expected) == 3

    caplog.clear()
    boom = await run("{ boom }")
    assert codes(boom) == [("INTERNAL", None)]
    assert "hunter2" not in boom.errors[0].message
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None


async def test_a_variable_of_the_wrong_shape_is_bad_user_input() -> None:
    result = await run(
        f'query($t: String!) {{ echo(id: "{UID}", text: $t) {{ name }} }}', {"t": {}}
    )
    assert codes(result) == [("BAD_USER_INPUT", None)]


async def test_an_invalid_document_is_graphql_validation_failed() -> None:
    result = await run("{ nothing }")
    assert codes(result) == [("GRAPHQL_VALIDATION_FAILED", None)]


async def test_a_subscription_with_bad_input_yields_the_error() -> None:
    stream = await SCHEMA.subscribe(
        'subscription { ticks(unitId: "x") }', context_value=SimpleNamespace()
    )
    results = [r async for r in stream] if hasattr(stream, "__aiter__") else [stream]
    assert codes(results[0]) == [("BAD_USER_INPUT", "unitId")]
    good = await SCHEMA.subscribe(
        f'subscription {{ ticks(unitId: "{UID}") }}', context_value=SimpleNamespace()
    )
    assert [r.data async for r in good] == [{"ticks": 1}]
