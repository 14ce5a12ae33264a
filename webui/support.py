"""The page an author sees at once after writing something that worries us: ways to get help
now, and when the team will next be online. No JavaScript; big tel: and sms: links."""

from __future__ import annotations

from aiohttp import web

from actors import journal, messages, support
from actors.errors import NotFound
from webui.context import WEB
from webui.routes import page, require_person, subnet_href


async def show(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    now = ctx.clock()
    after, entry = None, None
    back = ""
    async with ctx.db.transaction() as s:
        if request.query.get("message"):
            try:
                found = await messages.flagged(
                    s, ctx.ids, viewer=person, message_id=request.query["message"]
                )
            except NotFound:
                raise web.HTTPNotFound(text="There is no such message of yours.") from None
            after = support.AfterPost("", found.held, True, found.audience, subject="message")
            back = f"/messages/{found.conversation_id}"
        elif request.query.get("post"):
            try:
                after = await support.after_post(
                    s, ctx.ids, person=person, post_id=request.query["post"]
                )
            except NotFound:
                raise web.HTTPNotFound(text="There is no such post of yours.") from None
        elif request.query.get("name"):
            try:
                after = await support.after_name(
                    s, ctx.ids, person=person, alert_id=request.query["name"]
                )
            except NotFound:
                raise web.HTTPNotFound(text="There is no such name of yours.") from None
        elif request.query.get("journal"):
            try:
                entry = await journal.after_entry(
                    s, person=person, entry_id=request.query["journal"]
                )
            except NotFound:
                raise web.HTTPNotFound(text="There is no such entry in your journal.") from None
        available = await support.availability(s, ctx.staffed_hours, now)
    audience = after.audience if after else "adults"
    return page(
        request,
        "support.html",
        after=after,
        entry=entry,
        back=back or ("/journal" if entry else _back(after)),
        back_text=(
            "Back to your messages"
            if back
            else "Back to your journal"
            if entry
            else _back_text(after)
        ),
        helplines=support.helplines_for(ctx.helplines, audience),
        available=available,
        next_online=support.when(available.next_at, now) if available.next_at else "",
    )


def _back(after: support.AfterPost | None) -> str:
    if after is None:
        return "/"
    if after.subject == "name" and not after.subnet_uri:
        return "/account"
    return subnet_href(after.subnet_uri) + ("#posts" if after.subject == "post" else "")


def _back_text(after: support.AfterPost | None) -> str:
    if after is None:
        return "Back to my subnets"
    if after.subject == "name" and not after.subnet_uri:
        return "Back to your account"
    return "Back to your subnet"


def register(app: web.Application) -> None:
    app.router.add_get("/support", show)
