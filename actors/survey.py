"""The optional in-app survey: a few questions on a 5-point scale that a trust configures,
offered to the people SHaRON supports at most once every `every_weeks` weeks.

Answers are stored by month without the person who gave them (only when each person was last
asked is kept, to space the offers), and are shown only as suppressed counts: each question's
five answer counts and their total form a `Group`, so secondary suppression protects them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import Invalid, NotPermitted
from actors.evidence import Month
from actors.policy import Action, may
from actors.suppression import Group, Shown, suppress
from storage import survey as store
from storage.models import Person

SCALE = ("Not at all", "A little", "Somewhat", "Quite a lot", "A great deal")


@dataclass(frozen=True)
class Question:
    key: str
    text: str


DEFAULT_QUESTIONS = (
    Question("helping", "Is SHaRON helping you?"),
    Question("knowing", "Did knowing SHaRON was there help, even when you did not post?"),
)


@dataclass(frozen=True)
class Survey:
    """`every_weeks` 0 turns the survey off."""

    questions: tuple[Question, ...] = DEFAULT_QUESTIONS
    every_weeks: int = 8

    def __post_init__(self) -> None:
        if self.every_weeks < 0 or not self.questions or len(self.questions) > 5:
            raise ValueError("a survey has 1 to 5 questions and every_weeks of 0 or more")
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys) or not all(k.isidentifier() and len(k) <= 64 for k in keys):
            raise ValueError("survey question keys must be distinct short words")


async def due(s: AsyncSession, survey: Survey, person: Person, now: datetime) -> bool:
    """Whether to offer the survey to `person` now."""
    if survey.every_weeks == 0 or not may(person.role, Action.ANSWER_SURVEY):
        return False
    last = await store.last_offered(s, person.id)
    return last is None or now - last >= timedelta(weeks=survey.every_weeks)


async def answer(
    s: AsyncSession,
    survey: Survey,
    person: Person,
    answers: Mapping[str, str],
    now: datetime,
) -> None:
    """Record the answers given (each question may be left out) and when the person was asked;
    with no answers at all, only the latter ("not now")."""
    if not await due(s, survey, person, now):
        raise NotPermitted("The survey is not open to you now.")
    given = []
    for question in survey.questions:
        value = answers.get(question.key, "")
        if value == "":
            continue
        if value not in {str(i) for i in range(1, len(SCALE) + 1)}:
            raise Invalid(f"Choose one of the answers to “{question.text}”.", question.key)
        given.append((question.key, int(value)))
    await store.add_answers(s, str(Month.of(now)), given)
    await store.set_offered(s, person.id, now)


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    counts: Sequence[Shown]  # one per point of the scale
    total: Shown


async def results(
    s: AsyncSession, survey: Survey, viewer: Person, month: Month
) -> list[QuestionResult]:
    """The month's answers to each question as suppressed counts (admins and analysts)."""
    if not may(viewer.role, Action.READ_EVIDENCE):
        raise NotPermitted("Only the trust's admins and analysts can see the survey's results.")
    found = await store.answer_counts(s, str(month))
    shown = []
    for question in survey.questions:
        cells = {f"a{i}": found.get((question.key, i), 0) for i in range(1, len(SCALE) + 1)}
        cells["total"] = sum(cells.values())
        hidden = suppress(cells, [Group("total", tuple(c for c in cells if c != "total"))])
        shown.append(
            QuestionResult(
                question, [hidden[f"a{i}"] for i in range(1, len(SCALE) + 1)], hidden["total"]
            )
        )
    return shown
