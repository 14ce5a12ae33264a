"""A member's own controls: mute a person (from their post) or words, and take a break.
Rules live in `actors/controls.py`; these routes only translate."""

from __future__ import annotations

from aiohttp import web

from actors import controls, subnets
from actors.errors import Invalid
from webui.context import WEB
from webui.forms import ErrorSummary, error
from webui.routes import page, require_person, subnet_href
from webui.security import checked_fields, checked_form

BREAK_CHOICES = (
    ("day", "1 day"),
    ("week", "1 week"),
    ("back", "Until I come back"),
)


async def controls_page(
    request: web.Request, status: int = 200, errors: ErrorSummary | None = None, **values: object
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        mutes = await controls.mutes_of(s, person)
        mine = await subnets.subnets_of(s, ctx.ids, person, ctx.trust_name)
        on_break = await controls.current_break(s, person.id, ctx.clock())
    return page(
        request,
        "controls.html",
        status=status,
        errors=errors or [],
        muted_people=[row for row in mutes.rows if row.kind == "person"],
        muted_words=[row for row in mutes.rows if row.kind == "word"],
        subnets=mine,
        on_break=on_break,
        break_names=[item.name for item in mine if on_break and item.uri in on_break.subnet_uris],
        break_choices=BREAK_CHOICES,
        **values,
    )


async def show(request: web.Request) -> web.Response:
    return await controls_page(request)


def _done(anchor: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/account/controls#{anchor}")


async def mute_word(request: web.Request) -> web.Response:
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await controls.mute_word(s, person=person, word=values.get("word", ""), now=ctx.clock())
    except Invalid as problem:
        return await controls_page(
            request, 400, [error(str(problem), "word")], word=values.get("word", "")
        )
    raise _done("words")


async def unmute(request: web.Request) -> web.Response:
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await controls.unmute(s, person=person, mute_id=values.get("mute", ""))
    raise _done(values.get("back", "people") if values.get("back") == "words" else "people")


async def mute_person(request: web.Request) -> web.Response:
    """From a post: mute its author, then back to the subnet."""
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await controls.mute_person(
            s,
            person=person,
            author_uri=values.get("author", ""),
            name=values.get("name", ""),
            now=ctx.clock(),
        )
    raise web.HTTPSeeOther(subnet_href(values.get("subnet", "")) + "#posts")


async def take_break(request: web.Request) -> web.Response:
    person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    chosen = form.getall("subnets", [])
    length = str(form.get("length", ""))
    try:
        async with ctx.db.transaction() as s:
            theirs = [item.uri for item in await subnets.subnets_of(s, ctx.ids, person, "")]
            await controls.take_break(
                s, person=person, subnet_uris=chosen, length=length, theirs=theirs, now=ctx.clock()
            )
    except Invalid as problem:
        field = "length" if problem.field == "length" else "subnets"
        return await controls_page(request, 400, [error(str(problem), field)])
    raise _done("break")


async def come_back(request: web.Request) -> web.Response:
    person = require_person(request)
    await checked_fields(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await controls.end_break(s, person=person)
    raise web.HTTPSeeOther("/")


def register(app: web.Application) -> None:
    app.router.add_get("/account/controls", show)
    app.router.add_post("/account/controls/words", mute_word)
    app.router.add_post("/account/controls/unmute", unmute)
    app.router.add_post("/account/controls/break", take_break)
    app.router.add_post("/account/controls/come-back", come_back)
    app.router.add_post("/posts/mute", mute_person)
