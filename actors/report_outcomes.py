"""Closing reports once a post's fate is decided, on every node that holds them.

Reports of a post are kept at the reporter's node, the subnet's home and the post's home
(`actors/reports.py`). Whichever of them hears the outcome (decided here, or told by the
subnet's home or the post's home) closes its open reports of that post as reviewed, with the
outcome, so they leave every queue and count there; and its members who reported a post that
is no longer there (removed, deleted by its author, or hidden by a moderator) are told so,
the same wherever they are — never by whom, nor why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from actors import notices
from storage import moderation as store

Outcome = Literal["hidden", "shown", "removed", "deleted"]
GONE: frozenset[str] = frozenset({"hidden", "removed", "deleted"})
"""Outcomes after which the post is no longer there for the people who reported it."""


async def settle(s: AsyncSession, *, object_uri: str, outcome: Outcome, now: datetime) -> int:
    """Close this node's open reports of a post with `outcome` (telling our reporters when it
    is gone); how many were open. Nothing open: nothing happens (a decision heard twice)."""
    if outcome in GONE:
        await notices.tell_reporters(s, object_uri=object_uri, now=now)
    open_reports = await store.open_reports_of(s, object_uri)
    await store.review_reports(s, object_uri, now, outcome)
    return len(open_reports)
