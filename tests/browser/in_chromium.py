"""Shared by the browser tests: Debian's Chromium under Playwright, and the one axe-core check
(its default rules, no tag filter, zero violations) that also saves a screenshot of the page to
test-artifacts/.

In CI (``CI=true``) a browser test whose Chromium cannot be found or started fails: a run that
skipped every browser test must not pass as green. Locally such tests skip, saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import NoReturn

import pytest
from axe_playwright_python.async_playwright import Axe
from conftest import PASSWORD, totp_codes
from playwright.async_api import Browser, Page, async_playwright, expect
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = Path(os.environ.get("SHARON_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
ARTEFACTS = ROOT / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
CLOSE_WITHIN = 15


LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this is a CI run (CI set to anything but an explicit no)."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str, environ: Mapping[str, str] = os.environ) -> NoReturn:
    """A browser test cannot run: fail in CI, skip (saying why) elsewhere."""
    if in_ci(environ):
        pytest.fail(f"CI=true and {reason}: .ci/run installs it with apt-get install -y chromium")
    pytest.skip(f"{reason} (apt-get install -y chromium; CI=true makes this a failure)")


def chromium_path(candidate: Path = CHROMIUM, environ: Mapping[str, str] = os.environ) -> Path:
    """The Chromium to drive: Debian's, else one on PATH; `unavailable` if there is none."""
    if candidate.is_file():
        return candidate
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return Path(found)
    unavailable(f"Chromium was not found at {candidate} nor on PATH", environ)


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_path()
    playwright = await async_playwright().start()
    try:
        try:
            browser = await playwright.chromium.launch(
                executable_path=str(executable), args=LAUNCH_ARGS
            )
        except PlaywrightError as error:
            unavailable(f"Chromium at {executable} could not be started ({error.message[:200]})")
        yield browser
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(browser.close(), CLOSE_WITHIN)
    finally:
        # Chromium has been seen not to exit now and then; a stuck close must not stall the run.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(playwright.stop(), CLOSE_WITHIN)


async def check_page(page: Page, axe: Axe, name: str) -> None:
    """Screenshot the page as `name`.png, then require zero violations of axe-core's *default*
    rules: best practices such as `region` included, not only WCAG's tags, and none disabled.
    This is the only place the browser tests run axe."""
    ARTEFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTEFACTS / f"{name}.png", full_page=True)
    results = await axe.run(page)
    violations = results.response["violations"]
    assert violations == [], (
        name,
        [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations],
    )


async def sign_in(page: Page, base: str, username: str, *, second_factor: bool = False) -> None:
    """Sign in with the test password through the form; staff also give an authenticator code
    (they are enrolled with `TOTP_SECRET`): whichever of `totp_codes` the node still takes,
    as one person may sign in several times within 30 s."""
    await page.goto(f"{base}/sign-in")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    if second_factor:
        async for code in totp_codes():
            await page.get_by_label("Security code").fill(code)
            await page.get_by_role("button", name="Continue").click()
            if not await page.get_by_label("Security code").count():
                break
    await expect(page.get_by_role("heading", name="My subnets")).to_be_visible()


async def check_both_widths(page: Page, axe: Axe, name: str, url: str | None = None) -> None:
    """Open `url` if given; then at 360 px and at 1280 px: no sideways scrolling, and
    `check_page` (screenshots `name`-phone.png and `name`-desktop.png). The page is left at
    the width it had."""
    if url is not None:
        await page.goto(url)
    was = page.viewport_size
    for size, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        await page.set_viewport_size(size)
        with contextlib.suppress(PlaywrightTimeoutError):  # the header's script lays out its
            await page.wait_for_function(  # menu after a debounced resize: give it 5 s
                f"document.documentElement.scrollWidth <= {size['width']}", timeout=5000
            )
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= size["width"], (name, suffix, f"{wide} px wide", await _too_wide(page))
        await check_page(page, axe, f"{name}-{suffix}")
    if was is not None:
        await page.set_viewport_size(was)


async def _too_wide(page: Page) -> list[str]:
    """What sticks out past the right edge (for the failure message)."""
    return await page.evaluate(
        """() => [...document.querySelectorAll("body *")]
          .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
          .slice(0, 8)
          .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
    )
