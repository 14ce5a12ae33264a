"""The in-app survey: offered to the people SHaRON supports at most every N weeks, answered or
put off, stored without the person, and shown to admins and analysts only as suppressed
counts."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import BrowserFactory, MovableClock, StartNode
from sqlalchemy import select

from actors.survey import Question, Survey
from node.settings import SettingsError, load
from storage.models import SurveyAnswer, SurveyOffer

OFFER = "Answer the survey"


async def test_a_carer_is_offered_the_survey_answers_it_and_is_asked_again_weeks_later(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    clock = MovableClock()
    a = await start_node("Berkshire", clock=clock)
    await a.add_user("sam", "carer", "Sam")
    sam = browser(a)
    await sam.sign_in("sam")
    _, home = await sam.get("/")
    assert OFFER in home
    status, html = await sam.submit("/survey", "/survey", {"helping": "9"})
    assert status == 400 and "Choose one of the answers" in html
    assert await a.count(SurveyAnswer) == 0
    status, html = await sam.submit("/survey", "/survey", {"helping": "4", "knowing": "5"})
    assert status == 200 and "Thank you for your answers" in html
    _, home = await sam.get("/")
    assert OFFER not in home
    assert (await sam.get("/survey"))[1].count("My subnets") >= 1  # sent home, not asked
    async with a.db.transaction() as s:
        rows = (await s.execute(select(SurveyAnswer))).scalars().all()
    assert sorted((r.question, r.answer) for r in rows) == [("helping", 4), ("knowing", 5)]
    assert not any("person" in column for column in SurveyAnswer.__table__.columns.keys())

    clock.advance(timedelta(weeks=8))
    again = browser(a)
    await again.sign_in("sam")
    _, home = await again.get("/")
    assert OFFER in home
    status, html = await again.submit("/survey", "/survey", {"not_now": "1"})
    assert status == 200 and "We will not ask again for a while" in html
    assert await a.count(SurveyAnswer) == 2 and await a.count(SurveyOffer) == 1
    assert OFFER not in (await again.get("/"))[1]


async def test_staff_and_analysts_are_not_asked_and_see_only_suppressed_results(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire")
    carers = []
    for i in range(3):
        await a.add_user(f"carer{i}", "carer", f"Carer {i}")
        carers.append(browser(a))
        await carers[-1].sign_in(f"carer{i}")
        await carers[-1].submit("/survey", "/survey", {"helping": "3"})
    people = {}
    for username, role in (("ada", "admin"), ("ana", "analyst"), ("dr", "clinician")):
        await a.add_user(username, role, username.title())
        people[username] = browser(a)
        await people[username].sign_in(username)
        assert OFFER not in (await people[username].get("/"))[1]
    status, html = await people["dr"].submit("/account", "/survey", {"helping": "5"})
    assert status == 200 and "My subnets" in html
    assert await a.count(SurveyAnswer) == 3  # only the carers' answers
    assert (await people["dr"].get("/evidence"))[0] == 403
    status, html = await people["ana"].get("/evidence")
    assert status == 200
    assert _cell(html, "3") == "*" and _cell(html, "total") == "*"  # 3 people
    assert _cell(html, "1") == "0"


def _cell(html: str, answer: str) -> str:
    found = re.search(rf'data-answer="{answer}"><span[^>]*>[^<]*</span>([^<]*)</td>', html)
    assert found, answer
    return found.group(1)


def _settings(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "sharon.toml").write_text(
        'url = "http://127.0.0.1:1"\ntrust_name = "T"\ndatabase_url = "sqlite:///x"\n' + extra
    )
    return tmp_path


def test_a_trust_sets_its_own_questions_and_how_often_or_turns_the_survey_off(
    tmp_path: Path,
) -> None:
    assert load(_settings(tmp_path, ""), {}).survey == Survey()
    assert load(_settings(tmp_path, ""), {"SHARON_SURVEY_EVERY_WEEKS": "0"}).survey.every_weeks == 0
    custom = load(
        _settings(
            tmp_path,
            "survey_every_weeks = 12\n"
            '[[survey_question]]\nkey = "safe"\ntext = "Do you feel safe here?"\n',
        ),
        {},
    ).survey
    assert custom == Survey((Question("safe", "Do you feel safe here?"),), 12)
    with pytest.raises(SettingsError):
        load(_settings(tmp_path, "survey_every_weeks = -1\n"), {})
