"""Small helpers shared by the account and staff pages: form values, errors, labels."""

from __future__ import annotations

from typing import Any

from multidict import MultiDictProxy

ROLE_LABELS = {
    "admin": "Admin",
    "clinician": "Clinician",
    "patient": "Patient",
    "carer": "Carer",
    "professional": "Professional",
}
ROLE_HINTS = {
    "patient": "Someone you support",
    "carer": "A relative or friend who cares for someone",
    "professional": "A teacher, social worker, police officer or charity volunteer",
    "clinician": "Supports and moderates subnets; signs in with two-factor",
    "admin": "Runs this trust's node; signs in with two-factor",
}


def text(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def error(message: str, field: str) -> dict[str, str]:
    """An entry for the NHS.UK error summary, linking to the field to fix."""
    return {"text": message, "href": f"#{field}"}
