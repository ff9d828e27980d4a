"""Rules of the office's working-day calendar (pure): what a year may contain, and the
simple file (CSV) the office imports, one exception to Monday–Friday a line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.core.calendar import HOLIDAY, WORKDAY
from services.core.errors import ValidationFailed

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_FILE_BYTES = 1024 * 1024
NAME_MAX = 40
# what the office may write in the kind column
KINDS = {
    "HOLIDAY": HOLIDAY,
    "休": HOLIDAY,
    "假": HOLIDAY,
    "放假": HOLIDAY,
    "节假日": HOLIDAY,
    "WORKDAY": WORKDAY,
    "班": WORKDAY,
    "上班": WORKDAY,
    "调休上班": WORKDAY,
    "补班": WORKDAY,
}
HEADER_WORDS = {"日期", "date", "day"}


@dataclass(frozen=True)
class Day:
    day: date
    kind: str
    name: str = ""


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(f"年度须在 {FIRST_YEAR} 到 {LAST_YEAR} 之间", field="year")


def check_days(year: int, days: Iterable[Day]) -> dict[date, tuple[str, str]]:
    """One year's exceptions, checked: in the year, once each, a holiday is a weekday
    off (or part of a holiday on a weekend), a make-up workday is a weekend day."""
    check_year(year)
    found: dict[date, tuple[str, str]] = {}
    for d in days:
        if d.day.year != year:
            raise ValidationFailed(f"{d.day} 不在 {year} 年", field="days")
        if d.day in found:
            raise ValidationFailed(f"{d.day} 重复出现", field="days")
        if d.kind not in (HOLIDAY, WORKDAY):
            raise ValidationFailed(f"{d.day} 的类型须为 HOLIDAY 或 WORKDAY", field="days")
        if d.kind == WORKDAY and d.day.weekday() < 5:
            raise ValidationFailed(f"{d.day} 是工作日, 不能设为调休上班日", field="days")
        name = d.name.strip()
        if len(name) > NAME_MAX:
            raise ValidationFailed(f"{d.day} 的名称超过 {NAME_MAX} 字", field="days")
        found[d.day] = (d.kind, name)
    return found


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, as Excel on Chinese Windows saves CSV."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed("文件超过 1 MB", field="contentBase64")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("无法识别文件编码 (须为 UTF-8 或 GBK)", field="contentBase64")


def parse_csv(text: str) -> dict[int, list[Day]]:
    """``日期,类型,名称`` lines (header optional; 类型: 休/班 or HOLIDAY/WORKDAY) → days by
    year. Every wrong line is reported at once; a year in the file is replaced whole."""
    by_year: dict[int, list[Day]] = {}
    errors: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in HEADER_WORDS:
            continue
        if len(cells) < 2:
            errors.append(f"第{number}行: 需要 日期,类型[,名称]")
            continue
        try:
            day = date.fromisoformat(cells[0].replace("/", "-"))
        except ValueError:
            errors.append(f"第{number}行: 日期「{cells[0]}」须为 YYYY-MM-DD")
            continue
        kind = KINDS.get(cells[1].upper() if cells[1].isascii() else cells[1])
        if kind is None:
            errors.append(f"第{number}行: 类型「{cells[1]}」须为 休 或 班")
            continue
        by_year.setdefault(day.year, []).append(Day(day, kind, cells[2] if len(cells) > 2 else ""))
    if errors:
        raise ValidationFailed("; ".join(errors[:20]), field="contentBase64")
    if not by_year:
        raise ValidationFailed("文件中没有日期", field="contentBase64")
    for year, days in by_year.items():
        check_days(year, days)
    return by_year


def summary(days: dict[date, tuple[str, str]]) -> dict[str, list[str]]:
    """What the audit trail records of a year: its holidays and make-up workdays."""
    return {
        "holidays": sorted(d.isoformat() for d, (k, _) in days.items() if k == HOLIDAY),
        "workdays": sorted(d.isoformat() for d, (k, _) in days.items() if k == WORKDAY),
    }
