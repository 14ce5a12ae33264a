"""The in-app survey's rows: answers by month (never by person) and when each person was last
asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SurveyAnswer, SurveyOffer


async def last_offered(s: AsyncSession, person_id: str) -> datetime | None:
    row = await s.get(SurveyOffer, person_id)
    return None if row is None else row.offered_at


async def set_offered(s: AsyncSession, person_id: str, at: datetime) -> None:
    row = await s.get(SurveyOffer, person_id)
    if row is None:
        s.add(SurveyOffer(person_id=person_id, offered_at=at))
    else:
        row.offered_at = at


async def add_answers(s: AsyncSession, month: str, answers: Sequence[tuple[str, int]]) -> None:
    s.add_all(SurveyAnswer(question=q, answer=a, month=month) for q, a in answers)


async def answer_counts(s: AsyncSession, month: str) -> dict[tuple[str, int], int]:
    """(question, answer) → how many gave that answer in the month."""
    rows = await s.execute(
        select(SurveyAnswer.question, SurveyAnswer.answer, func.count())
        .where(SurveyAnswer.month == month)
        .group_by(SurveyAnswer.question, SurveyAnswer.answer)
    )
    return {(question, answer): n for question, answer, n in rows.all()}
