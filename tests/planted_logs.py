"""Every log line the whole suite writes is scanned for what its tests planted (issue 15).

`tests/test_logs.py` drives one federation with personal details planted on purpose. This
plugin widens that to every test: the suite logs as `sharon serve` does (JSON lines at INFO,
database drivers quiet), the test helpers `plant` what a person types (post and message text,
passwords, tokens, pseudonyms), and after each test the lines written during it are searched
for each planted value. A hit fails that test at teardown and names the field, never the value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from node import logs

MINIMUM = 8  # shorter values ("on", "remove", a slug) are words any log line may hold

_planted: dict[str, str] = {}


def plant(field: str, value: str) -> None:
    """Record `value` (what a person typed into `field`) as something no log line may hold."""
    if len(value) >= MINIMUM and not value.startswith(("http://", "https://")):
        _planted.setdefault(value, field)


def plant_form(fields: list[tuple[str, str]]) -> None:
    """Plant a submitted form's free text and secrets: values with a space in them, and every
    password, code and token (identifiers such as actions and URIs are not personal)."""
    for field, value in fields:
        if " " in value.strip() or any(
            secret in field for secret in ("password", "token", "secret", "code")
        ):
            plant(field, value)


def forget() -> None:
    """Drop what was planted (a test that planted on purpose, to prove the scan)."""
    _planted.clear()


class _Lines(logging.Handler):
    """Keeps each record as the JSON line `sharon serve` would write."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logs.json_formatter())
        self.addFilter(logs.RequestContext())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="session")
def _suite_log() -> Iterator[_Lines]:
    root = logging.getLogger()
    handler, level = _Lines(), root.level
    drivers = {name: logging.getLogger(name).level for name in logs.DRIVER_LOGGERS}
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logs.quiet_drivers()
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
    for name, old in drivers.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture(autouse=True)
def no_planted_detail_in_logs(_suite_log: _Lines) -> Iterator[None]:
    """Fails the test whose log lines hold anything it planted."""
    forget()
    start = len(_suite_log.lines)
    yield
    written = "\n".join(_suite_log.lines[start:])
    del _suite_log.lines[start:]
    leaks = leaked(written)
    assert not leaks, (
        f"log lines hold what was typed into: {', '.join(sorted(set(leaks.values())))}; "
        f"written by: {', '.join(_writers(written, leaks))}"
    )


def leaked(written: str) -> dict[str, str]:
    """Each planted value found in `written` (log lines), with the field it was typed into."""
    return {value: field for value, field in _planted.items() if value in written}


def _writers(written: str, leaks: dict[str, str]) -> list[str]:
    """The loggers of the lines that hold a planted value (their names, never the lines)."""
    names = set()
    for line in written.splitlines():
        if any(value in line for value in leaks):
            names.add(json.loads(line).get("logger", "?"))
    return sorted(names)
