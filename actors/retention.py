"""Per-subnet policy settings and the retention job that enforces `retention_days`.

Retention runs at a subnet's home: our own expired posts are erased (and partners told by
Delete); references to partners' expired posts are dropped and their authors' nodes told to
erase them, so the content goes everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors import threads
from actors.errors import Invalid
from actors.ids import LocalIds
from actors.subnets import local_subnet
from storage import posts as post_store
from storage import queues
from storage import subnets as store
from storage.models import Subnet

POSTING = ("all", "staff")


@dataclass(frozen=True)
class PolicyChange:
    posting: str | None = None
    premoderation: bool | None = None
    join_approval: bool | None = None
    retention_days: int | None = None  # 0 clears it


def checked(change: PolicyChange) -> PolicyChange:
    """Pure validation, so a bad value changes nothing."""
    if change.posting is not None and change.posting not in POSTING:
        raise Invalid("Posting must be 'all' (every member) or 'staff' (an information subnet).")
    if change.retention_days is not None and not 0 <= change.retention_days <= 36_500:
        raise Invalid("Retention must be between 1 and 36500 days (0 to keep posts).")
    return change


async def set_policy(s: AsyncSession, *, slug: str, change: PolicyChange, now: datetime) -> Subnet:
    change = checked(change)
    subnet = await local_subnet(s, slug)
    if change.posting is not None:
        subnet.posting_policy = change.posting
    if change.premoderation is not None:
        subnet.premoderation = change.premoderation
    if change.join_approval is not None:
        subnet.join_approval = change.join_approval
    if change.retention_days is not None:
        subnet.retention_days = change.retention_days or None
    await queues.add_event(s, "subnet.partners_changed", {"slug": slug}, now)
    return subnet


async def run_retention(s: AsyncSession, ids: LocalIds, now: datetime) -> int:
    """Erase what is older than each local subnet's retention period; returns how many."""
    count = 0
    for subnet in await store.list_subnets(s):
        if not subnet.retention_days:
            continue
        uri = ids.subnet(subnet.slug)
        cutoff = now - timedelta(days=subnet.retention_days)
        for post in await post_store.expired_posts(s, uri, cutoff):
            await threads.erase(s, ids, post=post, now=now, who="retention")
            count += 1
        for ref in await post_store.expired_refs(s, uri, cutoff):
            await threads.remove_reference(s, ids, person=None, object_uri=ref.object_uri, now=now)
            count += 1
    return count
