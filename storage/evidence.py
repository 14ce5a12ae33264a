"""The rows the Evidence page is worked out from: times and kinds only, never text or names.

Each function reads one subnet's rows of one kind as plain tuples; `actors/evidence.py` turns
them into figures. Visits are written here too (one row per person, subnet and hour).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import insert_or
from storage.models import (
    Alert,
    Audit,
    Invitation,
    Membership,
    Person,
    Persona,
    Post,
    PostRef,
    SubnetVisit,
)


async def record_visit(s: AsyncSession, person_id: str, subnet_uri: str, hour: datetime) -> None:
    """Idempotent within the hour (two tabs of one person may race)."""
    await s.execute(
        insert_or(s, SubnetVisit)
        .values(person_id=person_id, subnet_uri=subnet_uri, hour=hour)
        .on_conflict_do_nothing(index_elements=["person_id", "subnet_uri", "hour"])
    )


async def visits(s: AsyncSession, subnet_uri: str) -> list[tuple[str, datetime]]:
    """(person id, hour) of every recorded visit to the subnet."""
    rows = await s.execute(
        select(SubnetVisit.person_id, SubnetVisit.hour).where(SubnetVisit.subnet_uri == subnet_uri)
    )
    return [(person_id, hour) for person_id, hour in rows.all()]


async def visits_of(s: AsyncSession, person_id: str) -> list[tuple[str, datetime]]:
    """(subnet URI, hour) of every visit recorded for one person (for "Your data")."""
    rows = await s.execute(
        select(SubnetVisit.subnet_uri, SubnetVisit.hour)
        .where(SubnetVisit.person_id == person_id)
        .order_by(SubnetVisit.hour)
    )
    return [(subnet_uri, hour) for subnet_uri, hour in rows.all()]


async def invitations_into(
    s: AsyncSession, slug: str
) -> list[tuple[datetime, datetime | None, str | None]]:
    """(created, used, used by) of every invitation that names the local subnet `slug`."""
    rows = await s.execute(
        select(
            Invitation.created_at, Invitation.used_at, Invitation.used_by, Invitation.subnet_slugs
        )
    )
    return [
        (created, used, used_by)
        for created, used, used_by, slugs in rows.all()
        if slug in (slugs or [])
    ]


async def local_people_in(s: AsyncSession, subnet_uri: str) -> list[tuple[str, str, str, datetime]]:
    """(persona id, person id, role, account created) of this trust's people known in a subnet."""
    rows = await s.execute(
        select(Persona.id, Person.id, Person.role, Person.created_at)
        .join(Person, Person.id == Persona.person_id)
        .where(Persona.subnet_uri == subnet_uri)
    )
    return [(persona, person, role, joined) for persona, person, role, joined in rows.all()]


async def memberships(s: AsyncSession, subnet_uri: str) -> list[tuple[str, str, str]]:
    """(member URI, role in the subnet, state) of every membership recorded here."""
    rows = await s.execute(
        select(Membership.member_uri, Membership.role, Membership.state).where(
            Membership.subnet_uri == subnet_uri
        )
    )
    return [(member, role, state) for member, role, state in rows.all()]


async def local_posts(
    s: AsyncSession, subnet_uri: str
) -> list[tuple[str, str, datetime, str | None]]:
    """(post id, author person id, published, in reply to) of posts written here in a subnet."""
    rows = await s.execute(
        select(Post.id, Post.author_id, Post.published, Post.in_reply_to).where(
            Post.subnet_uri == subnet_uri
        )
    )
    return [(post, author, at, parent) for post, author, at, parent in rows.all()]


async def remote_replies(s: AsyncSession, subnet_uri: str) -> list[tuple[str, str, datetime]]:
    """(author URI, in reply to, published) of replies written elsewhere, by reference."""
    rows = await s.execute(
        select(PostRef.author_uri, PostRef.in_reply_to, PostRef.published).where(
            PostRef.subnet_uri == subnet_uri, PostRef.in_reply_to.is_not(None)
        )
    )
    return [(author, parent, at) for author, parent, at in rows.all() if parent is not None]


async def moderation_decisions(s: AsyncSession, subnet_uri: str) -> list[tuple[datetime, datetime]]:
    """(queued, decided) of each held post of the subnet a moderator approved or refused: a
    post written here queues when published, a reference when it arrived."""
    decided = (
        await s.execute(
            select(Audit.target, Audit.at).where(
                Audit.action.in_(("post.approved", "post.refused"))
            )
        )
    ).all()
    if not decided:
        return []
    targets = [target for target, _ in decided]
    queued: dict[str, datetime] = {}
    for uri, received in (
        await s.execute(
            select(PostRef.object_uri, PostRef.received_at).where(
                PostRef.subnet_uri == subnet_uri, PostRef.object_uri.in_(targets)
            )
        )
    ).all():
        queued[uri] = received
    ids = {target.rsplit("/", 1)[-1]: target for target in targets}
    for post_id, published in (
        await s.execute(
            select(Post.id, Post.published).where(
                Post.subnet_uri == subnet_uri, Post.id.in_(list(ids))
            )
        )
    ).all():
        queued[ids[post_id]] = published
    return [(queued[target], at) for target, at in decided if target in queued]


async def alerts_in(s: AsyncSession, subnet_uri: str) -> list[tuple[datetime, datetime | None]]:
    """(raised, acknowledged) of the alerts about posts written here in a subnet."""
    rows = await s.execute(
        select(Alert.created_at, Alert.acknowledged_at).where(Alert.subnet_uri == subnet_uri)
    )
    return [(raised, acknowledged) for raised, acknowledged in rows.all()]
