"""Token minting and verification (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.auth import AuthError, Role, TokenVerifier, mint_token
from services.core.settings import Settings

SECRET = "unit-test-secret-0123456789-abcdefghijklmnop"


def settings(**kw: object) -> Settings:
    return Settings(jwt_secret=SECRET, data_dir=Path("/nonexistent"), **kw)  # type: ignore[arg-type]


def test_minted_token_verifies_into_a_principal() -> None:
    s = settings()
    tok = mint_token(s, "p-1", ["UNIT_HEAD", "BOGUS"], units=["u-1"], name="李四", ops=["report"])
    principal = TokenVerifier(s).verify_header(f"Bearer {tok}")
    assert principal.subject == "p-1" and principal.name == "李四"
    assert principal.roles == frozenset({Role.UNIT_HEAD})  # unknown roles are dropped
    assert principal.unit_ids == frozenset({"u-1"})
    assert principal.operations == frozenset({"report"})
    assert not principal.sees_everything


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic abc", "Bearer", "Bearer not-a-jwt"],
)
def test_malformed_headers_are_refused(header: str | None) -> None:
    with pytest.raises(AuthError):
        TokenVerifier(settings()).verify_header(header)


def test_wrong_secret_expired_and_wrong_audience_are_refused() -> None:
    verifier = TokenVerifier(settings())
    other = Settings(jwt_secret="another-secret-0123456789-abcdefghijklmn", data_dir=Path("/x"))
    with pytest.raises(AuthError):
        verifier.verify(mint_token(other, "p", ["CADRE"]))
    with pytest.raises(AuthError):
        verifier.verify(mint_token(settings(), "p", ["CADRE"], ttl_seconds=-10))
    with pytest.raises(AuthError):
        verifier.verify(mint_token(settings(jwt_audience="elsewhere"), "p", ["CADRE"]))


def test_local_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    first = s.signing_secret()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).signing_secret() == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0
