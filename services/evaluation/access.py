"""The evaluation service's view of the one access policy (``services.core.access``,
ADR 0013). The loaders (``ledger/loaders.py``) fetch the data the rules take."""

from __future__ import annotations

from services.core.access import (
    ItemScope,
    can_read,
    needs_person_unit,
    sees_item,
    sees_performance,
    sees_ranking_row,
    sees_unit_evaluation,
)

# The names this service has always used.
may_see_person = sees_performance
may_see_unit = sees_unit_evaluation
ranking_rows_visible = sees_ranking_row

__all__ = [
    "ItemScope",
    "can_read",
    "may_see_person",
    "may_see_unit",
    "needs_person_unit",
    "ranking_rows_visible",
    "sees_item",
]
