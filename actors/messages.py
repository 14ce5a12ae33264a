"""Private messages between a trust's patients and carers and its clinicians, which never leave
the trust's node.

A conversation is one of three kinds: `team` (a patient or carer and every clinician on their
care team: whoever is on the team when a message is read), `clinician` (a patient or carer and
one clinician) or `peer` (two patients or carers who are members of one subnet hosted here
whose `peer_messages` switch is on; off by default). No event is recorded about any of it, so
nothing about a message can reach `federation/`.

What a patient or carer writes is screened as a post is, before it is committed: anything
screening finds raises an alert for this trust's clinicians and sends the writer to crisis
support next. Messages to clinicians are delivered anyway (clinicians read them); a peer's
message screening finds urgent is held, seen only by its writer until a clinician releases it.
Clinicians' own messages are not screened: they answer crisis words, not raise them.

Reply-time figures: for each run of patient or carer messages a clinician has not yet
answered, the wait from the first of them to a clinician's next message, split in and out of
hours by `actors/response_times.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors import notices, personas, response_times, screened, subnets
from actors.errors import Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import CARED_FOR, Action, Role, may
from actors.role_tags import role_tag
from actors.screening import Screener
from actors.text import line_text, post_text
from storage import audit
from storage import messages as store
from storage import people as people_store
from storage import subnets as subnet_store
from storage.models import Conversation, Message, Person

MAX_MESSAGE_LENGTH = 5000
MAX_REPLY_TIME_LENGTH = 200
DEFAULT_REPLY_TIME = "We usually reply within 1 working day."
KINDS = ("team", "clinician", "peer")
TIMES_NAMES = {"team": "Messages to a care team", "clinician": "Messages to one clinician"}


def conversation_uri(ids: LocalIds, conversation_id: str) -> str:
    """How notices and the audit log name a conversation (a page here; never sent anywhere)."""
    return f"{ids.base}/messages/{conversation_id}"


def checked_content(content: str) -> str:
    content = post_text(content, "Your message")
    if not content:
        raise Invalid("Write your message before sending it.", "content")
    if len(content) > MAX_MESSAGE_LENGTH:
        raise Invalid(f"A message can be at most {MAX_MESSAGE_LENGTH} characters long.", "content")
    return content


def _cared_for(person: Person) -> bool:
    return person.role in CARED_FOR and not person.disabled


def _clinician(person: Person | None) -> bool:
    return person is not None and person.role == Role.CLINICIAN and not person.disabled


async def reply_time(s: AsyncSession) -> str:
    """The team's stated reply time, as patients and carers read it beside every message."""
    return await store.reply_time(s) or DEFAULT_REPLY_TIME


async def set_reply_time(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, text: str, now: datetime
) -> str:
    if not may(viewer.role, Action.SET_REPLY_TIME):
        raise NotPermitted("Only the trust's admins set the stated reply time.")
    text = line_text(text, "The reply time", "reply_time")
    if not text:
        raise Invalid("Write what people are told about when the team replies.", "reply_time")
    if len(text) > MAX_REPLY_TIME_LENGTH:
        raise Invalid(
            f"The reply time can be at most {MAX_REPLY_TIME_LENGTH} characters long.",
            "reply_time",
        )
    await store.set_reply_time(s, text, now)
    await audit.record(
        s, at=now, who=ids.person(viewer.id), action="messages.reply_time_set", target=""
    )
    return text


# Care teams


@dataclass(frozen=True)
class CareTeam:
    """A person's care team, as the staff person page shows it."""

    members: list[Person]
    others: list[Person]  # clinicians who could be added
    may_manage: bool
    viewer_on_team: bool


async def _person_cared_for(s: AsyncSession, person_id: str) -> Person:
    person = await people_store.person_by_id(s, person_id)
    if person is None or not _cared_for(person):
        raise NotFound("There is no such patient or carer.")
    return person


async def care_team(s: AsyncSession, *, viewer: Person, person_id: str) -> CareTeam:
    if not may(viewer.role, Action.READ_PERSONAL_DETAILS):
        raise NotPermitted("Care teams are for staff.")
    person = await people_store.person_by_id(s, person_id)
    if person is None or person.role not in CARED_FOR:
        return CareTeam([], [], False, False)
    members = await store.care_team(s, person_id)
    on = {member.id for member in members}
    clinicians = await people_store.people_with_roles(s, [Role.CLINICIAN.value])
    others = sorted(
        (c for c in clinicians if c.id not in on and not c.disabled),
        key=lambda c: c.pseudonym.lower(),
    )
    return CareTeam(members, others, may(viewer.role, Action.MANAGE_CARE_TEAM), viewer.id in on)


