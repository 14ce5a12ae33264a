"""The events `actors/` records for other nodes to hear of: every kind, declared once.

An operation records an event in the same transaction as the change it describes (a
transactional outbox); `federation/activities/` has exactly one planner per kind, which turns
it into activities for the nodes concerned (tests/federation/test_activity_families.py). A kind
is stored by its value, so renaming a member keeps rows already written readable; removing one
needs a migration of the pending rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import queues


class EventKind(StrEnum):
    # posts: a post written here, a partner's post a subnet hosted here accepted or dropped
    POST_CREATED = "post.created"
    POST_UPDATED = "post.updated"
    POST_DELETED = "post.deleted"
    REF_ACCEPTED = "ref.accepted"
    REF_REMOVED = "ref.removed"
    ERASURE_ACKNOWLEDGED = "erasure.acknowledged"
    # threads: what members do to posts
    REACTION_ADDED = "reaction.added"
    REACTION_REMOVED = "reaction.removed"
    MODERATION_DELETE = "moderation.delete"
    # membership of subnets across nodes
    MEMBERSHIP_JOINED = "membership.joined"
    MEMBERSHIP_LEFT = "membership.left"
    MEMBERSHIP_REMOVED = "membership.removed"
    JOIN_ANSWERED = "join.answered"
    MODERATOR_GRANTED = "moderator.granted"
    # sharing a subnet with partner nodes
    SUBNET_INVITED = "subnet.invited"
    SHARE_ANSWERED = "share.answered"
    SUBNET_UNSHARED = "subnet.unshared"
    SUBNET_PARTNERS_CHANGED = "subnet.partners_changed"
    # people as other nodes see them (their personas)
    PERSONA_UPDATED = "persona.updated"
    PERSON_UPDATED = "person.updated"
    PERSON_DELETED = "person.deleted"
    # moderation across nodes: reports, hiding, removal with a reason, sanctions, requests
    REPORT_MADE = "report.made"
    MODERATION_HIDDEN = "moderation.hidden"
    MODERATION_SHOWN = "moderation.shown"
    MODERATION_REMOVED = "moderation.removed"
    MODERATION_WARN = "moderation.warn"
    MODERATION_SUSPEND = "moderation.suspend"
    MODERATION_LIFT = "moderation.lift"
    MODERATION_REQUESTED = "moderation.requested"
    MODERATION_EDITED = "moderation.edited"


async def record(s: AsyncSession, kind: EventKind, payload: dict[str, Any], now: datetime) -> None:
    """Record that `kind` happened, to be planned once this transaction commits."""
    await record_many(s, kind, [payload], now)


async def record_many(
    s: AsyncSession, kind: EventKind, payloads: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Record that `kind` happened once for each payload, in order."""
    await queues.add_events(s, kind.value, payloads, now)
