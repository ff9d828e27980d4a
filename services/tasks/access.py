"""The tasks service's view of the one access policy (``services.core.access``, ADR 0013).

Re-exported here so the features import their rules from one place in their service.
"""

from __future__ import annotations

from services.core.access import (
    LEADER_OPERATIONS,
    OFFICE_OPERATIONS,
    UNIT_OPERATIONS,
    ItemScope,
    Operation,
    Scope,
    audit_scope,
    can,
    can_read,
    item_scope,
    list_scope,
    require_office,
    sees_contact,
    sees_item,
    sees_notice,
)

__all__ = [
    "LEADER_OPERATIONS",
    "OFFICE_OPERATIONS",
    "UNIT_OPERATIONS",
    "ItemScope",
    "Operation",
    "Scope",
    "audit_scope",
    "can",
    "can_read",
    "item_scope",
    "list_scope",
    "require_office",
    "sees_contact",
    "sees_item",
    "sees_notice",
]
