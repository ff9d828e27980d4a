"""Audit chain links (pure): the verifier names why an entry does not follow."""

from __future__ import annotations

import pytest

from services.tasks.audit.domain import GENESIS_HASH, Broken, VerifyResult, check_link

H1, H2 = "a" * 64, "b" * 64


@pytest.mark.parametrize(
    ("prev_seq", "prev_hash", "seq", "stored_prev", "stored", "expected", "reason"),
    [
        (0, GENESIS_HASH, 1, GENESIS_HASH, H1, H1, None),
        (1, H1, 2, H1, H2, H2, None),
        (1, H1, 3, H1, H2, H2, "missing"),  # entry 2 deleted
        (1, H1, 1, H1, H2, H2, "missing"),  # duplicated position
        (1, H1, 2, H2, H2, H2, "prev_hash"),  # rewritten or inserted
        (1, H1, 2, H1, H2, H1, "altered"),  # content changed
        (0, GENESIS_HASH, 1, H1, H1, H1, "prev_hash"),  # genesis replaced
    ],
)
def test_check_link(
    prev_seq: int,
    prev_hash: str,
    seq: int,
    stored_prev: str,
    stored: str,
    expected: str,
    reason: str | None,
) -> None:
    got = check_link(prev_seq, prev_hash, seq, stored_prev, stored, expected)
    if reason is None:
        assert got is None
    else:
        assert got is not None and reason in got


def test_descriptions() -> None:
    assert "intact: 3 entries" in VerifyResult(3, 3, H1, None).describe()
    broken = VerifyResult(2, 2, H1, Broken(3, 17, "content does not match its hash"))
    assert not broken.ok and "entry #3 (id 17)" in broken.describe()
