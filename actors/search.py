"""Search: the words a person looks for, in one subnet or across all of theirs, newest first.

Text written here is found through the database's full-text index (`storage/search.py`). Text
that lives on another node is searched at its home: every node that is home to posts referenced
in the subnets being searched is asked (a `RemoteSearcher`, which `federation/` implements),
naming the reader in each subnet so the home can check and audit the read. Nothing found there
is written here. A home that does not answer is named in the results, so the person knows the
list may be incomplete.

Snippets are made here, for local and remote posts alike, as plain-text segments flagged as
matching or not: the page escapes every segment, so a post's text can never become markup.
Numbers are hidden in snippets of subnets that mask them (the reader can open the post).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from actors import avatars, numbers, personas, posts, subnets
from actors.errors import Invalid
from actors.ids import LocalIds, host_of
from storage import peers as peer_store
from storage import personas as persona_store
from storage import posts as post_store
from storage import search as store
from storage.models import Peer, Person

MAX_RESULTS = 20  # per page, and per home asked: each one shown is an audited read there
MAX_TERMS = 8
MAX_SCOPES = 100
MAX_TERM_LENGTH = 64
SNIPPET_WIDTH = 200
_WORD = re.compile(r"[^\W_]+")

Segment = tuple[str, bool]  # (text, whether it matches a searched word)


def fold(word: str) -> str:
    """A word compared without case or accents."""
    folded = word.casefold()
    if folded.isascii():  # most words: nothing to decompose (snippets fold every word shown)
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms_of(query: str) -> list[str]:
    """The words searched for, lower case: letters and digits only, two characters or more, at
    most `MAX_TERMS`; Invalid when none is left. (SQLite's index also ignores accents, so there
    "cafe" finds "café"; PostgreSQL's finds it only for "café".)"""
    terms: list[str] = []
    for word in _WORD.findall(query):  # accents kept: PostgreSQL's `simple` index keeps them
        term = word.casefold()[:MAX_TERM_LENGTH]
        if len(term) >= 2 and term not in terms:
            terms.append(term)
    if not terms:
        raise Invalid("Enter a word to search for (2 letters or more).")
    return terms[:MAX_TERMS]


def snippet(content: str, terms: Sequence[str], width: int = SNIPPET_WIDTH) -> list[Segment]:
    """Up to `width` characters of `content` around its first match, matching words flagged."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(content)]
    folded = [fold(term) for term in terms]
    hits = [(a, b) for a, b in words if any(fold(content[a:b]).startswith(t) for t in folded)]
    start = 0
    if hits and hits[0][0] > width // 3:
        start = next(a for a, _ in words if a >= hits[0][0] - width // 3)
    end = min(len(content), start + width)
    if end < len(content):
        cut = content.rfind(" ", start, end)
        end = cut if cut > start else end
    segments: list[Segment] = [("…", False)] if start > 0 else []
    at = start
    for a, b in hits:
        if a < start or b > end:
            continue
        if a > at:
            segments.append((content[at:a], False))
        segments.append((content[a:b], True))
        at = b
    if end > at:
        segments.append((content[at:end], False))
    if end < len(content):
        segments.append(("…", False))
    return segments


@dataclass(frozen=True)
class Scope:
    """One subnet searched at a home, and who reads it there (the reader's URI in it)."""

    subnet_uri: str
    reader_uri: str


@dataclass(frozen=True)
class RemoteAsk:
    """What to ask one home node: the subnets whose posts it holds, for this reader."""

    peer_id: str
    scopes: tuple[Scope, ...]


@dataclass(frozen=True)
class RemoteAnswers:
    found: Mapping[str, posts.ResolvedContent]  # by object URI
    unanswered: frozenset[str]  # peer ids that did not answer in time


class RemoteSearcher(Protocol):
    """Searches posts at their home nodes, all asked at once within a time limit."""

    async def search(self, asks: Sequence[RemoteAsk], terms: Sequence[str]) -> RemoteAnswers: ...


@dataclass(frozen=True)
class Hit:
    uri: str
    subnet_uri: str
    subnet_name: str
    published: datetime
    author_name: str
    author_home: str
    snippet: list[Segment]
    avatar: str | None = None  # the author's built-in avatar (actors/avatars.py)


@dataclass(frozen=True)
class Plan:
    """A search after its local part, before the homes are asked."""

    query: str
    terms: list[str]
    subnets: dict[str, subnets.SubnetSummary]
    local: list[Hit]
    asks: list[RemoteAsk]
    peer_names: dict[str, str]


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    unanswered: list[str]  # names of trusts that did not answer


def _shown(content: str, setting: str, mine: bool) -> str:
    return content if mine or setting == "shown" else numbers.masked(content)


async def plan(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    query: str,
    node_name: str,
    subnet_uri: str | None = None,
) -> Plan:
    """Search the text written here and say which homes to ask; NotFound when `subnet_uri`
    is given and the person is not a member of it, Invalid when the query has no words."""
    terms = terms_of(query)
    if subnet_uri:
        chosen = [await subnets.subnet_for_member(s, ids, person, subnet_uri, node_name)]
    else:
        chosen = await subnets.subnets_of(s, ids, person, node_name)
    by_uri = {summary.uri: summary for summary in chosen}
    local = []
    rows = await store.matching_posts(s, list(by_uri), terms, MAX_RESULTS)
    names: dict[tuple[str, str], str] = {}
    for uri in {post.subnet_uri for post, _ in rows}:
        authors = list(
            {author.id: author for post, author in rows if post.subnet_uri == uri}.values()
        )
        for person_id, name in (await personas.names_in(s, uri, authors)).items():
            names[(uri, person_id)] = name
    for post, author in rows:
        summary = by_uri[post.subnet_uri]
        name = names[(post.subnet_uri, author.id)]
        text = _shown(post.content, summary.numbers, author.id == person.id)
        local.append(
            Hit(
                ids.post(post.id),
                post.subnet_uri,
                summary.name,
                post.published,
                name,
                node_name,
                snippet(text, terms),
                avatars.chosen(author.avatar),
            )
        )
    mine = await persona_store.personas_of(s, person.id)
    readers = {persona.subnet_uri: ids.member(persona.id) for persona in mine}
    asks = []
    for peer_id, uris in sorted((await store.homes_of_refs(s, list(by_uri))).items()):
        scopes = tuple(Scope(uri, readers[uri]) for uri in sorted(uris) if uri in readers)
        if scopes:
            asks.append(RemoteAsk(peer_id, scopes))
    peer_names = {peer.id: peer.name for peer in await peer_store.list_peers(s)}
    return Plan(query, terms, by_uri, local, asks, peer_names)


async def merge(s: AsyncSession, plan: Plan, answers: RemoteAnswers) -> Results:
    """Local and remote hits, newest first; a remote post is shown only where this node holds
    a visible reference to it, in the subnet and from the home it was asked of."""
    asked = {(ask.peer_id, scope.subnet_uri) for ask in plan.asks for scope in ask.scopes}
    refs = await post_store.refs_by_uri(s, list(answers.found))
    remote = []
    for uri, content in answers.found.items():
        ref = refs.get(uri)
        if ref is None or ref.moderation_state != "visible":
            continue
        if (ref.peer_id, ref.subnet_uri) not in asked:
            continue
        summary = plan.subnets[ref.subnet_uri]
        remote.append(
            Hit(
                uri,
                ref.subnet_uri,
                summary.name,
                ref.published,
                content.author_name,
                plan.peer_names.get(ref.peer_id, ""),
                snippet(_shown(content.content, summary.numbers, False), plan.terms),
                content.avatar,
            )
        )
    hits = sorted(plan.local + remote, key=lambda hit: hit.published, reverse=True)
    unanswered = sorted(plan.peer_names.get(p, "A partner trust") for p in answers.unanswered)
    return Results(plan.query, hits[:MAX_RESULTS], unanswered)


async def search_for_peer(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    scopes: Sequence[Scope],
    terms: Sequence[str],
    now: datetime,
) -> list[posts.Authored]:
    """A partner node searches the posts written here for one of its people: only subnets
    that node takes part in, for a reader on that node; each post answered is a read, checked
    and audited as `posts.readable_posts` does for a batched fetch. Newest first."""
    readers: dict[str, str] = {}
    for scope in scopes[:MAX_SCOPES]:
        if host_of(scope.reader_uri) != peer.host:
            continue
        if await subnets.node_may_see(s, ids, scope.subnet_uri, peer):
            readers[scope.subnet_uri] = scope.reader_uri
    rows = await store.matching_posts(s, list(readers), terms, MAX_RESULTS)
    found: list[posts.Authored] = []
    for subnet_uri, reader in readers.items():
        post_ids = [post.id for post, _ in rows if post.subnet_uri == subnet_uri]
        if post_ids:
            found += await posts.readable_posts(
                s, ids, post_ids=post_ids, peer=peer, reader_uri=reader, now=now
            )
    return sorted(found, key=lambda item: item.post.published, reverse=True)
