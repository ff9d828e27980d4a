"""The audit trail's hash chain: what a verification found, and whether one entry
follows the one before it (pure)."""

from __future__ import annotations

from dataclasses import dataclass

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Broken:
    """The first entry that does not fit the chain, and why."""

    chain_seq: int
    entry_id: int | None
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_seq: int
    head_hash: str
    broken: Broken | None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.broken is None:
            return (
                f"audit trail intact: {self.checked} entries, "
                f"head #{self.head_seq} {self.head_hash}"
            )
        b = self.broken
        return (
            f"audit trail BROKEN at entry #{b.chain_seq} (id {b.entry_id}): {b.reason}; "
            f"{self.checked} entries checked before it"
        )


def check_link(
    previous_seq: int, previous_hash: str, seq: int, prev_hash: str, stored: str, expected: str
) -> str | None:
    """Why an entry does not follow the previous one, or None when it does (pure)."""
    if seq != previous_seq + 1:
        return f"expected entry #{previous_seq + 1}, found #{seq} (entries missing)"
    if prev_hash != previous_hash:
        return "prev_hash does not match the hash of the entry before it"
    if stored != expected:
        return "content does not match its hash (entry altered)"
    return None
