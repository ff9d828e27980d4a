"""Route-level code splitting keeps the phone pages light: the JavaScript a phone loads for
its pages (entry + page chunks + their static imports) stays under 300 KB gzip (issue 12)."""

from __future__ import annotations

import gzip
import json

from tests.web.conftest import ensure_web_build

PHONE_PAGES = [
    "src/pages/mobile/MobileLayout.vue",
    "src/pages/mobile/MyUnitItems.vue",
    "src/pages/mobile/MobileItem.vue",
    "src/pages/mobile/MobileNotices.vue",
    "src/pages/mobile/MobileInbox.vue",
]
LIMIT = 300 * 1024


def test_phone_pages_javascript_under_300kb_gzip() -> None:
    dist = ensure_web_build()
    manifest = json.loads((dist / ".vite" / "manifest.json").read_text())
    entry = next(k for k, v in manifest.items() if v.get("isEntry"))
    seen: set[str] = set()

    def walk(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        for dep in manifest[key].get("imports", []):
            walk(dep)

    for key in [entry, *PHONE_PAGES]:
        walk(key)
    files = {manifest[k]["file"] for k in seen if manifest[k]["file"].endswith(".js")}
    size = sum(len(gzip.compress((dist / f).read_bytes(), 9)) for f in files)
    loaded = " ".join(sorted(files))
    assert not any("BigScreen" in f or "ItemCreate" in f for f in files), loaded
    print(f"phone pages: {len(files)} JS files, {size / 1024:.1f} KB gzip")
    assert size <= LIMIT, f"{size / 1024:.1f} KB gzip > 300 KB: {loaded}"
