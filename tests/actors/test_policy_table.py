"""The role × action table, every cell written out: a change to who may do what shows here."""

from __future__ import annotations

import pytest

from actors.policy import (
    Action,
    Role,
    may,
    may_invite,
    may_join,
    may_post_in,
    needs_second_factor,
)
from actors.role_tags import role_tag

Y, N = True, False
COLUMNS = (
    Role.ADMIN,
    Role.CLINICIAN,
    Role.PATIENT,
    Role.CARER,
    Role.PROFESSIONAL,
    Role.VOLUNTEER,
    Role.ANALYST,
)

#                                   admin clinician patient carer professional volunteer analyst
EXPECTED: dict[Action, tuple[bool, ...]] = {
    Action.POST: (Y, Y, Y, Y, Y, Y, N),
    Action.READ_SUBNET: (Y, Y, Y, Y, Y, Y, N),
    Action.MODERATE: (N, Y, N, N, N, N, N),
    Action.INVITE: (Y, Y, N, N, N, N, N),
    Action.INVITE_INTO_PARTNER_SUBNET: (Y, Y, N, N, N, N, N),
    Action.REVOKE_INVITATION: (Y, Y, N, N, N, N, N),
    Action.ADD_MEMBER: (Y, Y, N, N, N, N, N),
    Action.MANAGE_SUBNETS: (Y, N, N, N, N, N, N),
    Action.MANAGE_PEERS: (Y, N, N, N, N, N, N),
    Action.MANAGE_USERS: (Y, N, N, N, N, N, N),
    Action.READ_PERSONAL_DETAILS: (Y, Y, N, N, N, N, N),
    Action.RECORD_PERSONAL_DETAILS: (N, Y, N, N, N, N, N),
    Action.ISSUE_PASSWORD_RESET: (Y, Y, N, N, N, N, N),
    Action.EDIT_OWN_PROFILE: (Y, Y, Y, Y, Y, Y, Y),
    Action.DOWNLOAD_OWN_DATA: (Y, Y, Y, Y, Y, Y, Y),
    Action.ERASE_OWN_ACCOUNT: (N, N, Y, Y, Y, Y, N),
    Action.GO_ON_DUTY: (Y, Y, N, N, N, N, N),
    Action.READ_ALERTS: (N, Y, N, N, N, N, N),
    Action.READ_ESCALATED_ALERTS: (Y, Y, N, N, N, N, N),
    Action.HANDLE_ALERTS: (N, Y, N, N, N, N, N),
    Action.RELEASE_SCREENED_POST: (N, Y, N, N, N, N, N),
    Action.READ_PAGING_RECORD: (Y, N, N, N, N, N, N),
    Action.READ_EVIDENCE: (Y, N, N, N, N, N, Y),
    Action.CONFIGURE_SURVEY: (Y, N, N, N, N, N, N),
    Action.ANSWER_SURVEY: (N, N, Y, Y, Y, Y, N),
    Action.EXPORT_AUDIT: (Y, N, N, N, N, N, N),
    Action.READ_RESPONSE_TIMES: (Y, Y, N, N, N, N, N),
    Action.MUTE: (Y, Y, Y, Y, Y, Y, N),
    Action.TAKE_BREAK: (Y, Y, Y, Y, Y, Y, N),
    Action.REPORT_POST: (Y, Y, Y, Y, Y, Y, N),
    Action.HIDE_POST: (Y, Y, N, N, N, N, N),
    Action.REMOVE_POST: (Y, Y, N, N, N, N, N),
    Action.DECIDE_HELD_POST: (Y, Y, N, N, N, N, N),
    Action.WARN_MEMBER: (Y, Y, N, N, N, N, N),
    Action.SUSPEND_MEMBER: (Y, Y, N, N, N, N, N),
    Action.LIFT_SUSPENSION: (Y, Y, N, N, N, N, N),
    Action.READ_MODERATION_QUEUE: (Y, Y, N, N, N, N, N),
    Action.RELEASE_POSTING_HOLD: (N, Y, N, N, N, N, N),
    Action.EDIT_HOUSE_RULES: (Y, Y, N, N, N, N, N),
    Action.KEEP_JOURNAL: (N, N, Y, Y, Y, Y, N),
    Action.READ_SHARED_JOURNAL: (N, Y, N, N, N, N, N),
    Action.MESSAGE_CARE_TEAM: (N, Y, Y, Y, N, N, N),
    Action.MANAGE_CARE_TEAM: (N, Y, N, N, N, N, N),
    Action.MESSAGE_PEERS: (N, N, Y, Y, N, N, N),
    Action.SET_REPLY_TIME: (Y, N, N, N, N, N, N),
}

#                     invitee: admin clinician patient carer professional volunteer analyst
INVITES: dict[Role, tuple[bool, ...]] = {
    Role.ADMIN: (Y, Y, Y, Y, Y, Y, N),
    Role.CLINICIAN: (N, N, Y, Y, Y, Y, N),
    Role.PATIENT: (N, N, N, N, N, N, N),
    Role.CARER: (N, N, N, N, N, N, N),
    Role.PROFESSIONAL: (N, N, N, N, N, N, N),
    Role.VOLUNTEER: (N, N, N, N, N, N, N),
    Role.ANALYST: (N, N, N, N, N, N, N),
}


def test_the_table_names_every_action_and_role() -> None:
    assert set(EXPECTED) == set(Action)
    assert set(COLUMNS) == set(Role) == set(INVITES)


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


def test_only_staff_and_analysts_need_a_second_factor() -> None:
    assert [needs_second_factor(role) for role in COLUMNS] == [Y, Y, N, N, N, N, Y]


def test_staff_only_subnets_take_posts_from_staff_alone() -> None:
    assert [may_post_in(role, "staff") for role in COLUMNS] == [Y, Y, N, N, N, N, N]
    assert [may_post_in(role, "all") for role in COLUMNS] == [Y, Y, Y, Y, Y, Y, N]


def test_learning_spaces_take_professionals_and_staff_alone() -> None:
    assert [may_join(role, "learning") for role in COLUMNS] == [Y, Y, N, N, Y, N, N]
    assert [may_join(role, "support") for role in COLUMNS] == [Y, Y, Y, Y, Y, Y, N]


def test_staff_and_volunteers_alone_carry_a_role_tag() -> None:
    assert [role_tag(role) for role in COLUMNS] == [
        "Staff",
        "Clinician",
        None,
        None,
        None,
        "Volunteer",
        None,
    ]


def test_an_unknown_role_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError):
        may("superuser", Action.POST)
