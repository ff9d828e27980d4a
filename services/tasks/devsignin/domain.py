"""Which people the development sign-in page offers, and the claims of their token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The order the sign-in page shows the roles in, with their Chinese names.
ROLE_LABELS: dict[str, str] = {
    "SUPERVISION_OFFICE": "督查办",
    "LEADER": "区领导",
    "UNIT_HEAD": "单位负责人",
    "UNIT_SUPERVISOR": "单位督查员",
    "CADRE": "干部",
}
PER_ROLE = 8
TOKEN_TTL_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    roles: list[str]
    unit_id: str | None
    unit_name: str | None
    position: str | None

    def claims(self) -> dict[str, Any]:
        """What mint_token needs: subject, roles, unit scope and a display name."""
        return {
            "subject": self.id,
            "roles": [r for r in self.roles if r in ROLE_LABELS],
            "units": [self.unit_id] if self.unit_id else [],
            "name": self.name,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "roles": self.roles,
            "unitId": self.unit_id,
            "unitName": self.unit_name,
            "position": self.position,
        }


def group_by_role(people: list[Candidate]) -> list[dict[str, Any]]:
    """At most PER_ROLE people for each known role, in ROLE_LABELS order."""
    groups = []
    for role, label in ROLE_LABELS.items():
        members = [p.as_json() for p in people if role in p.roles][:PER_ROLE]
        if members:
            groups.append({"role": role, "label": label, "people": members})
    return groups
