"""CI cannot pass by skipping: with CI=true a browser test without a usable Chromium fails;
elsewhere it skips and says why. Run as a real pytest process, as CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from in_chromium import chromium_path, in_ci

ROOT = Path(__file__).resolve().parents[2]
BROWSER_TEST = (
    "tests/browser/test_cross_trust_in_chromium.py"
    "::test_post_written_in_chromium_is_readable_on_the_partner_trust"
)


def _run(tmp_path: Path, chromium: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["SHARON_CHROMIUM"] = str(chromium)
    env["PATH"] = str(tmp_path)  # no chromium on PATH either
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", BROWSER_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ci_true_fails_when_chromium_is_missing(tmp_path: Path) -> None:
    run = _run(tmp_path, tmp_path / "no-chromium", "true")
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 error" in run.stdout and "CI=true and Chromium was not found" in run.stdout


def test_ci_true_fails_when_chromium_cannot_start(tmp_path: Path) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    run = _run(tmp_path, broken, "true")
    assert run.returncode == 1, run.stdout[-2000:]
    assert "could not be started" in run.stdout


def test_a_local_run_skips_and_says_why(tmp_path: Path) -> None:
    run = _run(tmp_path, tmp_path / "no-chromium", None)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "1 skipped" in run.stdout and "Chromium was not found" in run.stdout


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("false", False), ("0", False)],
)
def test_what_counts_as_ci(value: str, expected: bool) -> None:
    assert in_ci({"CI": value}) is expected


def test_ci_fails_in_process_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        chromium_path(tmp_path / "none", {"CI": "true"})
    with pytest.raises(pytest.skip.Exception, match="not found"):
        chromium_path(tmp_path / "none", {})
