"""The role tag some people's posts carry on every node ("Clinician", "Staff", "Volunteer"): the
only thing about a person's role that leaves home, in their persona's actor document and a
post's author.

Readers deserve to know who speaks for the service (staff) and who is a trained volunteer
rather than a peer or a professional, so a volunteer's tag travels to partners as staff tags do.
Patients, carers and professionals carry none.
"""

from __future__ import annotations

from actors.policy import Role

TAGS = {Role.CLINICIAN: "Clinician", Role.ADMIN: "Staff", Role.VOLUNTEER: "Volunteer"}
KNOWN = frozenset(TAGS.values())


def role_tag(role: str) -> str | None:
    """The tag for a person of `role`, or None for members (patients, carers, professionals)."""
    return TAGS.get(Role(role)) if role in set(Role) else None


def heard_tag(value: object) -> str | None:
    """A tag as a partner sent it: one we know, else none (never a peer's free text)."""
    return value if isinstance(value, str) and value in KNOWN else None
