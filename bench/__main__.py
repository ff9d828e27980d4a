"""`make bench`: run every bench/bench_*.py module, print and write results.

Each module has ``def main(results: dict) -> None`` that adds its figures under its
own key. Benchmarks use the embedded servers on free ports, never the machine's own.
Set BENCH_ONLY=name1,name2 to run a subset; BENCH_OUT to change the output file.
Modules with ``OPT_IN = True`` (long runs, e.g. the 10-minute webhook outage) run only
when BENCH_ONLY names them.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import bench


def main() -> int:
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    out = Path(os.environ.get("BENCH_OUT", "bench-results.json"))
    results: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    failed = []
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__)):
        if not module.startswith("bench_") or (only and module[6:] not in only):
            continue
        try:
            loaded = importlib.import_module(f"bench.{module}")
            if getattr(loaded, "OPT_IN", False) and module[6:] not in only:
                continue
            print(f"== {module}", flush=True)
            loaded.main(results)
        except Exception:
            traceback.print_exc()
            failed.append(module)
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    print(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    print(f"results written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
