"""Schemathesis strategies for the supergraph's custom scalars (STACK-NOTES 27).

Without them schemathesis cannot build a valid value for a `JSON`, `Date` or `DateTime`
argument and never fuzzes the fields that take one.
"""

from __future__ import annotations

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

_json_leaf = st.one_of(
    st.just(nodes.Null),
    st.booleans().map(nodes.Boolean),
    st.integers(min_value=-1000, max_value=1000).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(nodes.Float),
    st.text(max_size=20).map(nodes.String),
)


def _json_object(children: st.SearchStrategy) -> st.SearchStrategy:  # type: ignore[type-arg]
    names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,9}\Z")
    return st.dictionaries(names, children, max_size=4).map(
        lambda d: nodes.Object(
            [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in d.items()]
        )
    )


_json = st.recursive(
    _json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(nodes.List), _json_object(children)
    ),
    max_leaves=8,
)


def register(known_ids: list[str]) -> None:
    """Strategies for the custom scalars, and for ``ID``: ids of records that exist, other
    UUIDs, and junk, so that the fuzz gets past the input guard into the resolvers."""
    schemathesis.graphql.scalar(
        "ID",
        st.one_of(
            st.sampled_from(known_ids).map(nodes.String),
            st.uuids().map(lambda u: nodes.String(str(u))),
            st.text(max_size=12).map(nodes.String),
            st.integers(min_value=0, max_value=10**6).map(nodes.Int),
        ),
    )
    schemathesis.graphql.scalar("JSON", _json)
    schemathesis.graphql.scalar(
        "Date",
        st.dates().map(lambda d: nodes.String(d.isoformat()))
        | st.text(max_size=12).map(nodes.String),
    )
    schemathesis.graphql.scalar(
        "DateTime",
        st.datetimes().map(lambda d: nodes.String(d.isoformat() + "+08:00"))
        | st.text(max_size=12).map(nodes.String),
    )
