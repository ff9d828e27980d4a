"""Bad input stops at the GraphQL edge, before a resolver or PostgreSQL sees it.

One schema extension walks every argument value of the operation (literals and variables,
into input objects and lists) and checks, by the argument's GraphQL type:

- ``ID``: names a UUID (parsed by ``services.core.ids``), or, where ``id_formats`` says so
  for its coordinate, a serial number (``"integer"``) or any text (``"text"``, e.g. a
  token subject);
- ``String`` and ``ID``: no NUL character (PostgreSQL text cannot hold one) and at most
  ``DEFAULT_MAX_LENGTH`` characters, or the override given for its schema coordinate
  (``Type.field`` for an input field, ``Type.field(arg:)`` for an argument);
- ``JSON``: no NUL in any string or key, and a bounded size.

A query, subscription or nested field with bad input gets a top-level error with the code
``BAD_USER_INPUT`` and nothing runs; a mutation's root field answers its typed
``ValidationError`` (tier 1), through ``UserErrorOnBadInput`` on each root mutation field.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import FieldExtension, SchemaExtension

from services.core.errors import ValidationFailed
from services.core.ids import try_uuid

DEFAULT_MAX_LENGTH = 10_000
JSON_MAX_CHARS = 100_000
ID_FORMATS = ("uuid", "integer", "text")
_CACHE_SIZE = 512


@dataclass(frozen=True)
class _Site:
    """A field of the operation that takes arguments, and the root field it is under."""

    root_key: str
    parent: str
    field_def: GraphQLField
    node: FieldNode


@dataclass
class _Problem:
    root_key: str
    field: str
    message: str
    node: FieldNode


@dataclass
class InputRules:
    """Length and id-format overrides by schema coordinate; shared by every request."""

    max_lengths: Mapping[str, int | None] = field(default_factory=dict)
    id_formats: Mapping[str, str] = field(default_factory=dict)
    default_max_length: int = DEFAULT_MAX_LENGTH
    _sites: OrderedDict[tuple[str, str | None], tuple[_Site, ...]] = field(
        default_factory=OrderedDict
    )

    def __post_init__(self) -> None:
        unknown = {f for f in self.id_formats.values() if f not in ID_FORMATS}
        if unknown:
            raise ValueError(f"id formats {unknown} are not among {ID_FORMATS}")

    def limit(self, coordinate: str) -> int | None:
        return self.max_lengths.get(coordinate, self.default_max_length)

    def id_format(self, coordinate: str) -> str:
        return self.id_formats.get(coordinate, "uuid")

    def sites(
        self, schema: GraphQLSchema, query: str, operation: OperationDefinitionNode, document: Any
    ) -> tuple[_Site, ...]:
        key = (query, operation.name.value if operation.name else None)
        found = self._sites.get(key)
        if found is None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            root = schema.get_root_type(operation.operation)
            found = tuple(_walk(schema, operation.selection_set, root, None, fragments, set()))
            self._sites[key] = found
            if len(self._sites) > _CACHE_SIZE:
                self._sites.popitem(last=False)
        else:
            self._sites.move_to_end(key)
        return found


def _walk(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: Any,
    root_key: str | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[tuple[str, str | None]],
) -> Iterator[_Site]:
    fields = getattr(parent, "fields", {}) if parent is not None else {}
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            field_def = fields.get(sel.name.value)
            if field_def is None:  # __typename and other meta fields
                continue
            key = root_key or (sel.alias or sel.name).value
            if sel.arguments:
                yield _Site(key, parent.name, field_def, sel)
            if sel.selection_set:
                inner = get_named_type(field_def.type)
                yield from _walk(schema, sel.selection_set, inner, key, fragments, seen)
        elif isinstance(sel, InlineFragmentNode):
            inner = schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
            yield from _walk(schema, sel.selection_set, inner, root_key, fragments, seen)
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            fragment = fragments.get(name)
            if fragment is None or (name, root_key) in seen:
                continue
            seen.add((name, root_key))
            inner = schema.get_type(fragment.type_condition.name.value)
            yield from _walk(schema, fragment.selection_set, inner, root_key, fragments, seen)


class _Checker:
    def __init__(self, rules: InputRules, variables: Mapping[str, Any], defaults: dict[str, Any]):
        self.rules = rules
        self.variables = variables
        self.defaults = defaults

    def raw(self, node: ValueNode) -> Any:
        """A literal or variable as plain JSON-like data (variables unvalidated)."""
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            return self.defaults.get(name)
        if isinstance(node, NullValueNode):
            return None
        if isinstance(node, ListValueNode):
            return [self.raw(v) for v in node.values]
        if isinstance(node, ObjectValueNode):
            return {f.name.value: self.raw(f.value) for f in node.fields}
        return value_from_ast_untyped(node)

    def check(
        self, value: Any, type_: GraphQLInputType, coordinate: str, path: str
    ) -> tuple[str, str] | None:
        """The first problem with ``value`` as ``type_`` (its path and message), or None."""
        if value is None:
            return None
        if isinstance(type_, GraphQLNonNull):
            return self.check(value, type_.of_type, coordinate, path)
        if isinstance(type_, GraphQLList):
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if problem := self.check(item, type_.of_type, coordinate, f"{path}[{i}]"):
                    return problem
            return None
        if isinstance(type_, GraphQLInputObjectType):
            if not isinstance(value, dict):
                return None  # graphql-core reports the wrong shape
            for name, f in type_.fields.items():
                if name in value:
                    inner = f"{type_.name}.{name}"
                    if problem := self.check(value[name], f.type, inner, f"{path}.{name}"):
                        return problem
            return None
        if isinstance(type_, GraphQLScalarType):
            return self.scalar(value, type_.name, coordinate, path)
        return None

    def scalar(self, value: Any, scalar: str, coordinate: str, path: str) -> tuple[str, str] | None:
        message = None
        if scalar in ("String", "ID") and isinstance(value, str):
            limit = self.rules.limit(coordinate)
            if "\x00" in value:
                message = f"{path} 不能包含 NUL 字符 (contains a NUL character)"
            elif limit is not None and len(value) > limit:
                message = f"{path} 不能超过 {limit} 个字符 (longer than {limit} characters)"
        if (
            message is None
            and scalar == "ID"
            and not _is_id(value, self.rules.id_format(coordinate))
        ):
            message = f"{path} 不是有效的编号 (not a valid id): {str(value)[:40]!r}"
        if message is None and scalar == "JSON":
            text = json.dumps(value, ensure_ascii=False, default=str)
            limit = self.rules.max_lengths.get(coordinate, JSON_MAX_CHARS)
            if "\\u0000" in text:
                message = f"{path} 不能包含 NUL 字符 (contains a NUL character)"
            elif limit is not None and len(text) > limit:
                message = f"{path} 超过 {limit} 个字符 (larger than {limit} characters)"
        return (path, message) if message else None


def _is_id(value: Any, id_format: str) -> bool:
    if id_format == "text":
        return True
    if id_format == "integer":
        text = str(value)
        return text.isascii() and text.isdigit() and len(text) <= 18
    return try_uuid(value) is not None


def find_problems(
    rules: InputRules,
    schema: GraphQLSchema,
    query: str,
    document: Any,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
) -> list[_Problem]:
    defaults = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    checker = _Checker(rules, variables or {}, defaults)
    problems: list[_Problem] = []
    for site in rules.sites(schema, query, operation, document):
        for arg in site.node.arguments or ():
            arg_def = site.field_def.args.get(arg.name.value)
            if arg_def is None:
                continue
            coordinate = f"{site.parent}.{site.node.name.value}({arg.name.value}:)"
            found = checker.check(checker.raw(arg.value), arg_def.type, coordinate, arg.name.value)
            if found:
                path, message = found
                problems.append(_Problem(site.root_key, _input_field(path), message, site.node))
    return problems


def _input_field(path: str) -> str:
    """The input field a client would highlight: ``input.unitIds[0]`` → ``unitIds``."""
    return path.split(".")[-1].split("[", 1)[0]


class InputGuard(SchemaExtension):
    """Checks the operation's argument values before anything executes."""

    def __init__(self, *, rules: InputRules) -> None:
        self.rules = rules

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        operation = _selected_operation(document, ec.operation_name)
        if document is not None and operation is not None:
            problems = find_problems(
                self.rules,
                self.execution_context.schema._schema,
                ec.query or "",
                document,
                operation,
                ec.variables,
            )
            if problems and operation.operation is OperationType.MUTATION:
                # each root field answers its typed ValidationError (UserErrorOnBadInput)
                stash: dict[str, ValidationFailed] = {}
                for p in problems:
                    stash.setdefault(p.root_key, ValidationFailed(p.message, field=p.field))
                _set_bad_input(ec.context, stash)
            elif problems:
                errors = [
                    GraphQLError(
                        p.message,
                        nodes=[p.node],
                        extensions={"code": "BAD_USER_INPUT", "field": p.field},
                    )
                    for p in problems
                ]
                if operation.operation is OperationType.SUBSCRIPTION:
                    raise errors[0]
                ec.result = ExecutionResult(data=None, errors=errors)
        yield


