"""What a member chooses not to see: people and words they muted, and a break.

Muting changes only the muting person's view: a post by someone muted, or containing a muted
word, is collapsed behind "hidden: …" (they can still open it), and nobody else is told. A
word matches whole words, ignoring case. Taking a break hides the chosen subnets from their
list and pauses their notices, for a day, a week, or until they come back (`notices_paused`
is what notices ask).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import Invalid, NotFound, NotPermitted
from actors.policy import Action, may
from actors.posts import Entry
from actors.text import line_text
from storage import controls as store
from storage.models import Mute, Person

MUTED_PERSON = "hidden: someone you muted"
MUTED_WORD = "hidden: a word you muted"
MAX_WORDS = 100
BREAKS: dict[str, timedelta | None] = {
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "back": None,  # until I come back
}


@dataclass(frozen=True)
class Mutes:
    people: frozenset[str]
    words: tuple[str, ...]
    rows: tuple[Mute, ...] = ()


def _require(person: Person, action: Action) -> None:
    if not may(person.role, action):
        raise NotPermitted("You cannot change this.")


async def mutes_of(s: AsyncSession, person: Person) -> Mutes:
    rows = tuple(await store.mutes_of(s, person.id))
    return Mutes(
        frozenset(row.value for row in rows if row.kind == "person"),
        tuple(row.value for row in rows if row.kind == "word"),
        rows,
    )


def hidden_because(content: str | None, author_uri: str, mutes: Mutes) -> str | None:
    """Why a post is collapsed for this reader, or None to show it."""
    if author_uri and author_uri in mutes.people:
        return MUTED_PERSON
    if content and any(_word_in(word, content) for word in mutes.words):
        return MUTED_WORD
    return None


def _word_in(word: str, content: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", content, re.IGNORECASE) is not None


def apply(entries: Sequence[Entry], mutes: Mutes) -> list[Entry]:
    """Entries with `muted` set where the reader muted their author or a word in them (never
    the reader's own posts)."""
    return [
        entry
        if entry.mine
        else replace(entry, muted=hidden_because(entry.content, entry.author_uri, mutes))
        for entry in entries
    ]


async def mute_person(
    s: AsyncSession, *, person: Person, author_uri: str, name: str, now: datetime
) -> None:
    """Mute the author of a post (by the URI they write under in that subnet)."""
    _require(person, Action.MUTE)
    if not author_uri.startswith(("https://", "http://")) or len(author_uri) > 255:
        raise Invalid("Choose a post's author to mute.")
    label = _line(name, "A name")[:200] or "A member"
    await store.add_mute(
        s, person_id=person.id, kind="person", value=author_uri, label=label, now=now
    )


async def mute_word(s: AsyncSession, *, person: Person, word: str, now: datetime) -> None:
    _require(person, Action.MUTE)
    word = _line(word, "A muted word").casefold()
    if not 1 <= len(word) <= 50:
        raise Invalid("Enter a word or phrase of up to 50 characters.", "word")
    if len([row for row in await store.mutes_of(s, person.id) if row.kind == "word"]) >= MAX_WORDS:
        raise Invalid(f"You can mute up to {MAX_WORDS} words. Remove one first.", "word")
    await store.add_mute(s, person_id=person.id, kind="word", value=word, label=word, now=now)


def _line(text: str, what: str) -> str:
    return line_text(text, what, "word").strip()


async def unmute(s: AsyncSession, *, person: Person, mute_id: str) -> None:
    _require(person, Action.MUTE)
    if not await store.remove_mute(s, person.id, mute_id):
        raise NotFound("That is not muted.")


@dataclass(frozen=True)
class Break:
    subnet_uris: frozenset[str]
    until: datetime | None  # None: until they come back


async def current_break(s: AsyncSession, person_id: str, now: datetime) -> Break | None:
    """The break a person is on now (one that ran out is over)."""
    row = await store.time_out_of(s, person_id)
    if row is None or (row.until is not None and row.until <= now):
        return None
    return Break(frozenset(row.subnet_uris), row.until)


async def notices_paused(s: AsyncSession, person_id: str, now: datetime) -> bool:
    """Whether a person's notices wait: they are on a break."""
    return await current_break(s, person_id, now) is not None


async def take_break(
    s: AsyncSession,
    *,
    person: Person,
    subnet_uris: Sequence[str],
    length: str,
    theirs: Sequence[str],
    now: datetime,
) -> Break:
    """A break from the chosen subnets (any of `theirs`, the person's own) and from notices."""
    _require(person, Action.TAKE_BREAK)
    if length not in BREAKS:
        raise Invalid("Choose how long your break is.", "length")
    chosen = sorted(set(subnet_uris))
    if any(uri not in theirs for uri in chosen):
        raise Invalid("Choose from your own subnets.", "subnets")
    span = BREAKS[length]
    until = now + span if span is not None else None
    await store.set_time_out(s, person_id=person.id, subnet_uris=chosen, until=until, now=now)
    return Break(frozenset(chosen), until)


async def end_break(s: AsyncSession, *, person: Person) -> None:
    _require(person, Action.TAKE_BREAK)
    await store.end_time_out(s, person.id)
