"""How a page lays out threads (`actors.conversations.nest`): replies under what they answer,
three levels deep and then one after another, and whatever a partner sends — a reply to a post
not on the page, a loop of replies — still shown, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from actors.conversations import Shown, Threads, nest
from actors.posts import Entry

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _entry(uri: str, minute: int, answers: str | None = None) -> Entry:
    return Entry(
        uri, START + timedelta(minutes=minute), f"Author of {uri}", "Here", uri, True, answers
    )


def _layout(shown: list[Shown], parent: str | None = None) -> list[tuple[str, str | None, int]]:
    rows = []
    for node in shown:
        rows.append((node.entry.uri, parent, node.depth))
        rows += _layout(node.children, node.entry.uri)
    return rows


def test_replies_nest_three_levels_then_follow_the_post_they_answer() -> None:
    entries = [
        _entry("p5", 5, "p4"),
        _entry("p4", 4, "p3"),
        _entry("p3", 3, "p2"),
        _entry("p2", 2, "p1"),
        _entry("p6", 6, "p1"),
        _entry("p1", 1),
        _entry("q", 0),
    ]
    shown = nest(entries, Threads({"p1": 2}, {}))
    assert _layout(shown) == [
        ("p1", None, 0),
        ("p2", "p1", 1),
        ("p3", "p2", 2),
        ("p4", "p3", 3),
        ("p5", "p3", 3),  # a fourth level: listed after the post it answers
        ("p6", "p1", 1),
        ("q", None, 0),
    ]
    assert shown[0].replies == 2
    p5 = shown[0].children[0].children[0].children[1]
    assert p5.parent is not None and p5.parent.on_page and p5.parent.uri == "p4"


def test_a_reply_to_a_post_elsewhere_is_at_the_top_linking_to_it_by_name() -> None:
    shown = nest([_entry("r", 1, "gone")], Threads({}, {"gone": "River"}))
    assert _layout(shown) == [("r", None, 0)]
    parent = shown[0].parent
    assert parent is not None and (parent.name, parent.on_page) == ("River", False)


def test_a_reply_to_a_post_no_longer_here_says_so() -> None:
    shown = nest([_entry("r", 1, "erased")], Threads({}, {}, gone=frozenset({"erased"})))
    assert shown[0].parent is not None and shown[0].parent.gone


def test_a_loop_of_replies_is_cut_and_every_post_shown_once() -> None:
    entries = [_entry("a", 1, "b"), _entry("b", 2, "a"), _entry("c", 3, "c")]
    uris = [uri for uri, _, _ in _layout(nest(entries, Threads({}, {})))]
    assert sorted(uris) == ["a", "b", "c"]


def test_a_thread_page_starts_at_its_post() -> None:
    entries = [_entry("up", 0), _entry("root", 1, "up"), _entry("r1", 2, "root")]
    shown = nest(entries, Threads({}, {}), top=["root"])
    assert _layout(shown) == [("root", None, 0), ("r1", "root", 1)]
