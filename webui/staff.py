"""Staff pages: invitations (create, list, revoke) and the people staff look after (personal
details, password-reset links).

Routes translate HTTP to `actors/` calls; who may do what is decided there.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors import details, invitations, journal, messages, people, personas, resets, subnets
from actors.errors import Invalid, NotPermitted
from actors.policy import CARED_FOR, Action, Role, may, may_invite
from actors.records import Person
from webui.confirm import confirm_page
from webui.context import WEB
from webui.flash import done
from webui.forms import ROLE_HINTS, ROLE_LABELS, error, every_error, text
from webui.journal import mood_chart
from webui.routes import page, require_person
from webui.security import checked_form


def require_staff(request: web.Request, action: Action = Action.INVITE) -> Person:
    """The signed-in person, if their role may do `action` (else 403; no sign-in, redirect)."""
    person: Person = require_person(request)
    if not may(person.role, action):
        raise web.HTTPForbidden(text="This page is for staff.")
    return person


async def invitation_list(request: web.Request) -> web.Response:
    person = require_staff(request)
    ctx = request.app[WEB]
    now = ctx.clock()
    async with ctx.db.transaction() as s:
        rows = await invitations.invitations_for(s, person)
        names = dict(await invitations.invitable_subnets(s, ctx.ids, person))
    listed = [
        {
            "id": row.id,
            "role": ROLE_LABELS[row.role],
            "subnets": [names.get(slug, slug) for slug in row.subnet_slugs],
            "state": invitations.state(row, now),
            "expires": row.expires_at,
        }
        for row in rows
    ]
    return page(request, "staff_invitations.html", invitations=listed)


async def _new_form(
    request: web.Request, person: Person, status: int = 200, **values: Any
) -> web.Response:
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        choices = await invitations.invitable_subnets(s, ctx.ids, person)
    roles = [role for role in Role if may_invite(person.role, role)]
    return page(
        request,
        "staff_invitation_new.html",
        status=status,
        roles=[
            {"value": r.value, "text": ROLE_LABELS[r], "hint": {"text": ROLE_HINTS[r]}}
            for r in roles
        ],
        subnets=choices,
        **values,
    )


async def invitation_new(request: web.Request) -> web.Response:
    return await _new_form(request, require_staff(request), chosen_role="", chosen=[])


async def invitation_create(request: web.Request) -> web.Response:
    person = require_staff(request)
    form = await checked_form(request)
    ctx = request.app[WEB]
    role = text(form, "role")
    slugs = form.getall("subnets", [])
    real_name = text(form, "real_name")
    try:
        async with ctx.db.transaction() as s:
            created = await invitations.create_invitation(
                s,
                ctx.ids,
                inviter=person,
                role=role,
                subnet_slugs=slugs,
                real_name=real_name,
                now=ctx.clock(),
            )
            names = await invitations.subnet_names(s, created.invitation)
    except (Invalid, NotPermitted) as problem:
        field = getattr(problem, "field", None) or (
            "subnets" if "subnet" in str(problem) else "role"
        )
        return await _new_form(
            request,
            person,
            status=400,
            errors=[error(str(problem), field)],
            chosen_role=role,
            chosen=slugs,
            real_name=real_name,
        )
    return page(
        request,
        "staff_invitation_created.html",
        link=f"{ctx.ids.base}/join?token={created.token}",
        join_url=f"{ctx.ids.base}/join",
        code=invitations.show_code(created.code),
        role=ROLE_LABELS[created.invitation.role],
        subnet_names=names,
        expires=created.invitation.expires_at,
    )


async def invitation_revoke_form(request: web.Request) -> web.Response:
    """Asks before an open invitation is revoked, saying who it was for and where to."""
    person = require_staff(request, Action.REVOKE_INVITATION)
    ctx = request.app[WEB]
    wanted = request.query.get("invitation", "")
    async with ctx.db.transaction() as s:
        rows = await invitations.invitations_for(s, person)
        found = [row for row in rows if row.id == wanted]
        if not found or invitations.state(found[0], ctx.clock()) != "open":
            raise web.HTTPNotFound(text="That invitation is not open, or not yours to revoke.")
        names = await invitations.subnet_names(s, found[0])
    role = ROLE_LABELS[found[0].role].lower()
    return confirm_page(
        request,
        heading=f"Revoke the {role} invitation for {', '.join(names)}?",
        explanation="Its link and code stop working at once: nobody can join with them. "
        "You can create a new invitation later.",
        action="/staff/invitations/revoke",
        fields={"invitation": wanted},
        confirm="Revoke invitation",
        back="/staff/invitations",
    )


async def invitation_revoke(request: web.Request) -> web.Response:
    person = require_staff(request, Action.REVOKE_INVITATION)
    form = await checked_form(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await invitations.revoke_invitation(
                s, ctx.ids, by=person, invitation_id=text(form, "invitation"), now=ctx.clock()
            )
    except Invalid:
        raise web.HTTPSeeOther("/staff/invitations") from None  # the list shows its state
    raise done(request, "/staff/invitations", "invitation-revoked")


async def people_list(request: web.Request) -> web.Response:
    viewer = require_staff(request, Action.READ_PERSONAL_DETAILS)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        listed = await people.people_in_care(s, viewer)
    return page(request, "staff_people.html", people=listed, role_labels=ROLE_LABELS)


async def person_page(request: web.Request, status: int = 200, **values: object) -> web.Response:
    viewer = require_staff(request, Action.READ_PERSONAL_DETAILS)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        person = await people.person_in_care(s, viewer, request.match_info["person"])
        found = await details.read_details(
            s, ctx.ids, viewer=viewer, person_id=person.id, now=ctx.clock()
        )
        mine = await subnets.subnets_of(s, ctx.ids, person, ctx.trust_name)
        names = [
            (item.name, (await personas.names_in(s, item.uri, [person]))[person.id])
            for item in mine
        ]
        team = await messages.care_team(s, viewer=viewer, person_id=person.id)
        shared = await journal.shared_with_clinician(
            s, ctx.ids, viewer=viewer, person_id=person.id, now=ctx.clock()
        )
    values.setdefault("details", found)
    return page(
        request,
        "staff_person.html",
        status=status,
        someone=person,
        role_label=ROLE_LABELS[person.role],
        subnet_names=names,
        may_record=may(viewer.role, Action.RECORD_PERSONAL_DETAILS),
        team=team,
        cared_for=person.role in CARED_FOR,
        may_read_journal=may(viewer.role, Action.READ_SHARED_JOURNAL)
        and may(person.role, Action.KEEP_JOURNAL),
        journal_entries=shared,
        moods=journal.MOODS,
        mood_chart=mood_chart("shared-mood", journal.mood_points(shared), "Their shared"),
        **values,
    )


async def person(request: web.Request) -> web.Response:
    return await person_page(request)


async def record_details(request: web.Request) -> web.Response:
    viewer = require_staff(request, Action.RECORD_PERSONAL_DETAILS)
    form = await checked_form(request)
    ctx = request.app[WEB]
    given = details.Details(
        text(form, "real_name"), text(form, "email"), text(form, "phone"), text(form, "nhs_number")
    )
    person_id = request.match_info["person"]
    try:
        async with ctx.db.transaction() as s:
            await details.record_details(
                s, ctx.ids, by=viewer, person_id=person_id, details=given, now=ctx.clock()
            )
    except Invalid as problem:
        return await person_page(
            request, status=400, errors=every_error(problem, "real_name"), details=given
        )
    raise done(request, f"/staff/people/{person_id}#details", "saved")


async def issue_reset(request: web.Request) -> web.Response:
    viewer = require_staff(request, Action.ISSUE_PASSWORD_RESET)
    await checked_form(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        token = await resets.issue_reset(
            s, ctx.ids, by=viewer, person_id=request.match_info["person"], now=ctx.clock()
        )
    return await person_page(request, reset_link=f"{ctx.ids.base}/reset?token={token}")


async def change_care_team(request: web.Request) -> web.Response:
    """A clinician adds themself or a colleague to the person's care team, or takes one off."""
    viewer = require_staff(request, Action.MANAGE_CARE_TEAM)
    form = await checked_form(request)
    ctx = request.app[WEB]
    person_id = request.match_info["person"]
    try:
        async with ctx.db.transaction() as s:
            await people.person_in_care(s, viewer, person_id)
            await messages.change_care_team(
                s,
                ctx.ids,
                viewer=viewer,
                person_id=person_id,
                clinician_id=text(form, "clinician"),
                add=text(form, "change") != "remove",
                now=ctx.clock(),
            )
    except Invalid as problem:
        return await person_page(request, status=400, errors=every_error(problem, "clinician"))
    raise done(request, f"/staff/people/{person_id}#care-team", "care-team-changed")


def register(app: web.Application) -> None:
    app.router.add_get("/staff/people", people_list)
    app.router.add_get("/staff/people/{person}", person)
    app.router.add_post("/staff/people/{person}/details", record_details)
    app.router.add_post("/staff/people/{person}/reset", issue_reset)
    app.router.add_post("/staff/people/{person}/care-team", change_care_team)
    app.router.add_get("/staff/invitations", invitation_list)
    app.router.add_get("/staff/invitations/new", invitation_new)
    app.router.add_post("/staff/invitations/new", invitation_create)
    app.router.add_get("/staff/invitations/revoke", invitation_revoke_form)
    app.router.add_post("/staff/invitations/revoke", invitation_revoke)
