"""Search: words in one subnet or across mine, newest first, highlighted; text on another trust
is searched at its home (which checks and audits the read), a home that does not answer is
named, and what was erased or edited away is not found — nor left in the database files."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode, urlsplit

from conftest import (
    Browser,
    BrowserFactory,
    StartNode,
    act,
    carers_pair,
    eventually,
    peer_all,
    shows,
    signed_get,
    write,
)
from sqlalchemy import select

from actors.clock import utcnow
from node.app import HOUSEKEEPER
from storage.models import Audit


def _search_path(words: str, subnet: str = "") -> str:
    return "/search?" + urlencode({"q": words, **({"in": subnet} if subnet else {})})


async def _search(person: Browser, words: str, subnet: str = "") -> tuple[int, str]:
    return await person.get(_search_path(words, subnet))


def _results(html: str) -> list[str]:
    """The snippets on a results page, in order, as text (marks kept as [..])."""
    snippets = re.findall(r'<p class="nhsuk-body sharon-post[^"]*">(.*?)</p>', html, re.S)
    return [re.sub(r"</?mark>", lambda m: "]" if "/" in m.group() else "[", s) for s in snippets]


async def test_search_across_two_trusts_newest_first_highlighted_and_audited_at_home(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, alex = await carers_pair(start_node, browser, "Bucks")
    await write(sam, subnet, "Walking helps my anxiety most days (marker S1)")
    await write(alex, subnet, "Anxious mornings again, any tips? (marker S2)")
    await write(sam, subnet, "Nothing to do with it (marker S3)")
    await eventually(lambda: shows(sam, subnet, "marker S2"))
    await eventually(lambda: shows(alex, subnet, "marker S1"))

    for person, subnet_scope in ((sam, ""), (sam, subnet), (alex, ""), (alex, subnet)):
        status, html = await _search(person, "ANX", subnet_scope)
        assert status == 200, html[:300]
        assert _results(html) == [
            "[Anxious] mornings again, any tips? (marker S2)",
            "Walking helps my [anxiety] most days (marker S1)",
        ]
        assert "did not answer" not in html
    status, html = await _search(sam, "walking days")  # every word must be there
    assert _results(html) == ["[Walking] helps my anxiety most [days] (marker S1)"]
    status, html = await _search(sam, "walking tips")
    assert _results(html) == [] and "No posts found" in html

    # Each home audited the reads of its own posts by the other trust's member, by name.
    alex_in_carers = await b.member_uri("alex", subnet)
    sam_post = await a.post_uri("Walking helps my anxiety most days (marker S1)")
    async with a.db.transaction() as s:
        reads = (await s.execute(select(Audit).where(Audit.action == "remote_read"))).scalars()
        reads = [(r.who, r.target, r.via) for r in reads]
    assert (alex_in_carers, sam_post, urlsplit(b.url).netloc) in reads
    # The searching node keeps no text of the other trust's posts.
    assert "marker S1" not in await b.all_rows_text()
    assert "marker S2" not in await a.all_rows_text()


async def test_a_partner_that_does_not_answer_is_named(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, b, subnet, sam, alex = await carers_pair(start_node, browser, "Bucks")
    await write(sam, subnet, "Tired but hopeful (marker T1)")
    await write(alex, subnet, "Hopeful news from Bucks (marker T2)")
    await eventually(lambda: shows(sam, subnet, "marker T2"))
    await b.runner.cleanup()  # Bucks stops

    status, html = await _search(sam, "hopeful")
    assert status == 200
    assert "Bucks did not answer; try again." in html
    assert _results(html) == ["Tired but [hopeful] (marker T1)"]


async def test_snippets_are_text_never_markup(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, _b, subnet, sam, alex = await carers_pair(start_node, browser, "Bucks")
    await write(sam, subnet, '<script>alert("x")</script> <b>bold</b> worries & "quotes"')
    await write(alex, subnet, "<img src=x onerror=alert(1)> worries too")
    await eventually(lambda: shows(sam, subnet, "worries too"))
    for person in (sam, alex):
        status, html = await _search(person, "worries")
        assert status == 200
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
        assert "&lt;img src=x onerror=alert(1)&gt; [worries] too" in _results(html)
        assert "&lt;script&gt;" in html


async def test_erased_and_edited_words_are_not_found_nor_left_in_the_files(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, _b, subnet, sam, alex = await carers_pair(start_node, browser, "Bucks")
    await write(sam, subnet, "quixotically zanzibarian thoughts (marker E1)")
    await write(sam, subnet, "a draft about wombats (marker E2)")
    await eventually(lambda: shows(alex, subnet, "marker E2"))
    for person in (sam, alex):
        assert len(_results((await _search(person, "zanzibarian"))[1])) == 1

    erased = await a.post_uri("quixotically zanzibarian thoughts (marker E1)")
    assert await act(sam, subnet, "/posts/delete", {"object": erased}) == 200
    edited = await a.post_uri("a draft about wombats (marker E2)")
    status = await act(sam, subnet, "/posts/edit", {"object": edited, "content": "About otters"})
    assert status == 200
    for person in (sam, alex):
        assert _results((await _search(person, "zanzibarian"))[1]) == []
        assert _results((await _search(person, "wombats"))[1]) == []
        assert _results((await _search(person, "otters"))[1]) == ["About [otters]"]
    await a.runner.app[HOUSEKEEPER].run_once(utcnow())  # checkpoints SQLite's WAL
    for path in a.sqlite_files:  # not in the post, nor in the words index
        data = path.read_bytes()
        assert b"zanzibarian" not in data and b"quixotic" not in data, path


async def test_non_members_and_other_nodes_find_nothing_they_may_not_read(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a, b, subnet, sam, _alex = await carers_pair(start_node, browser, "Bucks")
    c = await start_node("Not A Partner")
    await peer_all(a, c)
    await c.add_user("cas", "carer", "Cas")
    await a.add_user("robin", "carer", "Robin")
    await write(sam, subnet, "Secret garden plans (marker N1)")
    robin = browser(a)
    await robin.sign_in("robin")

    status, _ = await _search(robin, "garden", subnet)
    assert status == 404  # not a member: as if the subnet did not exist
    status, html = await _search(robin, "garden")
    assert status == 200 and _results(html) == []

    search_url = f"{a.url}/objects/search?" + urlencode(
        [("q", "garden"), ("in", subnet), ("for", f"{c.url}/members/x")]
    )
    status, body = await signed_get(c, search_url)  # a peer this subnet is not shared with
    assert status == 200 and json.loads(body)["totalItems"] == 0
    alex_uri = await b.member_uri("alex", subnet)
    status, body = await signed_get(
        c, search_url.replace(quote(f"{c.url}/members/x", safe=""), quote(alex_uri, safe=""))
    )
    assert status == 200 and json.loads(body)["totalItems"] == 0  # naming another node's reader
    status, body = await signed_get(b, search_url)  # a partner, naming a reader not its own
    assert status == 200 and json.loads(body)["totalItems"] == 0
    good = f"{a.url}/objects/search?" + urlencode(
        [("q", "garden"), ("in", subnet), ("for", alex_uri)]
    )
    status, body = await signed_get(b, good)
    assert status == 200 and json.loads(body)["totalItems"] == 1
    stranger = await start_node("Stranger")  # not an agreed peer at all
    status, _ = await signed_get(stranger, good)
    assert status in (401, 403)
    status, _ = await signed_get(b, f"{a.url}/objects/search?q=garden")
    assert status == 400
    async with a.db.transaction() as s:
        reads = (await s.execute(select(Audit).where(Audit.action == "remote_read"))).scalars()
        readers = {r.who for r in reads}
    assert readers == {alex_uri}


async def test_search_form_is_on_my_subnets_and_the_subnet_page(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, _b, subnet, sam, _alex = await carers_pair(start_node, browser, "Bucks")
    _, home = await sam.get("/")
    assert 'action="/search"' in home
    _, page = await sam.get(f"/subnet?id={quote(subnet, safe='')}")
    assert 'action="/search"' in page and f'name="in" value="{subnet}"' in page
    await write(sam, subnet, "Met at the Café on Friday")
    status, html = await _search(sam, "CAFÉ fri")  # same on SQLite and PostgreSQL
    assert _results(html) == ["Met at the [Café] on [Friday]"]
    status, html = await _search(sam, "!")
    assert status == 400 and "Enter a word to search for" in html
    status, html = await sam.get("/search")
    assert status == 200 and "Search my subnets" in html
