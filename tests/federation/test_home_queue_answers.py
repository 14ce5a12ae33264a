"""A home's answer to a partner's queue request: what it renders reads back the same, and an
answer that is not what a well-behaved home sends is dropped whole."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from actors.home_queue import AtHome
from federation.home_queues import BadAnswer, parse, render
from federation.jsonld import normalise

SUBNET = "https://a.example/subnets/carers"
POST = "https://b.example/posts/p1"
SINCE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_waiting_posts_and_reports_read_back_as_sent() -> None:
    sent = [
        AtHome("post", POST, SINCE, "held"),
        AtHome("report", "https://a.example/posts/p2", SINCE, reasons=("harmful", "spam")),
    ]
    document = render(SUBNET, sent)
    assert "reporter" not in repr(document) and "content" not in repr(document["items"][0])
    assert parse(normalise(document), SUBNET) == sent


@pytest.mark.parametrize(
    "item",
    [
        {"id": POST, "type": "Note", "audience": "https://a.example/subnets/other"},
        {"id": POST, "type": "Note", "audience": SUBNET, "moderationState": "visible"},
        {"type": "Flag", "object": POST, "audience": SUBNET, "content": "because"},
        {"type": "Flag", "object": POST, "audience": SUBNET, "content": "spam", "published": "x"},
        {"type": "Person", "id": POST, "audience": SUBNET},
        "https://b.example/posts/p1",
    ],
)
def test_an_answer_with_anything_unexpected_is_dropped(item: Any) -> None:
    document = render(SUBNET, [AtHome("post", POST, SINCE, "held")])
    document["items"].append(item)
    with pytest.raises(BadAnswer):
        parse(normalise(document), SUBNET)
