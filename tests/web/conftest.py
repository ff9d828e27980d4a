"""Browser tests: the real stack (three services + gateway serving web/dist) and Debian's
chromium driven by Python Playwright. Screenshots land in <data_dir>/screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from services.core.settings import Settings
from services.stack import ROOT, Stack
from tests.support.servers import running_platform

WEB = ROOT / "web"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"


def _newest_mtime(paths: list[Path]) -> float:
    return max(p.stat().st_mtime for root in paths for p in root.rglob("*") if p.is_file())


def ensure_web_build() -> Path:
    """web/dist up to date with web/src (what `make web` does), built here when stale."""
    dist = WEB / "dist" / "index.html"
    if not (WEB / "node_modules" / ".bin" / "vite").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEB, check=True
        )
    if not dist.exists() or dist.stat().st_mtime < _newest_mtime([WEB / "src"]):
        subprocess.run(["npx", "vite", "build", "--logLevel", "warn"], cwd=WEB, check=True)
    return dist.parent


@pytest.fixture(scope="module")
def web_stack(settings: Settings) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium fonts-noto-cjk (see .ci/run)")
    dist = ensure_web_build()
    with running_platform(settings, OUTBOX_POLL_SECONDS="0.2", WEB_DIST=str(dist)) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture(scope="module")
def shots(settings: Settings) -> Path:
    """Screenshot folder (a test artefact); WEB_SCREENSHOTS_TO_DOCS=1 also refreshes docs/."""
    d = settings.data_dir / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d


async def screenshot(page: Page, shots: Path, name: str) -> Path:
    path = shots / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    if os.environ.get("WEB_SCREENSHOTS_TO_DOCS") == "1":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, docs / path.name)
    return path


async def serious_axe_violations(page: Page) -> list[dict[str, object]]:
    """axe-core (npm package, injected) on the page: violations of impact serious/critical."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
