"""Staff pages for crisis alerts: the Alerts board, one alert (acknowledge, note, resolve,
release or keep the held post), going on and off duty, and the unread count on every staff page.

Rules (who sees which alert, who may act) live in `actors/alerts.py`; routes only translate.
"""

from __future__ import annotations

from aiohttp import web

from actors import alerts
from actors.errors import Invalid, NotFound
from actors.policy import Action
from webui.context import WEB
from webui.forms import ErrorSummary
from webui.routes import page
from webui.security import checked_fields
from webui.staff import require_staff


async def board(request: web.Request) -> web.Response:
    person = require_staff(request, Action.READ_ESCALATED_ALERTS)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        found = await alerts.board(s, ctx.ids, viewer=person, now=ctx.clock())
    return page(
        request,
        "alerts.html",
        board=found,
        labels=alerts.CATEGORY_LABELS,
        escalate_minutes=ctx.escalate_minutes,
    )


async def one(request: web.Request, errors: ErrorSummary | None = None) -> web.Response:
    person = require_staff(request, Action.READ_ESCALATED_ALERTS)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            found = await alerts.alert(
                s, ctx.ids, viewer=person, alert_id=request.match_info["id"], now=ctx.clock()
            )
            may_act = await alerts.sees_all_alerts(s, person)
    except NotFound:
        raise web.HTTPNotFound(text="There is no such alert, or it is not yours to see.") from None
    return page(
        request,
        "alert.html",
        status=400 if errors else 200,
        errors=errors or [],
        alert=found,
        labels=alerts.CATEGORY_LABELS,
        outcomes=alerts.OUTCOMES,
        may_act=may_act,
    )


async def act(request: web.Request) -> web.Response:
    person = require_staff(request, Action.READ_ESCALATED_ALERTS)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    alert_id, action = request.match_info["id"], values.get("action", "")
    try:
        async with ctx.db.transaction() as s:
            now = ctx.clock()
            if action == "acknowledge":
                await alerts.acknowledge(s, ctx.ids, viewer=person, alert_id=alert_id, now=now)
            elif action == "note":
                await alerts.add_note(
                    s,
                    ctx.ids,
                    viewer=person,
                    alert_id=alert_id,
                    text=values.get("note", ""),
                    now=now,
                )
            elif action == "resolve":
                await alerts.resolve(
                    s,
                    ctx.ids,
                    viewer=person,
                    alert_id=alert_id,
                    outcome=values.get("outcome", ""),
                    now=now,
                )
            elif action in ("release", "keep"):
                await alerts.decide_post(
                    s,
                    ctx.ids,
                    viewer=person,
                    alert_id=alert_id,
                    release=action == "release",
                    now=now,
                )
            else:
                raise Invalid("Choose what to do.")
    except Invalid as error:
        field = {"note": "note", "resolve": "outcome"}.get(action, "actions")
        return await one(request, [{"text": str(error), "href": f"#{field}"}])
    except NotFound:
        raise web.HTTPNotFound(text="There is no such alert, or it is not yours to see.") from None
    raise web.HTTPSeeOther(f"/staff/alerts/{alert_id}")


async def duty(request: web.Request) -> web.Response:
    person = require_staff(request, Action.READ_ESCALATED_ALERTS)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await alerts.set_duty(
            s, ctx.ids, person=person, on=values.get("on") == "1", now=ctx.clock()
        )
    raise web.HTTPSeeOther("/staff/alerts")


def register(app: web.Application) -> None:
    app.router.add_get("/staff/alerts", board)
    app.router.add_post("/staff/duty", duty)
    app.router.add_get("/staff/alerts/{id}", one)
    app.router.add_post("/staff/alerts/{id}", act)
