"""The journal pages (`/journal`): write, edit, share and delete one's own entries, and see
one's mood over time as a chart drawn here (SVG, with the same figures as a table).

Rules live in `actors/journal.py`; these routes only translate. An entry screening flags sends
the person to the support page, as a post does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from markupsafe import Markup

from actors import journal
from actors.errors import Invalid
from actors.policy import Action, may
from actors.records import JournalEntry, Person
from webui import charts
from webui.confirm import confirm_page
from webui.context import WEB
from webui.flash import done
from webui.forms import ErrorSummary, every_error, text
from webui.routes import page, require_person
from webui.security import checked_form

MOOD_SCALE = tuple(journal.MOODS)


def mood_chart(key: str, points: Sequence[tuple[Any, int]], whose: str) -> dict[str, Any] | None:
    """The mood chart (when there are two moods or more to join) and its table's rows."""
    if not points:
        return None
    labels = [at.strftime("%d %b") for at, _ in points]
    rows = [(at, mood, journal.MOODS[mood]) for at, mood in points]
    svg: Markup | None = None
    if len(points) > 1:
        first, last = points[0], points[-1]
        svg = charts.line_chart(
            key,
            f"{whose} mood over time",
            (
                f"{len(points)} moods from {first[0]:%d %B %Y} to {last[0]:%d %B %Y}, on a scale "
                f"from 1 (very low) to 5 (very good). The first was {first[1]} "
                f"({journal.MOODS[first[1]].lower()}), the latest {last[1]} "
                f"({journal.MOODS[last[1]].lower()}). The table below has every one."
            ),
            labels,
            [mood for _, mood in points],
            MOOD_SCALE,
        )
    return {"svg": svg, "rows": rows}


def _require_keeper(request: web.Request) -> Person:
    person: Person = require_person(request)
    if not may(person.role, Action.KEEP_JOURNAL):
        raise web.HTTPForbidden(text="A journal is for the people this service supports.")
    return person


async def journal_page(request: web.Request, status: int = 200, **values: object) -> web.Response:
    person = _require_keeper(request)
    ctx = request.app[WEB]
    tag = request.query.get("tag", "").strip()
    async with ctx.db.transaction() as s:
        rows = await journal.entries(s, person, tag=tag)
        every = rows if not tag else await journal.entries(s, person)
    values.setdefault("draft", {"text": "", "mood": "", "tags": "", "share": False})
    return page(
        request,
        "journal.html",
        status=status,
        entries=rows,
        chosen_tag=tag,
        tags=journal.tags_of(every),
        moods=journal.MOODS,
        chart=mood_chart("mood", journal.mood_points(every), "Your"),
        **values,
    )


async def show(request: web.Request) -> web.Response:
    return await journal_page(request)


def _draft_values(form: Any) -> dict[str, Any]:
    return {
        "text": str(form.get("text", "")),
        "mood": text(form, "mood"),
        "tags": text(form, "tags"),
        "share": text(form, "share") == "yes",
    }


def _after(request: web.Request, written: journal.Written, what: str) -> web.HTTPSeeOther:
    if written.signpost:
        return web.HTTPSeeOther(f"/support?journal={written.entry.id}")
    return done(request, f"/journal#entry-{written.entry.id}", what)


async def write(request: web.Request) -> web.Response:
    person = _require_keeper(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    values = _draft_values(form)
    try:
        draft = journal.checked_draft(values["text"], values["mood"], values["tags"])
        async with ctx.db.transaction() as s:
            written = await journal.write_entry(
                s,
                ctx.ids,
                person=person,
                draft=draft,
                share=values["share"],
                now=ctx.clock(),
                screener=ctx.screener,
            )
    except Invalid as problem:
        return await journal_page(
            request, status=400, errors=every_error(problem, "text"), draft=values
        )
    raise _after(request, written, "journal-shared" if values["share"] else "journal-saved")


async def _own(request: web.Request, person: Person) -> JournalEntry:
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        return await journal.own_entry(s, person, request.match_info["entry"])


def _edit_page(
    request: web.Request,
    entry: JournalEntry,
    draft: dict[str, Any],
    errors: ErrorSummary | None = None,
) -> web.Response:
    return page(
        request,
        "journal_edit.html",
        status=400 if errors else 200,
        errors=errors or [],
        entry=entry,
        draft=draft,
        moods=journal.MOODS,
    )


async def edit_form(request: web.Request) -> web.Response:
    person: Person = require_person(request)
    entry = await _own(request, person)
    draft = {
        "text": entry.text,
        "mood": str(entry.mood or ""),
        "tags": ", ".join(entry.tags),
        "share": entry.shared_at is not None,
    }
    return _edit_page(request, entry, draft)


async def edit(request: web.Request) -> web.Response:
    person: Person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    values = _draft_values(form)
    try:
        draft = journal.checked_draft(values["text"], values["mood"], values["tags"])
        async with ctx.db.transaction() as s:
            written = await journal.edit_entry(
                s,
                ctx.ids,
                person=person,
                entry_id=request.match_info["entry"],
                draft=draft,
                share=values["share"],
                now=ctx.clock(),
                screener=ctx.screener,
            )
    except Invalid as problem:
        entry = await _own(request, person)
        return _edit_page(request, entry, values, every_error(problem, "text"))
    raise _after(request, written, "saved")


async def share(request: web.Request) -> web.Response:
    person: Person = require_person(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    sharing = text(form, "share") == "yes"
    async with ctx.db.transaction() as s:
        written = await journal.share_entry(
            s,
            ctx.ids,
            person=person,
            entry_id=request.match_info["entry"],
            share=sharing,
            now=ctx.clock(),
            screener=ctx.screener,
        )
    raise _after(request, written, "journal-shared" if sharing else "journal-private")


async def delete_form(request: web.Request) -> web.Response:
    person: Person = require_person(request)
    entry = await _own(request, person)
    return confirm_page(
        request,
        heading="Delete this journal entry?",
        explanation=(
            "It is erased and cannot be brought back."
            + (" Your clinicians will no longer see it." if entry.shared_at else "")
        ),
        action=f"/journal/{entry.id}/delete",
        fields={},
        confirm="Delete entry",
        back=f"/journal#entry-{entry.id}",
        quoted=entry.text,
    )


async def delete(request: web.Request) -> web.Response:
    person: Person = require_person(request)
    await checked_form(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await journal.delete_entry(s, person=person, entry_id=request.match_info["entry"])
    raise done(request, "/journal", "journal-deleted")


def register(app: web.Application) -> None:
    app.router.add_get("/journal", show)
    app.router.add_post("/journal", write)
    app.router.add_get("/journal/{entry}", edit_form)
    app.router.add_post("/journal/{entry}", edit)
    app.router.add_post("/journal/{entry}/share", share)
    app.router.add_get("/journal/{entry}/delete", delete_form)
    app.router.add_post("/journal/{entry}/delete", delete)