async def change_care_team(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person,
    person_id: str,
    clinician_id: str,
    add: bool,
    now: datetime,
) -> bool:
    """A clinician adds themself or a colleague to a patient's or carer's care team (or takes
    one off); audited. Returns whether anything changed."""
    if not may(viewer.role, Action.MANAGE_CARE_TEAM):
        raise NotPermitted("Only clinicians change care teams.")
    person = await _person_cared_for(s, person_id)
    clinician = await people_store.person_by_id(s, clinician_id)
    if add and not _clinician(clinician):
        raise Invalid("Choose a clinician of this trust.", "clinician")
    if add:
        changed = await store.add_to_care_team(s, person.id, clinician_id, viewer.id, now)
    else:
        changed = await store.remove_from_care_team(s, person.id, clinician_id)
    if changed:
        await audit.record(
            s,
            at=now,
            who=ids.person(viewer.id),
            action="care_team.added" if add else "care_team.removed",
            target=ids.person(person.id),
        )
    return changed


# Who may write to whom


@dataclass(frozen=True)
class Target:
    """Whom a new conversation is with, checked: its kind, the patient or carer it belongs to
    (`person_id`; for peers, who starts it), the other party and, for peers, the subnet."""

    kind: str
    person_id: str
    other_id: str | None
    subnet_uri: str
    title: str


async def _peer_subnets(s: AsyncSession, ids: LocalIds, person: Person) -> list[str]:
    """Subnets hosted here, with peer messages on, that `person` is an active member of."""
    found = []
    for subnet in await subnet_store.list_subnets(s):
        if not subnet.peer_messages:
            continue
        uri = ids.subnet(subnet.slug)
        if person.id in await notices.local_members(s, ids, uri):
            found.append(uri)
    return found


async def _may_message_peer(
    s: AsyncSession, ids: LocalIds, person: Person, other: Person | None, subnet_uri: str
) -> bool:
    if not may(person.role, Action.MESSAGE_PEERS) or other is None or not _cared_for(other):
        return False
    if other.id == person.id or subnet_uri not in await _peer_subnets(s, ids, person):
        return False
    return other.id in await notices.local_members(s, ids, subnet_uri)


async def target(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person,
    kind: str,
    with_id: str = "",
    subnet_uri: str = "",
) -> Target:
    """Check that `viewer` may start this conversation (NotPermitted says why not)."""
    other = await people_store.person_by_id(s, with_id) if with_id else None
    if kind == "team" and _cared_for(viewer) and may(viewer.role, Action.MESSAGE_CARE_TEAM):
        if not await store.care_team(s, viewer.id):
            raise NotPermitted(
                "Your care team has no one on it yet. Ask your clinician to add themselves."
            )
        return Target("team", viewer.id, None, "", "Your care team")
    if kind == "team" and _clinician(viewer) and other is not None:
        if not await store.on_care_team(s, other.id, viewer.id):
            raise NotPermitted("You are not on this person's care team.")
        return Target("team", other.id, None, "", f"{other.pseudonym} and their care team")
    if kind == "clinician" and _cared_for(viewer) and _clinician(other) and other is not None:
        if not await store.on_care_team(s, viewer.id, other.id):
            raise NotPermitted("You can message the clinicians of your own care team.")
        return Target("clinician", viewer.id, other.id, "", other.pseudonym)
    if kind == "clinician" and _clinician(viewer) and other is not None and _cared_for(other):
        return Target("clinician", other.id, viewer.id, "", other.pseudonym)
    if kind == "peer" and await _may_message_peer(s, ids, viewer, other, subnet_uri):
        assert other is not None
        name = (await personas.names_in(s, subnet_uri, [other]))[other.id]
        return Target("peer", viewer.id, other.id, subnet_uri, name)
    if kind == "peer":
        raise NotPermitted("Messages between members are not switched on here.")
    raise NotPermitted("You cannot send a message there.")


@dataclass(frozen=True)
class Option:
    """Someone a patient or carer may start a conversation with."""

    kind: str
    with_id: str
    subnet_uri: str
    label: str
    hint: str


