"""The open periods' rankings cached in this process.

An open period's ranking is recomputed from the ledger at most every few seconds per
process (events arrive asynchronously anyway); this process's own office inputs that
change a ranking drop the cached copy at once.
"""

from __future__ import annotations

from uuid import UUID

from services.evaluation.periods.domain import CadreStanding

STANDINGS_TTL_SECONDS = 5.0
standings_cache: dict[UUID, tuple[float, list[CadreStanding]]] = {}


def invalidate_standings() -> None:
    standings_cache.clear()
