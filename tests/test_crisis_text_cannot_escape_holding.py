"""Crisis text that must not escape holding at the author's home, whatever its spelling or
the field it is written in, and nothing about a held post may leave that home (issue 10).
Real nodes over real HTTP: a patient on B writes in a subnet hosted on A (`_two_trusts`)."""

from __future__ import annotations

import asyncio
import html as html_lib

import pytest
from conftest import BrowserFactory, StartNode, TestNode, eventually, shows, subnet_path
from sqlalchemy import select
from test_crisis_alerts import _post, _two_trusts

from storage.models import Alert, Post


async def _screened(node: TestNode, marker: str) -> tuple[str, str]:
    async with node.db.transaction() as s:
        (post,) = [p for p in (await s.execute(select(Post))).scalars() if marker in p.content]
    return post.moderation_state, post.screening_level or "none"


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill my\u200dself tonight (marker ZWJ1)",  # zero-width joiner inside a word
        "I want to kill my\u00adself tonight (marker SHY1)",  # soft hyphen
        "i want to \U0001d5f8\U0001d5f6\U0001d5f9\U0001d5f9 myself tonight (marker MATH1)",  # 𝗸𝗶𝗹𝗹
    ],
)
async def test_crisis_text_spelled_with_invisible_or_styled_letters_is_held_at_home(
    start_node: StartNode, browser: BrowserFactory, text: str
) -> None:
    """A reader sees "I want to kill myself tonight"; so must screening."""
    a, b, subnet = await _two_trusts(start_node)
    sam, pat = browser(a), browser(b)
    await sam.sign_in("sam")
    await pat.sign_in("pat")
    marker = text.rsplit("marker ", 1)[1].rstrip(")")
    status, page = await _post(pat, subnet, text)
    assert status == 200
    assert "116 123" in page  # crisis support shown to the author at once
    assert await _screened(b, marker) == ("screened", "urgent")
    await asyncio.sleep(1.5)
    assert not await shows(sam, subnet, marker)
    assert marker not in await a.all_rows_text()


async def test_a_reply_to_a_held_post_does_not_carry_its_uri_to_partners(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """The held post's author (who sees it) replies to it: the reply would name the held post
    in `inReplyTo`, telling partners it exists. It is refused with a clear message instead."""
    a, b, subnet = await _two_trusts(start_node)
    sam, pat = browser(a), browser(b)
    await sam.sign_in("sam")
    await pat.sign_in("pat")
    crisis = "I can't do this anymore, I want to end it tonight (marker H1)"
    await _post(pat, subnet, crisis)
    held = await b.post_uri(crisis)
    status, page = await pat.submit(
        subnet_path(subnet),
        "/subnet/posts",
        {"subnet": subnet, "content": "one more thing (marker R1)", "in_reply_to": held},
    )
    assert status == 400 and "waiting for the team" in html_lib.unescape(page)
    await asyncio.sleep(1.5)
    assert held not in await a.all_rows_text()
    assert not any(held.encode() in sent.body for sent in b.sent if sent.body)
    assert not await shows(sam, subnet, "marker R1")


async def test_crisis_text_in_a_subnet_pseudonym_alerts_home_and_reaches_no_partner(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """The name shown in a subnet is text other people read (issue 10: "every later text that
    other people read is screened"); 40 characters hold "want to end it tonight"."""
    a, b, subnet = await _two_trusts(start_node)
    sam, pat = browser(a), browser(b)
    await sam.sign_in("sam")
    await pat.sign_in("pat")
    status, support = await pat.submit(
        subnet_path(subnet),
        "/subnet/pseudonym",
        {"subnet": subnet, "pseudonym": "want to end it tonight"},
    )
    assert status == 200 and "116 123" in support  # crisis support shown at once
    await _post(pat, subnet, "hello everyone (marker N1)")
    await eventually(lambda: shows(sam, subnet, "marker N1"))
    await asyncio.sleep(1.5)
    _, page = await sam.get(subnet_path(subnet))
    async with b.db.transaction() as s:
        alerts = (await s.execute(select(Alert))).scalars().all()
    assert "want to end it tonight" not in page
    assert "want to end it tonight" not in await a.all_rows_text()
    assert alerts, "no alert at the author's home"


@pytest.mark.parametrize(
    "bad", ["Called her \u202eback\u202c", "Called \x1b[2Jher", "\u200b\u200b"]
)
async def test_an_alert_note_follows_the_text_rules_and_bad_text_is_refused_and_not_stored(
    start_node: StartNode, browser: BrowserFactory, bad: str
) -> None:
    """Notes are text other staff read: a bidi override, an escape sequence or only invisible
    characters are refused with a message, like a post (issue 9, "every entry point")."""
    _a, b, subnet = await _two_trusts(start_node)
    pat, kim = browser(b), browser(b)
    await pat.sign_in("pat")
    await kim.sign_in("nurse-kim")
    await _post(pat, subnet, "I can't do this anymore, I want to end it tonight (marker NT1)")
    async with b.db.transaction() as s:
        (alert,) = (await s.execute(select(Alert))).scalars().all()
    status, page = await kim.submit(
        f"/staff/alerts/{alert.id}", f"/staff/alerts/{alert.id}", {"action": "note", "note": bad}
    )
    assert status == 400 and "nhsuk-error-summary" in page
    assert bad not in await b.all_rows_text()


async def test_a_post_held_since_written_then_edited_and_deleted_is_never_named_to_partners(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet = await _two_trusts(start_node)
    pat = browser(b)
    await pat.sign_in("pat")
    crisis = "I can't do this anymore, I want to end it tonight (marker ED1)"
    await _post(pat, subnet, crisis)
    held = await b.post_uri(crisis)
    for action, fields in (
        ("/posts/edit", {"content": "Sorry, I am OK now (marker ED2)"}),
        ("/posts/delete", {}),
    ):
        status, _ = await pat.submit(
            subnet_path(subnet), action, {"subnet": subnet, "object": held, **fields}
        )
        assert status == 200
    await asyncio.sleep(2)
    assert not any(held.encode() in sent.body for sent in b.sent if sent.body)
    assert held not in await a.all_rows_text()


async def test_a_published_post_edited_into_crisis_text_leaves_every_partner_at_once(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Partners keep a post they read in a RAM cache (an hour, here). The edit that holds it
    tells them at once, so neither the old text nor the held one is shown on a partner until a
    clinician releases it; the held text never leaves home."""
    a, b, subnet = await _two_trusts(start_node, cache_ttl_seconds=3600)
    sam, pat = browser(a), browser(b)
    await sam.sign_in("sam")
    await pat.sign_in("pat")
    walk = "Had a good walk by the river today (marker PE1)"
    await _post(pat, subnet, walk)
    await eventually(lambda: shows(sam, subnet, "marker PE1"))  # now in A's cache
    published = await b.post_uri(walk)
    crisis = "I can't do this anymore, I want to end it tonight (marker PE2)"
    status, page = await pat.submit(
        subnet_path(subnet),
        "/posts/edit",
        {"subnet": subnet, "object": published, "content": crisis},
    )
    assert status == 200 and "116 123" in page
    assert await _screened(b, "marker PE2") == ("screened", "urgent")

    async def gone_from_partner() -> bool:
        _, html = await sam.get(subnet_path(subnet))
        return "marker PE1" not in html and "marker PE2" not in html

    await eventually(gone_from_partner)
    assert "marker PE2" not in await a.all_rows_text()
    assert not any(b"marker PE2" in sent.body for sent in b.sent if sent.body)
    async with b.db.transaction() as s:
        assert len((await s.execute(select(Alert))).scalars().all()) == 1
