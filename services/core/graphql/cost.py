"""List sizes for the gateway's demand control (IBM cost spec, federation ``@listSize``).

Every list field of a subgraph is annotated when the schema is built, so the gateway can
price an operation before it calls anyone: a field with a ``first`` argument costs what it
asks for (on a connection, its ``nodes``), any other list its assumed size. A field that
already carries ``@listSize`` keeps its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry import UNSET
from strawberry.federation.schema_directives import ListSize
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.lazy_type import LazyType

SLICING_ARGUMENT = "first"


def _unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type behind optional/list wrappers, and whether a list was among them."""
    is_list = False
    while True:
        if isinstance(type_, LazyType):
            type_ = type_.resolve_type()
        elif isinstance(type_, StrawberryOptional):
            type_ = type_.of_type
        elif isinstance(type_, StrawberryList):
            is_list = True
            type_ = type_.of_type
        else:
            return type_, is_list


def _has_list_field(type_: Any, name: str) -> bool:
    definition = get_object_definition(type_)
    if definition is None:
        return False
    return any(f.name == name and _unwrap(f.type)[1] for f in definition.fields)


def _list_size(
    assumed_size: int | None = None,
    slicing_arguments: list[str] | None = None,
    sized_fields: list[str] | None = None,
) -> ListSize:
    return ListSize(
        assumed_size=UNSET if assumed_size is None else assumed_size,
        slicing_arguments=UNSET if slicing_arguments is None else slicing_arguments,
        sized_fields=UNSET if sized_fields is None else sized_fields,
    )


def annotate_list_sizes(roots: Iterable[Any], assumed_size: int) -> None:
    seen: set[Any] = set()
    pending = [r for r in roots if r is not None]
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        definition = get_object_definition(cls)
        if definition is None:
            continue
        for field in definition.fields:
            named, is_list = _unwrap(field.type)
            if get_object_definition(named) is not None:
                pending.append(named)
            if any(isinstance(d, ListSize) for d in field.directives):
                continue
            sliced = any(a.python_name == SLICING_ARGUMENT for a in field.arguments)
            if sliced and is_list:
                field.directives.append(_list_size(slicing_arguments=[SLICING_ARGUMENT]))
            elif sliced and _has_list_field(named, "nodes"):
                field.directives.append(
                    _list_size(slicing_arguments=[SLICING_ARGUMENT], sized_fields=["nodes"])
                )
            elif is_list:
                field.directives.append(_list_size(assumed_size=assumed_size))
