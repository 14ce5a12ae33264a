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
    # A charity's trained volunteers: like professionals, members of the subnets named for them
    # alone, and their posts carry a "Volunteer" tag on every node (actors/role_tags.py).
    VOLUNTEER = "volunteer"
    # Reads the Evidence page (suppressed aggregates) and nothing else: commissioners' analysts.
    ANALYST = "analyst"


class Action(StrEnum):
    POST = "post"
    READ_SUBNET = "read_subnet"
    MODERATE = "moderate"
    INVITE = "invite"
    INVITE_INTO_PARTNER_SUBNET = "invite_into_partner_subnet"
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
    GO_ON_DUTY = "go_on_duty"
    READ_ALERTS = "read_alerts"
    READ_ESCALATED_ALERTS = "read_escalated_alerts"
    HANDLE_ALERTS = "handle_alerts"
    RELEASE_SCREENED_POST = "release_screened_post"
    READ_PAGING_RECORD = "read_paging_record"
    READ_EVIDENCE = "read_evidence"
    CONFIGURE_SURVEY = "configure_survey"
    ANSWER_SURVEY = "answer_survey"
    EXPORT_AUDIT = "export_audit"
    READ_RESPONSE_TIMES = "read_response_times"
    MUTE = "mute"
    TAKE_BREAK = "take_break"
    REPORT_POST = "report_post"
    HIDE_POST = "hide_post"
    REMOVE_POST = "remove_post"
    DECIDE_HELD_POST = "decide_held_post"
    WARN_MEMBER = "warn_member"
    SUSPEND_MEMBER = "suspend_member"
    LIFT_SUSPENSION = "lift_suspension"
    READ_MODERATION_QUEUE = "read_moderation_queue"
    RELEASE_POSTING_HOLD = "release_posting_hold"
    EDIT_HOUSE_RULES = "edit_house_rules"
    MESSAGE_CARE_TEAM = "message_care_team"
    MANAGE_CARE_TEAM = "manage_care_team"
    MESSAGE_PEERS = "message_peers"
    SET_REPLY_TIME = "set_reply_time"
    KEEP_JOURNAL = "keep_journal"
    READ_SHARED_JOURNAL = "read_shared_journal"


STAFF = frozenset({Role.ADMIN, Role.CLINICIAN})
EVERYONE = frozenset(Role)
# Everyone who takes part in subnets: an analyst reads figures, never people or posts.
MEMBERS = EVERYONE - {Role.ANALYST}
MEMBERS_NOT_STAFF = frozenset({Role.PATIENT, Role.CARER, Role.PROFESSIONAL, Role.VOLUNTEER})
# The people a trust cares for, who have a care team and message it (actors/messages.py).
CARED_FOR = frozenset({Role.PATIENT, Role.CARER})
# A learning space (a subnet of kind "learning") is shared with schools, social services and
# police: its members are professionals and staff, never the people the service supports.
LEARNING_SPACE_MEMBERS = STAFF | {Role.PROFESSIONAL}
SUBNET_KINDS = ("support", "learning")

