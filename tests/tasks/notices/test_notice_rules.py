"""Supervision notice rules (pure): numbering and what may be issued to whom."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.core.errors import DomainError, InvalidTransition, ValidationFailed
from services.tasks.notices.domain import (
    ItemFacts,
    Recipient,
    RecipientRole,
    default_content,
    format_notice_code,
    validate_issue,
)

LEAD, CO, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
HEAD, OWNER, LEADER, STRANGER, SUPERVISOR = (uuid.uuid4() for _ in range(5))
PEOPLE = {HEAD: LEAD, OWNER: LEAD, LEADER: None, STRANGER: OTHER, SUPERVISOR: CO}
TODAY = date(2018, 6, 10)


def facts(state: str = "IN_PROGRESS") -> ItemFacts:
    return ItemFacts(state, frozenset({LEAD, CO}), frozenset({OWNER}), LEADER)


def r(person: uuid.UUID, role: RecipientRole) -> Recipient:
    return Recipient(person, role)


def test_notice_codes() -> None:
    assert format_notice_code(2018, 1) == "督查通知〔2018〕第1号"
    assert format_notice_code(2017, 125) == "督查通知〔2017〕第125号"
    assert "2018年6月14日" in default_content("事项", date(2018, 6, 14))


@pytest.mark.parametrize(
    ("recipients", "deadline", "state"),
    [
        ([r(HEAD, RecipientRole.UNIT_HEAD)], TODAY, "ASSIGNED"),  # deadline today is fine
        ([r(SUPERVISOR, RecipientRole.UNIT_SUPERVISOR)], date(2018, 7, 1), "IN_PROGRESS"),
        (
            [r(OWNER, RecipientRole.OWNER), r(LEADER, RecipientRole.RESPONSIBLE_LEADER)],
            TODAY,
            "SUSPENDED",
        ),
        ([r(OWNER, RecipientRole.UNIT_HEAD)], TODAY, "COMPLETION_REQUESTED"),  # owner in lead unit
    ],
)
def test_valid_issues(recipients: list[Recipient], deadline: date, state: str) -> None:
    validate_issue(facts(state), recipients, PEOPLE, TODAY, deadline)


@pytest.mark.parametrize(
    ("recipients", "deadline", "state", "error"),
    [
        ([r(HEAD, RecipientRole.UNIT_HEAD)], date(2018, 6, 9), "IN_PROGRESS", ValidationFailed),
        ([], TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(HEAD, RecipientRole.UNIT_HEAD)] * 2, TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(STRANGER, RecipientRole.UNIT_HEAD)], TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(STRANGER, RecipientRole.UNIT_SUPERVISOR)], TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(HEAD, RecipientRole.OWNER)], TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(OWNER, RecipientRole.RESPONSIBLE_LEADER)], TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(LEADER, RecipientRole.UNIT_HEAD)], TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(uuid.uuid4(), RecipientRole.OWNER)], TODAY, "IN_PROGRESS", ValidationFailed),
        ([r(HEAD, RecipientRole.UNIT_HEAD)], TODAY, "COMPLETED", InvalidTransition),
        ([r(HEAD, RecipientRole.UNIT_HEAD)], TODAY, "CANCELLED", InvalidTransition),
        ([r(HEAD, RecipientRole.UNIT_HEAD)] * 51, TODAY, "IN_PROGRESS", ValidationFailed),
    ],
)
def test_invalid_issues(
    recipients: list[Recipient], deadline: date, state: str, error: type[DomainError]
) -> None:
    with pytest.raises(error):
        validate_issue(facts(state), recipients, PEOPLE, TODAY, deadline)
