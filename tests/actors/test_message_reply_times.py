"""Time to a clinician's first reply to a patient's messages, on fixed timestamps: a run of
unanswered messages waits from its first, split in and out of hours (England and Wales bank
holidays included) by `actors/response_times.py`. And the words of a message's notice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import FAST_HASHER, PASSWORD

from actors import messages, people
from actors.errors import NotPermitted
from actors.ids import LocalIds
from actors.notices import NoticeKind, describe
from actors.screening import Screener
from storage.engine import Database
from storage.models import Conversation, Message, Person

IDS = LocalIds("https://a.example")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)  # GMT: UK time is UTC


async def test_median_and_90th_percentile_of_first_replies_in_and_out_of_hours(
    database: Database, node_screener: Screener
) -> None:
    async with database.transaction() as s:
        made: dict[str, Person] = {}
        for username, role in (("dr-ahmed", "clinician"), ("sam", "patient")):
            made[username] = await people.add_person(
                s, FAST_HASHER, username=username, role=role, password=PASSWORD, now=at(1, 9)
            )
        ahmed, sam = made["dr-ahmed"], made["sam"]
        await messages.change_care_team(
            s, IDS, viewer=ahmed, person_id=sam.id, clinician_id=ahmed.id, add=True, now=at(1, 9)
        )

    async def write(who: Person, kind: str, moment: datetime, with_id: str = "") -> str:
        async with database.transaction() as s:
            sent = await messages.start(
                s,
                IDS,
                viewer=who,
                kind=kind,
                with_id=with_id,
                content=f"message at {moment.isoformat()}",
                now=moment,
                screener=node_screener,
            )
        return sent.conversation_id

    team = await write(sam, "team", at(23, 10))  # Monday 10:00: in hours
    await write(ahmed, "team", at(23, 12), sam.id)  # 2.0 h
    await write(sam, "team", at(23, 13))  # in hours, and a second message of the same run:
    await write(sam, "team", at(23, 14))
    await write(ahmed, "team", at(23, 17, 30), sam.id)  # 4.5 h from the first
    await write(ahmed, "team", at(23, 18), sam.id)  # nothing waited for this one
    await write(sam, "team", at(28, 20))  # Saturday 20:00: out of hours
    await write(ahmed, "team", at(30, 9), sam.id)  # 37.0 h
    one = await write(sam, "clinician", at(23, 18), ahmed.id)  # Monday 18:00: out of hours
    await write(ahmed, "clinician", at(24, 10), sam.id)  # 16.0 h
    await write(sam, "clinician", at(25, 9, 30), ahmed.id)  # Wednesday 09:30: in hours
    await write(ahmed, "clinician", at(25, 10), sam.id)  # 0.5 h
    await write(sam, "clinician", at(25, 11, month=12), ahmed.id)  # Christmas Day: still waits
    assert team != one

    async with database.transaction() as s:
        with pytest.raises(NotPermitted):
            await messages.reply_times(s, viewer=sam)
        rows = {row.subnet_uri: row for row in await messages.reply_times(s, viewer=ahmed)}
    assert set(rows) == {"team", "clinician"}
    by_team, by_one = rows["team"], rows["clinician"]
    assert by_team.name == "Messages to a care team"
    assert (by_team.in_hours.answered, by_team.in_hours.waiting) == (2, 0)
    assert by_team.in_hours.median_hours == pytest.approx(3.25)
    assert by_team.in_hours.p90_hours == pytest.approx(4.25)  # 2.0 + 0.9 × (4.5 − 2.0)
    assert (by_team.out_of_hours.answered, by_team.out_of_hours.waiting) == (1, 0)
    assert by_team.out_of_hours.median_hours == pytest.approx(37.0)
    assert by_team.out_of_hours.p90_hours == pytest.approx(37.0)
    assert by_one.name == "Messages to one clinician"
    assert by_one.in_hours.median_hours == pytest.approx(0.5)
    assert (by_one.out_of_hours.answered, by_one.out_of_hours.waiting) == (1, 1)
    assert by_one.out_of_hours.median_hours == pytest.approx(16.0)


def test_only_care_conversations_count_and_a_run_waits_from_its_first_message() -> None:
    conversations = [
        Conversation(id="t", kind="team"),
        Conversation(id="p", kind="peer"),
    ]

    def message(conversation: str, role: str, hour: int) -> Message:
        return Message(conversation_id=conversation, author_role=role, created_at=at(23, hour))

    items = messages.reply_items(
        conversations,
        [
            message("p", "patient", 9),
            message("p", "carer", 10),
            message("t", "clinician", 9),  # a clinician writing first answers nothing
            message("t", "carer", 10),
            message("t", "patient", 11),
            message("t", "clinician", 12),
            message("t", "patient", 13),
        ],
    )
    assert [(i.subnet_uri, i.raised_at.hour, i.first_action_at) for i in items] == [
        ("team", 10, at(23, 12)),
        ("team", 13, None),
    ]


def test_new_messages_in_one_conversation_are_told_on_one_notice() -> None:
    one = describe(NoticeKind.MESSAGE, actor="Dr Ahmed", subnet="", until=None)
    assert one == "Dr Ahmed sent you a message."
    three = describe(NoticeKind.MESSAGE, actor="Sam", subnet="", count=3, until=None)
    assert three == "You have 3 new messages; the latest is from Sam."
