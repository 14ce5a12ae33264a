"""Who may do what: the one place where roles meet actions.

Pure functions over plain values, so the whole table can be tested as a table.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"
    PATIENT = "patient"
    CARER = "carer"
    PROFESSIONAL = "professional"


class Action(StrEnum):
    POST = "post"
    READ_SUBNET = "read_subnet"
    MODERATE = "moderate"
    INVITE = "invite"
    ADD_MEMBER = "add_member"
    MANAGE_SUBNETS = "manage_subnets"
    MANAGE_PEERS = "manage_peers"
    MANAGE_USERS = "manage_users"
    READ_PERSONAL_DETAILS = "read_personal_details"


STAFF = frozenset({Role.ADMIN, Role.CLINICIAN})

_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.POST: frozenset(Role),
    Action.READ_SUBNET: frozenset(Role),
    Action.MODERATE: frozenset({Role.CLINICIAN}),
    Action.INVITE: frozenset({Role.CLINICIAN, Role.ADMIN}),
    Action.ADD_MEMBER: frozenset({Role.CLINICIAN, Role.ADMIN}),
    Action.MANAGE_SUBNETS: frozenset({Role.ADMIN}),
    Action.MANAGE_PEERS: frozenset({Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.READ_PERSONAL_DETAILS: frozenset({Role.CLINICIAN, Role.ADMIN}),
}


def parse_role(value: str) -> Role:
    """The role named `value`, or ValueError listing the valid ones."""
    try:
        return Role(value)
    except ValueError:
        valid = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {value!r}; choose one of: {valid}") from None


def may(role: Role | str, action: Action) -> bool:
    """Whether a person with `role` may do `action` at all (membership is checked separately)."""
    return Role(role) in _ALLOWED[action]


def may_post_in(role: Role | str, posting_policy: str) -> bool:
    """Information subnets ("staff") take posts from staff only."""
    if not may(role, Action.POST):
        return False
    return posting_policy == "all" or Role(role) in STAFF
