"""Threads: replies under the posts they answer, reply counts, and links both ways.

A reply names the post it answers (`in_reply_to`): on its own row when it was written here, on
its reference when it was written elsewhere (the `inReplyTo` its home sent). So a node builds
every thread from what it stores, whoever wrote the posts and wherever they live; only the
text is fetched live.

A page nests replies under their parent down to `MAX_DEPTH` levels; a deeper reply is listed
at the deepest level, just after the post it answers, and like every reply it links to that
post ("in reply to River's post"): an anchor on the same page, or the parent's own thread page
when the parent is not on this one. Every post links to its thread page with its reply count.
A thread page shows one post and its replies, oldest first, up to `posts.PAGE_SIZE` posts.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession

from actors import personas, subnets
from actors.errors import NotFound
from actors.ids import LocalIds
from actors.posts import (
    PAGE_SIZE,
    ContentResolver,
    Entry,
    Page,
    entries_of,
    local_entries,
    page_of,
    to_resolve,
)
from storage import posts as store
from storage.models import Person, Post, PostRef

MAX_DEPTH = 3  # levels of replies nested under a post; deeper ones are listed at this level
MAX_LEVELS = 40  # how far down a thread page follows replies of replies


def anchor(uri: str) -> str:
    """The HTML id of a post on a page (post URIs are not valid ids)."""
    return "post-" + hashlib.sha256(uri.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Parent:
    """The post a reply answers: its author's name ("" when not known here), and whether it is
    on the same page (then the link is an anchor, else its thread page) or gone (deleted,
    removed or held: no link)."""

    uri: str
    name: str
    on_page: bool
    gone: bool = False

    @property
    def anchor(self) -> str:
        return anchor(self.uri)


@dataclass
class Shown:
    """A post in its place in a thread: `depth` 0 at the top, its replies in `children`."""

    entry: Entry
    depth: int
    replies: int
    parent: Parent | None
    children: list[Shown] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return anchor(self.entry.uri)


@dataclass(frozen=True)
class Threads:
    """What a page needs besides its posts to show them as threads."""

    replies: dict[str, int]  # direct visible replies of each post shown
    parent_names: dict[str, str]  # authors of answered posts that are not on the page
    parent_refs: tuple[PostRef, ...] = ()  # those of them stored elsewhere: named once fetched
    gone: frozenset[str] = frozenset()  # answered posts this node no longer shows


async def threads_of(
    s: AsyncSession,
    ids: LocalIds,
    *,
    subnet_uri: str,
    shown: Sequence[str],
    answered: Collection[str],
) -> Threads:
    """Reply counts of the posts `shown`, who wrote the posts they answer that are not shown
    but were written here, and the references to those written elsewhere (named by `resolve`):
    a fixed number of queries, however many posts."""
    replies = await store.reply_counts(s, subnet_uri, shown)
    off_page = sorted(set(answered) - set(shown))
    names: dict[str, str] = {}
    local_ids = {ids.post_id(uri): uri for uri in off_page if ids.post_id(uri)}
    rows = await store.visible_posts_with_authors(s, subnet_uri, [i for i in local_ids if i])
    authored = await personas.names_in(s, subnet_uri, [author for _, author in rows])
    for post, author in rows:
        names[ids.post(post.id)] = authored[author.id]
    refs = await store.refs_by_uri(s, [uri for uri in off_page if not ids.post_id(uri)])
    visible = [
        ref
        for ref in refs.values()
        if ref.subnet_uri == subnet_uri and ref.moderation_state == "visible"
    ]
    gone = set(off_page) - set(names) - {ref.object_uri for ref in visible}
    return Threads(replies, names, tuple(visible), frozenset(gone))


async def resolve(
    page: Page, threads: Threads, resolver: ContentResolver
) -> tuple[list[Entry], Threads]:
    """The page's entries (as `posts.resolve_page`) and its threads with the authors of the
    posts answered elsewhere named: their homes are asked in the same batch as the page's own
    posts (one request per home node), so naming them costs no extra round trip."""
    resolved = await resolver.resolve(
        to_resolve([*page.refs, *threads.parent_refs]), page.reader_uri
    )
    names = dict(threads.parent_names)
    for ref in threads.parent_refs:
        found = resolved.get(ref.object_uri)
        names[ref.object_uri] = found.author_name if found else ""
    return entries_of(page, resolved), replace(threads, parent_names=names)


def page_threads(page: Page) -> tuple[list[str], set[str]]:
    """The posts a page shows and the posts they answer (for `threads_of`)."""
    shown = [entry.uri for entry in page.local] + [ref.object_uri for ref in page.refs]
    answered = {entry.in_reply_to for entry in page.local if entry.in_reply_to}
    answered |= {ref.in_reply_to for ref in page.refs if ref.in_reply_to}
    return shown, answered


def nest(
    entries: Sequence[Entry],
    threads: Threads,
    *,
    top: Sequence[str] = (),
    max_depth: int = MAX_DEPTH,
) -> list[Shown]:
    """`entries` as threads. A post whose parent is among them goes under it (oldest reply
    first); the others are at the top, in the order given — or only `top`, when given (a
    thread page's first post). A chain of replies that loops (a partner can send anything) is
    broken where it is first met."""
    by_uri = {entry.uri: entry for entry in entries}
    parent_of = {
        entry.uri: entry.in_reply_to
        for entry in entries
        if entry.in_reply_to in by_uri and entry.in_reply_to != entry.uri
    }
    for uri in list(parent_of):
        seen = {uri}
        at = parent_of.get(uri)
        while at is not None and at not in seen:
            seen.add(at)
            at = parent_of.get(at)
        if at is not None:  # a loop: cut it at this post
            parent_of.pop(uri, None)
    children: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.uri in parent_of:
            children[parent_of[entry.uri]].append(entry)
    for replies in children.values():
        replies.sort(key=lambda entry: (entry.published, entry.uri))

    def parent(entry: Entry) -> Parent | None:
        uri = entry.in_reply_to
        if not uri:
            return None
        if uri in by_uri:
            return Parent(uri, by_uri[uri].author_name, True)
        return Parent(uri, threads.parent_names.get(uri, ""), False, uri in threads.gone)

    def place(entry: Entry, depth: int) -> list[Shown]:
        shown = Shown(entry, depth, threads.replies.get(entry.uri, 0), parent(entry))
        if depth < max_depth:
            shown.children = [
                placed for reply in children[entry.uri] for placed in place(reply, depth + 1)
            ]
            return [shown]
        flat = [shown]  # the deepest level: replies follow, one after another
        for reply in children[entry.uri]:
            flat += place(reply, depth)
        return flat

    roots = (
        [by_uri[uri] for uri in top if uri in by_uri]
        if top
        else [entry for entry in entries if entry.uri not in parent_of]
    )
    return [placed for entry in roots for placed in place(entry, 0)]


@dataclass(frozen=True)
class ThreadPage:
    """A post and its replies, before remote text is resolved."""

    page: Page
    root_uri: str
    more: bool  # the thread goes on beyond what one page shows


async def thread_page(
    s: AsyncSession, ids: LocalIds, *, person: Person, post_uri: str, node_name: str
) -> ThreadPage:
    """The post `post_uri` and its replies (and theirs), for a member of its subnet; NotFound
    for anyone else, or when the post is not visible here."""
    post_id = ids.post_id(post_uri)
    root: tuple[Post, Person] | None = None
    root_ref: PostRef | None = None
    if post_id:
        found = await store.posts_with_authors(s, [post_id])
        if found and found[0][0].moderation_state == "visible":
            root = found[0]
    else:
        root_ref = await store.ref_by_uri(s, post_uri)
        if root_ref is not None and root_ref.moderation_state != "visible":
            root_ref = None
    if root is None and root_ref is None:
        raise NotFound("There is no such post.")
    subnet_uri = root[0].subnet_uri if root else root_ref.subnet_uri  # type: ignore[union-attr]
    summary = await subnets.subnet_for_member(s, ids, person, subnet_uri, node_name)
    rows = [root] if root else []
    refs = [root_ref] if root_ref else []
    level, seen, more = [post_uri], {post_uri}, False
    for _ in range(MAX_LEVELS):
        room = PAGE_SIZE - len(rows) - len(refs)
        if not level or room <= 0:
            break
        found_rows, found_refs = await store.replies_to(s, subnet_uri, level, room + 1)
        new_rows = [(p, a) for p, a in found_rows if ids.post(p.id) not in seen]
        new_refs = [r for r in found_refs if r.object_uri not in seen]
        merged = sorted(
            [(p.published, ids.post(p.id), (p, a)) for p, a in new_rows]
            + [(r.published, r.object_uri, r) for r in new_refs],
            key=lambda item: (item[0], item[1]),
        )
        if len(merged) > room:
            merged, more = merged[:room], True
        level = []
        for _, uri, item in merged:
            seen.add(uri)
            level.append(uri)
            if isinstance(item, PostRef):
                refs.append(item)
            else:
                rows.append(item)
    if level and not more:
        more = any(await store.replies_to(s, subnet_uri, level, 1))
    local = await local_entries(
        s, ids, person=person, subnet_uri=subnet_uri, rows=rows, node_name=node_name
    )
    page = await page_of(s, summary=summary, local=local, refs=refs)
    return ThreadPage(page, post_uri, more)
