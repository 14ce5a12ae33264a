"""Shared by the browser tests: Debian's Chromium under Playwright, and an axe-core check
(WCAG 2.2 AA, zero violations) that also saves a screenshot of the page to test-artifacts/."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_INSTALLED = CHROMIUM.exists()
ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
ARTEFACTS = ROOT / "test-artifacts"
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}
PHONE = {"width": 360, "height": 740}
CLOSE_WITHIN = 15


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM_INSTALLED:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs it with apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    playwright = await async_playwright().start()
    try:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(browser.close(), CLOSE_WITHIN)
    finally:
        # Chromium has been seen not to exit now and then; a stuck close must not stall the run.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(playwright.stop(), CLOSE_WITHIN)


async def check_page(page: Page, axe: Axe, name: str) -> None:
    """Screenshot the page as `name`.png, then require zero axe violations."""
    ARTEFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTEFACTS / f"{name}.png", full_page=True)
    results = await axe.run(page, options=WCAG)
    violations = results.response["violations"]
    assert violations == [], (name, [(v["id"], v["help"], len(v["nodes"])) for v in violations])
