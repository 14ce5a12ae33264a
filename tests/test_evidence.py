"""The Evidence page on real nodes: a subnet hosted by one trust and shared with two others,
its figures pooled over signed requests, suppressed on the page and in the exports alike, and
nothing but suppressed monthly figures leaving any node."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import defaultdict
from itertools import product
from urllib.parse import quote

import aiohttp
import pytest
from conftest import (
    PASSWORD,
    Browser,
    BrowserFactory,
    StartNode,
    TestNode,
    signed_get,
    subnet_path,
    write,
)
from evidence_setup import PEOPLE, evidence_path, three_trusts

from actors.clock import utcnow
from actors.distribution import EDGES
from actors.evidence import (
    COUNTS,
    MEDIANS,
    EvidencePlan,
    Month,
    MonthFigures,
    PoolAsk,
    TrustFigures,
    pool,
    shown,
    valid_shown_month,
)
from actors.out_of_hours import OutOfHours
from actors.suppression import HIDDEN
from node import manage
from storage.models import PersonalDetails, SubnetVisit
from webui.evidence import export_csv, median_rows

DETAILS = ("real_name", "email", "phone", "nhs_number")
NOV = Month(2026, 11)


def page_figures(html: str) -> dict[tuple[str, str], str]:
    """(trust, figure) → the value shown in the page's figure tables."""
    found = {}
    for row in re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", html, re.S):
        trust = re.search(r'scope="row">([^<]*)</th>', row)
        if not trust:
            continue
        for name, value in re.findall(
            r'data-figure="([a-z_0-9]+)"><span[^>]*>[^<]*</span>([^<]*)</td>', row
        ):
            found[trust.group(1), name] = value.strip()
    return found


GROUP = ("activity", "activity_in_hours", "activity_out_of_hours")


def possible_values(month: dict) -> dict[str, set[int]]:
    """For each hidden count of a trust's exported month, every true value behind which the
    month would have been published exactly as it was: the counts that add up (activity in and
    out of hours) enumerated together, each other hidden count on its own."""
    published = month["counts"]
    hidden = [name for name, value in published.items() if value == HIDDEN]
    base = {name: 3 if value == HIDDEN else value for name, value in published.items()}
    candidates = []
    for inside, outside in product(range(31), range(31)):
        candidates.append(
            base
            | {"activity_in_hours": inside, "activity_out_of_hours": outside}
            | {"activity": inside + outside}
        )
    for name in hidden:
        if name not in GROUP:
            candidates += [base | {name: value} for value in range(31)]
    possible: dict[str, set[int]] = defaultdict(set)
    for counts in candidates:
        if counts["activity"] != counts["activity_in_hours"] + counts["activity_out_of_hours"]:
            continue
        values = {name: [1.0] * counts[count] for name, count in MEDIANS.items()}
        again = shown(Month.parse(month["month"]), MonthFigures(counts, values)).as_json()
        hidden_alike = _hidden(again["distributions"]) == _hidden(month["distributions"])
        if again["counts"] == published and hidden_alike:
            for name in hidden:
                possible[name].add(counts[name])
    return possible


def _hidden(distributions: dict) -> dict[str, bool]:
    return {name: cells == HIDDEN for name, cells in distributions["counts"].items()}


def suppressed_distributions(month: dict) -> bool:
    """A month's distributions hold only suppressed counts on the fixed edges."""
    found = month["distributions"]
    if found["at_or_under_hours"] != list(EDGES) or set(found["counts"]) != set(MEDIANS):
        return False
    for cells in found["counts"].values():
        for cell in [cells] if cells == HIDDEN else cells:
            if not (cell in (HIDDEN, 0) or (cell >= 10 and cell % 5 == 0)):
                return False
    return True


async def _page_and_exports_agree(analyst: Browser, subnet: str) -> None:
    """The analyst's page shows every trust's figures, pooled and suppressed; the CSV and JSON
    exports hold the same values; no hidden count is pinned down by what they show."""
    status, html = await analyst.get(evidence_path(subnet))
    assert status == 200, html[:300]
    shown_here = page_figures(html)
    assert shown_here["Oxford Health", "active"] == HIDDEN  # 3 people
    assert shown_here["Bucks", "active"] == "10"  # 9 people, rounded
    assert shown_here["Berkshire", "active"] == HIDDEN
    assert shown_here["All trusts", "active"] == "≥ 10"
    assert "Not all trusts answered" not in html
    assert html.count('class="sharon-chart" viewBox="0 0 640 320" role="img"') == 2
    assert html.count("<desc id=") == 2 and html.count("The figures in this chart") == 2
    assert "<script" not in html.split("<svg", 1)[1].rsplit("</svg>", 1)[0]

    status, text = await analyst.get(evidence_path(subnet, ".csv"))
    assert status == 200 and text.startswith("# SHaRON evidence of benefit: method note")
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    month = str(Month.of(utcnow()))  # the nodes run on the real clock here
    in_csv = {(r["trust"], r["figure"]): r["value"] for r in rows if r["month"] == month}
    for key, value in shown_here.items():
        assert in_csv[key] == value, key

    status, body = await analyst.get(evidence_path(subnet, ".json"))
    document = json.loads(body)
    assert status == 200 and "Suppression" in document["method"]
    for trust in document["trusts"]:
        this_month = trust["months"][-1]
        assert this_month["month"] == month
        for name, value in this_month["counts"].items():
            assert str(value) == in_csv[trust["trust"], name]
            if value == HIDDEN:  # nothing shown anywhere pins a hidden count down
                assert len(possible_values(this_month)[name]) > 1, (trust["trust"], name)


