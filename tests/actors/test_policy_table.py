"""The role × action table, every cell written out: a change to who may do what shows here."""

from __future__ import annotations

import pytest

from actors.policy import Action, Role, may, may_invite, may_post_in, needs_second_factor

Y, N = True, False
COLUMNS = (Role.ADMIN, Role.CLINICIAN, Role.PATIENT, Role.CARER, Role.PROFESSIONAL)

#                                      admin clinician patient carer professional
EXPECTED: dict[Action, tuple[bool, ...]] = {
    Action.POST: (Y, Y, Y, Y, Y),
    Action.READ_SUBNET: (Y, Y, Y, Y, Y),
    Action.MODERATE: (N, Y, N, N, N),
    Action.INVITE: (Y, Y, N, N, N),
    Action.REVOKE_INVITATION: (Y, Y, N, N, N),
    Action.ADD_MEMBER: (Y, Y, N, N, N),
    Action.MANAGE_SUBNETS: (Y, N, N, N, N),
    Action.MANAGE_PEERS: (Y, N, N, N, N),
    Action.MANAGE_USERS: (Y, N, N, N, N),
    Action.READ_PERSONAL_DETAILS: (Y, Y, N, N, N),
    Action.RECORD_PERSONAL_DETAILS: (N, Y, N, N, N),
    Action.ISSUE_PASSWORD_RESET: (Y, Y, N, N, N),
    Action.EDIT_OWN_PROFILE: (Y, Y, Y, Y, Y),
    Action.DOWNLOAD_OWN_DATA: (Y, Y, Y, Y, Y),
    Action.ERASE_OWN_ACCOUNT: (N, N, Y, Y, Y),
}

#                        invitee: admin clinician patient carer professional
INVITES: dict[Role, tuple[bool, ...]] = {
    Role.ADMIN: (Y, Y, Y, Y, Y),
    Role.CLINICIAN: (N, N, Y, Y, Y),
    Role.PATIENT: (N, N, N, N, N),
    Role.CARER: (N, N, N, N, N),
    Role.PROFESSIONAL: (N, N, N, N, N),
}


def test_the_table_names_every_action() -> None:
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize(
    ("action", "role", "allowed"),
    [(action, role, row[i]) for action, row in EXPECTED.items() for i, role in enumerate(COLUMNS)],
    ids=lambda value: str(value),
)
def test_role_may_do_action_exactly_as_the_table_says(
    action: Action, role: Role, allowed: bool
) -> None:
    assert may(role, action) is allowed
    assert may(role.value, action) is allowed


@pytest.mark.parametrize(
    ("inviter", "invitee", "allowed"),
    [
        (inviter, invitee, row[i])
        for inviter, row in INVITES.items()
        for i, invitee in enumerate(COLUMNS)
    ],
    ids=lambda value: str(value),
)
def test_who_may_invite_whom(inviter: Role, invitee: Role, allowed: bool) -> None:
    assert may_invite(inviter, invitee) is allowed


def test_only_staff_need_a_second_factor() -> None:
    assert [needs_second_factor(role) for role in COLUMNS] == [Y, Y, N, N, N]


def test_staff_only_subnets_take_posts_from_staff_alone() -> None:
    assert [may_post_in(role, "staff") for role in COLUMNS] == [Y, Y, N, N, N]
    assert [may_post_in(role, "all") for role in COLUMNS] == [Y, Y, Y, Y, Y]


def test_an_unknown_role_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError):
        may("superuser", Action.POST)
