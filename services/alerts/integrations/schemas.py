"""Write the public data schemas: ``python -m services.alerts.integrations.schemas``.

One JSON Schema per public type and version under docs/integration/schemas/, generated
from the models in domain.py; tests/alerts/integrations checks the committed files
equal what this writes, so a change to a public shape is always a visible diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from services.alerts.integrations.domain import PUBLIC, json_schema

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "integration" / "schemas"


def rendered() -> dict[str, str]:
    return {
        p.schema_name: json.dumps(json_schema(p), ensure_ascii=False, indent=2, sort_keys=True)
        + "\n"
        for p in PUBLIC
    }


def main() -> None:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (SCHEMA_DIR / name).write_text(text)
    print(f"wrote {len(PUBLIC)} schemas to {SCHEMA_DIR}")


if __name__ == "__main__":
    main()
