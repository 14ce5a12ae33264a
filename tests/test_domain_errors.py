"""Domain errors that a handler lets escape become their generic answers in one middleware
(webui/domain_errors.py): 404 and 403 pages with the error's own sentence, 429 with Retry-After,
and plain answers for machines."""

from __future__ import annotations

from aiohttp import web
from conftest import BrowserFactory, StartNode

from actors.errors import ActorError, Conflict, Gone, Invalid, NotFound, NotPermitted
from actors.throttle import Throttled
from webui.domain_errors import http_error

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_each_domain_error_maps_to_its_status_and_keeps_its_sentence() -> None:
    cases: list[tuple[ActorError, int]] = [
        (NotFound("There is no such person."), 404),
        (NotPermitted("Response times are for staff."), 403),
        (Invalid("Give a month as YYYY-MM.", "month"), 400),
        (Conflict("Already a member."), 409),
        (Gone("That post was deleted."), 410),
        (Throttled("Wait 2 minutes and try again.", retry_after=90), 429),
    ]
    for error, status in cases:
        answer = http_error(error)
        assert answer is not None and answer.status == status, error
        assert answer.text == str(error)
    throttled = http_error(Throttled("Wait 2 minutes and try again.", retry_after=90))
    assert isinstance(throttled, web.HTTPTooManyRequests)
    assert throttled.headers["Retry-After"] == "90"
    assert http_error(ActorError("something else")) is None


async def test_escaped_domain_errors_are_pages_for_people_and_plain_for_machines(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    a = await start_node("Berkshire Healthcare")
    await a.add_user("dr-ahmed", "clinician")
    await a.add_user("sam", "carer")
    clinician, sam = browser(a), browser(a)
    await clinician.sign_in("dr-ahmed")
    await sam.sign_in("sam")

    async with clinician.http.get(a.url + "/staff/people/nobody", headers=HTML) as response:
        assert response.status == 404
        html = await response.text()
        assert '<h1 class="nhsuk-heading-l">Page not found' in html
        assert "There is no such person." in html

    async with sam.http.get(a.url + "/moderation/times", headers=HTML) as response:
        assert response.status == 403
        html = await response.text()
        assert '<h1 class="nhsuk-heading-l">You cannot see or do this' in html
        assert "Response times are for staff." in html

    machine = {"Accept": "application/json"}
    async with clinician.http.get(a.url + "/staff/people/nobody", headers=machine) as response:
        assert response.status == 404
        assert "nhsuk-header" not in await response.text()
