"""Threads across two trusts, by reference: replies nested under what they answer, with reply
counts and links both ways, on the subnet page and a thread's own page; Likes, edits and
deletes — and a delete is unreadable everywhere at once, acknowledged by each partner, and
re-sent until it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    act,
    carers_pair,
    eventually,
    shows,
    signed_get,
    subnet_path,
    write,
)
from sqlalchemy import delete, update

from actors.clock import utcnow
from actors.conversations import anchor
from node import manage
from node.app import HOUSEKEEPER
from storage import queues
from storage.models import Erasure, Post, PostRef, Reaction


async def _rows(node: TestNode, model: type, n: int, exact: bool = False) -> bool:
    count = await node.count(model)
    return count == n if exact else count >= n


async def test_reply_from_partner_is_threaded_on_both_nodes_without_copying_text(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "Anyone tried the new respite service? (marker Q1)")
    await eventually(lambda: shows(alex, subnet, "marker Q1"))
    question = await a.post_uri("Anyone tried the new respite service? (marker Q1)")
    await write(alex, subnet, "Yes, it was good (marker R1)", in_reply_to=question)
    await eventually(lambda: shows(sam, subnet, "marker R1"))
    _, html = await sam.get(subnet_path(subnet))
    assert 'In reply to <a class="nhsuk-link" href="#post-' in html and "Sam’s post</a>" in html
    async with a.db.transaction() as s:
        (ref,) = (await s.execute(PostRef.__table__.select())).all()
    assert ref.in_reply_to == question
    assert "marker R1" not in await a.all_rows_text()


async def test_reply_to_a_post_outside_the_subnet_is_refused(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, _alex = await carers_pair(start_node, browser)
    fields = {"subnet": subnet, "content": "hi", "in_reply_to": f"{a.url}/posts/nope"}
    status, html = await sam.submit(subnet_path(subnet), "/subnet/posts", fields)
    assert status == 400 and "same subnet" in html
    assert await a.count(Post) == 0


async def test_like_from_partner_is_counted_at_the_host_and_can_be_taken_back(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "Good news today (marker L1)")
    await eventually(lambda: shows(alex, subnet, "marker L1"))
    post = await a.post_uri("Good news today (marker L1)")
    assert await act(alex, subnet, "/posts/like", {"object": post}) == 200
    await eventually(lambda: shows(sam, subnet, "1 like<"))
    assert await b.count(Reaction) == 1
    assert await act(alex, subnet, "/posts/like", {"object": post, "undo": "1"}) == 200
    await eventually(lambda: _rows(a, Reaction, 0, exact=True))
    assert await act(alex, subnet, "/posts/like", {"object": f"{a.url}/posts/nope"}) == 404


async def test_edit_reaches_the_partner_at_once_despite_its_cache(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "First words (marker E1)")
    await eventually(lambda: shows(alex, subnet, "marker E1"))  # now in B's RAM cache
    post = await a.post_uri("First words (marker E1)")
    status = await act(sam, subnet, "/posts/edit", {"object": post, "content": "Better (E2)"})
    assert status == 200
    await eventually(lambda: shows(alex, subnet, "Better (E2)"), within=20)  # TTL is 300 s
    assert not await shows(alex, subnet, "marker E1")
    status = await act(alex, subnet, "/posts/edit", {"object": post, "content": "hijack"})
    assert status == 404  # not B's post: B cannot even name it as its own


async def test_delete_is_unreadable_everywhere_at_once_and_acknowledged(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "Too much detail, on reflection (marker D1)")
    await eventually(lambda: shows(alex, subnet, "marker D1"))
    post = await a.post_uri("Too much detail, on reflection (marker D1)")
    assert await act(alex, subnet, "/posts/delete", {"object": post}) == 403  # not hers to delete
    assert await act(sam, subnet, "/posts/delete", {"object": post}) == 200

    assert not await shows(sam, subnet, "marker D1")
    await eventually(lambda: _rows(b, PostRef, 0, exact=True), within=20)
    assert not await shows(alex, subnet, "marker D1")
    status, body = await signed_get(b, post)
    assert status == 410 and b"Tombstone" in body and b"marker" not in body
    status, body = await signed_get(b, f"{a.url}/objects?id={quote(post, safe='')}")
    assert status == 200 and b"marker" not in body
    assert "marker D1" not in await a.all_rows_text()
    await a.runner.app[HOUSEKEEPER].run_once(utcnow())  # its pass checkpoints SQLite's WAL
    for path in a.sqlite_files:  # gone from the home's files too, not just its rows
        assert b"marker D1" not in path.read_bytes(), path
    await eventually(lambda: _acked(a, post))


async def _acked(node: TestNode, object_uri: str) -> bool:
    async with node.db.transaction() as s:
        rows = (await s.execute(Erasure.__table__.select())).all()
    return bool(rows) and all(r.acked_at is not None for r in rows if r.object_uri == object_uri)


async def test_unacknowledged_delete_is_sent_again_until_acknowledged(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "To be erased (marker X1)")
    await eventually(lambda: shows(alex, subnet, "marker X1"))
    post = await a.post_uri("To be erased (marker X1)")
    await act(sam, subnet, "/posts/delete", {"object": post})
    await eventually(lambda: _acked(a, post))
    async with a.db.transaction() as s:  # as if B's acknowledgement had been lost
        await s.execute(update(Erasure).values(acked_at=None))
    housekeeper = a.runner.app[HOUSEKEEPER]
    assert await housekeeper.resend_erasures(utcnow()) == 0  # not due yet
    housekeeper.resend_after = timedelta(0)  # as if five minutes had passed
    assert await housekeeper.resend_erasures(utcnow()) == 1
    await eventually(lambda: _acked(a, post))


async def test_gdpr_erasure_event_without_the_post_row_still_reaches_every_partner(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Another part of the node (account erasure) deletes rows and emits `post.deleted` with the
    post's id only: partners still drop the reference and acknowledge."""
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "Erase me with my account (marker G1)")
    await eventually(lambda: shows(alex, subnet, "marker G1"))
    post = await a.post_uri("Erase me with my account (marker G1)")
    async with a.db.transaction() as s:
        await s.execute(delete(Post))
        await queues.add_events(s, "post.deleted", [{"post_id": post.rsplit("/", 1)[1]}], utcnow())
    await eventually(lambda: _rows(b, PostRef, 0, exact=True))
    await eventually(lambda: _acked(a, post))
    assert await b.count(PostRef) == 0
    assert not await shows(alex, subnet, "marker G1")  # gone from the partner's page