async def options(s: AsyncSession, ids: LocalIds, *, viewer: Person) -> list[Option]:
    """Whom `viewer` may message: their care team (and each clinician on it) and, where a
    subnet of theirs switches it on, its other patients and carers. Clinicians start from a
    person's page instead."""
    if not _cared_for(viewer):
        return []
    found = []
    team = [c for c in await store.care_team(s, viewer.id) if _clinician(c)]
    if team:
        everyone = ", ".join(c.pseudonym for c in team)
        found.append(Option("team", "", "", "Your care team", f"Everyone on it: {everyone}"))
        found += [Option("clinician", c.id, "", c.pseudonym, "Clinician") for c in team]
    if may(viewer.role, Action.MESSAGE_PEERS):
        for subnet_uri in await _peer_subnets(s, ids, viewer):
            subnet_name = await _subnet_name(s, ids, subnet_uri)
            others = [
                p
                for p in await _people(s, await notices.local_members(s, ids, subnet_uri))
                if p.id != viewer.id and _cared_for(p)
            ]
            names = await personas.names_in(s, subnet_uri, others)
            found += [
                Option("peer", p.id, subnet_uri, names[p.id], f"A member of {subnet_name}")
                for p in others
            ]
    return found


async def _people(s: AsyncSession, person_ids: Iterable[str]) -> list[Person]:
    found = []
    for person_id in person_ids:
        person = await people_store.person_by_id(s, person_id)
        if person is not None:
            found.append(person)
    return found


async def _subnet_name(s: AsyncSession, ids: LocalIds, subnet_uri: str) -> str:
    slug = ids.subnet_slug(subnet_uri)
    subnet = await subnet_store.subnet_by_slug(s, slug) if slug else None
    return subnet.name if subnet is not None else "a subnet"


# Conversations


async def _participants(s: AsyncSession, conversation: Conversation) -> list[str]:
    """Who takes part now: the patient or carer, and the care team or the other party."""
    found = [conversation.person_id]
    if conversation.kind == "team":
        found += [c.id for c in await store.care_team(s, conversation.person_id)]
    elif conversation.other_id is not None:
        found.append(conversation.other_id)
    return found


async def _visible(s: AsyncSession, viewer: Person, conversation_id: str) -> Conversation:
    conversation = await store.conversation_by_id(s, conversation_id)
    if conversation is None or viewer.id not in await _participants(s, conversation):
        raise NotFound("There is no such conversation of yours.")
    return conversation


async def _may_reply(
    s: AsyncSession, ids: LocalIds, viewer: Person, conversation: Conversation
) -> str:
    """Why `viewer` may not write in the conversation now ("" when they may)."""
    other = (
        await people_store.person_by_id(s, conversation.other_id) if conversation.other_id else None
    )
    if not may(viewer.role, Action.MESSAGE_CARE_TEAM) and conversation.kind != "peer":
        return "Only patients, carers and clinicians write here."
    if conversation.kind == "team":
        team = [c for c in await store.care_team(s, conversation.person_id) if _clinician(c)]
        return "" if team else "Nobody is on this care team now."
    if conversation.kind == "clinician":
        if other is None or other.disabled:
            return "This clinician is no longer here. Write to your care team instead."
        return ""
    partner = (
        other
        if conversation.person_id == viewer.id
        else await people_store.person_by_id(s, conversation.person_id)
    )
    if not await _may_message_peer(s, ids, viewer, partner, conversation.subnet_uri):
        return "Messages between these members are no longer switched on."
    return ""


@dataclass(frozen=True)
class Sent:
    conversation_id: str
    message_id: str
    signpost: bool  # the writer is shown crisis support next


async def _deliver(
    s: AsyncSession,
    ids: LocalIds,
    *,
    conversation: Conversation,
    author: Person,
    content: str,
    now: datetime,
    screener: Screener,
) -> Sent:
    screening = screener.screen(content) if author.role in CARED_FOR else None
    held = (
        conversation.kind == "peer"
        and screening is not None
        and screened.holds(screening, hold_concern=False)
    )
    message = await store.add_message(
        s,
        Message(
            conversation_id=conversation.id,
            author_id=author.id,
            author_role=author.role,
            content=content,
            created_at=now,
            screening_level=screening.level if screening else "none",
            held=held,
        ),
    )
    conversation.last_message_at = now
    uri = conversation_uri(ids, conversation.id)
    if screening is not None:
        await screened.raise_message_alert(
            s,
            message=message,
            subnet_uri=conversation.subnet_uri,
            screening=screening,
            held=held,
            target=uri,
            now=now,
        )
    await store.mark_read(s, conversation.id, author.id, now)
    if not held:
        await _tell(s, conversation, author, now, uri)
    signpost = screening is not None and screened.signposts(screening.level, screening.categories)
    return Sent(conversation.id, message.id, signpost)


