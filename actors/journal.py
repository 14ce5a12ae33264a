"""A person's journal: entries with an optional mood (1–5) and tags, private unless shared.

An entry is the person's alone until they share it with their clinicians — the clinicians of
their home trust, this node — and it never leaves this node either way. A shared entry is
screened like a post (`actors/screened.py`): what worries us raises an alert for the trust, and
the person is shown crisis support. A private entry is screened only in memory, to offer the
person the same support: nothing about what it found is recorded, and no one else is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import people, screened
from actors.errors import Invalid, Invalids, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from actors.screening import Screener, Screening
from actors.text import line_text, post_text
from storage import audit
from storage import journal as store
from storage.models import Alert, JournalEntry, Person

MAX_TEXT = 10_000
MAX_TAGS = 10
MAX_TAG_LENGTH = 30
MOODS: dict[int, str] = {1: "Very low", 2: "Low", 3: "Okay", 4: "Good", 5: "Very good"}
SHOWN = 200  # entries on the journal page (the chart and table show their moods)


@dataclass(frozen=True)
class Draft:
    """What a person typed, checked: text, mood (None: not given) and tags."""

    text: str
    mood: int | None
    tags: tuple[str, ...]


def checked_draft(text: str, mood: str, tags: str) -> Draft:
    """An entry as it will be stored, or `Invalids` naming every field at fault at once."""
    problems: list[Invalid] = []
    try:
        text = post_text(text, "Your entry", "text")
    except Invalid as problem:
        problems.append(problem)
    else:
        if not text:
            problems.append(Invalid("Write something in your entry.", "text"))
        elif len(text) > MAX_TEXT:
            problems.append(Invalid(f"An entry can be at most {MAX_TEXT:,} characters.", "text"))
    score: int | None = None
    if mood.strip():
        if mood.strip() not in {str(n) for n in MOODS}:
            problems.append(Invalid("Choose a mood from 1 (very low) to 5 (very good).", "mood"))
        else:
            score = int(mood)
    found: list[str] = []
    try:
        for raw in line_text(tags, "Your tags", "tags").split(","):
            tag = raw.strip()
            if tag and tag.casefold() not in {t.casefold() for t in found}:
                found.append(tag)
    except Invalid as problem:
        problems.append(problem)
    if len(found) > MAX_TAGS:
        problems.append(Invalid(f"Use at most {MAX_TAGS} tags.", "tags"))
    if any(len(tag) > MAX_TAG_LENGTH for tag in found):
        problems.append(Invalid(f"A tag can be at most {MAX_TAG_LENGTH} characters.", "tags"))
    if problems:
        raise Invalids(problems)
    return Draft(text, score, tuple(found))


@dataclass(frozen=True)
class Written:
    """An entry after writing, editing or sharing it; `signpost`: show the person support now."""

    entry: JournalEntry
    signpost: bool


def _require_keeper(person: Person) -> None:
    if not may(person.role, Action.KEEP_JOURNAL):
        raise NotPermitted("A journal is for the people this service supports.")


async def _screen(
    s: AsyncSession,
    ids: LocalIds,
    entry: JournalEntry,
    screener: Screener,
    now: datetime,
) -> bool:
    """Screen the entry's text; for a shared one, record what was found and raise an alert."""
    screening: Screening = screener.screen(entry.text)
    if entry.shared_at is not None:
        entry.screening_level = screening.level
        await screened.raise_journal_alert(s, ids, entry=entry, screening=screening, now=now)
    return screened.signposts(screening.level, screening.categories)


async def write_entry(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    draft: Draft,
    share: bool,
    now: datetime,
    screener: Screener,
) -> Written:
    _require_keeper(person)
    entry = await store.add_entry(
        s,
        JournalEntry(
            person_id=person.id,
            text=draft.text,
            mood=draft.mood,
            tags=list(draft.tags),
            written_at=now,
            shared_at=now if share else None,
        ),
    )
    return Written(entry, await _screen(s, ids, entry, screener, now))


async def own_entry(s: AsyncSession, person: Person, entry_id: str) -> JournalEntry:
    """One of the person's own entries; NotFound for anyone else's (no hint that it exists)."""
    entry = await store.entry_of(s, person.id, entry_id)
    if entry is None or not may(person.role, Action.KEEP_JOURNAL):
        raise NotFound("There is no such entry in your journal.")
    return entry