@dataclass
class _Shown:
    """A post as a page lays it out: the post whose list item holds its own, its links, text."""

    parent: str | None
    links: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""


class _Layout(HTMLParser):
    """The posts of a page by their "(marker Tn)": which post's list item each one's list
    item sits in, and the links and text of its own card (not of its replies')."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str | None] = []  # ids of the open list items
        self.texts: dict[str, str] = {}
        self.links: dict[str, list[tuple[str, str]]] = {}
        self.parents: dict[str, str | None] = {}
        self.href: str | None = None
        self.link_text = ""

    def _post(self) -> str | None:
        return next((i for i in reversed(self.stack) if i), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "li":
            post_id = values.get("id") if (values.get("id") or "").startswith("post-") else None
            if post_id:
                self.parents[post_id] = self._post()
                self.texts[post_id], self.links[post_id] = "", []
            self.stack.append(post_id)
        elif tag == "a":
            self.href, self.link_text = values.get("href") or "", ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self.stack:
            self.stack.pop()
        elif tag == "a" and self.href is not None:
            if post := self._post():
                self.links[post].append((" ".join(self.link_text.split()), self.href))
            self.href = None

    def handle_data(self, data: str) -> None:
        if post := self._post():
            self.texts[post] += data
        if self.href is not None:
            self.link_text += data


def _layout(html: str) -> dict[str, _Shown]:
    parser = _Layout()
    parser.feed(html)
    marker = {
        post_id: found.group(1)
        for post_id, text in parser.texts.items()
        if (found := re.search(r"\(marker (T\d)\)", text))
    }
    return {
        marker[post_id]: _Shown(
            marker.get(parser.parents[post_id] or ""), parser.links[post_id], text
        )
        for post_id, text in parser.texts.items()
        if post_id in marker
    }


def _thread_path(uri: str) -> str:
    return f"/thread?id={quote(uri, safe='')}"


def _link(shown: _Shown, starts: str) -> str:
    """The one link of a post whose text starts so, as the URI or anchor it leads to."""
    (href,) = [href for text, href in shown.links if text.startswith(starts)]
    if href.startswith("/thread?"):
        return "thread:" + parse_qs(urlsplit(href).query)["id"][0]
    return href


async def _conversation(
    a: TestNode, b: TestNode, subnet: str, sam: Browser, alex: Browser
) -> dict[str, str]:
    """Sam (at A) and Alex (at B) talk, each answering the last: T0 → T1 → T2 → T3 → T4,
    and T5 answers T0 too. Returns each post's URI."""
    uris: dict[str, str] = {}
    said = [
        ("T0", sam, a, None, "How do you all cope with the nights?"),
        ("T1", alex, b, "T0", "Earplugs, honestly"),
        ("T2", sam, a, "T1", "Which kind?"),
        ("T3", alex, b, "T2", "The foam ones"),
        ("T4", sam, a, "T3", "Thanks, ordered some"),
        ("T5", sam, a, "T0", "Also a white-noise app"),
    ]
    for marker, person, home, answers, words in said:
        text = f"{words} (marker {marker})"
        await write(person, subnet, text, in_reply_to=uris[answers] if answers else "")
        uris[marker] = await home.post_uri(text)
        other = alex if person is sam else sam
        await eventually(lambda m=marker, o=other: shows(o, subnet, f"(marker {m})"), within=20)
    return uris