async def _tell(
    s: AsyncSession, conversation: Conversation, author: Person, now: datetime, uri: str
) -> None:
    """Each other party gets a notice (new messages in one conversation count on one)."""
    name = await _name_for_others(s, conversation, author)
    for person_id in await _participants(s, conversation):
        person = await people_store.person_by_id(s, person_id)
        if person is None or person.id == author.id or person.disabled:
            continue
        await notices.tell(
            s,
            person_id=person.id,
            kind=notices.NoticeKind.MESSAGE,
            subject_uri=uri,
            actor_name=name,
            now=now,
        )


async def _name_for_others(s: AsyncSession, conversation: Conversation, author: Person) -> str:
    if conversation.kind == "peer":
        return (await personas.names_in(s, conversation.subnet_uri, [author]))[author.id]
    return author.pseudonym


async def start(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person,
    kind: str,
    with_id: str = "",
    subnet_uri: str = "",
    content: str,
    now: datetime,
    screener: Screener,
) -> Sent:
    """Write the first message to someone (in the conversation already held with them, if
    there is one): the conversation and the message are written together or not at all."""
    content = checked_content(content)
    chosen = await target(s, ids, viewer=viewer, kind=kind, with_id=with_id, subnet_uri=subnet_uri)
    conversation = await store.find_conversation(
        s, kind=chosen.kind, person_id=chosen.person_id, other_id=chosen.other_id
    )
    if conversation is not None and chosen.kind == "peer":
        conversation.subnet_uri = chosen.subnet_uri  # where the two may write to each other now
    if conversation is None:
        conversation = await store.add_conversation(
            s,
            Conversation(
                kind=chosen.kind,
                person_id=chosen.person_id,
                other_id=chosen.other_id,
                subnet_uri=chosen.subnet_uri,
                created_at=now,
                last_message_at=now,
            ),
        )
    return await _send_in(s, ids, viewer, conversation, content, now, screener)


async def existing(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, kind: str, with_id: str, subnet_uri: str
) -> tuple[Target, str | None]:
    """The checked target of a new message, and the conversation already held with them."""
    chosen = await target(s, ids, viewer=viewer, kind=kind, with_id=with_id, subnet_uri=subnet_uri)
    found = await store.find_conversation(
        s, kind=chosen.kind, person_id=chosen.person_id, other_id=chosen.other_id
    )
    return chosen, found.id if found else None


async def send(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person,
    conversation_id: str,
    content: str,
    now: datetime,
    screener: Screener,
) -> Sent:
    """Reply in a conversation `viewer` takes part in."""
    content = checked_content(content)
    conversation = await _visible(s, viewer, conversation_id)
    return await _send_in(s, ids, viewer, conversation, content, now, screener)


async def _send_in(
    s: AsyncSession,
    ids: LocalIds,
    viewer: Person,
    conversation: Conversation,
    content: str,
    now: datetime,
    screener: Screener,
) -> Sent:
    why_not = await _may_reply(s, ids, viewer, conversation)
    if why_not:
        raise NotPermitted(why_not)
    return await _deliver(
        s,
        ids,
        conversation=conversation,
        author=viewer,
        content=content,
        now=now,
        screener=screener,
    )


@dataclass(frozen=True)
class MessageView:
    id: str
    author_name: str
    role_tag: str | None
    mine: bool
    content: str
    created_at: datetime
    held: bool  # seen by its writer only, until a clinician releases it
    unread: bool


@dataclass(frozen=True)
class ConversationView:
    id: str
    kind: str
    title: str
    messages: list[MessageView]
    why_not: str  # why the viewer may not reply ("" when they may)
    about_id: str | None  # for staff: the patient or carer, whose record they may open
    team: list[str]  # the clinicians a team conversation reaches


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    kind: str
    title: str
    last_message_at: datetime
    unread: int


