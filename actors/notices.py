"""Notices: what a local person is told in the app — replies to and Likes of their posts,
moderation outcomes, joins, and changes in who a subnet is shared with.

A notice is written in the same transaction as what it tells of, at the person's home node,
and never leaves it. It names its subject by URI (never a post's text). Likes of one post are
counted on one unread notice ("Sam and 2 others liked your post"), so a popular post does not
bury everything else. Wording is `describe`, a pure function of the notice and the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, subnets
from actors.errors import NotFound
from actors.ids import LocalIds
from actors.policy import STAFF
from storage import moderation as moderation_store
from storage import notices as store
from storage import peers as peer_store
from storage import people as people_store
from storage import posts as post_store
from storage import subnets as subnet_store
from storage.models import Notice

PAGE_SIZE = 100


class NoticeKind(StrEnum):
    REPLY = "reply"
    LIKE = "like"
    POST_HELD = "post_held"
    POST_APPROVED = "post_approved"
    POST_REJECTED = "post_rejected"
    POST_REMOVED = "post_removed"
    WARNED = "warned"
    SUSPENDED = "suspended"
    SUSPENSION_LIFTED = "suspension_lifted"
    MEMBER_REMOVED = "member_removed"
    JOIN_APPROVED = "join_approved"
    JOIN_REQUESTED = "join_requested"
    SUBNET_SHARED = "subnet_shared"
    SUBNET_UNSHARED = "subnet_unshared"
    REPORT_ACTED = "report_acted"
    MESSAGE = "message"  # a private message (actors/messages.py); counted per conversation


async def tell(
    s: AsyncSession,
    *,
    person_id: str,
    kind: NoticeKind,
    subject_uri: str | None = None,
    subnet_uri: str | None = None,
    actor_uri: str | None = None,
    reason: str | None = None,
    until: datetime | None = None,
    now: datetime,
    subnet_name: str | None = None,
    actor_name: str | None = None,
) -> None:
    """Tell a local person something. `subject_uri`: the post (or subnet) it is about;
    `subnet_uri`: the subnet it happened in; `actor_uri`: who did it (a member URI, or a
    peer's instance actor for sharing); `reason`: a moderator's words, shown as written;
    `until`: when a suspension ends; `subnet_name`, `actor_name`: shown should the subnet or
    that party no longer be known here (an ended share). A Like of a post whose Like notice is
    still unread is counted on that notice."""
    if kind in (NoticeKind.LIKE, NoticeKind.MESSAGE) and subject_uri is not None:
        grouped = await store.unread_like(s, person_id, subject_uri, str(kind))
        if grouped is not None:
            grouped.count += 1
            grouped.actor_uri, grouped.actor_name = actor_uri, actor_name
            grouped.created_at = now
            return
    await store.add_notice(
        s,
        Notice(
            person_id=person_id,
            kind=str(kind),
            subject_uri=subject_uri,
            subnet_uri=subnet_uri,
            subnet_name=subnet_name,
            actor_uri=actor_uri,
            actor_name=actor_name,
            reason=reason,
            until=until,
            created_at=now,
        ),
    )


async def tell_author(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post_uri: str,
    kind: NoticeKind,
    now: datetime,
    actor_uri: str | None = None,
    reason: str | None = None,
    until: datetime | None = None,
) -> bool:
    """Tell the author of a post written here (any other post: nothing, and False). Nobody
    is told of their own reply or Like, nor of one to a post that is gone; a moderation
    outcome is told of a removed post too."""
    post_id = ids.post_id(post_uri)
    post = await post_store.post_by_id(s, post_id) if post_id else None
    if post is None or (
        post.deleted_at is not None and kind in (NoticeKind.REPLY, NoticeKind.LIKE)
    ):
        return False
    if actor_uri is not None:
        actor = await personas.local_member(s, ids, actor_uri)
        if actor is not None and actor.person.id == post.author_id:
            return False
    names = _Names(s, ids, "")
    await tell(
        s,
        person_id=post.author_id,
        kind=kind,
        subject_uri=post_uri,
        subnet_uri=post.subnet_uri,
        actor_uri=actor_uri,
        reason=reason,
        until=until,
        now=now,
        subnet_name=await names.subnet(post.subnet_uri, None),
        actor_name=await names.actor(actor_uri, None),
    )
    return True


async def local_members(
    s: AsyncSession, ids: LocalIds, subnet_uri: str, *, staff_only: bool = False
) -> list[str]:
    """The ids of this node's people active in a subnet (only its staff, with `staff_only`)."""
    found = []
    for row in await subnet_store.members_of(s, subnet_uri):
        member = await personas.local_member(s, ids, row.member_uri)
        if member is None or row.state != "active" or member.person.disabled:
            continue
        if not staff_only or member.person.role in STAFF:
            found.append(member.person.id)
    return found


async def tell_members(
    s: AsyncSession,
    ids: LocalIds,
    *,
    subnet_uri: str,
    kind: NoticeKind,
    now: datetime,
    actor_uri: str | None = None,
    actor_name: str | None = None,
    subnet_name: str | None = None,
    staff_only: bool = False,
) -> int:
    """Tell every local person in a subnet (only its staff, with `staff_only`); returns how
    many were told."""
    names = _Names(s, ids, "")
    people = await local_members(s, ids, subnet_uri, staff_only=staff_only)
    for person_id in people:
        await tell(
            s,
            person_id=person_id,
            kind=kind,
            subject_uri=subnet_uri,
            subnet_uri=subnet_uri,
            actor_uri=actor_uri,
            subnet_name=subnet_name or await names.subnet(subnet_uri, None),
            actor_name=actor_name or await names.actor(actor_uri, None),
            now=now,
        )
    return len(people)


async def tell_moderators_of_request(
    s: AsyncSession, ids: LocalIds, *, subnet_uri: str, member_uri: str, now: datetime
) -> None:
    """A join waits for approval in a subnet hosted here: its staff members are told, or the
    trust's admins when no staff member belongs to it."""
    told = await tell_members(
        s,
        ids,
        subnet_uri=subnet_uri,
        kind=NoticeKind.JOIN_REQUESTED,
        actor_uri=member_uri,
        now=now,
        staff_only=True,
    )
    if told:
        return
    for admin in await people_store.people_with_roles(s, ["admin"]):
        if not admin.disabled:
            await tell(
                s,
                person_id=admin.id,
                kind=NoticeKind.JOIN_REQUESTED,
                subject_uri=subnet_uri,
                subnet_uri=subnet_uri,
                actor_uri=member_uri,
                now=now,
            )


async def mark_read_about(
    s: AsyncSession, *, person_id: str, subject_uri: str, now: datetime
) -> None:
    """The person has seen what these notices tell of (a conversation they opened)."""
    await store.mark_read_about(s, person_id, subject_uri, now)


async def unread_count(s: AsyncSession, *, person_id: str) -> int:
    return await store.count_unread(s, person_id)


async def mark_read(
    s: AsyncSession, *, person_id: str, now: datetime, notice_ids: list[str] | None = None
) -> int:
    """Mark the person's unread notices read (only `notice_ids`, if given): how many were."""
    return await store.mark_read(s, person_id, now, notice_ids)


@dataclass(frozen=True)
class NoticeView:
    """One notice as its person reads it."""

    id: str
    kind: NoticeKind
    text: str
    href: str | None
    reason: str | None
    until: datetime | None
    created_at: datetime
    unread: bool
    count: int = 1


def subnet_href(subnet_uri: str) -> str:
    return f"/subnet?id={quote(subnet_uri, safe='')}"


def _post_href(subnet_uri: str | None) -> str | None:
    return subnet_href(subnet_uri) + "#posts" if subnet_uri else None


def _others(count: int) -> str:
    return "1 other" if count == 2 else f"{count - 1} others"


def describe(
    kind: NoticeKind, *, actor: str | None, subnet: str, count: int = 1, until: datetime | None
) -> str:
    """The sentence a person reads for a notice (`actor` None: we do not know who)."""
    who = actor or "Someone"
    if kind == NoticeKind.REPLY:
        return f"{who} replied to your post in {subnet}."
    if kind == NoticeKind.LIKE:
        if count > 1:
            return f"{who} and {_others(count)} liked your post in {subnet}."
        return f"{who} liked your post in {subnet}."
    if kind == NoticeKind.SUSPENDED and until is not None:
        return f"You cannot post in {subnet} until {until.strftime('%d %b %Y %H:%M')} UTC."
    if kind == NoticeKind.SUBNET_SHARED:
        trust = actor or "another trust"
        return f"{subnet} is now shared with {trust}: its members there can read posts in it."
    if kind == NoticeKind.SUBNET_UNSHARED:
        if actor is None:
            return f"{subnet} is no longer shared with this trust."
        return f"{subnet} is no longer shared with {actor}."
    if kind == NoticeKind.JOIN_REQUESTED:
        return f"{who} asked to join {subnet}."
    if kind == NoticeKind.MESSAGE:
        if count > 1:
            return f"You have {count} new messages; the latest is from {who}."
        return f"{who} sent you a message."
    return {
        NoticeKind.POST_HELD: f"Your post in {subnet} is waiting for a moderator to approve it.",
        NoticeKind.POST_APPROVED: f"A moderator approved your post in {subnet}.",
        NoticeKind.POST_REJECTED: f"A moderator did not approve your post in {subnet}.",
        NoticeKind.POST_REMOVED: f"A moderator removed your post from {subnet}.",
        NoticeKind.WARNED: f"A moderator of {subnet} sent you a warning.",
        NoticeKind.SUSPENDED: f"You cannot post in {subnet} for now.",
        NoticeKind.SUSPENSION_LIFTED: f"You can post in {subnet} again: a moderator lifted "
        "your suspension.",
        NoticeKind.MEMBER_REMOVED: f"A moderator removed you from {subnet}.",
        NoticeKind.JOIN_APPROVED: f"You have joined {subnet}: a moderator approved it.",
        NoticeKind.REPORT_ACTED: f"A post you reported in {subnet} is no longer there. "
        "Thank you for telling us.",
    }[kind]


async def tell_reporters(s: AsyncSession, *, object_uri: str, now: datetime) -> None:
    """A post is gone (removed, or deleted by its author): the members of ours whose reports of
    it are open hear so — never by whom or why (a removal's reason is for its author alone)."""
    for report in await moderation_store.reports_of(s, object_uri):
        if report.state == "open" and report.reporter_id is not None:
            await tell(
                s,
                person_id=report.reporter_id,
                kind=NoticeKind.REPORT_ACTED,
                subnet_uri=report.subnet_uri,
                now=now,
            )


@dataclass
class _Names:
    """Looks up names (once each) of subnets and of who did what."""

    s: AsyncSession
    ids: LocalIds
    node_name: str
    subnets: dict[str, str | None] = field(default_factory=dict)
    actors: dict[str, str | None] = field(default_factory=dict)

    async def subnet(self, uri: str | None, kept: str | None) -> str:
        if not uri:
            return kept or "a subnet"
        if uri not in self.subnets:
            try:
                self.subnets[uri] = (await subnets.summary(self.s, self.ids, uri, "")).name
            except NotFound:
                self.subnets[uri] = None
        return self.subnets[uri] or kept or "a subnet"

    async def actor(self, uri: str | None, kept: str | None) -> str | None:
        if not uri:
            return kept
        if uri not in self.actors:
            self.actors[uri] = await self._actor(uri)
        return self.actors[uri] or kept

    async def _actor(self, uri: str) -> str | None:
        local = await personas.local_member(self.s, self.ids, uri)
        if local is not None:
            return local.name
        if uri == self.ids.instance:
            return self.node_name or None
        peer = await peer_store.peer_by_instance_actor(self.s, uri)
        if peer is not None:
            return peer.name
        actor = (await peer_store.remote_actors(self.s, [uri])).get(uri)
        return actor.name if actor is not None and actor.name else None


async def list_for(
    s: AsyncSession, ids: LocalIds, *, person_id: str, node_name: str, limit: int = PAGE_SIZE
) -> list[NoticeView]:
    """A person's notices, newest first, in words."""
    names = _Names(s, ids, node_name)
    views = []
    for notice in await store.notices_of(s, person_id, limit):
        kind = NoticeKind(notice.kind)
        subnet = await names.subnet(notice.subnet_uri, notice.subnet_name)
        text = describe(
            kind,
            actor=await names.actor(notice.actor_uri, notice.actor_name),
            subnet=subnet,
            count=notice.count,
            until=notice.until,
        )
        if kind == NoticeKind.JOIN_REQUESTED and notice.subnet_uri:
            href: str | None = f"/moderate?id={quote(notice.subnet_uri, safe='')}"
        elif kind == NoticeKind.SUBNET_UNSHARED:
            href = None
        elif kind in (NoticeKind.SUBNET_SHARED, NoticeKind.JOIN_APPROVED):
            href = subnet_href(notice.subnet_uri) if notice.subnet_uri else None
        elif kind in (NoticeKind.POST_REMOVED, NoticeKind.REPORT_ACTED):
            href = None
        elif kind == NoticeKind.MESSAGE and notice.subject_uri:
            href = "/messages/" + notice.subject_uri.rsplit("/", 1)[-1]
        else:
            href = _post_href(notice.subnet_uri)
        if href and names.subnets.get(notice.subnet_uri or "", "") is None:
            href = None  # the subnet is no longer known here
        views.append(
            NoticeView(
                notice.id,
                kind,
                text,
                href,
                notice.reason,
                notice.until,
                notice.created_at,
                notice.read_at is None,
                notice.count,
            )
        )
    return views
