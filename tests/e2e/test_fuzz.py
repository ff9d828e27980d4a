"""Schemathesis over every query and mutation of the supergraph, through the real gateway.

An office token (the widest role) sends a few hundred generated operations; none may come
back as a 5xx, with the code INTERNAL, or with a stack trace or SQL text in its body. The
budget is ``FUZZ_EXAMPLES`` cases per root field (default 4, about 330 cases).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.core.settings import Settings
from services.stack import Stack
from tests.e2e import schemathesis_hooks
from tests.support.servers import token

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
INTERNAL_CODES = {"INTERNAL", "INTERNAL_SERVER_ERROR", "DOWNSTREAM_SERVICE_ERROR"}
LEAKS = re.compile(
    r"Traceback|File \"/|asyncpg|psycopg|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b"
    r"|\bUPDATE \w+ SET\b|syntax error at or near|violates \w+ constraint|invalid byte sequence",
    re.S,
)


@dataclass
class Tally:
    cases: int = 0
    refused: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def record(self, label: str, query: str, status: int, text: str) -> None:
        self.cases += 1
        body: dict[str, Any] = {}
        try:
            body = requests.models.complexjson.loads(text)
        except ValueError:
            self.problems.append(f"{label}: HTTP {status}, not JSON: {text[:200]}")
            return
        errors = body.get("errors") or []
        if errors:
            self.refused += 1
        for error in errors:
            code = str((error.get("extensions") or {}).get("code", "NO_CODE"))
            self.codes[code] += 1
            if code in INTERNAL_CODES:
                self.problems.append(f"{label}: {code} {error.get('message')!r} for {query[:300]}")
        if status >= 500:
            self.problems.append(f"{label}: HTTP {status} for {query[:300]}")
        leak = LEAKS.search(text)
        if leak:
            self.problems.append(f"{label}: body shows {leak.group(0)!r}: {text[:300]}")


def fuzz(
    operation: Any, url: str, session: requests.Session, headers: dict[str, str], tally: Tally
) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        response = case.call(base_url=url, session=session, headers=headers, timeout=30)
        query = case.body if isinstance(case.body, str) else str(case.body)
        tally.record(operation.label, query, response.status_code, response.text)

    run()


def test_schemathesis_finds_no_internal_error(stack: Stack, settings: Settings) -> None:
    schemathesis_hooks.register()
    url = stack.gateway_url
    headers = {"Authorization": f"Bearer {token(settings)}"}
    schema = schemathesis.graphql.from_url(url, headers=headers)
    tally = Tally()
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 60, "every root query and mutation is fuzzed"

    for operation in operations:
        fuzz(operation, url, session, headers, tally)

    summary = (
        f"schemathesis: {tally.cases} cases over {len(operations)} operations, "
        f"{tally.refused} answered with errors, codes {dict(tally.codes.most_common())}"
    )
    print(summary)
    for problem in tally.problems:
        print("PROBLEM", problem.replace("\n", " ")[:400])
    assert tally.cases >= len(operations)
    assert not tally.problems, summary + "\n" + "\n".join(tally.problems[:40])
