"""Clinicians' pages for a subnet: its members, adding and removing people, approving joins,
and posts held for pre-moderation. Rules (who may) live in `actors/membership.py` and
`actors/moderation.py`; these routes only translate, and a refusal with no form to show again
is answered by `webui/domain_errors.py`. A moderator of a subnet hosted elsewhere also sees
what waits at its home, asked live for the page (`actors/home_queue.py`)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from actors import (
    home_queue,
    membership,
    moderation,
    moderation_waiting,
    personas,
    reports,
    sanctions,
    subnets,
)
from actors.errors import Conflict, Invalid, NotFound, NotPermitted
from webui.context import WEB
from webui.forms import ErrorSummary
from webui.routes import page, require_person
from webui.security import checked_fields


def moderate_href(subnet_uri: str) -> str:
    return f"/moderate?id={quote(subnet_uri, safe='')}"


async def members_page(
    request: web.Request, subnet_uri: str, errors: ErrorSummary | None = None
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            asks = []
            if await moderation.may_moderate(s, ctx.ids, person, subnet_uri):
                asks = await home_queue.asks_for(s, ctx.ids, person.id, [subnet_uri])
        at_home = (await ctx.home_queues.waiting(asks)).get(subnet_uri) if asks else None
        home_unanswered = bool(asks) and at_home is None
        async with ctx.db.transaction() as s:
            summary = await subnets.subnet_for_member(
                s, ctx.ids, person, subnet_uri, ctx.trust_name
            )
            members = await membership.members(
                s, ctx.ids, viewer=person, subnet_uri=subnet_uri, node_name=ctx.trust_name
            )
            reader = await personas.find_member_uri(s, ctx.ids, person.id, subnet_uri) or ""
            is_moderator = await moderation.may_moderate(s, ctx.ids, person, subnet_uri)
            waiting = moderation_waiting.Waiting()
            if is_moderator:
                waiting = await moderation_waiting.waiting(
                    s,
                    ctx.ids,
                    moderator=person,
                    subnet_uri=subnet_uri,
                    now=ctx.clock(),
                    at_home=at_home,
                )
    except (NotFound, NotPermitted):
        raise web.HTTPNotFound(
            text="There is no such subnet, or you do not manage its members."
        ) from None
    refs = waiting.refs + waiting.withheld_refs
    resolved = await ctx.resolver.resolve(refs, reader) if refs else {}
    remote_held = [(ref.object_uri, resolved.get(ref.object_uri)) for ref in waiting.refs]
    remote_withheld = [
        (ref.object_uri, resolved.get(ref.object_uri)) for ref in waiting.withheld_refs
    ]
    return page(
        request,
        "moderate.html",
        status=400 if errors else 200,
        errors=errors or [],
        subnet=summary,
        subnet_uri=subnet_uri,
        members=members,
        held=waiting.held,
        remote_held=remote_held,
        withheld=waiting.withheld,
        remote_withheld=remote_withheld,
        reported=waiting.reports,
        reasons=reports.REASONS,
        states=waiting.states,
        is_moderator=is_moderator,
        suspended=waiting.suspended,
        home_unanswered=home_unanswered,
        pictures=waiting.pictures,
    )


async def show(request: web.Request) -> web.Response:
    return await members_page(request, request.query.get("id", ""))


async def change(request: web.Request) -> web.Response:
    """One form for every member action: add, remove, approve or refuse a join, decide a post."""
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    subnet_uri, action = values.get("subnet", ""), values.get("action", "")
    target = values.get("member", "")
    try:
        async with ctx.db.transaction() as s:
            now = ctx.clock()
            if action == "add":
                await membership.add_person(
                    s,
                    ctx.ids,
                    clinician=person,
                    subnet_uri=subnet_uri,
                    username=values.get("username", ""),
                    now=now,
                )
            elif action == "remove":
                await membership.remove_own_person(
                    s, ctx.ids, clinician=person, subnet_uri=subnet_uri, member_uri=target, now=now
                )
            elif action in ("approve", "refuse"):
                await membership.answer_join(
                    s,
                    ctx.ids,
                    moderator=person,
                    subnet_uri=subnet_uri,
                    member_uri=target,
                    approve=action == "approve",
                    now=now,
                )
            elif action == "grant":
                await membership.grant_moderator(
                    s, ctx.ids, moderator=person, subnet_uri=subnet_uri, member_uri=target, now=now
                )
            elif action in ("release", "reject"):
                await moderation.decide(
                    s,
                    ctx.ids,
                    moderator=person,
                    subnet_uri=subnet_uri,
                    object_uri=values.get("object", ""),
                    approve=action == "release",
                    now=now,
                )
            else:
                raise Invalid("Choose what to do.")
    except (Invalid, Conflict) as error:
        return await members_page(request, subnet_uri, [{"text": str(error), "href": "#username"}])
    raise web.HTTPSeeOther(moderate_href(subnet_uri))


CONFIRM_TITLES = {
    "remove": "Remove this post",
    "reject": "Reject this post",
    "warn": "Warn {name}",
    "suspend": "Suspend {name} from {subnet}",
    "remove_member": "Remove {name} from {subnet}",
}
CONFIRM_BUTTONS = {
    "remove": "Remove the post",
    "reject": "Reject the post",
    "warn": "Send the warning",
    "suspend": "Suspend",
    "remove_member": "Remove from the subnet",
}


async def _confirm_page(
    request: web.Request,
    values: dict[str, str],
    errors: ErrorSummary | None = None,
) -> web.Response:
    """Before a destructive action: what will happen, and a reason the person will be told."""
    person = require_person(request)
    ctx = request.app[WEB]
    subnet_uri, action, target = (values.get(k, "") for k in ("subnet", "action", "target"))
    if action not in CONFIRM_TITLES:
        raise web.HTTPNotFound(text="There is no such moderator action.")
    async with ctx.db.transaction() as s:
        summary = await subnets.subnet_for_member(s, ctx.ids, person, subnet_uri, ctx.trust_name)
        if not await moderation.may_moderate(s, ctx.ids, person, subnet_uri) and not (
            action == "remove_member"
        ):
            raise NotPermitted("Only a moderator of this subnet can do that.")
        name = "this member"
        if action in ("warn", "suspend", "remove_member"):
            found = await membership.members(
                s, ctx.ids, viewer=person, subnet_uri=subnet_uri, node_name=ctx.trust_name
            )
            name = next((m.name for m in found if m.uri == target), "")
            if not name:
                raise NotFound("That person is not in this subnet.")
    return page(
        request,
        "moderate_confirm.html",
        status=400 if errors else 200,
        errors=errors or [],
        title=CONFIRM_TITLES[action].format(name=name, subnet=summary.name),
        button_text=CONFIRM_BUTTONS[action],
        action=action,
        target=target,
        subnet=summary,
        subnet_uri=subnet_uri,
        reason=values.get("reason", ""),
        duration=values.get("duration", ""),
        durations=sanctions.DURATION_LABELS,
        back=moderate_href(subnet_uri),
    )


async def confirm(request: web.Request) -> web.Response:
    return await _confirm_page(request, dict(request.query))


async def act(request: web.Request) -> web.Response:
    """Every moderator action on a post or a member (destructive ones from the confirmation
    page, with the reason the person is told)."""
    person = require_person(request)
    values = await checked_fields(request)
    ctx = request.app[WEB]
    subnet_uri, action, target = (values.get(k, "") for k in ("subnet", "action", "target"))
    reason = values.get("reason", "")
    try:
        async with ctx.db.transaction() as s:
            now = ctx.clock()
            if action in ("approve", "reject"):
                await moderation.decide(
                    s,
                    ctx.ids,
                    moderator=person,
                    subnet_uri=subnet_uri,
                    object_uri=target,
                    approve=action == "approve",
                    now=now,
                    reason=sanctions.checked_reason(reason, required=action == "reject"),
                )
            elif action == "remove_member":
                await membership.remove_own_person(
                    s,
                    ctx.ids,
                    clinician=person,
                    subnet_uri=subnet_uri,
                    member_uri=target,
                    now=now,
                    reason=sanctions.checked_reason(reason),
                )
            else:
                await moderation.act(
                    s,
                    ctx.ids,
                    moderator=person,
                    action=action,
                    subnet_uri=subnet_uri,
                    target=target,
                    reason=reason,
                    duration=values.get("duration", ""),
                    now=now,
                )
    except Invalid as error:
        if action not in CONFIRM_TITLES:  # no form to show again: a 400 (webui/domain_errors)
            raise
        href = "#duration" if "how long" in str(error) else "#reason"
        return await _confirm_page(request, values, [{"text": str(error), "href": href}])
    raise web.HTTPSeeOther(moderate_href(subnet_uri))


def register(app: web.Application) -> None:
    app.router.add_get("/moderate", show)
    app.router.add_post("/moderate", change)
    app.router.add_get("/moderate/confirm", confirm)
    app.router.add_post("/moderate/act", act)
