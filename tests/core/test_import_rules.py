"""The layout's import rules hold: no module cycles inside a service."""

from __future__ import annotations

import pytest

from tests.support.import_cycles import SERVICES, cycles, import_graph


@pytest.mark.parametrize("prefix", SERVICES)
def test_no_import_cycles_inside_a_service(prefix: str) -> None:
    assert cycles(import_graph(prefix)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
