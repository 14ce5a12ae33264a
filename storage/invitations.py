"""Invitations, and the list of subnets an inviter can choose from."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invitation, Subnet


async def add_invitation(s: AsyncSession, invitation: Invitation) -> Invitation:
    s.add(invitation)
    await s.flush()
    return invitation


async def invitation_by_id(s: AsyncSession, invitation_id: str) -> Invitation | None:
    return await s.get(Invitation, invitation_id)


async def invitation_by_hash(
    s: AsyncSession, *, token_hash: str | None = None, code_hash: str | None = None
) -> Invitation | None:
    """The invitation with this link-token hash or this code hash, locked for update."""
    column, value = (
        (Invitation.token_hash, token_hash) if token_hash else (Invitation.code_hash, code_hash)
    )
    query = select(Invitation).where(column == value)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return await s.scalar(query)


async def invitations(s: AsyncSession, created_by: str | None) -> Sequence[Invitation]:
    """Newest first; everyone's when `created_by` is None."""
    query = select(Invitation).order_by(Invitation.created_at.desc()).limit(200)
    if created_by is not None:
        query = query.where(Invitation.created_by == created_by)
    return (await s.scalars(query)).all()


async def subnets_by_slug(s: AsyncSession, slugs: Sequence[str]) -> dict[str, Subnet]:
    rows = await s.scalars(select(Subnet).where(Subnet.slug.in_(slugs)))
    return {subnet.slug: subnet for subnet in rows.all()}


async def all_local_subnets(s: AsyncSession) -> Sequence[Subnet]:
    return (await s.scalars(select(Subnet).order_by(Subnet.name))).all()
