"""What a node's health checks and metrics read from the database: queue depths and ages.

Three queues wait for workers: inbound activities (`inbox_item`), the outbox (`event`) and
outbound deliveries (`delivery`). For each: how many wait, when the oldest arrived, and when the
longest-waiting *due* one became due (a delivery backing off from a dead peer is not due, so a
peer's outage alone never makes this node look stuck). Counts only: no row content is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Event, InboxItem, Peer


@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int
    oldest: datetime | None  # when the oldest waiting item was queued
    oldest_due: datetime | None  # since when the longest-waiting due item has been due


async def ping(s: AsyncSession) -> None:
    """One round trip; raises whatever the driver raises when the database is unreachable."""
    await s.execute(text("SELECT 1"))


async def queue_states(s: AsyncSession, now: datetime) -> list[QueueState]:
    inbox_pending = InboxItem.state == "pending"
    inbox = (
        await s.execute(select(func.count(), func.min(InboxItem.received_at)).where(inbox_pending))
    ).one()
    inbox_due = await s.scalar(
        select(func.min(InboxItem.next_attempt_at)).where(
            inbox_pending, InboxItem.next_attempt_at <= now
        )
    )
    event_pending = Event.state == "pending"
    events = (
        await s.execute(select(func.count(), func.min(Event.created_at)).where(event_pending))
    ).one()
    events_due = await s.scalar(  # a new event is due at once (queues.AT_ONCE): since written
        select(func.min(Event.created_at)).where(event_pending, Event.next_attempt_at <= now)
    )
    delivery_pending = Delivery.state == "pending"
    deliveries = (
        await s.execute(select(func.count(), func.min(Delivery.created_at)).where(delivery_pending))
    ).one()
    delivery_due = await s.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            delivery_pending, Delivery.next_attempt_at <= now
        )
    )
    return [
        QueueState("inbox", int(inbox[0]), inbox[1], inbox_due),
        QueueState("outbox", int(events[0]), events[1], events_due),
        QueueState("delivery", int(deliveries[0]), deliveries[1], delivery_due),
    ]


async def pending_deliveries_by_host(s: AsyncSession) -> dict[str, int]:
    """Deliveries waiting, per peer node's host (agreed peers only: never a person)."""
    rows = await s.execute(
        select(Peer.host, func.count())
        .join(Delivery, Delivery.peer_id == Peer.id)
        .where(Delivery.state == "pending")
        .group_by(Peer.host)
    )
    return {str(host): int(count) for host, count in rows.all()}