async def test_replies_nest_under_what_they_answer_with_counts_and_links_both_ways(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    uris = await _conversation(a, b, subnet, sam, alex)
    for person in (sam, alex):  # the same threads at the host and at the partner
        status, html = await person.get(subnet_path(subnet))
        assert status == 200
        shown = _layout(html)
        assert {m: p.parent for m, p in shown.items()} == {
            "T0": None,
            "T1": "T0",
            "T5": "T0",
            "T2": "T1",
            "T3": "T2",
            "T4": "T2",  # a fourth level is listed after the post it answers, at the third
        }
        assert list(shown) == ["T0", "T1", "T2", "T3", "T4", "T5"]  # replies oldest first
        assert _link(shown["T0"], "2 replies") == "thread:" + uris["T0"]
        assert _link(shown["T1"], "1 reply") == "thread:" + uris["T1"]
        assert "No replies yet" in shown["T4"].text
        assert _link(shown["T1"], "Sam’s post") == "#" + anchor(uris["T0"])
        assert _link(shown["T3"], "Sam’s post") == "#" + anchor(uris["T2"])
        assert _link(shown["T4"], "Alex’s post") == "#" + anchor(uris["T3"])
        assert not [text for text, _ in shown["T0"].links if "’s post" in text]


async def test_a_thread_page_shows_a_post_and_its_replies_and_links_up_on_either_trust(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    uris = await _conversation(a, b, subnet, sam, alex)
    # Alex's own post at B, whose parent lives at A (named from the page's batch to A);
    # and at A, where T1 is a reference and T0 a post of A's own.
    for person in (alex, sam):
        status, html = await person.get(_thread_path(uris["T1"]))
        assert status == 200 and "A post and its replies" in html
        shown = _layout(html)
        assert {m: p.parent for m, p in shown.items()} == {
            "T1": None,
            "T2": "T1",
            "T3": "T2",
            "T4": "T3",  # a thread page starts one level higher: T4 still nests
        }
        assert _link(shown["T1"], "Sam’s post") == "thread:" + uris["T0"]  # up, off the page
        assert _link(shown["T2"], "1 reply") == "thread:" + uris["T2"]
    assert "marker T1" not in await a.all_rows_text()  # named and shown, never stored at A

    # A reply written on the thread page comes back to it.
    status, html = await alex.submit(
        _thread_path(uris["T1"]),
        "/subnet/posts",
        {
            "subnet": subnet,
            "content": "Ear defenders for the kids too (marker T6)",
            "in_reply_to": uris["T1"],
            "thread": uris["T1"],
        },
    )
    assert status == 200 and "A post and its replies" in html
    assert _layout(html)["T6"].parent == "T1"
    await eventually(lambda: _shown_in_thread(sam, uris["T1"], "marker T6"), within=20)


async def _shown_in_thread(person: Browser, uri: str, text: str) -> bool:
    status, html = await person.get(_thread_path(uri))
    return status == 200 and text in html


async def test_a_thread_is_only_for_members_of_its_subnet(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, _alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "Only for the group (marker T0)")
    uri = await a.post_uri("Only for the group (marker T0)")
    await a.add_user("kim", "carer", "Kim")
    await manage.subnet_create(a.directory, "dads", "Dads")
    await manage.subnet_add(a.directory, "dads", "kim")
    kim = browser(a)
    await kim.sign_in("kim")
    status, html = await kim.get(_thread_path(uri))
    assert status == 404 and "marker T0" not in html
    status, _ = await sam.get(_thread_path(f"{a.url}/posts/nope"))
    assert status == 404
    status, html = await sam.get(_thread_path(uri))
    assert status == 200 and "marker T0" in html


async def test_a_reply_to_a_deleted_post_says_it_is_no_longer_here_on_both_trusts(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser)
    await write(sam, subnet, "Second thoughts about this (marker T0)")
    await eventually(lambda: shows(alex, subnet, "marker T0"))
    question = await a.post_uri("Second thoughts about this (marker T0)")
    await write(alex, subnet, "I know what you mean (marker T1)", in_reply_to=question)
    await eventually(lambda: shows(sam, subnet, "marker T1"))
    assert await act(sam, subnet, "/posts/delete", {"object": question}) == 200
    await eventually(lambda: _rows(b, PostRef, 0, exact=True), within=20)
    for person in (sam, alex):
        _, html = await person.get(subnet_path(subnet))
        shown = _layout(html)
        assert set(shown) == {"T1"} and shown["T1"].parent is None
        assert "In reply to a post that is no longer here" in shown["T1"].text
        assert not [href for _, href in shown["T1"].links if "thread" in href]
