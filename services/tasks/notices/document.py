"""The printable supervision notice (督查通知单) as a Chinese .docx (A4, python-docx)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.run import Run

from services.core.clock import local_date, local_tz
from services.tasks.items.domain import SOURCE_LABELS, Source
from services.tasks.notices.domain import RECIPIENT_ROLE_LABELS, RecipientRole, format_cn_date

ISSUER = "区委区政府督查办"
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
FALLBACK_FONT = "宋体"
MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class RecipientLine:
    name: str
    unit: str
    role: str
    acknowledged_at: datetime | None
    note: str | None = None


@dataclass(frozen=True)
class NoticeDocument:
    code: str
    issued_on: date
    response_deadline: date
    content: str
    item_code: str
    item_title: str
    source: str
    lead_unit: str
    co_units: list[str]
    responsible_leader: str
    owners: list[str]
    deadline: date
    recipients: list[RecipientLine] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"督查通知单-{self.item_code}-{self.issued_on.year}-{self.code_number}.docx"

    @property
    def code_number(self) -> str:
        return self.code.rsplit("第", 1)[-1].rstrip("号")

    @classmethod
    def from_facts(cls, f: dict[str, Any], recipients: list[dict[str, Any]]) -> NoticeDocument:
        try:
            source = SOURCE_LABELS[Source(f["source"])]
        except ValueError:
            source = str(f["source"])
        return cls(
            code=f["code"],
            issued_on=local_date(f["issued_at"]),
            response_deadline=f["response_deadline"],
            content=f["content"],
            item_code=f["item_code"],
            item_title=f["item_title"],
            source=source,
            lead_unit=f["lead_unit_name"],
            co_units=list(f["co_unit_names"] or []),
            responsible_leader=f["leader_name"] or "",
            owners=list(f["owner_names"] or []),
            deadline=f["deadline"],
            recipients=[
                RecipientLine(
                    name=r["person_name"],
                    unit=r["unit_name"] or "",
                    role=RECIPIENT_ROLE_LABELS.get(RecipientRole(r["role"]), r["role"]),
                    acknowledged_at=r["acknowledged_at"],
                    note=r["ack_note"],
                )
                for r in recipients
            ],
        )


def _font(run: Run, size: float, bold: bool = False, family: str = BODY_FONT) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FALLBACK_FONT
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), family)


def _paragraph(
    doc: Any,
    text: str,
    size: float = 14,
    bold: bool = False,
    align: Any = None,
    family: str = BODY_FONT,
    space_after: float = 6,
    color: RGBColor | None = None,
) -> Any:
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    run = p.add_run(text)
    _font(run, size, bold, family)
    if color is not None:
        run.font.color.rgb = color
    return p


def _cell(cell: Any, text: str, bold: bool = False, size: float = 12) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    _font(run, size, bold)


def _widths(table: Any, widths_cm: list[float]) -> None:
    """Fixed column widths (Word reads the cells, LibreOffice the grid)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def build_docx(notice: NoticeDocument) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = FALLBACK_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    _paragraph(
        doc, ISSUER, 22, True, WD_ALIGN_PARAGRAPH.CENTER, TITLE_FONT, 4, RGBColor(0xC0, 0x00, 0x00)
    )
    _paragraph(doc, "督 查 通 知 单", 22, True, WD_ALIGN_PARAGRAPH.CENTER, TITLE_FONT, 12)
    _paragraph(doc, notice.code, 14, False, WD_ALIGN_PARAGRAPH.RIGHT)

    rows = [
        ("事项编号", notice.item_code),
        ("事项名称", notice.item_title),
        ("事项来源", notice.source),
        ("牵头单位", notice.lead_unit),
        ("配合单位", "、".join(notice.co_units) or "无"),
        ("分包负责人", notice.responsible_leader or "—"),
        ("具体负责人", "、".join(notice.owners) or "—"),
        ("办理时限", format_cn_date(notice.deadline)),
        ("回复时限", format_cn_date(notice.response_deadline)),
    ]
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for (label, value), row in zip(rows, table.rows, strict=True):
        _cell(row.cells[0], label, bold=True)
        _cell(row.cells[1], value)
    _widths(table, [3.2, 12.4])

    _paragraph(doc, "", space_after=0)
    _paragraph(doc, "督查要求：", 14, True)
    for line in notice.content.splitlines() or [""]:
        p = _paragraph(doc, line, 14)
        p.paragraph_format.first_line_indent = Pt(28)
    p = _paragraph(
        doc,
        f"请接收人签收后于{format_cn_date(notice.response_deadline)}前将办理情况书面回复"
        f"{ISSUER}；逾期未回复的，将按规定予以通报。",
        14,
    )
    p.paragraph_format.first_line_indent = Pt(28)

    _paragraph(doc, "接收人及签收情况：", 14, True)
    recipients = doc.add_table(rows=1 + len(notice.recipients), cols=5)
    recipients.style = "Table Grid"
    recipients.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, head in zip(
        recipients.rows[0].cells, ["序号", "姓名", "单位", "身份", "签收"], strict=True
    ):
        _cell(cell, head, bold=True, size=11)
    for i, (r, row) in enumerate(zip(notice.recipients, recipients.rows[1:], strict=True), 1):
        signed = (
            "已签收 " + r.acknowledged_at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
            if r.acknowledged_at
            else "未签收"
        )
        for cell, text in zip(row.cells, [str(i), r.name, r.unit, r.role, signed], strict=True):
            _cell(cell, text, size=11)
    _widths(recipients, [1.2, 2.2, 4.6, 3.4, 4.2])

    _paragraph(doc, "", space_after=24)
    _paragraph(doc, f"{ISSUER}（盖章）", 14, False, WD_ALIGN_PARAGRAPH.RIGHT, space_after=2)
    _paragraph(doc, format_cn_date(notice.issued_on), 14, False, WD_ALIGN_PARAGRAPH.RIGHT)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