def _selected_operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return ops[0] if len(ops) == 1 else None
    return next((o for o in ops if o.name and o.name.value == name), None)


_BAD_INPUT_ATTR = "bad_input"


def _set_bad_input(context: Any, stash: dict[str, ValidationFailed]) -> None:
    if isinstance(context, dict):
        context[_BAD_INPUT_ATTR] = stash
    else:
        setattr(context, _BAD_INPUT_ATTR, stash)


def _bad_input(context: Any) -> dict[str, ValidationFailed]:
    if isinstance(context, dict):
        return context.get(_BAD_INPUT_ATTR) or {}
    return getattr(context, _BAD_INPUT_ATTR, None) or {}


class UserErrorOnBadInput(FieldExtension):
    """On a root mutation field: bad input found by ``InputGuard`` becomes the typed error."""

    def _refusal(self, info: Any) -> Any:
        from services.core.graphql.errors import user_error

        problem = _bad_input(info.context).get(info.path.key)
        if problem is None:
            return None
        raw = info._raw_info
        result_type = get_named_type(raw.return_type)
        if "ValidationError" not in {t.name for t in raw.schema.get_possible_types(result_type)}:
            # a result without ValidationError (tests/core/test_error_contract.py forbids
            # one) still answers with a code, not INTERNAL
            raise GraphQLError(
                problem.message, extensions={"code": "BAD_USER_INPUT", "field": problem.field}
            )
        return user_error(problem)

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        return self._refusal(info) or next_(source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        refusal = self._refusal(info)
        if refusal is not None:
            return refusal
        return await next_(source, info, **kwargs)


def guard_mutations(mutation: type | None) -> None:
    """Adds ``UserErrorOnBadInput`` to every root mutation field (once)."""
    definition = getattr(mutation, "__strawberry_definition__", None)
    for f in getattr(definition, "fields", ()):
        if not any(isinstance(e, UserErrorOnBadInput) for e in f.extensions):
            f.extensions.append(UserErrorOnBadInput())
