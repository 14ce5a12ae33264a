"""Make the README's phone screenshots: run the Chromium tests that walk through those pages
(each saves full-page PNGs to test-artifacts/ as it checks them with axe-core), then cut the top
of each 360-pixel-wide page into docs/, under 150 KB.

    .venv/bin/python scripts/screenshots.py            # run the tests, then cut
    .venv/bin/python scripts/screenshots.py --no-run   # cut what test-artifacts/ holds

The cutting is done by Chromium itself (the PNG shown in a page, a clipped screenshot taken),
so no image library is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs"
WIDTH = 360
MOST = 150_000
TESTS = [
    "tests/browser/test_report_to_removal_in_chromium.py",
    "tests/browser/test_notices_in_chromium.py",
    "tests/browser/test_evidence_in_chromium.py",
    "tests/browser/test_audit_and_controls_in_chromium.py",
]
# test-artifacts name -> (docs name, how many CSS pixels from the top to keep)
SHOTS = {
    "notices-phone": ("notices-phone", 900),
    "report-flow-01-report-phone": ("report-phone", 1100),
    "report-flow-02-queue-phone": ("queue-phone", 900),
    "report-flow-04-reporter-notice-phone": ("reporter-notice-phone", 900),
    "evidence-subnet-phone": ("evidence-phone", 1100),
    "controls-phone": ("controls-phone", 1100),
}


async def cut(shots: dict[str, tuple[str, int]]) -> None:
    executable = os.environ.get("SHARON_CHROMIUM", "/usr/bin/chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": WIDTH, "height": 600})
        for source, (target, keep) in shots.items():
            data = base64.b64encode((ARTEFACTS / f"{source}.png").read_bytes()).decode()
            await page.set_content(
                f'<body style="margin:0"><img id="shot" src="data:image/png;base64,{data}"></body>'
            )
            height = await page.evaluate(
                "document.getElementById('shot').decode()"
                ".then(() => document.getElementById('shot').naturalHeight)"
            )
            clip = {"x": 0, "y": 0, "width": WIDTH, "height": min(height, keep)}
            path = DOCS / f"{target}.png"
            await page.screenshot(path=path, clip=clip, full_page=True)
            size = path.stat().st_size
            print(f"{path.relative_to(ROOT)}: {size // 1024} KB")
            if size >= MOST:
                sys.exit(f"{path} is {size} bytes; keep fewer pixels of {source}")
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="use test-artifacts/ as it is")
    args = parser.parse_args()
    if not args.no_run:
        pytest = [str(ROOT / ".venv/bin/pytest"), "-q", "-p", "no:cacheprovider", *TESTS]
        subprocess.run(pytest, cwd=ROOT, check=True)  # noqa: S603 (our own fixed argv)
    asyncio.run(cut(SHOTS))


if __name__ == "__main__":
    main()
