"""The password rule: long enough, not a common password, not the person's own names.

The common list (`common_passwords.txt`, 10,000 entries from zxcvbn's leak-derived list) is
checked as typed and with leading/trailing digits and punctuation removed, because "dragon2024!"
falls to the same guess list as "dragon". Length beats composition rules (NCSC, NIST 800-63B),
so there are no "one capital, one symbol" demands.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from actors.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 200
_LIST = Path(__file__).with_name("common_passwords.txt")
_EDGES = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, read once (it is package data, not state)."""
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def check_password(password: str, *, not_containing: Iterable[str] = ()) -> None:
    """Raise `Invalid` saying what to change; `not_containing` are the person's own names."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"Your password must be at least {MIN_LENGTH} characters long.", "password")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"Your password must be at most {MAX_LENGTH} characters long.", "password")
    lowered = password.lower()
    core = lowered.strip(_EDGES)
    common = common_passwords()
    if lowered in common or core in common or not core or len(set(lowered)) < 4:
        raise Invalid(
            "That password is too easy to guess: it is one of the most common passwords. "
            "Try three or four unrelated words.",
            "password",
        )
    for name in not_containing:
        name = name.strip().lower()
        if len(name) >= 3 and name in lowered:
            raise Invalid("Your password must not contain your username or pseudonym.", "password")
