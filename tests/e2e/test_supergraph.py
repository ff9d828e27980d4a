"""The committed supergraph is exactly what composing the current subgraph SDLs gives."""

from __future__ import annotations

import subprocess
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"


def test_committed_supergraph_matches_fresh_composition() -> None:
    result = subprocess.run(
        ["node", "compose.mjs", "--check"], cwd=GATEWAY, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_mutation_returns_a_union_with_user_errors() -> None:
    """Tier-1 errors: every mutation's result is a union of a success type and UserErrors."""
    from graphql import GraphQLUnionType, build_ast_schema, get_named_type, parse

    from services.registry import SERVICE_NAMES, spec

    for name in SERVICE_NAMES:
        sdl = spec(name).schema().as_str()
        schema = build_ast_schema(parse(sdl), assume_valid=True)
        mutation = schema.mutation_type
        for field_name, field in (mutation.fields if mutation else {}).items():
            result = get_named_type(field.type)
            assert isinstance(result, GraphQLUnionType), f"{name}.{field_name} is not a union"
            members = {t.name for t in result.types}
            assert any(m.endswith("Error") for m in members), f"{name}.{field_name}: {members}"