async def edit_entry(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    entry_id: str,
    draft: Draft,
    share: bool,
    now: datetime,
    screener: Screener,
) -> Written:
    """Change an entry (and whether it is shared); a shared entry whose text is new, or an entry
    shared now, is screened again."""
    entry = await own_entry(s, person, entry_id)
    newly_seen = draft.text != entry.text or (share and entry.shared_at is None)
    entry.text, entry.mood, entry.tags, entry.updated_at = (
        draft.text,
        draft.mood,
        list(draft.tags),
        now,
    )
    _set_shared(entry, share, now)
    if not newly_seen:
        return Written(entry, False)
    return Written(entry, await _screen(s, ids, entry, screener, now))


def _set_shared(entry: JournalEntry, share: bool, now: datetime) -> None:
    if share and entry.shared_at is None:
        entry.shared_at = now
    elif not share:
        entry.shared_at, entry.screening_level = None, "none"


async def share_entry(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    entry_id: str,
    share: bool,
    now: datetime,
    screener: Screener,
) -> Written:
    """Share an entry with the person's clinicians (screened then), or make it private again."""
    entry = await own_entry(s, person, entry_id)
    was_shared = entry.shared_at is not None
    _set_shared(entry, share, now)
    if not share or was_shared:
        return Written(entry, False)
    return Written(entry, await _screen(s, ids, entry, screener, now))


async def delete_entry(s: AsyncSession, *, person: Person, entry_id: str) -> None:
    """The entry is erased; an alert raised about it keeps its record, without the text."""
    await store.delete_entry(s, await own_entry(s, person, entry_id))


async def entries(
    s: AsyncSession, person: Person, *, tag: str = "", limit: int = SHOWN
) -> list[JournalEntry]:
    """The person's own entries, newest first; with `tag`, those carrying it (any case)."""
    _require_keeper(person)
    rows = await store.entries_of(s, person.id, limit=None if tag else limit)
    if tag:
        wanted = tag.casefold()
        rows = [row for row in rows if wanted in {t.casefold() for t in row.tags}][:limit]
    return list(rows)


def tags_of(rows: Sequence[JournalEntry]) -> list[str]:
    """Every tag used, once each (the first spelling met), in alphabetical order."""
    seen: dict[str, str] = {}
    for row in rows:
        for tag in row.tags:
            seen.setdefault(tag.casefold(), tag)
    return sorted(seen.values(), key=str.casefold)


def mood_points(rows: Sequence[JournalEntry]) -> list[tuple[datetime, int]]:
    """(when, mood) of the entries that have a mood, oldest first: the mood chart's points."""
    return sorted((row.written_at, row.mood) for row in rows if row.mood is not None)


async def shared_with_clinician(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, person_id: str, now: datetime
) -> list[JournalEntry]:
    """The entries a person of this trust shared with their clinicians, newest first, for one of
    those clinicians (an admin, or anyone else, sees none); each look is audited."""
    if not may(viewer.role, Action.READ_SHARED_JOURNAL):
        return []
    person = await people.person_in_care(s, viewer, person_id)
    if not may(person.role, Action.KEEP_JOURNAL):
        return []
    rows = list(await store.entries_of(s, person.id, shared_only=True, limit=SHOWN))
    if rows:
        await audit.record(
            s,
            at=now,
            who=ids.person(viewer.id),
            action="journal.read",
            target=ids.person(person.id),
        )
    return rows


@dataclass(frozen=True)
class AfterEntry:
    """What the support page says after a person wrote an entry that screening flagged."""

    entry_id: str
    shared: bool


async def after_entry(s: AsyncSession, *, person: Person, entry_id: str) -> AfterEntry:
    entry = await own_entry(s, person, entry_id)
    return AfterEntry(entry.id, entry.shared_at is not None)


def alert_content(alert: Alert, entry: JournalEntry | None) -> tuple[str, str]:
    """(state, text) of a journal alert for the trust's clinicians: the entry's text while it is
    shared; once its author deleted it or made it private again, nothing of it."""
    if entry is None:
        return "deleted", ""
    if entry.shared_at is None:
        return "private", ""
    return "shared", entry.text