async def _title(
    s: AsyncSession, viewer: Person, conversation: Conversation
) -> tuple[str, str | None]:
    """The conversation's name for `viewer`, and its patient or carer for a clinician."""
    person = await people_store.person_by_id(s, conversation.person_id)
    other = (
        await people_store.person_by_id(s, conversation.other_id) if conversation.other_id else None
    )
    if conversation.kind == "peer":
        partner = other if conversation.person_id == viewer.id else person
        if partner is None:
            return "A member who has left", None
        return (await personas.names_in(s, conversation.subnet_uri, [partner]))[partner.id], None
    if viewer.id == conversation.person_id:
        if conversation.kind == "team":
            return "Your care team", None
        return (other.pseudonym if other else "A clinician who has left"), None
    name = person.pseudonym if person else "Someone"
    about = person.id if person else None
    if conversation.kind == "team":
        return f"{name} and their care team", about
    return name, about


def _sees_held(viewer: Person) -> bool:
    return may(viewer.role, Action.READ_ALERTS)


async def _unread(s: AsyncSession, viewer: Person) -> tuple[list[Conversation], dict[str, int]]:
    """The viewer's conversations, latest first, and how many messages in each they have not
    read."""
    rows = await store.conversations_for(
        s, person_id=viewer.id, team_of=await store.cared_for_by(s, viewer.id)
    )
    rows = [row for row in rows if viewer.id in await _participants(s, row)]
    unread = await store.unread_counts(
        s, viewer.id, [row.id for row in rows], see_held=_sees_held(viewer)
    )
    return rows, unread


async def inbox(s: AsyncSession, *, viewer: Person) -> list[ConversationSummary]:
    """The viewer's conversations, latest first, with how many messages they have not read."""
    rows, unread = await _unread(s, viewer)
    return [
        ConversationSummary(
            row.id,
            row.kind,
            (await _title(s, viewer, row))[0],
            row.last_message_at,
            unread.get(row.id, 0),
        )
        for row in rows
    ]


async def unread_total(s: AsyncSession, *, viewer: Person) -> int:
    """Unread messages in all the viewer's conversations: shown in every page's header."""
    if not (may(viewer.role, Action.MESSAGE_CARE_TEAM) or may(viewer.role, Action.MESSAGE_PEERS)):
        return 0
    return sum((await _unread(s, viewer))[1].values())


async def conversation(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, conversation_id: str, now: datetime
) -> ConversationView:
    """A conversation as `viewer` reads it, oldest first; opening it marks it read (and its
    notices). A message screening holds shows to its writer only."""
    row = await _visible(s, viewer, conversation_id)
    last_read = await store.read_at(s, row.id, viewer.id)
    authors: dict[str, Person | None] = {}
    views = []
    for message in await store.messages_in(s, row.id):
        if message.held and message.author_id != viewer.id:
            continue
        if message.author_id and message.author_id not in authors:
            authors[message.author_id] = await people_store.person_by_id(s, message.author_id)
        author = authors.get(message.author_id or "")
        views.append(
            MessageView(
                id=message.id,
                author_name=await _author_name(s, row, author, message),
                role_tag=role_tag(message.author_role),
                mine=message.author_id == viewer.id,
                content=message.content,
                created_at=message.created_at,
                held=message.held,
                unread=message.author_id != viewer.id
                and (last_read is None or message.created_at > last_read),
            )
        )
    await store.mark_read(s, row.id, viewer.id, now)
    await notices.mark_read_about(
        s, person_id=viewer.id, subject_uri=conversation_uri(ids, row.id), now=now
    )
    title, about = await _title(s, viewer, row)
    team = (
        [c.pseudonym for c in await store.care_team(s, row.person_id)] if row.kind == "team" else []
    )
    return ConversationView(
        row.id, row.kind, title, views, await _may_reply(s, ids, viewer, row), about, team
    )


async def _author_name(
    s: AsyncSession, row: Conversation, author: Person | None, message: Message
) -> str:
    if author is None:
        return "A member of staff who has left" if role_tag(message.author_role) else "Someone"
    if row.kind == "peer":
        return (await personas.names_in(s, row.subnet_uri, [author]))[author.id]
    return author.pseudonym


# After screening


@dataclass(frozen=True)
class Flagged:
    """What the writer's next page says about a message of theirs screening flagged."""

    conversation_id: str
    held: bool
    kind: str
    audience: str  # "under_18" when the writer is in a subnet for under-18s (Childline too)


