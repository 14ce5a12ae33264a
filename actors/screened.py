"""What screening does to a text written here, before it is committed (design.md, "Safety at
the author's home").

`urgent` holds the post (`moderation_state = "screened"`: shown to its author and this trust's
clinicians only; no event, so nothing about it leaves this node) and raises an alert that also
pages. `concern` raises an alert; the post is held too where the subnet holds concern posts
(by default those whose audience is under 18), else published as the subnet's policy says.

A journal entry its author shares with their clinicians is screened too (`actors/journal.py`):
an alert is raised about it, nothing is held.

A name a person chooses for others to read (their pseudonym, or the one they use in one
subnet) is screened too: one that screening flags at any level is not applied — the name
others see stays as it was — and raises an alert carrying it, so the team can reach the person
and, if it is fine after all, apply it (`actors/alerts.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors.ids import LocalIds
from actors.screening import Screener, Screening
from storage import alerts as store
from storage import audit
from storage.models import Alert, JournalEntry, Message, Page, Post

SCREENED = "screened"


def holds(screening: Screening, *, hold_concern: bool) -> bool:
    """Whether a post with this screening waits at home for a clinician."""
    return screening.level == "urgent" or (screening.level == "concern" and hold_concern)


def signposts(level: str, categories: Sequence[str]) -> bool:
    """Whether the author is shown crisis support next: for anything screening found but
    eating-disorder numbers alone, which the subnet's note about numbers already speaks to."""
    return level == "urgent" or (level == "concern" and bool(set(categories) - {"ed_numbers"}))


def record_on(post: Post, screening: Screening) -> None:
    post.screening_level = screening.level
    post.screening_categories = list(screening.categories)
    post.screening_score = screening.score


async def _raise(s: AsyncSession, alert: Alert, now: datetime, target: str) -> Alert:
    """Record an alert; an urgent one also queues a call to the trust's paging webhook."""
    alert = await store.add_alert(s, alert)
    if alert.level == "urgent":
        await store.add_page(
            s, Page(alert_id=alert.id, kind="alert", next_attempt_at=now, created_at=now)
        )
    await audit.record(s, at=now, who="screening", action="alert.raised", target=target)
    return alert


async def raise_alert(
    s: AsyncSession, ids: LocalIds, *, post: Post, screening: Screening, held: bool, now: datetime
) -> Alert | None:
    """Record what screening found about a post written here (nothing, for level none)."""
    if screening.level == "none":
        return None
    alert = Alert(
        post_id=post.id,
        subject="post",
        author_id=post.author_id,
        subnet_uri=post.subnet_uri,
        level=screening.level,
        categories=list(screening.categories),
        score=screening.score,
        held=held,
        created_at=now,
    )
    return await _raise(s, alert, now, ids.post(post.id))


async def raise_journal_alert(
    s: AsyncSession, ids: LocalIds, *, entry: JournalEntry, screening: Screening, now: datetime
) -> Alert | None:
    """Record what screening found in a journal entry its author shared with this trust's
    clinicians (nothing, for level none). Nothing is held: the clinicians already see it."""
    if screening.level == "none":
        return None
    alert = Alert(
        subject="journal",
        journal_entry_id=entry.id,
        author_id=entry.person_id,
        subnet_uri="",
        level=screening.level,
        categories=list(screening.categories),
        score=screening.score,
        held=False,
        created_at=now,
    )
    return await _raise(s, alert, now, ids.person(entry.person_id))


async def screen_name(
    s: AsyncSession,
    ids: LocalIds,
    *,
    screener: Screener,
    person_id: str,
    name: str,
    subnet_uri: str,
    now: datetime,
) -> Alert | None:
    """Screen a name a person chose for others to read (in `subnet_uri`, or everywhere when it
    is ""). None: it may be shown. Otherwise the name must not be applied: the alert raised
    about it is returned (held, so partners never learn it)."""
    screening = screener.screen(name)
    if screening.level == "none":
        return None
    alert = Alert(
        subject="name",
        text=name,
        author_id=person_id,
        subnet_uri=subnet_uri,
        level=screening.level,
        categories=list(screening.categories),
        score=screening.score,
        held=True,
        created_at=now,
    )
    return await _raise(s, alert, now, ids.person(person_id))


async def raise_message_alert(
    s: AsyncSession,
    *,
    message: Message,
    subnet_uri: str,
    screening: Screening,
    held: bool,
    target: str,
    now: datetime,
) -> Alert | None:
    """Record what screening found about a private message written here (nothing, for level
    none). The alert carries the text, and goes with the message (retention, erasure)."""
    if screening.level == "none" or message.author_id is None:
        return None
    alert = Alert(
        subject="message",
        message_id=message.id,
        text=message.content,
        author_id=message.author_id,
        subnet_uri=subnet_uri,
        level=screening.level,
        categories=list(screening.categories),
        score=screening.score,
        held=held,
        created_at=now,
    )
    return await _raise(s, alert, now, target)
