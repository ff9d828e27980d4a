"""The `ducha` command line (pure parts)."""

from __future__ import annotations

import pytest

from services.cli import build_parser, main


@pytest.mark.parametrize("service", ["tasks", "alerts", "evaluation"])
def test_sdl_prints_a_federation_2_9_subgraph(
    service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["sdl", service])
    out = capsys.readouterr().out
    assert "federation/v2.9" in out and "type Query" in out


def test_serve_and_migrate_accept_the_service_names() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve", "alerts", "--port", "8000"]).port == 8000
    assert parser.parse_args(["migrate", "tasks", "evaluation"]).services == ["tasks", "evaluation"]
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "nope"])
