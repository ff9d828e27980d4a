"""The demo district's items: planned for a seed, then lived through the use-cases up to
``AS_OF`` (signed, reported, extended, chased, noticed, completed or not)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import asyncpg

from services.core.auth import Principal, Role
from services.core.clock import local_tz
from services.tasks.demo import data
from services.tasks.demo.district import District, UnitInfo
from services.tasks.items import service
from services.tasks.items.domain import PlanNode, ReportingCycle, Source
from services.tasks.lifecycle import service as life
from services.tasks.notices.domain import Recipient, RecipientRole
from services.tasks.notices.service import acknowledge_notice, issue_notice

FIRST_DAY = date(2017, 1, 3)
AS_OF = date(2018, 6, 29)  # the district "today" the demo stops at
ITEMS_2017, ITEMS_2018 = 1470, 736


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=local_tz()).astimezone(UTC)


SOURCE_WEIGHTS = [
    (Source.KEY_WORK, 26),
    (Source.LEADER_INSTRUCTION, 18),
    (Source.SUPERIOR_ASSIGNMENT, 12),
    (Source.PUBLIC_REQUEST, 18),
    (Source.MAJOR_PROJECT, 8),
    (Source.CONGRESS_PROPOSAL, 8),
    (Source.CPPCC_PROPOSAL, 6),
    (Source.OTHER, 4),
]
DURATION = {
    Source.PUBLIC_REQUEST: (10, 45),
    Source.LEADER_INSTRUCTION: (15, 90),
    Source.CONGRESS_PROPOSAL: (60, 120),
    Source.CPPCC_PROPOSAL: (60, 120),
    Source.SUPERIOR_ASSIGNMENT: (30, 180),
    Source.KEY_WORK: (90, 300),
    Source.MAJOR_PROJECT: (180, 365),
    Source.OTHER: (20, 120),
}
CYCLE_DAYS = {
    ReportingCycle.DAILY: 1,
    ReportingCycle.WEEKLY: 7,
    ReportingCycle.BIWEEKLY: 14,
    ReportingCycle.MONTHLY: 30,
}


@dataclass
class Plan:
    """One item and what will happen to it (decided up front, so runs are repeatable)."""

    new: service.NewItem
    fate: str
    lead: UnitInfo
    co: list[UnitInfo]
    leader_index: int
    finish: date  # completion (or stall) day
    reports: int


def _start_days(rng: random.Random, scale: float) -> list[date]:
    span17 = (date(2017, 12, 29) - FIRST_DAY).days
    span18 = (AS_OF - date(2018, 1, 2)).days
    n17, n18 = round(ITEMS_2017 * scale), round(ITEMS_2018 * scale)
    days = [FIRST_DAY + timedelta(days=rng.randrange(span17)) for _ in range(n17)]
    days += [date(2018, 1, 2) + timedelta(days=rng.randrange(span18)) for _ in range(n18)]
    return sorted(d if d.weekday() < 5 else d + timedelta(days=7 - d.weekday()) for d in days)


def _fate(rng: random.Random, start: date, deadline: date) -> str:
    r = rng.random()
    if deadline <= AS_OF:
        for fate, p in (("ON_TIME", 0.78), ("LATE", 0.86), ("EXTENDED", 0.92), ("OVERDUE", 0.97)):
            if r < p:
                return fate
        return "CANCELLED" if r < 0.985 else "SUSPENDED"
    for fate, p in (("ON_TRACK", 0.72), ("LAGGING", 0.87), ("STALLED", 0.92)):
        if r < p:
            return fate
    if (AS_OF - start).days < 60:  # too fresh to be finished early
        return "ON_TRACK"
    return "REQUESTED" if r < 0.96 else "EARLY"


def plan_items(rng: random.Random, district: District, scale: float = 1.0) -> list[Plan]:
    sources = [s for s, w in SOURCE_WEIGHTS for _ in range(w)]
    local = district.of_kind("STREET", "TOWNSHIP")
    departments = district.of_kind("DEPARTMENT")
    plans = []
    for start in _start_days(rng, scale):
        source = rng.choice(sources)
        low, high = DURATION[source]
        deadline = start + timedelta(days=rng.randint(low, high))
        pool = local if source is Source.PUBLIC_REQUEST or rng.random() < 0.35 else departments
        lead = rng.choice(pool)
        co = []
        if rng.random() < 0.3:
            co = rng.sample([u for u in district.units if u is not lead], rng.choice((1, 1, 2)))
        owners = rng.sample(lead.cadres, rng.choice((1, 1, 2)))
        leader_index = rng.randrange(len(district.leaders))
        length = (deadline - start).days
        nodes = []
        if length >= 60:
            nodes = [PlanNode(start + timedelta(days=length // 2), 50), PlanNode(deadline, 100)]
        cycle = rng.choice(
            [ReportingCycle.WEEKLY, ReportingCycle.BIWEEKLY, ReportingCycle.MONTHLY]
            if length > 30
            else [ReportingCycle.WEEKLY]
        )
        text = data.item_text(rng, source, start.year)
        fate = _fate(rng, start, deadline)
        finish = {
            "ON_TIME": deadline - timedelta(days=rng.randint(4, max(5, length // 5))),
            "LATE": deadline + timedelta(days=rng.randint(3, 40)),
            "EXTENDED": deadline + timedelta(days=rng.randint(10, 45)),
            "EARLY": start + timedelta(days=max(5, length // 2)),
            "REQUESTED": start + timedelta(days=max(5, length // 2)),
        }.get(fate, AS_OF)
        finish = max(start + timedelta(days=3), min(finish, AS_OF - timedelta(days=2)))
        plans.append(
            Plan(
                new=service.NewItem(
                    title=text.title,
                    content=text.content,
                    source=source,
                    importance=rng.choice((1, 1, 2, 2, 3)),
                    difficulty=rng.choice((0.8, 1.0, 1.0, 1.2, 1.5)),
                    start_date=start,
                    deadline=deadline,
                    reporting_cycle=cycle,
                    lead_unit_id=lead.id,
                    co_unit_ids=[u.id for u in co],
                    responsible_leader_id=district.leaders[leader_index],
                    owner_ids=owners,
                    plan_nodes=nodes,
                    confirm_duplicate=True,  # the district's record as it stands
                ),
                fate=fate,
                lead=lead,
                co=co,
                leader_index=leader_index,
                finish=finish,
                reports=max(1, min(3, length // 50 + 1)),
            )
        )
    return plans


NARRATIVES = [
    "已召开专题推进会，明确责任分工和时间节点。",
    "完成现场勘查和方案编制，正在履行审批程序。",
    "主体工作按计划推进，已完成阶段性目标。",
    "已协调相关部门解决资金和用地问题。",
    "整改工作基本完成，正在开展自查验收。",
]
PROBLEMS = ["", "", "部分群众存在抵触情绪。", "资金拨付进度偏慢。", "涉及多个部门，协调难度大。"]


async def live(conn: asyncpg.Connection, rng: random.Random, d: District, p: Plan) -> None:
    """Create the item and play its life up to AS_OF through the use-cases."""
    office = d.office
    start, deadline = p.new.start_date, p.new.deadline
    row = await service.create_item(conn, office, p.new, now=at(start, 9))
    item_id: UUID = row["id"]
    units = [p.lead, *p.co]
    for i, unit in enumerate(units):
        day = start + timedelta(days=rng.randint(0, 2))
        if day >= AS_OF:  # assigned in the last days: not signed for yet
            continue
        if unit is not p.lead and rng.random() < 0.08:  # 退回, then 重新交办
            step = life.UnitStep(item_id, unit.id, "该事项不属于本单位职责范围，建议调整承办单位。")
            await life.return_assignment(conn, unit.acting(), step, now=at(day, 11, i))
            await life.reassign(
                conn,
                office,
                life.UnitStep(item_id, unit.id, "经研究仍由该单位配合办理。"),
                now=at(day, 15, i),
            )
        await life.sign(conn, unit.acting(), life.UnitStep(item_id, unit.id), now=at(day, 16, i))

    if p.fate == "CANCELLED":
        await life.cancel(
            conn,
            office,
            life.ItemStep(item_id, "上级政策调整，该事项不再实施。"),
            now=at(p.finish, 10),
        )
        return
    if p.fate == "SUSPENDED":
        await life.suspend(
            conn, office, life.ItemStep(item_id, "受客观条件影响，暂缓实施。"), now=at(p.finish, 10)
        )
        return
    if rng.random() < 0.12:
        leader = d.leader_principals[p.leader_index]
        instruction = life.ItemStep(item_id, "请牵头单位加大力度，确保按期完成。")
        await life.add_instruction(conn, leader, instruction, now=at(start + timedelta(days=2), 18))

    stalled = p.fate in ("OVERDUE", "STALLED", "LAGGING")
    length = max(1, (deadline - start).days)
    if p.fate == "ON_TRACK":  # reports keep pace with the plan up to "today"
        end = max(start + timedelta(days=4), AS_OF - timedelta(days=rng.randint(1, 6)))
        target = min(95, 100 * (end - start).days // length + rng.randint(0, 10))
    elif stalled:  # reports stop two thirds of the way, well short of the plan
        end = min(AS_OF, start + (deadline - start) * 2 // 3)
        target = rng.choice((40, 55, 70)) * (end - start).days // length
    else:
        end, target = p.finish, 100
    span = max(1, (end - start).days)
    percent = 0
    last = start
    for k in range(1, p.reports + 1):
        day = start + timedelta(days=max(3, span * k // (p.reports + 1)))
        if day >= AS_OF:
            break
        percent = max(percent + 5, min(95, target * k // (p.reports + 1)))
        report = life.ProgressReport(
            item_id,
            p.lead.id,
            percent,
            rng.choice(NARRATIVES),
            rng.choice(PROBLEMS),
            "继续加快推进，按节点完成任务。",
        )
        done = await life.report_progress(conn, p.lead.acting(), report, now=at(day, 14))
        last = day
        if rng.random() < 0.15 and done.record is not None:
            result = "CONFIRMED" if rng.random() < 0.9 else "DISPUTED"
            note = "" if result == "CONFIRMED" else "汇报进度与现场情况不符。"
            await life.verify_report(
                conn,
                office,
                life.ReportVerification(done.record["id"], result, note),
                now=at(day + timedelta(days=1), 10),
            )

    if p.fate == "EXTENDED":
        ask = max(last + timedelta(days=1), deadline - timedelta(days=rng.randint(3, 10)))
        if ask <= deadline:
            new_deadline = max(deadline + timedelta(days=7), p.finish + timedelta(days=5))
            req = life.ExtensionRequest(
                item_id, p.lead.id, new_deadline, "受征地拆迁和天气影响，需延期完成。"
            )
            ext = await life.request_extension(conn, p.lead.acting(), req, now=at(ask, 9))
            assert ext.record is not None
            await life.decide_extension(
                conn,
                office,
                life.ExtensionDecision(ext.record["id"], True, "同意延期。"),
                now=at(ask + timedelta(days=1), 16),
            )

    if stalled:
        if p.fate in ("OVERDUE", "LAGGING") and end < AS_OF - timedelta(days=7):
            await _notice(conn, rng, d, p, item_id, end + timedelta(days=5))
        if p.fate == "OVERDUE" and deadline + timedelta(days=3) < AS_OF:
            await life.chase(
                conn,
                office,
                life.ItemStep(item_id, "已逾期，请立即报送办理进展。", p.lead.id),
                now=at(deadline + timedelta(days=3), 9),
            )
        return
    if p.fate == "ON_TRACK":
        return

    finish = p.finish
    for i, unit in enumerate(units):
        summary = "各项任务已全部完成，相关资料已归档备查。"
        await life.request_completion(
            conn,
            unit.acting(),
            life.CompletionRequest(item_id, unit.id, summary),
            now=at(finish, 15, i),
        )
    if p.fate == "REQUESTED":
        return
    decided = min(AS_OF, finish + timedelta(days=rng.randint(1, 3)))
    if p.fate == "ON_TIME":  # verified in time as well
        decided = max(finish, min(decided, deadline))
    for i, unit in enumerate(units):
        inspection = None
        if unit is p.lead and rng.random() < 0.1:
            inspection = life.Inspection(
                decided, f"{p.lead.name}项目现场", "督查办、牵头单位", "现场查看，与汇报一致。"
            )
        if unit is p.lead and rng.random() < 0.05:  # 退回重办 once, then verified
            decision = life.CompletionDecision(item_id, unit.id, "佐证材料不全，请补充后重新申请。")
            await life.send_back(conn, office, decision, now=at(decided, 10, i))
            await life.request_completion(
                conn,
                unit.acting(),
                life.CompletionRequest(item_id, unit.id, "已补充佐证材料。"),
                now=at(decided, 16, i),
            )
        decision = life.CompletionDecision(item_id, unit.id, "经核实，已按要求完成。", inspection)
        await life.verify_completion(conn, office, decision, now=at(decided, 17, i))


async def _notice(
    conn: asyncpg.Connection, rng: random.Random, d: District, p: Plan, item_id: UUID, day: date
) -> None:
    recipients = [
        Recipient(p.lead.head, RecipientRole.UNIT_HEAD),
        Recipient(p.lead.supervisor, RecipientRole.UNIT_SUPERVISOR),
        Recipient(d.leaders[p.leader_index], RecipientRole.RESPONSIBLE_LEADER),
        *[Recipient(o, RecipientRole.OWNER) for o in p.new.owner_ids],
    ]
    issued = await issue_notice(
        conn, d.office, item_id, recipients, day + timedelta(days=5), now=at(day, 9)
    )
    for r in recipients:  # most recipients sign for it (签收) within a few days
        if rng.random() < 0.75:
            person = Principal(subject=str(r.person_id), roles=frozenset({Role.CADRE}))
            when = at(day + timedelta(days=rng.randint(0, 3)), 11 + rng.randint(0, 5))
            await acknowledge_notice(conn, person, issued.notice["id"], "已收到，立即落实。", when)
