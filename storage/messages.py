"""Care teams, private conversations, their messages and who read them.

Nothing here is ever sent to another node: no event is recorded about any of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import rows_affected
from storage.models import (
    CareTeamMember,
    Conversation,
    ConversationRead,
    Message,
    MessagingSetting,
    Person,
)


async def care_team(s: AsyncSession, person_id: str) -> list[Person]:
    """The clinicians on a person's care team, by pseudonym."""
    rows = await s.scalars(
        select(Person)
        .join(CareTeamMember, CareTeamMember.clinician_id == Person.id)
        .where(CareTeamMember.person_id == person_id)
        .order_by(Person.pseudonym)
    )
    return list(rows.all())


async def on_care_team(s: AsyncSession, person_id: str, clinician_id: str) -> bool:
    return await s.get(CareTeamMember, (person_id, clinician_id)) is not None


async def cared_for_by(s: AsyncSession, clinician_id: str) -> list[str]:
    """The ids of the people whose care team a clinician is on."""
    rows = await s.scalars(
        select(CareTeamMember.person_id).where(CareTeamMember.clinician_id == clinician_id)
    )
    return list(rows.all())


async def add_to_care_team(
    s: AsyncSession, person_id: str, clinician_id: str, added_by: str, now: datetime
) -> bool:
    if await on_care_team(s, person_id, clinician_id):
        return False
    s.add(
        CareTeamMember(
            person_id=person_id, clinician_id=clinician_id, added_by=added_by, added_at=now
        )
    )
    await s.flush()
    return True


async def remove_from_care_team(s: AsyncSession, person_id: str, clinician_id: str) -> bool:
    result = await s.execute(
        delete(CareTeamMember).where(
            CareTeamMember.person_id == person_id, CareTeamMember.clinician_id == clinician_id
        )
    )
    return bool(rows_affected(result))


async def conversation_by_id(s: AsyncSession, conversation_id: str) -> Conversation | None:
    return await s.get(Conversation, conversation_id)


async def find_conversation(
    s: AsyncSession, *, kind: str, person_id: str, other_id: str | None
) -> Conversation | None:
    """The one conversation of a kind between two people (either way round for peers)."""
    if kind == "peer" and other_id is not None:
        pair = or_(
            and_(Conversation.person_id == person_id, Conversation.other_id == other_id),
            and_(Conversation.person_id == other_id, Conversation.other_id == person_id),
        )
    elif other_id is None:
        pair = and_(Conversation.person_id == person_id, Conversation.other_id.is_(None))
    else:
        pair = and_(Conversation.person_id == person_id, Conversation.other_id == other_id)
    return await s.scalar(select(Conversation).where(Conversation.kind == kind, pair).limit(1))


async def add_conversation(s: AsyncSession, conversation: Conversation) -> Conversation:
    s.add(conversation)
    await s.flush()
    return conversation


async def conversations_for(
    s: AsyncSession, *, person_id: str, team_of: Sequence[str]
) -> list[Conversation]:
    """Conversations a person takes part in: theirs, those naming them as the other party, and
    the team conversations of the people in `team_of`; the latest message first."""
    involved = or_(
        Conversation.person_id == person_id,
        Conversation.other_id == person_id,
        and_(Conversation.kind == "team", Conversation.person_id.in_(list(team_of))),
    )
    rows = await s.scalars(
        select(Conversation).where(involved).order_by(Conversation.last_message_at.desc())
    )
    return list(rows.all())


async def add_message(s: AsyncSession, message: Message) -> Message:
    s.add(message)
    await s.flush()
    return message


async def message_by_id(s: AsyncSession, message_id: str) -> Message | None:
    return await s.get(Message, message_id)


async def messages_in(s: AsyncSession, conversation_id: str) -> list[Message]:
    rows = await s.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at, Message.id)
    )
    return list(rows.all())


async def read_at(s: AsyncSession, conversation_id: str, person_id: str) -> datetime | None:
    row = await s.get(ConversationRead, (conversation_id, person_id))
    return row.read_at if row else None


async def mark_read(s: AsyncSession, conversation_id: str, person_id: str, now: datetime) -> None:
    row = await s.get(ConversationRead, (conversation_id, person_id))
    if row is None:
        s.add(ConversationRead(conversation_id=conversation_id, person_id=person_id, read_at=now))
    else:
        row.read_at = max(row.read_at, now)


async def unread_counts(
    s: AsyncSession, person_id: str, conversation_ids: Sequence[str], *, see_held: bool
) -> dict[str, int]:
    """Messages by others newer than the person's last read, per conversation (a held
    message counts only for those who may see it)."""
    if not conversation_ids:
        return {}
    last_read = (
        select(ConversationRead.read_at)
        .where(
            ConversationRead.conversation_id == Message.conversation_id,
            ConversationRead.person_id == person_id,
        )
        .scalar_subquery()
    )
    query = (
        select(Message.conversation_id, func.count())
        .where(
            Message.conversation_id.in_(list(conversation_ids)),
            or_(Message.author_id.is_(None), Message.author_id != person_id),
            or_(last_read.is_(None), Message.created_at > last_read),
        )
        .group_by(Message.conversation_id)
    )
    if not see_held:
        query = query.where(Message.held.is_(False))
    return {conversation_id: int(count) for conversation_id, count in (await s.execute(query))}


async def reply_time(s: AsyncSession) -> str | None:
    row = await s.get(MessagingSetting, "node")
    return row.reply_time if row else None


async def set_reply_time(s: AsyncSession, text: str, now: datetime) -> None:
    row = await s.get(MessagingSetting, "node")
    if row is None:
        s.add(MessagingSetting(id="node", reply_time=text, updated_at=now))
    else:
        row.reply_time, row.updated_at = text, now


async def every_conversation(s: AsyncSession) -> list[Conversation]:
    return list((await s.scalars(select(Conversation))).all())


async def all_messages(s: AsyncSession) -> list[Message]:
    """Every message, oldest first within each conversation (for the reply-time figures)."""
    rows = await s.scalars(select(Message).order_by(Message.conversation_id, Message.created_at))
    return list(rows.all())


async def messages_by(s: AsyncSession, person_id: str) -> list[Message]:
    rows = await s.scalars(
        select(Message).where(Message.author_id == person_id).order_by(Message.created_at)
    )
    return list(rows.all())


async def erase_person(s: AsyncSession, person_id: str) -> None:
    """Before a person's account is erased: their own conversations (with everything in them)
    and every message they wrote elsewhere go; conversations naming them keep no link."""
    await s.execute(delete(Message).where(Message.author_id == person_id))
    await s.execute(delete(Conversation).where(Conversation.person_id == person_id))
    await s.execute(
        update(Conversation).where(Conversation.other_id == person_id).values(other_id=None)
    )


async def messages_before(s: AsyncSession, cutoff: datetime) -> int:
    """Erase messages older than `cutoff` (and conversations left empty); how many went."""
    result = await s.execute(delete(Message).where(Message.created_at < cutoff))
    emptied = select(Message.id).where(Message.conversation_id == Conversation.id).exists()
    await s.execute(delete(Conversation).where(~emptied, Conversation.last_message_at < cutoff))
    return rows_affected(result)