async def test_only_admins_and_analysts_see_evidence_and_bad_asks_are_refused(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    people = {}
    for username, role in (
        ("ada", "admin"),
        ("ana", "analyst"),
        ("dr", "clinician"),
        ("sam", "carer"),
    ):
        await a.add_user(username, role, username.title())
        people[username] = browser(a)
        await people[username].sign_in(username)
    for username in ("dr", "sam"):
        assert (await people[username].get("/evidence"))[0] == 403
        assert (await people[username].get(evidence_path(subnet)))[0] == 403
    status, html = await people["ada"].get("/evidence")
    assert status == 200 and "Carers" in html and 'href="/evidence"' in html
    assert (await people["ana"].get(evidence_path(subnet) + "&month=2026-13"))[0] == 400
    assert (await people["ana"].get(evidence_path(f"{a.url}/subnets/nope")))[0] == 404
    status, html = await people["ana"].get(evidence_path(subnet) + "&month=2026-01")
    assert status == 200 and "2026-01" in html
    assert (await people["ana"].get(subnet_path(subnet)))[0] == 404  # reads no posts


PLANTED = PersonalDetails(
    real_name="Quinn Plantedevidence",
    email="quinn.planted.evidence@example.nhs.uk",
    phone="07700 900733",
    nhs_number="943 476 5870",
)


async def test_pooled_evidence_is_shown_and_exported_suppressed_and_nothing_else_leaves(
    start_node: StartNode, browser: BrowserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """One setting (three trusts, costly to build) for both sides of pooling: what the analyst
    sees and exports, and what the partners answered and logged."""
    caplog.set_level(logging.INFO)  # as `sharon serve` logs (drivers' debug lines hold SQL)
    (a, b, c, d), subnet, staff = await three_trusts(start_node, browser)
    alex = (await b.person_uri("alex")).rsplit("/", 1)[1]
    async with b.db.transaction() as s:
        s.add(PersonalDetails(person_id=alex, **{k: getattr(PLANTED, k) for k in DETAILS}))
    await _page_and_exports_agree(staff["ana"], subnet)
    asked = [s for s in a.sent if "/evidence/figures" in s.url]
    assert {s.url.split("?")[0] for s in asked} == {
        f"{b.url}/evidence/figures",
        f"{c.url}/evidence/figures",
    }
    assert all(s.method == "GET" and s.body == b"" for s in asked)

    url = f"{b.url}/evidence/figures?subnet={quote(subnet, safe='')}&month=2026-10&month=2026-11"
    status, body = await signed_get(a, url)
    assert status == 200
    answer = json.loads(body)
    assert set(answer) == {"trust", "months"}
    for month in answer["months"]:
        assert set(month) == {"month", "counts", "medians", "distributions"}
        assert set(month["counts"]) == set(COUNTS)
        assert suppressed_distributions(month)
        for value in month["counts"].values():
            assert value in (HIDDEN, 0) or (value >= 10 and value % 5 == 0)
    text = body.decode()
    for username in (*PEOPLE["Oxford Health"], "Alex"):
        assert username not in text
    assert "/members/" not in text and "/people/" not in text

    assert (await signed_get(d, url))[0] == 404  # D is B's peer, but no partner of the subnet
    assert (await signed_get(a, url.replace("month=2026-10", "month=soon")))[0] == 400
    many = "&".join(f"month=2025-{m:02d}" for m in range(1, 13))
    assert (await signed_get(a, f"{url}&{many}"))[0] == 400
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 401

    logged = caplog.text + "".join(f"{r.__dict__!r}" for r in caplog.records)
    assert "/evidence/figures" in logged  # the pooling was logged…
    for detail in DETAILS:  # …and no personal detail with it
        assert getattr(PLANTED, detail) not in logged
    everything_sent = b"".join(s.body + s.url.encode() + s.headers.encode() for s in b.sent)
    for detail in DETAILS:
        assert getattr(PLANTED, detail).encode() not in everything_sent


async def test_your_data_shows_a_persons_visits_and_erasing_the_account_removes_them(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire")
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    await a.add_user("sam", "carer", "Sam")
    await manage.subnet_add(a.directory, "carers", "sam")
    sam = browser(a)
    await sam.sign_in("sam")
    await sam.get(subnet_path(subnet))
    await sam.get(subnet_path(subnet))  # the same hour: one visit
    status, body = await sam.get("/account/data.json")
    visits = json.loads(body)["subnet_visits"]
    assert status == 200 and [v["subnet"] for v in visits] == [subnet]
    status, html = await sam.submit(
        "/account/erase", "/account/erase", {"password": PASSWORD, "confirm": "yes"}
    )
    assert status == 200, html[:300]
    assert await a.count(SubnetVisit) == 0


async def _first_replies(
    node: TestNode, subnet: str, browser: BrowserFactory, authors: dict[str, int], replier: str
) -> None:
    """Each author writes that many posts, and `replier` answers each at once."""
    answering = browser(node)
    await answering.sign_in(replier)
    for author, n in authors.items():
        person = browser(node)
        await person.sign_in(author)
        for i in range(n):
            text = f"A quiet day at the allotment, {author} {i} (marker M{i})"
            await write(person, subnet, text)
            reply = f"Glad to hear it, {author} {i}"
            await write(answering, subnet, reply, in_reply_to=await node.post_uri(text))


def median_cells(html: str) -> dict[tuple[str, str], str]:
    """The network medians table: (figure, column) → value."""
    found = {}
    for column, name, value in re.findall(
        r'data-(median|pooled-from)="([a-z_]+)"><span[^>]*>[^<]*</span>([^<]*)</td>', html
    ):
        found[name, column] = value.strip()
    return found


async def test_a_network_median_is_pooled_from_the_partners_suppressed_distributions(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """Bucks and Oxford Health each have 8 posts answered within minutes, Berkshire (the host)
    2: the host's page shows the network's median time to a peer's first reply as the bin of
    both partners' distributions, Berkshire left out for too few; and the partners sent only
    suppressed counts on the fixed edges."""
    (a, b, c, _), subnet, staff = await three_trusts(start_node, browser)
    when = "out_of_hours" if OutOfHours().of(utcnow()) else "in_hours"
    month = str(Month.of(utcnow()))
    figure = f"first_reply_peer_{when}_hours"
    await _first_replies(b, subnet, browser, {"alex": 4, "ash": 4}, "bo")
    await _first_replies(c, subnet, browser, {f"carer{i}": 1 for i in range(8)}, "carer8")
    await _first_replies(a, subnet, browser, {"sam": 2}, "lee")
    status, html = await staff["ana"].get(evidence_path(subnet) + f"&month={month}")
    assert status == 200, html[:300]
    cells = median_cells(html)
    assert cells[figure, "median"] == "15 minutes or less"
    assert set(cells[figure, "pooled-from"].split(", ")) == {"Bucks", "Oxford Health"}
    assert page_figures(html)["All trusts", figure] == "15 minutes or less"
    assert page_figures(html)["Bucks", f"first_replies_peer_{when}"] == "10"
    assert "Berkshire (too few values)" in html
    assert "sends no distributions" not in html

    status, body = await staff["ana"].get(evidence_path(subnet, ".json") + f"&month={month}")
    network = json.loads(body)["network_medians"][-1]["medians"][figure]
    assert network["at_or_under_hours"] == 0.25 and network["over_hours"] is None
    assert network["values"] == 20 and set(network["pooled"]) == {"Bucks", "Oxford Health"}

    url = f"{b.url}/evidence/figures?subnet={quote(subnet, safe='')}&month={month}"
    status, answer = await signed_get(a, url)
    assert status == 200
    (sent,) = json.loads(answer)["months"]
    assert suppressed_distributions(sent)
    assert sent["distributions"]["counts"][figure] == [10] * len(EDGES)
    assert "/posts/" not in answer.decode() and "allotment" not in answer.decode()


def test_a_partner_on_an_older_version_is_named_beside_the_network_medians() -> None:
    """Its month has no distributions: its counts add up, its times are not in the medians, and
    the page's table and the CSV say so."""
    host = shown(NOV, MonthFigures(dict.fromkeys(COUNTS, 0) | {"moderated": 9}, _moderation(9)))
    old = valid_shown_month(
        {k: v for k, v in host.as_json().items() if k != "distributions"} | {"month": str(NOV)}
    )
    plan = EvidencePlan("s", "S", NOV, [NOV], TrustFigures("Host", [host]), [PoolAsk("o", "Old")])
    pooled = pool(plan, {"o": TrustFigures("Old", [old])})
    (row,) = [r for r in median_rows(pooled.medians[0]) if r.name == "moderation_queue_hours"]
    assert (row.text, row.pooled, row.left_out) == (
        "15 minutes to 1 hour",
        "Host",
        "Old (sent no distributions)",
    )
    assert pooled.network[0]["moderated"] == (20, False)
    text = export_csv(pooled)
    assert (
        "S,All trusts,2026-11,moderation_queue_hours_left_out,Old (sent no distributions)" in text
    )
    assert "S,Host,2026-11,moderation_queue_hours_at_or_under_1,10" in text


def _moderation(n: int) -> dict[str, list[float]]:
    return {name: [0.5] * n if name == "moderation_queue_hours" else [] for name in MEDIANS}
