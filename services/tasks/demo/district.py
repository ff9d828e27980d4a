"""The demo district's organisation: units with their heads, supervisors and cadres,
the district leaders and the supervision office."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from services.core.auth import Principal, Role
from services.tasks.demo import data
from services.tasks.org import service as org

SYSTEM = Principal(subject="demo", name="演示数据", roles=frozenset({Role.SUPERVISION_OFFICE}))


@dataclass
class UnitInfo:
    id: UUID
    name: str
    kind: str
    head: UUID
    supervisor: UUID
    cadres: list[UUID] = field(default_factory=list)

    def acting(self) -> Principal:
        return Principal(
            subject=str(self.supervisor),
            roles=frozenset({Role.UNIT_SUPERVISOR}),
            unit_ids=frozenset({str(self.id)}),
        )


@dataclass
class District:
    units: list[UnitInfo]
    leaders: list[UUID]
    office: Principal
    leader_principals: list[Principal]

    def of_kind(self, *kinds: str) -> list[UnitInfo]:
        return [u for u in self.units if u.kind in kinds]


async def _person(
    conn: asyncpg.Connection,
    rng: random.Random,
    unit: UUID | None,
    position: str,
    rank: str,
    roles: list[str],
    seq: int,
) -> UUID:
    row = await org.create_person(
        conn,
        SYSTEM,
        name=data.person_name(rng),
        unit_id=unit,
        rank=rank,
        position=position,
        mobile=data.mobile(rng),
        wecom_user_id=f"dc{seq:05d}",
        email=f"dc{seq:05d}@district.gov.cn",
        roles=roles,
    )
    return row["id"]  # type: ignore[no-any-return]


async def build_organisation(conn: asyncpg.Connection, rng: random.Random) -> District:
    seq = 0
    units: list[UnitInfo] = []
    specs = (
        [(n, "STREET", "街道") for n in data.STREETS]
        + [(n, "TOWNSHIP", "乡镇") for n in data.TOWNSHIPS]
        + [(n, "DEPARTMENT", c) for n, c in data.DEPARTMENTS]
    )
    for i, (name, kind, category) in enumerate(specs, 1):
        unit = await org.create_unit(conn, SYSTEM, f"U{i:03d}", name, kind, category)
        seq += 1
        title = data.HEAD_TITLE[kind]
        if kind == "DEPARTMENT" and name.endswith(("办公室", "中心", "办", "馆")):
            title = "党组书记、主任"
        head = await _person(conn, rng, unit["id"], title, "正科", ["UNIT_HEAD", "CADRE"], seq)
        seq += 1
        supervisor = await _person(
            conn, rng, unit["id"], "督查员", "副科", ["UNIT_SUPERVISOR", "CADRE"], seq
        )
        info = UnitInfo(unit["id"], name, kind, head, supervisor)
        if kind == "DEPARTMENT" and title.endswith("主任"):
            deputies = [("副主任" if "副局长" in p else p, r) for p, r in data.DEPUTIES[kind]]
        else:
            deputies = data.DEPUTIES[kind]
        for position, rank in deputies[: rng.choice((5, 5, 6, 6, 6))]:
            seq += 1
            info.cadres.append(await _person(conn, rng, unit["id"], position, rank, ["CADRE"], seq))
        units.append(info)
    leaders = []
    for position, rank in data.LEADERS:
        seq += 1
        leaders.append(await _person(conn, rng, None, position, rank, ["LEADER"], seq))
    office_ids = []
    for position, rank in data.OFFICE:
        seq += 1
        office_ids.append(
            await _person(conn, rng, None, position, rank, ["SUPERVISION_OFFICE", "CADRE"], seq)
        )
    return District(
        units=units,
        leaders=leaders,
        office=Principal(subject=str(office_ids[0]), roles=frozenset({Role.SUPERVISION_OFFICE})),
        leader_principals=[
            Principal(subject=str(p), roles=frozenset({Role.LEADER})) for p in leaders
        ],
    )
