"""The audit trail as the trust's admins use it: check that the chain is whole, and export a
date range as CSV (for an information-governance request, say). Exporting is itself audited.

Entries are appended by `storage.audit.record` wherever staff act; this module only reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import Invalid, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from storage import audit
from storage.audit import ChainCheck
from storage.models import Audit, Person

CSV_COLUMNS = ("seq", "at", "who", "action", "target", "via", "prev_hash", "hash")
MAX_RANGE_DAYS = 366

__all__ = ["ChainCheck", "export", "parse_range", "to_csv", "verify"]


async def verify(s: AsyncSession) -> ChainCheck:
    return await audit.verify(s)


def parse_range(start: str, end: str) -> tuple[datetime, datetime]:
    """Two ISO dates (YYYY-MM-DD), both days included, as a half-open UTC range."""
    days = []
    for text, name in ((start, "from"), (end, "to")):
        try:
            days.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise Invalid(f"Give the {name} date as YYYY-MM-DD, like 2026-01-31.", name) from None
    first, last = days
    if last < first:
        raise Invalid("The to date must not be before the from date.", "to")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise Invalid(f"Export at most {MAX_RANGE_DAYS} days at a time.", "to")
    begin = datetime.combine(first, time.min, UTC)
    return begin, datetime.combine(last + timedelta(days=1), time.min, UTC)


def to_csv(entries: Sequence[Audit]) -> str:
    """Entries as CSV with a header row; cells that a spreadsheet would run as a formula are
    prefixed with an apostrophe (OWASP CSV injection)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        cells = [
            entry.seq,
            entry.at.isoformat(timespec="seconds"),
            entry.who,
            entry.action,
            entry.target,
            entry.via or "",
            entry.prev_hash,
            entry.hash,
        ]
        writer.writerow([_inert(cell) for cell in cells])
    return out.getvalue()


def _inert(cell: object) -> object:
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


async def export(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person | None,
    start: str,
    end: str,
    now: datetime,
) -> str:
    """The entries from `start` to `end` (dates, inclusive) as CSV. `viewer` None is the
    trust's admin at the node's command line."""
    if viewer is not None and not may(viewer.role, Action.EXPORT_AUDIT):
        raise NotPermitted("Only the trust's admins can export the audit log.")
    begin, finish = parse_range(start, end)
    entries = await audit.entries_between(s, begin, finish)
    who = ids.person(viewer.id) if viewer is not None else "cli"
    await audit.record(
        s, at=now, who=who, action="audit.exported", target=f"{begin.date()}/{end.strip()}"
    )
    return to_csv(entries)
