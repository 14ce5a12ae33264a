"""Domain errors that a handler lets escape become their generic answers in one middleware
(webui/domain_errors.py): 404 and 403 pages with the error's own sentence, 429 with Retry-After,
and plain answers for machines."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from conftest import Browser, BrowserFactory, StartNode, subnet_path

from actors.errors import ActorError, Conflict, Gone, Invalid, NotFound, NotPermitted
from actors.throttle import Throttled
from node import manage
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


async def test_moderators_queue_and_admin_forms_answer_refusals_with_the_errors_own_sentence(
    start_node: StartNode, browser: BrowserFactory
) -> None:
    """The members page, the moderator actions, the hold queue and the admin's sharing form let
    the domain's refusals escape (a status and its sentence), and show a form again only where
    the person can correct what they entered."""
    a = await start_node("Berkshire Healthcare")
    for username, role in (("dr-ahmed", "clinician"), ("sam", "carer"), ("admin", "admin")):
        await a.add_user(username, role)
    subnet = await manage.subnet_create(a.directory, "carers", "Carers")
    for username in ("dr-ahmed", "sam"):
        await manage.subnet_add(a.directory, "carers", username)
    clinician, sam, admin = browser(a), browser(a), browser(a)
    for person, username in ((clinician, "dr-ahmed"), (sam, "sam"), (admin, "admin")):
        await person.sign_in(username)
    page = subnet_path(subnet)
    nobody, no_post = f"{a.url}/members/nobody", f"{a.url}/posts/nothing-here"

    async def answer(person: Browser, form: str, **fields: str) -> tuple[int, str]:
        return await person.submit(page, form, {"subnet": subnet, **fields})

    refusals = [
        (
            await answer(clinician, "/moderate", action="release", object=no_post),
            404,
            "There is no such post in a subnet hosted here.",
        ),
        (
            await answer(sam, "/moderate", action="release", object=no_post),
            403,
            "Only a moderator of this subnet can do that.",
        ),
        (
            await clinician.get(f"/moderate/confirm?{_query(subnet, 'suspend', nobody)}"),
            404,
            "That person is not in this subnet.",
        ),
        (
            await sam.get(f"/moderate/confirm?{_query(subnet, 'remove', no_post)}"),
            403,
            "Only a moderator of this subnet can do that.",
        ),
        (
            await answer(clinician, "/moderate/act", action="hide", target=no_post),
            404,
            "There is no such post in a subnet hosted here.",
        ),
        (
            await answer(clinician, "/moderate/act", action="shout", target=no_post),
            400,
            "Choose what to do.",
        ),
        (
            await answer(sam, "/moderate/act", action="hide", target=no_post),
            403,
            "Only a moderator of this subnet can do that.",
        ),
        (
            await clinician.submit(page, "/staff/queue/holds", {"hold": "no-such-hold"}),
            404,
            "There is no such hold on posting.",
        ),
    ]
    for (status, html), expected, sentence in refusals:
        assert (status, sentence in html) == (expected, True), (sentence, html[:300])
        assert 'class="nhsuk-heading-l"' in html  # an error page, not a form shown again

    # Forms the person can correct come back with the sentence beside the field.
    status, html = await answer(clinician, "/moderate/act", action="remove", target=no_post)
    assert status == 400 and "Write a reason" in html and 'href="#reason"' in html
    status, html = await admin.submit(
        "/admin", "/admin/sharing", {"slug": "carers", "peer": "http://127.0.0.1:9"}
    )
    assert status == 400 and "That node is not an agreed peer." in html
    assert 'href="#shared"' in html


def _query(subnet: str, action: str, target: str) -> str:
    return urlencode({"subnet": subnet, "action": action, "target": target})
