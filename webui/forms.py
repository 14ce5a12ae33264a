"""Small helpers shared by the account and staff pages: form values, errors, labels."""

from __future__ import annotations

from typing import Any

from multidict import MultiDictProxy

from actors.errors import Invalid

ROLE_LABELS = {
    "admin": "Admin",
    "clinician": "Clinician",
    "patient": "Patient",
    "carer": "Carer",
    "professional": "Professional",
    "volunteer": "Volunteer",
}
ROLE_HINTS = {
    "patient": "Someone you support",
    "carer": "A relative or friend who cares for someone",
    "professional": "A teacher, social worker or police officer",
    "volunteer": "A charity's trained volunteer; shown with a Volunteer tag",
    "clinician": "Supports and moderates subnets; signs in with two-factor",
    "admin": "Runs this trust's node; signs in with two-factor",
}

ErrorSummary = list[dict[str, str]]
"""The entries of an NHS.UK error summary: `{"text": …, "href": "#field"}` (see `error`)."""


def text(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def error(message: str, field: str) -> dict[str, str]:
    """An entry for the NHS.UK error summary, linking to the field to fix."""
    return {"text": message, "href": f"#{field}"}


def every_error(problem: Invalid, default_field: str) -> ErrorSummary:
    """The error summary's entries for one refusal, or for each field an `Invalids` names."""
    problems = getattr(problem, "problems", [problem])
    return [error(str(one), one.field or default_field) for one in problems]
