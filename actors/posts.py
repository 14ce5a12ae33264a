"""Posts: writing them here, accepting references to posts written elsewhere, and reading.

A post's text is stored only by its author's home node (`post`). Every other node holds a
`post_ref` — URI, subnet, author, time — and asks a `ContentResolver` for the text when one of
its people reads the subnet. `federation/` implements the resolver; nothing here knows how.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from actors import avatars, events, notices, people, personas, sanctions, screened, subnets
from actors.errors import Gone, Invalid, NotFound, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds, host_of
from actors.picture_files import NewPicture, PictureInfo
from actors.policy import STAFF, Action, may, may_post_in
from actors.role_tags import role_tag
from actors.screening import Screener
from actors.text import post_text
from storage import alerts as alert_store
from storage import audit, reactions
from storage import peers as peer_store
from storage import personas as persona_store
from storage import pictures as picture_store
from storage import posts as store
from storage import subnets as subnet_store
from storage.models import Peer, Person, Persona, Post, PostPicture, PostRef

MAX_POST_LENGTH = 5000
PAGE_SIZE = 50
REMOTE_READ = "remote_read"
REPORT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class RefToResolve:
    """A reference to resolve: the content is shown only if its home says it is in `subnet_uri`."""

    object_uri: str
    peer_id: str
    subnet_uri: str


@dataclass(frozen=True)
class ResolvedContent:
    author_uri: str
    author_name: str
    content: str
    role_tag: str | None = None  # "Clinician", "Staff" or "Volunteer", as the author's home says
    picture: PictureInfo | None = None  # with where its home serves it
    avatar: str | None = None  # one of actors/avatars.AVATARS, shown from this node's own copy


class ContentResolver(Protocol):
    """Turns references into content fetched live from their home nodes (never stored)."""

    async def resolve(
        self, refs: Sequence[RefToResolve], reader_uri: str
    ) -> Mapping[str, ResolvedContent]: ...


@dataclass(frozen=True)
class Entry:
    """One post as a reader sees it; `content` is None when its home could not be reached."""

    uri: str
    published: datetime
    author_name: str
    author_home: str
    content: str | None
    local: bool
    in_reply_to: str | None = None
    likes: int = 0
    mine: bool = False
    held_for_team: bool = False  # held by screening: its author alone sees it, with a note
    role_tag: str | None = None  # "Clinician", "Staff" or "Volunteer", on every node
    author_person_id: str | None = None  # set for staff who may open the author's record
    author_uri: str = ""  # as the subnet knows them (what a reader mutes)
    muted: str | None = None  # why it is collapsed for this reader (actors/controls.py)
    edited: bool = False  # its author changed it after posting (shown on every node)
    picture: PictureInfo | None = None  # shown from /pictures?post=<uri>, never stored away
    avatar: str | None = None  # the author's built-in avatar (actors/avatars.py), on every node


def checked_content(content: str) -> str:
    """A post's text as it will be stored: what it may hold is `actors/text.py`'s rules."""
    content = post_text(content)
    if not content:
        raise Invalid("Write something before posting.")
    if len(content) > MAX_POST_LENGTH:
        raise Invalid(f"A post can be at most {MAX_POST_LENGTH} characters long.")
    return content


async def write_post(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    content: str,
    now: datetime,
    screener: Screener,
    in_reply_to: str | None = None,
    picture: NewPicture | None = None,
) -> Post:
    """A member writes in a subnet: screened and stored here; partners learn of it through an
    event. A post screening holds (`actors/screened.py`) records no event until a clinician
    here releases it. In a pre-moderated subnet hosted here, a post by a non-staff member
    waits for a moderator. A picture (already cleaned) is kept with it, here only; its
    description is screened with the text."""
    content = checked_content(content)
    summary = await subnets.subnet_for_member(s, ids, person, subnet_uri, "")
    if not may_post_in(person.role, summary.posting_policy):
        raise NotPermitted("Only staff can post in this subnet.")
    await sanctions.require_not_barred(
        s,
        person=person,
        member_uri=summary.member_uri,
        subnet_uri=subnet_uri,
        now=now,
    )
    if in_reply_to and not await post_in_subnet(s, ids, in_reply_to, subnet_uri):
        raise Invalid("You can only reply to a post in the same subnet.")
    if in_reply_to and await _held_for_team(s, ids, in_reply_to):  # its URI must not leave
        raise Invalid("That post is waiting for the team; you can reply once it is shown.")
    screening = screener.screen(f"{content}\n\n{picture.alt}" if picture else content)
    held_by_screening = screened.holds(screening, hold_concern=summary.hold_concern)
    post = Post(
        author_id=person.id,
        subnet_uri=subnet_uri,
        content=content,
        published=now,
        in_reply_to=in_reply_to or None,
        moderation_state=screened.SCREENED if held_by_screening else "visible",
    )
    screened.record_on(post, screening)
    post = await store.add_post(s, post)
    if picture is not None:
        await _keep_picture(s, post.id, picture)
    await screened.raise_alert(
        s, ids, post=post, screening=screening, held=held_by_screening, now=now
    )
    if not held_by_screening:
        await _publish(s, ids, post, summary, person, now)
        await _tell_replied_to(s, ids, post, now)
    return post


async def _keep_picture(s: AsyncSession, post_id: str, new: NewPicture) -> None:
    clean = new.picture
    await picture_store.add_picture(
        s,
        PostPicture(
            post_id=post_id,
            media_type=clean.media_type,
            alt_text=new.alt,
            width=clean.full.width,
            height=clean.full.height,
            data=clean.full.data,
            thumbnail_width=clean.thumbnail.width,
            thumbnail_height=clean.thumbnail.height,
            thumbnail=clean.thumbnail.data,
        ),
    )


def picture_info(row: PostPicture) -> PictureInfo:
    """What a page or a Note says of a picture kept here (not its bytes)."""
    return PictureInfo(
        alt=row.alt_text,
        media_type=row.media_type,
        width=row.width,
        height=row.height,
        thumbnail_width=row.thumbnail_width,
        thumbnail_height=row.thumbnail_height,
    )


async def _tell_replied_to(s: AsyncSession, ids: LocalIds, post: Post, now: datetime) -> None:
    """A visible reply written here: the author of the post it answers, if theirs is ours too,
    is told (an author elsewhere hears at home, from the reply's Create or Announce)."""
    if post.in_reply_to and post.moderation_state == "visible":
        await notices.tell_author(
            s,
            ids,
            post_uri=post.in_reply_to,
            kind=notices.NoticeKind.REPLY,
            actor_uri=await personas.member_uri(s, ids, post.author_id, post.subnet_uri),
            now=now,
        )


async def _publish(
    s: AsyncSession,
    ids: LocalIds,
    post: Post,
    summary: subnets.SubnetSummary,
    author: Person,
    now: datetime,
) -> None:
    held = summary.premoderation and author.role not in STAFF
    post.moderation_state = "held" if held else "visible"
    if held:
        await notices.tell_author(
            s, ids, post_uri=ids.post(post.id), kind=notices.NoticeKind.POST_HELD, now=now
        )
    if not held or not summary.local:  # a home elsewhere must see it to moderate it
        post.left_home = True
        await events.record(s, EventKind.POST_CREATED, {"post_id": post.id}, now)


async def publish(
    s: AsyncSession, ids: LocalIds, *, post: Post, author: Person, now: datetime
) -> None:
    """A post screening held is released: recorded as a normal post would have been (held for
    pre-moderation where the subnet asks it); an edit made while held reaches caches too."""
    summary = await subnets.summary(s, ids, post.subnet_uri, "")
    await _publish(s, ids, post, summary, author, now)
    if post.updated is not None:
        await events.record(s, EventKind.POST_UPDATED, {"post_id": post.id}, now)


async def _held_for_team(s: AsyncSession, ids: LocalIds, object_uri: str) -> bool:
    post_id = ids.post_id(object_uri)
    post = await store.visible_post(s, post_id) if post_id else None
    return post is not None and post.moderation_state == screened.SCREENED


async def post_in_subnet(s: AsyncSession, ids: LocalIds, object_uri: str, subnet_uri: str) -> bool:
    """Whether a post (ours or a reference) is known here in that subnet."""
    return await subnet_of_known(s, ids, object_uri) == subnet_uri


async def subnet_of_known(s: AsyncSession, ids: LocalIds, object_uri: str) -> str | None:
    """The subnet a post (ours, or a reference) belongs to, if it is known here."""
    post_id = ids.post_id(object_uri)
    if post_id is not None:
        post = await store.visible_post(s, post_id)
        return post.subnet_uri if post is not None else None
    ref = await store.ref_by_uri(s, object_uri)
    return ref.subnet_uri if ref is not None else None


async def _reply_in_subnet(
    s: AsyncSession, ids: LocalIds, in_reply_to: str | None, subnet_uri: str
) -> None:
    """A reply belongs to its parent's subnet: one whose known parent is in another subnet is
    refused (a parent not known here yet may arrive later)."""
    if in_reply_to:
        parent_subnet = await subnet_of_known(s, ids, in_reply_to)
        if parent_subnet is not None and parent_subnet != subnet_uri:
            raise NotPermitted("A reply must be in the same subnet as the post it answers.")


@dataclass(frozen=True)
class OfferedPost:
    """A partner's member's post offered to a subnet hosted here (a `Create`), by reference."""

    peer: Peer
    author_uri: str
    object_uri: str
    subnet_uri: str
    published: datetime
    in_reply_to: str | None = None


async def accept_remote_posts(
    s: AsyncSession, ids: LocalIds, offered: Sequence[OfferedPost], now: datetime
) -> list[bool]:
    """Partners' members posted in subnets hosted here: keep a reference to each, then
    announce it (premoderated subnets hold it instead). Returns, for each post, whether it was
    new here.

    Every post must be from a partner of its subnet (else NotFound: no hint that the subnet
    exists), by an active member not suspended from it (NotPermitted), and a reply must be in
    its parent's subnet. If any post is refused, the error is raised and nothing of the run is
    kept (the inbox worker then offers each post alone, to refuse only that one). The worker
    offers a run of Creates at once: its checks and writes are a fixed number of statements,
    however many posts the run holds (subnets and partners are remembered for the unit of
    work)."""
    premoderated: dict[str, bool] = {}
    for post in offered:
        slug = ids.subnet_slug(post.subnet_uri)
        if slug is None or not await subnets.node_may_see(s, ids, post.subnet_uri, post.peer):
            raise NotFound("No such subnet is shared with that node.")
        premoderated[post.subnet_uri] = (await subnets.local_subnet(s, slug)).premoderation
    pairs = [(post.subnet_uri, post.author_uri) for post in offered]
    members = await subnet_store.active_memberships(s, pairs)
    suspended = await sanctions.suspended_among(s, pairs, now)
    in_this_run: dict[str, str] = {}
    for post, pair in zip(offered, pairs, strict=True):
        if pair not in members:
            raise NotPermitted("That person is not a member of this subnet.")
        if pair in suspended:
            raise NotPermitted("That member is suspended from this subnet.")
        parent = post.in_reply_to
        if parent:  # known here, the parent's own subnet; else the subnet it comes with in this run
            parent_subnet = await subnet_of_known(s, ids, parent) or in_this_run.get(parent)
            if parent_subnet is not None and parent_subnet != post.subnet_uri:
                raise NotPermitted("A reply must be in the same subnet as the post it answers.")
        in_this_run.setdefault(post.object_uri, post.subnet_uri)
    refs = [
        PostRef(
            object_uri=post.object_uri,
            subnet_uri=post.subnet_uri,
            author_uri=post.author_uri,
            moderation_state="held" if premoderated[post.subnet_uri] else "visible",
            peer_id=post.peer.id,
            in_reply_to=post.in_reply_to,
            published=min(post.published, now),
            received_at=now,
        )
        for post in offered
    ]
    written = await store.add_refs(s, refs)
    added: list[bool] = []
    for ref in refs:
        added.append(ref.object_uri in written)
        written.discard(ref.object_uri)  # a post named twice in the run is new once
    shown = [ref for ref, new in zip(refs, added, strict=True) if new]
    shown = [ref for ref in shown if ref.moderation_state == "visible"]
    await events.record_many(
        s, EventKind.REF_ACCEPTED, [{"object_uri": ref.object_uri} for ref in shown], now
    )
    for ref in shown:
        if ref.in_reply_to:
            await notices.tell_author(
                s,
                ids,
                post_uri=ref.in_reply_to,
                kind=notices.NoticeKind.REPLY,
                actor_uri=ref.author_uri,
                now=now,
            )
    return added


async def record_announced(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    subnet_uri: str,
    object_uri: str,
    object_peer: Peer,
    published: datetime,
    now: datetime,
    in_reply_to: str | None = None,
) -> bool:
    """A subnet's home announced a post to us, a partner: keep a reference to it.

    A post already known here in another subnet is refused (unless its own node, hosting this
    subnet, says where it belongs), and so is a reply to another subnet's post. Whatever a
    subnet's home announces, the text is shown only if the post's home serves it for a member
    of this subnet and says it is in this subnet (`federation/reading.py`).
    """
    post_id = ids.post_id(object_uri)
    if post_id is not None:  # our own post, announced back to us: its home approved it
        await own_posts_announced(s, [OwnPostAnnounced(peer, subnet_uri, post_id)])
        return False
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.kind != "Group" or group.peer_id != peer.id:
        raise NotFound("Announcements for a subnet come only from its home node.")
    await _reply_in_subnet(s, ids, in_reply_to, subnet_uri)
    known = await store.ref_by_uri(s, object_uri)
    if known is not None and known.subnet_uri != subnet_uri:
        if object_peer.id != group.peer_id:
            raise NotPermitted("That post belongs to another subnet.")
        known.subnet_uri = subnet_uri  # its own node says where it belongs
        return False
    added = await store.add_ref(
        s,
        PostRef(
            object_uri=object_uri,
            subnet_uri=subnet_uri,
            author_uri="",
            peer_id=object_peer.id,
            in_reply_to=in_reply_to,
            published=min(published, now),
            received_at=now,
        ),
    )
    if added and in_reply_to:  # a reply to a post of ours: its author is told here
        await notices.tell_author(
            s, ids, post_uri=in_reply_to, kind=notices.NoticeKind.REPLY, now=now
        )
    return added


@dataclass(frozen=True)
class OwnPostAnnounced:
    """A subnet's home (`peer`) announcing a post written here back to us."""

    peer: Peer
    subnet_uri: str
    post_id: str


async def own_posts_announced(s: AsyncSession, announced: Sequence[OwnPostAnnounced]) -> None:
    """Posts of ours announced back by their subnets' homes: each home approved the post
    (a held one is shown now). The rules of `record_announced`, for a run of them in three
    statements whatever its length (the inbox worker offers a run of Announces at once): each
    must come from its subnet's home (else NotFound) and name the subnet the post is in (else
    NotPermitted); a post deleted since is left alone."""
    groups = await peer_store.remote_actors(s, list({one.subnet_uri for one in announced}))
    for one in announced:
        group = groups.get(one.subnet_uri)
        if group is None or group.kind != "Group" or group.peer_id != one.peer.id:
            raise NotFound("Announcements for a subnet come only from its home node.")
    posts = await store.visible_posts(s, [one.post_id for one in announced])
    for one in announced:
        post = posts.get(one.post_id)
        if post is not None and post.subnet_uri != one.subnet_uri:
            raise NotPermitted("That post of ours is not in that subnet.")
        if post is not None and post.moderation_state != "visible":
            post.moderation_state = "visible"


async def _home_of(s: AsyncSession, subnet_uri: str, peer: Peer) -> bool:
    """Whether `peer` hosts the subnet (and so moderates the posts held for it)."""
    group = await peer_store.remote_actor(s, subnet_uri)
    return group is not None and group.kind == "Group" and group.peer_id == peer.id


@dataclass(frozen=True)
class Authored:
    """A post of ours with its author as the post's subnet knows them."""

    post: Post
    author_uri: str
    author_name: str
    role_tag: str | None = None
    picture: PictureInfo | None = None
    avatar: str | None = None


async def _authored(
    s: AsyncSession, ids: LocalIds, rows: Sequence[tuple[Post, Person]]
) -> list[Authored]:
    """Each post with its author as its subnet knows them: one query per subnet (a persona is
    made only for an author who has none there yet)."""
    chosen: dict[str, dict[str, Persona]] = {}
    for subnet_uri in {post.subnet_uri for post, _ in rows}:
        authors = list({author.id for post, author in rows if post.subnet_uri == subnet_uri})
        chosen[subnet_uri] = dict(await persona_store.personas_in(s, subnet_uri, authors))
    found = []
    for post, author in rows:
        persona = chosen[post.subnet_uri].get(author.id)
        if persona is None:
            persona = await persona_store.persona_for(s, author.id, post.subnet_uri)
            chosen[post.subnet_uri][author.id] = persona
        name = persona.pseudonym or author.pseudonym
        found.append(
            Authored(
                post,
                ids.member(persona.id),
                name,
                role_tag(author.role),
                avatar=avatars.chosen(author.avatar),
            )
        )
    return found


async def readable_post(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post_id: str,
    peer: Peer,
    reader_uri: str,
    now: datetime,
    confirmed: Collection[str] = (),
    moderated: Collection[str] = (),
) -> Authored:
    """A post of ours that `peer` may read for `reader_uri`; the read is audited."""
    post = await store.post_by_id(s, post_id)
    if post is None or not await subnets.node_may_see(s, ids, post.subnet_uri, peer):
        raise NotFound("No such post.")
    if post.deleted_at is not None:
        raise Gone("That post was deleted.")
    readable = await readable_posts(
        s,
        ids,
        post_ids=[post.id],
        peer=peer,
        reader_uri=reader_uri,
        now=now,
        confirmed=confirmed,
        moderated=moderated,
    )
    if not readable:
        raise NotFound("No such post.")
    return readable[0]


async def subnets_to_confirm(
    s: AsyncSession, ids: LocalIds, *, post_ids: Sequence[str], peer: Peer
) -> set[str]:
    """Subnets of these posts whose membership only a third node knows: hosted elsewhere, and
    not by the asking `peer` (a subnet's home vouches for its own members' reads)."""
    found = set()
    for post, _ in await store.posts_with_authors(s, post_ids):
        if ids.subnet_slug(post.subnet_uri) is None and not await _home_of(
            s, post.subnet_uri, peer
        ):
            found.add(post.subnet_uri)
    return found


async def moderated_to_confirm(
    s: AsyncSession, ids: LocalIds, *, post_ids: Sequence[str], peer: Peer
) -> set[str]:
    """Subnets of these posts, held or hidden by moderation, whose moderators only a third
    node knows: hosted elsewhere, and not by the asking `peer`."""
    found = set()
    for post, _ in await store.posts_with_authors(s, post_ids):
        if post.moderation_state in ("held", "hidden", "withheld") and post.subnet_uri not in found:
            if ids.subnet_slug(post.subnet_uri) is None and not await _home_of(
                s, post.subnet_uri, peer
            ):
                found.add(post.subnet_uri)
    return found


@dataclass
class _ReadRule:
    """Whether `peer` may have a post of ours read by `reader_uri`: the peer takes part in the
    post's subnet, and the reader is a member of that subnet on the peer's own node — known
    here when the subnet is hosted here or the peer hosts it, else `confirmed` by the subnet's
    home. A post held or hidden by moderation is read only for its moderators: anyone at the
    subnet's home, or a moderator that home granted on the peer's node (known here when the
    subnet is hosted here, else `moderated`: confirmed by its home)."""

    s: AsyncSession
    ids: LocalIds
    peer: Peer
    reader_uri: str
    confirmed: Collection[str]
    moderated: Collection[str] = ()
    _node: dict[str, bool] = field(default_factory=dict)
    _home: dict[str, bool] = field(default_factory=dict)
    _reader: dict[str, bool] = field(default_factory=dict)
    _moderator: dict[str, bool] = field(default_factory=dict)

    async def allows(self, post: Post) -> bool:
        subnet_uri = post.subnet_uri
        if subnet_uri not in self._node:
            self._node[subnet_uri] = await subnets.node_may_see(
                self.s, self.ids, subnet_uri, self.peer
            )
        if not self._node[subnet_uri] or post.moderation_state == screened.SCREENED:
            return False  # a post screening holds never leaves home until released
        if subnet_uri not in self._home:
            self._home[subnet_uri] = await _home_of(self.s, subnet_uri, self.peer)
        home = self._home[subnet_uri]
        if post.moderation_state != "visible" and not home:
            if subnet_uri not in self._moderator:
                self._moderator[subnet_uri] = await self._reader_moderates(subnet_uri)
            return self._moderator[subnet_uri]
        if subnet_uri not in self._reader:
            self._reader[subnet_uri] = await self._reader_is_member(subnet_uri, home)
        return self._reader[subnet_uri]

    async def _reader_moderates(self, subnet_uri: str) -> bool:
        if host_of(self.reader_uri) != self.peer.host:
            return False
        if self.ids.subnet_slug(subnet_uri) is not None:
            row = await subnet_store.membership(self.s, subnet_uri, self.reader_uri)
            return row is not None and row.role == "moderator"
        return subnet_uri in self.moderated

    async def _reader_is_member(self, subnet_uri: str, peer_is_home: bool) -> bool:
        if host_of(self.reader_uri) != self.peer.host:
            return False
        if self.ids.subnet_slug(subnet_uri) is not None:
            return await subnet_store.membership(self.s, subnet_uri, self.reader_uri) is not None
        return peer_is_home or subnet_uri in self.confirmed


async def readable_posts(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post_ids: Sequence[str],
    peer: Peer,
    reader_uri: str,
    now: datetime,
    confirmed: Collection[str] = (),
    moderated: Collection[str] = (),
) -> list[Authored]:
    """The subset of `post_ids` that `peer` may read for `reader_uri` (others are silently
    absent), each read audited. `confirmed`: subnets hosted elsewhere whose home confirmed
    that `reader_uri` is a member (see `subnets_to_confirm`); `moderated`: those whose home
    confirmed they are a moderator (see `moderated_to_confirm`)."""
    rule = _ReadRule(s, ids, peer, reader_uri, confirmed, moderated)
    allowed = [
        (post, author)
        for post, author in await store.posts_with_authors(s, post_ids)
        if await rule.allows(post)
    ]
    await audit.record_many(
        s,
        [
            audit.Entry(now, reader_uri, REMOTE_READ, ids.post(post.id), peer.host)
            for post, _ in allowed
        ],
    )
    authored = await _authored(s, ids, allowed)
    pictures = await picture_store.described(s, [item.post.id for item in authored])
    return [
        replace(item, picture=picture_info(pictures[item.post.id]))
        if item.post.id in pictures
        else item
        for item in authored
    ]


@dataclass(frozen=True)
class ReportedRead:
    """A partner's member read a post of ours from that partner's RAM cache."""

    post_id: str
    reader_uri: str
    at: datetime


async def record_reported_reads(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    reads: Sequence[ReportedRead],
    now: datetime,
    confirmed: Mapping[str, Collection[str]] | None = None,
    moderated: Mapping[str, Collection[str]] | None = None,
) -> int:
    """Audit reads a partner served from its cache, under the same rule as a fetch (a read the
    rule refuses is not recorded); returns how many were recorded. A reported time in the
    future, or more than `REPORT_WINDOW` ago, is recorded as `now`."""
    recorded: list[audit.Entry] = []
    rules: dict[str, _ReadRule] = {}
    posts = {
        post.id: post
        for post, _ in await store.posts_with_authors(s, sorted({read.post_id for read in reads}))
    }
    for read in reads:
        post = posts.get(read.post_id)
        if post is None:
            continue
        rule = rules.setdefault(
            read.reader_uri,
            _ReadRule(
                s,
                ids,
                peer,
                read.reader_uri,
                (confirmed or {}).get(read.reader_uri, ()),
                (moderated or {}).get(read.reader_uri, ()),
            ),
        )
        if not await rule.allows(post):
            continue
        at = read.at if now - REPORT_WINDOW <= read.at <= now else now
        recorded.append(audit.Entry(at, read.reader_uri, REMOTE_READ, ids.post(post.id), peer.host))
    await audit.record_many(s, recorded)
    return len(recorded)


@dataclass(frozen=True)
class Page:
    """A subnet page read from the database, before remote content is resolved."""

    subnet: subnets.SubnetSummary
    local: list[Entry]
    refs: list[PostRef]
    peer_names: dict[str, str]
    likes: dict[str, int]
    reader_uri: str
    # The last entry shown, (published, URI), when older posts follow: the next page's `before`.
    older: tuple[datetime, str] | None = None
    liked: frozenset[str] = frozenset()  # the posts on this page the reader likes


def _one_page(
    rows: list[tuple[Post, Person]], refs: list[PostRef], ids: LocalIds
) -> tuple[list[tuple[Post, Person]], list[PostRef], tuple[datetime, str] | None]:
    """The newest PAGE_SIZE of local posts and references together (each list was read with
    one more than a page), and the last one shown when more are left."""
    keys = [(post.published, ids.post(post.id)) for post, _ in rows]
    keys += [(ref.published, ref.object_uri) for ref in refs]
    keys.sort(reverse=True)
    if len(keys) <= PAGE_SIZE:
        return rows, refs, None
    last = keys[PAGE_SIZE - 1]
    rows = [(post, a) for post, a in rows if (post.published, ids.post(post.id)) >= last]
    return rows, [ref for ref in refs if (ref.published, ref.object_uri) >= last], last


async def subnet_page(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    node_name: str,
    before: tuple[datetime, str] | None = None,
) -> Page:
    """A page of the subnet, newest first: the newest posts, or those older than `before`
    (keyset paging; the author's own held posts come on the first page)."""
    summary = await subnets.subnet_for_member(s, ids, person, subnet_uri, node_name)
    rows = await store.local_posts_in(s, subnet_uri, PAGE_SIZE + 1, before, ids.post(""))
    refs = list(await store.refs_in(s, subnet_uri, PAGE_SIZE + 1, before))
    rows, refs, older = _one_page(rows, refs, ids)
    local = await local_entries(
        s, ids, person=person, subnet_uri=subnet_uri, rows=rows, node_name=node_name
    )
    held = [] if before else await alert_store.screened_posts_of(s, subnet_uri, person.id)
    pictures = await picture_store.described(s, [post.id for post in held])
    own_name = await personas.names_in(s, subnet_uri, [person]) if held else {}
    for post in held:
        local.append(
            Entry(
                ids.post(post.id),
                post.published,
                own_name[person.id],
                node_name,
                post.content,
                True,
                post.in_reply_to,
                mine=True,
                held_for_team=True,
                picture=picture_info(pictures[post.id]) if post.id in pictures else None,
                avatar=avatars.chosen(person.avatar),
            )
        )
    return await page_of(s, summary=summary, local=local, refs=refs, older=older)


async def local_entries(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    rows: Sequence[tuple[Post, Person]],
    node_name: str,
) -> list[Entry]:
    """Posts written here as `person` sees them in the subnet (names, avatars, staff tags,
    records)."""
    chosen = await persona_store.personas_in(s, subnet_uri, [author.id for _, author in rows])
    names = personas.names_among(chosen, [author for _, author in rows])
    in_care = await _records_open_to(s, person)
    pictures = await picture_store.described(s, [post.id for post, _ in rows])
    return [
        Entry(
            ids.post(post.id),
            post.published,
            names[author.id],
            node_name,
            post.content,
            True,
            post.in_reply_to,
            mine=author.id == person.id,
            role_tag=role_tag(author.role),
            author_person_id=author.id if author.id in in_care else None,
            author_uri=ids.member(chosen[author.id].id) if author.id in chosen else "",
            edited=post.updated is not None,
            picture=picture_info(pictures[post.id]) if post.id in pictures else None,
            avatar=avatars.chosen(author.avatar),
        )
        for post, author in rows
    ]


async def page_of(
    s: AsyncSession,
    *,
    summary: subnets.SubnetSummary,
    local: list[Entry],
    refs: list[PostRef],
    older: tuple[datetime, str] | None = None,
) -> Page:
    """A page of these posts and references for the member `summary` was read for
    (`subnets.subnet_for_member`): Likes counted, theirs marked."""
    if not summary.member_uri:
        raise ValueError("page_of takes the subnet as subnets.subnet_for_member read it")
    shown = [e.uri for e in local] + [r.object_uri for r in refs]
    likes = await reactions.like_counts(s, shown)
    local = [replace(entry, likes=likes.get(entry.uri, 0)) for entry in local]
    peer_names = {peer.id: peer.name for peer in await peer_store.list_peers(s)}
    reader = summary.member_uri
    liked = frozenset(await reactions.liked_by(s, reader, shown))
    return Page(summary, local, refs, peer_names, likes, reader, older, liked)


async def _records_open_to(s: AsyncSession, viewer: Person) -> set[str]:
    """The people of this trust whose record `viewer` may open from their posts (staff only;
    another trust's staff see a pseudonym and the trust)."""
    if not may(viewer.role, Action.READ_PERSONAL_DETAILS):
        return set()
    return {someone.id for someone in await people.people_in_care(s, viewer)}


def to_resolve(refs: Sequence[PostRef]) -> list[RefToResolve]:
    return [RefToResolve(ref.object_uri, ref.peer_id, ref.subnet_uri) for ref in refs]


async def resolve_page(page: Page, resolver: ContentResolver) -> list[Entry]:
    """Fetch the text of remote posts (one batch per home node) and merge, newest first; the
    homes are told which member reads (by their URI in this subnet)."""
    return entries_of(page, await resolver.resolve(to_resolve(page.refs), page.reader_uri))


def entries_of(page: Page, resolved: Mapping[str, ResolvedContent]) -> list[Entry]:
    """The page's posts, newest first, remote ones with what their homes answered."""
    remote = []
    for ref in page.refs:
        found = resolved.get(ref.object_uri)
        remote.append(
            Entry(
                ref.object_uri,
                ref.published,
                found.author_name if found else "",
                page.peer_names.get(ref.peer_id, ""),
                found.content if found else None,
                False,
                ref.in_reply_to,
                page.likes.get(ref.object_uri, 0),
                role_tag=found.role_tag if found else None,
                author_uri=found.author_uri if found else ref.author_uri,
                edited=ref.updated is not None,
                picture=found.picture if found else None,
                avatar=found.avatar if found else None,
            )
        )
    entries = page.local + remote
    entries.sort(key=lambda entry: entry.published, reverse=True)
    return entries[:PAGE_SIZE]
