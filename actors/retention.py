"""Per-subnet policy settings and the retention job that enforces `retention_days`.

Retention runs at a subnet's home: our own expired posts are erased (and partners told by
Delete); references to partners' expired posts are dropped and their authors' nodes told to
erase them, so the content goes everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, numbers, threads
from actors.errors import Invalid
from actors.events import EventKind
from actors.ids import LocalIds
from actors.policy import SUBNET_KINDS
from actors.subnets import KIND_PROBLEM, learning_space_problems, local_subnet
from storage import audit
from storage import posts as post_store
from storage import subnets as store
from storage.models import Subnet

POSTING = ("all", "staff")
AUDIENCES = ("adults", "under_18")


@dataclass(frozen=True)
class PolicyChange:
    posting: str | None = None
    premoderation: bool | None = None
    join_approval: bool | None = None
    retention_days: int | None = None  # 0 clears it
    numbers: str | None = None  # shown | masked | hidden (actors/numbers.py)
    audience: str | None = None  # "adults" or "under_18"
    hold_concern: bool | None = None  # None with a new audience: that audience's default
    peer_messages: bool | None = None  # members message each other privately (home only)
    kind: str | None = None  # "support" or "learning" (a learning space: actors/policy.py)


def problems(change: PolicyChange) -> list[Invalid]:
    """Everything wrong with a policy, each naming its field, so a form lists it all at once."""
    found = []
    if change.posting is not None and change.posting not in POSTING:
        found.append(
            Invalid(
                "Posting must be 'all' (every member) or 'staff' (an information subnet).",
                "posting",
            )
        )
    if change.retention_days is not None and not 0 <= change.retention_days <= 36_500:
        found.append(
            Invalid(
                "Retention must be between 1 and 36500 days (0 to keep posts).", "retention_days"
            )
        )
    if change.numbers is not None and change.numbers not in numbers.SETTINGS:
        found.append(
            Invalid(
                "Numbers must be 'shown', 'masked' (readers tap to see) or 'hidden'.", "numbers"
            )
        )
    if change.audience is not None and change.audience not in AUDIENCES:
        found.append(Invalid("Audience must be 'adults' or 'under_18'.", "audience"))
    if change.kind is not None and change.kind not in SUBNET_KINDS:
        found.append(Invalid(KIND_PROBLEM, "kind"))
    return found


def checked(change: PolicyChange) -> PolicyChange:
    """Pure validation, so a bad value changes nothing."""
    found = problems(change)
    if found:
        raise found[0]
    return change


async def set_policy(
    s: AsyncSession,
    ids: LocalIds,
    *,
    slug: str,
    change: PolicyChange,
    now: datetime,
    who: str = "cli",
) -> Subnet:
    change = checked(change)
    subnet = await local_subnet(s, slug)
    if change.kind is not None and change.kind != subnet.kind:
        if change.kind == "learning":
            for problem in await learning_space_problems(s, ids, subnet):
                raise problem
        subnet.kind = change.kind
    if change.posting is not None:
        subnet.posting_policy = change.posting
    if change.premoderation is not None:
        subnet.premoderation = change.premoderation
    if change.join_approval is not None:
        subnet.join_approval = change.join_approval
    if change.retention_days is not None:
        subnet.retention_days = change.retention_days or None
    if change.numbers is not None:
        subnet.numbers = change.numbers
    if change.audience is not None and change.audience != subnet.audience:
        subnet.audience = change.audience
        subnet.hold_concern = change.audience == "under_18"  # the default for that audience
    if change.hold_concern is not None:
        subnet.hold_concern = change.hold_concern
    if change.peer_messages is not None:
        subnet.peer_messages = change.peer_messages
    await events.record(s, EventKind.SUBNET_PARTNERS_CHANGED, {"slug": slug}, now)
    await audit.record(s, at=now, who=who, action="subnet.policy_changed", target=slug)
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
