"""The in-app survey page for the people SHaRON supports: answer, or say "not now"; either
way it is not offered again for the trust's chosen number of weeks (actors/survey.py)."""

from __future__ import annotations

from aiohttp import web

from actors import survey
from actors.errors import Invalid, NotPermitted
from webui.context import WEB
from webui.forms import ErrorSummary
from webui.routes import page, require_person
from webui.security import checked_fields


async def form(
    request: web.Request, errors: ErrorSummary | None = None, chosen: dict[str, str] | None = None
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        due = await survey.due(s, ctx.survey, person, ctx.clock())
    if not due:
        raise web.HTTPSeeOther("/")
    return page(
        request,
        "survey.html",
        status=400 if errors else 200,
        errors=errors or [],
        questions=ctx.survey.questions,
        scale=survey.SCALE,
        chosen=chosen or {},
    )


async def submit(request: web.Request) -> web.Response:
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    answers = {} if values.get("not_now") == "1" else values
    try:
        async with ctx.db.transaction() as s:
            await survey.answer(s, ctx.survey, person, answers, ctx.clock())
    except Invalid as error:
        return await form(request, [{"text": str(error), "href": f"#{error.field}"}], values)
    except NotPermitted:
        raise web.HTTPSeeOther("/") from None
    return page(request, "survey_done.html", answered=bool(answers))


def register(app: web.Application) -> None:
    app.router.add_get("/survey", form)
    app.router.add_post("/survey", submit)
