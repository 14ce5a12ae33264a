"""Member controls: muting a person (here or at a partner trust) or a word folds their posts
away behind "hidden: …" in a <details> for the muting reader only; a break hides the chosen
subnets from the list and pauses notices until it runs out or the member comes back."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from conftest import (
    BrowserFactory,
    MovableClock,
    StartNode,
    eventually,
    host_and_partner,
    shows,
    subnet_path,
    write,
)

from actors import controls
from node import manage
from storage.models import Person

SUMMARY = re.compile(r'<span class="nhsuk-details__summary-text">(hidden: [a-z ]+)</span>')


async def _folded(reader: object, subnet: str) -> list[str]:
    _, html = await reader.get(subnet_path(subnet))  # type: ignore[attr-defined]
    return SUMMARY.findall(html)


async def test_muting_a_partners_member_and_a_word_folds_posts_for_the_reader_only(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    _a, b, subnet, people = await host_and_partner(start_node, browser)
    sam, kim, clinician = people["sam"], people["nurse-kim"], people["dr-ahmed"]
    await write(kim, subnet, "Our clinic is open late on Wednesdays")
    await write(clinician, subnet, "Weigh-in reminders are gone from this group")
    await eventually(lambda: shows(sam, subnet, "open late on Wednesdays"))

    _, html = await sam.get(subnet_path(subnet))
    author = re.search(
        r'name="author" value="([^"]+)"\s*>\s*<input type="hidden" name="name" value="Nurse-Kim"',
        html,
    )
    assert author and author.group(1).startswith(b.url)
    status, _ = await sam.submit(
        subnet_path(subnet),
        "/posts/mute",
        {"subnet": subnet, "author": author.group(1), "name": "Nurse-Kim"},
    )
    assert status == 200
    assert await _folded(sam, subnet) == ["hidden: someone you muted"]
    status, html = await sam.submit(
        "/account/controls", "/account/controls/words", {"word": "WEIGH-IN"}
    )
    assert status == 200 and "weigh-in" in html
    status, data = await sam.get("/account/data.json")
    assert {"kind": "word", "what": "weigh-in"}.items() <= json.loads(data)["muted"][1].items()
    assert sorted(await _folded(sam, subnet)) == [
        "hidden: a word you muted",
        "hidden: someone you muted",
    ]
    _, html = await sam.get(subnet_path(subnet))
    assert "open late on Wednesdays" in html.split("hidden: someone you muted", 1)[1]
    assert await _folded(clinician, subnet) == []  # nobody else's view changes

    status, html = await sam.submit("/account/controls", "/account/controls/words", {"word": " "})
    assert status == 400 and "Enter a word" in html
    for row in re.findall(r'name="mute" value="([^"]+)"', html):
        status, html = await sam.submit(
            "/account/controls", "/account/controls/unmute", {"mute": row}
        )
        assert status == 200
    assert "Nobody is muted" in html and "No muted words" in html
    assert await _folded(sam, subnet) == []
    status, _ = await sam.submit("/account/controls", "/account/controls/unmute", {"mute": "nope"})
    assert status == 404


async def test_a_break_hides_chosen_subnets_and_pauses_notices_until_it_ends(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    clock = MovableClock()
    node = await start_node("Test Trust", clock=clock)
    await node.add_user("sam", "carer")
    carers = await manage.subnet_create(node.directory, "carers", "Carers")
    await manage.subnet_create(node.directory, "walks", "Walking group")
    for slug in ("carers", "walks"):
        await manage.subnet_add(node.directory, slug, "sam")
    sam = browser(node)
    await sam.sign_in("sam")

    status, html = await sam.submit(
        "/account/controls", "/account/controls/break", {"subnets": carers}
    )
    assert status == 400 and "Choose how long your break is" in html
    status, html = await sam.submit(
        "/account/controls",
        "/account/controls/break",
        {"subnets": "https://elsewhere.example/subnets/x", "length": "day"},
    )
    assert status == 400 and "Choose from your own subnets" in html
    status, html = await sam.submit(
        "/account/controls", "/account/controls/break", {"subnets": carers, "length": "week"}
    )
    assert status == 200 and "Come back now" in html and "Carers" in html
    status, home = await sam.get("/")
    assert "Walking group" in home and ">Carers<" not in home and "1 subnet is hidden" in home
    async with node.db.transaction() as s:
        person = (await s.execute(Person.__table__.select())).first()
        assert await controls.notices_paused(s, person.id, clock())
        clock.advance(timedelta(days=8))
        assert not await controls.notices_paused(s, person.id, clock())
        assert await controls.current_break(s, person.id, clock()) is None
    clock.advance(-timedelta(days=8))  # back, so that the session has not expired

    status, _ = await sam.submit("/", "/account/controls/come-back", {})
    status, html = await sam.submit(
        "/account/controls", "/account/controls/break", {"length": "back"}
    )
    assert "until you come back" in html
    status, home = await sam.get("/")
    assert "taking a break" in home and "Carers" in home  # notices only
    status, home = await sam.submit("/", "/account/controls/come-back", {})
    assert status == 200 and "taking a break" not in home
