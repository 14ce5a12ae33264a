"""Local accounts and browser sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, WebSession


async def add_person(
    s: AsyncSession, *, username: str, pseudonym: str, role: str, password_hash: str, now: datetime
) -> Person:
    person = Person(
        username=username,
        pseudonym=pseudonym,
        role=role,
        password_hash=password_hash,
        created_at=now,
    )
    s.add(person)
    await s.flush()
    return person


async def person_by_username(s: AsyncSession, username: str) -> Person | None:
    return await s.scalar(select(Person).where(Person.username == username))


async def person_by_id(s: AsyncSession, person_id: str) -> Person | None:
    return await s.get(Person, person_id)


async def add_web_session(
    s: AsyncSession,
    *,
    token_hash: str,
    person_id: str,
    csrf_token: str,
    now: datetime,
    verified: bool = True,
) -> WebSession:
    row = WebSession(
        token_hash=token_hash,
        person_id=person_id,
        csrf_token=csrf_token,
        created_at=now,
        last_seen_at=now,
        verified=verified,
    )
    s.add(row)
    await s.flush()
    return row


async def web_session(s: AsyncSession, token_hash: str) -> tuple[WebSession, Person] | None:
    row = (
        await s.execute(
            select(WebSession, Person)
            .join(Person, Person.id == WebSession.person_id)
            .where(WebSession.token_hash == token_hash)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def delete_web_session(s: AsyncSession, token_hash: str) -> None:
    await s.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


async def delete_web_sessions_of(s: AsyncSession, person_id: str) -> None:
    await s.execute(delete(WebSession).where(WebSession.person_id == person_id))


async def people_with_roles(s: AsyncSession, roles: Sequence[str]) -> Sequence[Person]:
    return (
        await s.scalars(select(Person).where(Person.role.in_(roles)).order_by(Person.pseudonym))
    ).all()
