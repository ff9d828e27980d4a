"""Supervision items: vocabulary and validation of a new item (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.core.errors import DomainError, ValidationFailed

TITLE_MAX = 200
CONTENT_MAX = 5000


class Source(StrEnum):
    SUPERIOR_ASSIGNMENT = "SUPERIOR_ASSIGNMENT"  # 上级交办
    LEADER_INSTRUCTION = "LEADER_INSTRUCTION"  # 领导批示
    KEY_WORK = "KEY_WORK"  # 重点工作
    MAJOR_PROJECT = "MAJOR_PROJECT"  # 重大项目
    CONGRESS_PROPOSAL = "CONGRESS_PROPOSAL"  # 人大建议
    CPPCC_PROPOSAL = "CPPCC_PROPOSAL"  # 政协提案
    PUBLIC_REQUEST = "PUBLIC_REQUEST"  # 群众诉求
    OTHER = "OTHER"  # 其他


SOURCE_LABELS: dict[Source, str] = {
    Source.SUPERIOR_ASSIGNMENT: "上级交办",
    Source.LEADER_INSTRUCTION: "领导批示",
    Source.KEY_WORK: "重点工作",
    Source.MAJOR_PROJECT: "重大项目",
    Source.CONGRESS_PROPOSAL: "人大建议",
    Source.CPPCC_PROPOSAL: "政协提案",
    Source.PUBLIC_REQUEST: "群众诉求",
    Source.OTHER: "其他",
}


class ItemState(StrEnum):
    DRAFT = "DRAFT"
    ASSIGNED = "ASSIGNED"  # 已交办
    IN_PROGRESS = "IN_PROGRESS"  # 办理中
    COMPLETION_REQUESTED = "COMPLETION_REQUESTED"  # 申请办结
    COMPLETED = "COMPLETED"  # 已办结
    SUSPENDED = "SUSPENDED"  # 已暂停
    CANCELLED = "CANCELLED"  # 已撤销


class ReportingCycle(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"


@dataclass(frozen=True)
class PlanNode:
    date: date
    percent: int


def format_code(year: int, number: int) -> str:
    return f"DB-{year}-{number:04d}"


def clean_text(value: str, field: str, max_len: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{field} 不能为空", field=field)
    if len(text) > max_len:
        raise ValidationFailed(f"{field} 不能超过 {max_len} 个字符", field=field)
    return text


def validate_schedule(start: date, deadline: date, nodes: list[PlanNode]) -> None:
    """Deadline not before start; plan nodes within the window, strictly increasing."""
    if deadline < start:
        raise ValidationFailed("办理时限不能早于开始日期", field="deadline")
    previous: PlanNode | None = None
    for node in nodes:
        if not 0 < node.percent <= 100:
            raise ValidationFailed("节点计划进度须在 1–100 之间", field="planNodes")
        if not start <= node.date <= deadline:
            raise ValidationFailed("节点日期须在开始日期与办理时限之间", field="planNodes")
        if previous and (node.date <= previous.date or node.percent <= previous.percent):
            raise ValidationFailed("节点须按日期和计划进度严格递增", field="planNodes")
        previous = node


# --- duplicate supervision (重复督查) ------------------------------------------------

DUPLICATE_THRESHOLD = 0.6  # bigram Dice similarity of two titles


def bigrams(text: str) -> set[str]:
    """Character bigrams of a title, punctuation and spaces dropped (Chinese titles
    are short: a two-character keyword is one bigram, where trigrams find nothing)."""
    chars = [c for c in text.lower() if c.isalnum()]
    if len(chars) == 1:
        return {chars[0]}
    return {chars[i] + chars[i + 1] for i in range(len(chars) - 1)}


def title_similarity(a: str, b: str) -> float:
    """Dice coefficient of the two titles' bigram sets, 0..1."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


@dataclass(frozen=True)
class DuplicateCandidate:
    id: str
    code: str
    title: str
    reason: str  # SAME_DOCUMENT | SIMILAR_TITLE
    similarity: float


def find_duplicates(
    title: str,
    lead_unit_id: str,
    document_no: str | None,
    open_items: list[dict[str, object]],
    threshold: float = DUPLICATE_THRESHOLD,
) -> list[DuplicateCandidate]:
    """Open items the new one may duplicate: the same source document number, or the
    same lead unit and a similar title. Most similar first."""
    found = []
    for item in open_items:
        score = title_similarity(title, str(item["title"]))
        if document_no and item.get("source_document_no") == document_no:
            reason = "SAME_DOCUMENT"
        elif str(item["lead_unit_id"]) == lead_unit_id and score >= threshold:
            reason = "SIMILAR_TITLE"
        else:
            continue
        found.append(
            DuplicateCandidate(
                str(item["id"]), str(item["code"]), str(item["title"]), reason, round(score, 3)
            )
        )
    return sorted(found, key=lambda d: (d.reason != "SAME_DOCUMENT", -d.similarity, d.code))


class DuplicateSuspected(DomainError):
    """The new item looks like an open one; the office confirms (confirmDuplicate) or
    drops it."""

    code = "DUPLICATE_SUSPECTED"

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        names = "、".join(f"{c.code}“{c.title}”" for c in candidates[:3])
        super().__init__(
            f"疑似重复督查：与在办事项{names}相同或相似，确认无误请以 confirmDuplicate 提交",
            field="title",
        )
        self.candidates = candidates
