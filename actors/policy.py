"""Who may do what: the one place where roles meet actions.

Pure functions over plain values, so the whole table can be tested as a table
(`tests/actors/test_policy_table.py` writes every cell out). Membership of a particular subnet,
and whether a person is at this trust, are checked by the operations themselves.
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
    REVOKE_INVITATION = "revoke_invitation"
    ADD_MEMBER = "add_member"
    MANAGE_SUBNETS = "manage_subnets"
    MANAGE_PEERS = "manage_peers"
    MANAGE_USERS = "manage_users"
    READ_PERSONAL_DETAILS = "read_personal_details"
    RECORD_PERSONAL_DETAILS = "record_personal_details"
    ISSUE_PASSWORD_RESET = "issue_password_reset"  # noqa: S105 — an action name
    EDIT_OWN_PROFILE = "edit_own_profile"
    DOWNLOAD_OWN_DATA = "download_own_data"
    ERASE_OWN_ACCOUNT = "erase_own_account"


STAFF = frozenset({Role.ADMIN, Role.CLINICIAN})
EVERYONE = frozenset(Role)

_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.POST: EVERYONE,
    Action.READ_SUBNET: EVERYONE,
    Action.MODERATE: frozenset({Role.CLINICIAN}),
    Action.INVITE: STAFF,
    Action.REVOKE_INVITATION: STAFF,
    Action.ADD_MEMBER: STAFF,
    Action.MANAGE_SUBNETS: frozenset({Role.ADMIN}),
    Action.MANAGE_PEERS: frozenset({Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.READ_PERSONAL_DETAILS: STAFF,
    Action.RECORD_PERSONAL_DETAILS: frozenset({Role.CLINICIAN}),
    Action.ISSUE_PASSWORD_RESET: STAFF,
    Action.EDIT_OWN_PROFILE: EVERYONE,
    Action.DOWNLOAD_OWN_DATA: EVERYONE,
    # Staff accounts belong to the trust's clinical record keeping; an admin closes them.
    Action.ERASE_OWN_ACCOUNT: frozenset({Role.PATIENT, Role.CARER, Role.PROFESSIONAL}),
}

# Whom each role may invite (and issue password resets for): clinicians bring in the people
# they support and the professionals working with them; only an admin brings in staff.
_INVITEES: dict[Role, frozenset[Role]] = {
    Role.ADMIN: EVERYONE,
    Role.CLINICIAN: frozenset({Role.PATIENT, Role.CARER, Role.PROFESSIONAL}),
    Role.PATIENT: frozenset(),
    Role.CARER: frozenset(),
    Role.PROFESSIONAL: frozenset(),
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


def may_invite(role: Role | str, invitee: Role | str) -> bool:
    """Whether `role` may invite someone as `invitee` (or issue them a password reset)."""
    return may(role, Action.INVITE) and Role(invitee) in _INVITEES[Role(role)]


def needs_second_factor(role: Role | str) -> bool:
    """Staff see personal details and moderate, so their sign-in needs TOTP as well."""
    return Role(role) in STAFF


def may_post_in(role: Role | str, posting_policy: str) -> bool:
    """Information subnets ("staff") take posts from staff only."""
    if not may(role, Action.POST):
        return False
    return posting_policy == "all" or Role(role) in STAFF
