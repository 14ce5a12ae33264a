"""Private messages with the care team: the conversations list, a conversation with its reply
form, writing to someone new, and (for staff) reply-time figures and the stated reply time.

Routes only translate between HTTP and `actors/messages.py`, where every rule lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from aiohttp import web

from actors import messages
from actors.errors import Invalid, NotPermitted
from actors.policy import Action, may
from actors.records import Person
from webui import flash
from webui.context import MESSAGES_UNREAD, WEB
from webui.forms import ErrorSummary, error, every_error, text
from webui.routes import page, require_person
from webui.security import checked_form
from webui.staff import require_staff


def _require_messaging(request: web.Request) -> Person:
    person: Person = require_person(request)
    if not (may(person.role, Action.MESSAGE_CARE_TEAM) or may(person.role, Action.MESSAGE_PEERS)):
        raise web.HTTPForbidden(text="Messages are for patients, carers and clinicians.")
    return person


def _new_href(option: messages.Option) -> str:
    query = {"kind": option.kind, "with": option.with_id, "subnet": option.subnet_uri}
    return "/messages/new?" + urlencode({k: v for k, v in query.items() if v})


async def inbox(request: web.Request) -> web.Response:
    person = _require_messaging(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        listed = await messages.inbox(s, viewer=person)
        choices = await messages.options(s, ctx.ids, viewer=person)
        reply_time = await messages.reply_time(s)
    return page(
        request,
        "messages.html",
        conversations=listed,
        options=[(option, _new_href(option)) for option in choices],
        reply_time=reply_time,
    )


async def _conversation_page(
    request: web.Request, *, status: int = 200, errors: ErrorSummary | None = None, draft: str = ""
) -> web.Response:
    person = _require_messaging(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        shown = await messages.conversation(
            s,
            ctx.ids,
            viewer=person,
            conversation_id=request.match_info["conversation"],
            now=ctx.clock(),
        )
        request[MESSAGES_UNREAD] = await messages.unread_total(s, viewer=person)
        reply_time = await messages.reply_time(s)
    return page(
        request,
        "conversation.html",
        status=status,
        conversation=shown,
        reply_time=reply_time,
        errors=errors or [],
        draft=draft,
        action=f"/messages/{shown.id}",
    )


async def conversation(request: web.Request) -> web.Response:
    return await _conversation_page(request)


def _after_sending(request: web.Request, sent: messages.Sent) -> web.HTTPException:
    if sent.signpost:
        return web.HTTPSeeOther(f"/support?message={quote(sent.message_id, safe='')}")
    return flash.done(request, f"/messages/{sent.conversation_id}#latest", "message-sent")


async def reply(request: web.Request) -> web.Response:
    person = _require_messaging(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    content = str(form.get("content", ""))
    try:
        async with ctx.db.transaction() as s:
            sent = await messages.send(
                s,
                ctx.ids,
                viewer=person,
                conversation_id=request.match_info["conversation"],
                content=content,
                now=ctx.clock(),
                screener=ctx.screener,
            )
    except (Invalid, NotPermitted) as problem:
        return await _conversation_page(
            request, status=400, errors=[error(str(problem), "content")], draft=content
        )
    raise _after_sending(request, sent)


async def _new_page(
    request: web.Request,
    values: dict[str, str],
    *,
    status: int = 200,
    errors: ErrorSummary | None = None,
    draft: str = "",
) -> web.Response:
    person = _require_messaging(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        chosen, found = await messages.existing(
            s,
            ctx.ids,
            viewer=person,
            kind=values["kind"],
            with_id=values["with"],
            subnet_uri=values["subnet"],
        )
        reply_time = await messages.reply_time(s)
    if found is not None and request.method == "GET":
        raise web.HTTPSeeOther(f"/messages/{found}#reply")
    return page(
        request,
        "message_new.html",
        status=status,
        target=chosen,
        values=values,
        reply_time=reply_time,
        errors=errors or [],
        draft=draft,
    )


def _target_values(source: Mapping[str, object]) -> dict[str, str]:
    """Whom a new message is for, as the new-message page's link or form names it."""
    found = {name: source.get(name, "") for name in ("kind", "with", "subnet")}
    return {name: value if isinstance(value, str) else "" for name, value in found.items()}


async def new_form(request: web.Request) -> web.Response:
    return await _new_page(request, _target_values(request.query))


async def start(request: web.Request) -> web.Response:
    person = _require_messaging(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    values = _target_values(form)
    content = str(form.get("content", ""))
    try:
        async with ctx.db.transaction() as s:
            sent = await messages.start(
                s,
                ctx.ids,
                viewer=person,
                kind=values["kind"],
                with_id=values["with"],
                subnet_uri=values["subnet"],
                content=content,
                now=ctx.clock(),
                screener=ctx.screener,
            )
    except Invalid as problem:
        return await _new_page(
            request, values, status=400, errors=every_error(problem, "content"), draft=content
        )
    raise _after_sending(request, sent)


async def _times_page(
    request: web.Request, *, status: int = 200, errors: ErrorSummary | None = None, draft: str = ""
) -> web.Response:
    person = require_staff(request, Action.READ_RESPONSE_TIMES)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        rows = await messages.reply_times(s, viewer=person)
        reply_time = await messages.reply_time(s)
    return page(
        request,
        "message_times.html",
        status=status,
        rows=rows,
        reply_time=draft or reply_time,
        may_set=may(person.role, Action.SET_REPLY_TIME),
        errors=errors or [],
    )


async def times(request: web.Request) -> web.Response:
    return await _times_page(request)


async def set_reply_time(request: web.Request) -> web.Response:
    person = require_staff(request, Action.SET_REPLY_TIME)
    form = await checked_form(request)
    ctx = request.app[WEB]
    wanted = text(form, "reply_time")
    try:
        async with ctx.db.transaction() as s:
            await messages.set_reply_time(s, ctx.ids, viewer=person, text=wanted, now=ctx.clock())
    except Invalid as problem:
        return await _times_page(
            request, status=400, errors=every_error(problem, "reply_time"), draft=wanted
        )
    raise flash.done(request, "/staff/messages/times#reply-time", "saved")


def register(app: web.Application) -> None:
    app.router.add_get("/messages", inbox)
    app.router.add_get("/messages/new", new_form)
    app.router.add_post("/messages/new", start)
    app.router.add_get("/messages/{conversation}", conversation)
    app.router.add_post("/messages/{conversation}", reply)
    app.router.add_get("/staff/messages/times", times)
    app.router.add_post("/staff/messages/reply-time", set_reply_time)
