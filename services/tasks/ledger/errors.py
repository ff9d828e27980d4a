"""The one error a ledger import raises when any row is wrong (nothing is imported)."""

from __future__ import annotations

from services.core.errors import ValidationFailed
from services.tasks.ledger.cells import RowError


class LedgerRejected(ValidationFailed):
    code = "LEDGER_ROWS_INVALID"

    def __init__(self, errors: list[RowError]) -> None:
        first = str(errors[0]) if errors else ""
        more = f" 等 {len(errors)} 处错误" if len(errors) > 1 else ""
        super().__init__(f"台账有误，未导入任何数据: {first}{more}", field="file")
        self.errors = errors