async def flagged(s: AsyncSession, ids: LocalIds, *, viewer: Person, message_id: str) -> Flagged:
    """Only the writer learns how their own flagged message is being looked after."""
    message = await store.message_by_id(s, message_id)
    if message is None or message.author_id != viewer.id:
        raise NotFound("There is no such message of yours.")
    row = await store.conversation_by_id(s, message.conversation_id)
    mine = await subnets.subnets_of(s, ids, viewer, "")
    young = any(item.audience == "under_18" for item in mine)
    return Flagged(
        message.conversation_id,
        message.held,
        row.kind if row else "team",
        "under_18" if young else "adults",
    )


async def release_held(
    s: AsyncSession, ids: LocalIds, *, message_id: str, release: bool, who: str, now: datetime
) -> None:
    """A clinician releases a held peer message (its reader is told then) or keeps it held."""
    message = await store.message_by_id(s, message_id)
    if message is None or not message.held:
        raise Invalid("This message is not held.")
    row = await store.conversation_by_id(s, message.conversation_id)
    author = await people_store.person_by_id(s, message.author_id) if message.author_id else None
    if release and row is not None and author is not None:
        message.held = False
        await _tell(s, row, author, now, conversation_uri(ids, row.id))
    await audit.record(
        s,
        at=now,
        who=who,
        action="message.released" if release else "message.kept",
        target=conversation_uri(ids, message.conversation_id),
    )


# Figures and the person's own data


def reply_items(
    conversations: Sequence[Conversation], messages: Sequence[Message]
) -> list[response_times.Item]:
    """One item per run of patient or carer messages in a care conversation: raised at the
    first of them, answered by a clinician's next message (None while it waits)."""
    kinds = {row.id: row.kind for row in conversations}
    waiting: dict[str, datetime] = {}
    items = []
    for message in sorted(messages, key=lambda m: (m.conversation_id, m.created_at)):
        kind = kinds.get(message.conversation_id)
        if kind not in TIMES_NAMES:
            continue
        if message.author_role in CARED_FOR:
            waiting.setdefault(message.conversation_id, message.created_at)
        elif message.author_role == Role.CLINICIAN and message.conversation_id in waiting:
            raised = waiting.pop(message.conversation_id)
            items.append(response_times.Item(kind, raised, message.created_at))
    for conversation_id, raised in waiting.items():
        items.append(response_times.Item(kinds[conversation_id], raised, None))
    return items


async def reply_times(
    s: AsyncSession,
    *,
    viewer: Person | None,
    is_holiday: response_times.IsHoliday | None = None,
) -> list[response_times.SubnetTimes]:
    """Hours to a clinician's first reply, median and 90th percentile, in and out of hours,
    for team and one-to-one conversations (`viewer` None: the node's command line)."""
    if viewer is not None and not may(viewer.role, Action.READ_RESPONSE_TIMES):
        raise NotPermitted("Response times are for staff.")
    items = reply_items(await store.every_conversation(s), await store.all_messages(s))
    return response_times.summarise(
        items, is_holiday or response_times.bank_holidays(), TIMES_NAMES
    )


async def export(s: AsyncSession, *, person: Person) -> list[dict[str, object]]:
    """The person's conversations and every message in them they may read, for "Your data"."""
    found: list[dict[str, object]] = []
    for item in await inbox(s, viewer=person):
        messages: list[dict[str, str]] = []
        for message in await store.messages_in(s, item.id):
            if message.held and message.author_id != person.id:
                continue
            messages.append(
                {
                    "from": "you" if message.author_id == person.id else message.author_role,
                    "at": message.created_at.isoformat(),
                    "content": message.content,
                }
            )
        found.append({"with": item.title, "kind": item.kind, "messages": messages})
    return found


async def erase_expired(s: AsyncSession, *, now: datetime, days: int) -> int:
    """Erase messages older than the node's message retention (`days`; 0 keeps them), with
    any alert about them and conversations left empty; returns how many went."""
    if days <= 0:
        return 0
    erased = await store.messages_before(s, now - timedelta(days=days))
    if erased:
        await audit.record(s, at=now, who="retention", action="messages.erased", target=str(erased))
    return erased


async def erase_person(s: AsyncSession, *, person: Person) -> None:
    """Part of erasing an account: their conversations and every message they wrote go."""
    await store.erase_person(s, person.id)
