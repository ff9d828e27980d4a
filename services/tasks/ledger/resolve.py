"""Names in a ledger → ids: units by name or code, people by name (optionally 姓名（单位）)."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import asyncpg

from services.tasks.ledger import store
from services.tasks.ledger.cells import CellError, split_person


class Directory:
    def __init__(self, units: list[asyncpg.Record], people: list[asyncpg.Record]) -> None:
        self.units: dict[str, UUID] = {}
        for u in units:
            self.units[u["code"]] = u["id"]
            self.units[u["name"]] = u["id"]
        self.people: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for p in people:
            self.people[p["name"]].append(p)

    @classmethod
    async def load(cls, conn: asyncpg.Connection) -> Directory:
        return cls(await store.list_all_units(conn), await store.list_people_names(conn))

    def add_unit(self, code: str, name: str, unit_id: UUID) -> None:
        self.units[code] = unit_id
        self.units[name] = unit_id

    def unit(self, label: str) -> UUID:
        if label not in self.units:
            raise CellError(f"找不到单位: {label}")
        return self.units[label]

    def person(self, label: str) -> UUID:
        name, unit = split_person(label)
        candidates = self.people.get(name, [])
        if unit:
            candidates = [c for c in candidates if unit in (c["unit_name"], c["unit_code"])]
        if not candidates:
            raise CellError(f"找不到人员: {label}")
        if len(candidates) > 1:
            raise CellError(f"有多名「{name}」，请写作 {name}（单位名称）")
        return candidates[0]["id"]  # type: ignore[no-any-return]
