"""The web app's generated GraphQL types match the committed supergraph (like test_supergraph):
regenerate into a temporary folder and compare with web/schema.graphql and web/src/gql."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.web.conftest import WEB, ensure_web_build


def test_generated_graphql_code_is_current(tmp_path: Path) -> None:
    ensure_web_build()  # node_modules present
    env = {
        **os.environ,
        "SCHEMA_OUT": str(tmp_path / "schema.graphql"),
        "CODEGEN_OUT": str(tmp_path / "gql") + "/",
    }
    subprocess.run(
        ["node", "scripts/public-schema.mjs"], cwd=WEB, env=env, check=True, capture_output=True
    )
    subprocess.run(
        ["npx", "graphql-codegen", "--config", "codegen.ts", "--silent"],
        cwd=WEB,
        env=env,
        check=True,
        capture_output=True,
    )
    stale = [
        name
        for name, fresh in [("schema.graphql", tmp_path / "schema.graphql")]
        + [(f"src/gql/{p.name}", p) for p in sorted((tmp_path / "gql").iterdir())]
        if not (WEB / name).exists() or (WEB / name).read_text() != fresh.read_text()
    ]
    assert not stale, f"stale generated code {stale}: run `make codegen` and commit web/"