_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.POST: MEMBERS,
    Action.READ_SUBNET: MEMBERS,
    Action.MODERATE: frozenset({Role.CLINICIAN}),
    Action.INVITE: STAFF,
    # A subnet hosted by a partner trust: staff here bring their own people into one they
    # belong to (an admin, into any this trust takes part in); the home's policy decides joins.
    Action.INVITE_INTO_PARTNER_SUBNET: STAFF,
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
    Action.ERASE_OWN_ACCOUNT: MEMBERS_NOT_STAFF,
    # Crisis alerts: clinicians watch and act on them (on duty, or all when nobody is); an
    # admin sees those that escalated (to find a clinician) and whether the pager was reached.
    Action.GO_ON_DUTY: STAFF,
    Action.READ_ALERTS: frozenset({Role.CLINICIAN}),
    Action.READ_ESCALATED_ALERTS: STAFF,
    Action.HANDLE_ALERTS: frozenset({Role.CLINICIAN}),
    Action.RELEASE_SCREENED_POST: frozenset({Role.CLINICIAN}),
    Action.READ_PAGING_RECORD: frozenset({Role.ADMIN}),
    # Evidence of benefit: suppressed aggregates only (actors/evidence.py), so a read-only
    # analyst may see them; the survey is for the people the service supports.
    Action.READ_EVIDENCE: frozenset({Role.ADMIN, Role.ANALYST}),
    Action.CONFIGURE_SURVEY: frozenset({Role.ADMIN}),
    Action.ANSWER_SURVEY: MEMBERS_NOT_STAFF,
    # The audit log is the trust's record of staff actions; its admins answer for it.
    Action.EXPORT_AUDIT: frozenset({Role.ADMIN}),
    Action.READ_RESPONSE_TIMES: STAFF,
    # Member controls shape only what the person themself sees.
    Action.MUTE: MEMBERS,
    Action.TAKE_BREAK: MEMBERS,
    # Moderation: anyone reports; staff moderate a subnet they moderate (its home's staff, or a
    # partner's clinician the home made a moderator); the author's home reviews a posting hold.
    Action.REPORT_POST: MEMBERS,
    Action.HIDE_POST: STAFF,
    Action.REMOVE_POST: STAFF,
    Action.DECIDE_HELD_POST: STAFF,
    Action.WARN_MEMBER: STAFF,
    Action.SUSPEND_MEMBER: STAFF,
    Action.LIFT_SUSPENSION: STAFF,
    Action.READ_MODERATION_QUEUE: STAFF,
    Action.RELEASE_POSTING_HOLD: frozenset({Role.CLINICIAN}),
    # Staff of a subnet's home write its house rules (the operation checks they belong to it).
    Action.EDIT_HOUSE_RULES: STAFF,
    # Private messages stay at home: a patient or carer and the clinicians of their care team;
    # clinicians put themselves and colleagues on care teams; patients and carers message each
    # other only where a subnet of theirs switches it on; an admin words the stated reply time.
    Action.MESSAGE_CARE_TEAM: CARED_FOR | {Role.CLINICIAN},
    Action.MANAGE_CARE_TEAM: frozenset({Role.CLINICIAN}),
    Action.MESSAGE_PEERS: CARED_FOR,
    Action.SET_REPLY_TIME: frozenset({Role.ADMIN}),
    # A journal is the person's own: kept by those the service supports; an entry they share
    # is read by their home trust's clinicians, who answer for their care.
    Action.KEEP_JOURNAL: MEMBERS_NOT_STAFF,
    Action.READ_SHARED_JOURNAL: frozenset({Role.CLINICIAN}),
}

# Whom each role may invite (and issue password resets for): clinicians bring in the people
# they support and the professionals and volunteers working with them; only an admin brings in
# staff. An analyst joins no subnet, so is added with `sharon user add`, never invited.
_INVITEES: dict[Role, frozenset[Role]] = {
    Role.ADMIN: MEMBERS,
    Role.CLINICIAN: frozenset({Role.PATIENT, Role.CARER, Role.PROFESSIONAL, Role.VOLUNTEER}),
    Role.PATIENT: frozenset(),
    Role.CARER: frozenset(),
    Role.PROFESSIONAL: frozenset(),
    Role.VOLUNTEER: frozenset(),
    Role.ANALYST: frozenset(),
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
    """Staff see personal details and moderate, and an analyst sees the trust's figures, so
    their sign-in needs TOTP as well."""
    return Role(role) in STAFF | {Role.ANALYST}


def may_post_in(role: Role | str, posting_policy: str) -> bool:
    """Information subnets ("staff") take posts from staff only."""
    if not may(role, Action.POST):
        return False
    return posting_policy == "all" or Role(role) in STAFF


def may_join(role: Role | str, subnet_kind: str) -> bool:
    """Whether a person of `role` may be a member of a subnet of `subnet_kind` at all: a
    learning space takes professionals and staff alone (wherever they are; a partner's node
    says which its person is when it joins, `federation/activities/membership.py`)."""
    if not may(role, Action.READ_SUBNET):
        return False
    return subnet_kind != "learning" or Role(role) in LEARNING_SPACE_MEMBERS


def refusal_to_join(subnet_kind: str) -> str:
    """What a person (or the staff adding them) is told when `may_join` says no."""
    if subnet_kind == "learning":
        return (
            "This subnet is a learning space: only professionals (schools, social services, "
            "police) and staff can be members, never patients or carers."
        )
    return "That person cannot be a member of a subnet."
