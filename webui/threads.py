"""A thread's own page, and thread actions on a subnet page: Like (and take back), edit,
delete, leave.

Each route checks the CSRF token, calls one `actors/` operation, and sends the browser back to
the subnet page with a message saying it worked (`webui/flash.py`); refusals become the page's
error summary or an error page. Deleting a post and leaving a subnet are asked first: their GET
is a confirmation page whose one button posts the form.
"""

from __future__ import annotations

from aiohttp import web

from actors import controls, conversations, membership, personas, screened, subnets, threads
from actors.errors import Invalid, NotFound, NotPermitted
from webui.confirm import confirm_page
from webui.context import WEB
from webui.flash import done
from webui.forms import ErrorSummary
from webui.routes import (
    name_support_href,
    page,
    require_person,
    subnet_href,
    subnet_page,
    support_href,
    thread_href,
)
from webui.security import checked_fields


async def _fields(request: web.Request) -> tuple[str, str, dict[str, str]]:
    values = await checked_fields(request)
    return values.get("subnet", ""), values.get("object", ""), values


def _back(subnet_uri: str, thread: str = "") -> web.HTTPSeeOther:
    """Back to the thread page the form was on, or else the subnet page."""
    return web.HTTPSeeOther(thread_href(thread) if thread else subnet_href(subnet_uri) + "#posts")


def _done(request: web.Request, subnet_uri: str, what: str) -> web.HTTPSeeOther:
    return done(request, subnet_href(subnet_uri) + "#posts", what)


async def thread(request: web.Request) -> web.Response:
    """One post and its replies, nested; the post links up to the one it answers, if any."""
    person = require_person(request)
    ctx = request.app[WEB]
    uri = request.query.get("id", "")
    try:
        async with ctx.db.transaction() as s:
            loaded = await conversations.thread_page(
                s, ctx.ids, person=person, post_uri=uri, node_name=ctx.trust_name
            )
            subnet_uri = loaded.page.subnet.uri
            moderator = await threads.is_moderator(s, ctx.ids, person, subnet_uri)
            shown, answered = conversations.page_threads(loaded.page)
            threaded = await conversations.threads_of(
                s, ctx.ids, subnet_uri=subnet_uri, shown=shown, answered=answered
            )
            mutes = await controls.mutes_of(s, person)
    except NotFound:
        raise web.HTTPNotFound(
            text="There is no such post, or you are not a member of its subnet."
        ) from None
    entries, threaded = await conversations.resolve(loaded.page, threaded, ctx.resolver)
    entries = controls.apply(entries, mutes)
    nested = conversations.nest(entries, threaded, top=[loaded.root_uri])
    return page(
        request,
        "thread.html",
        subnet=loaded.page.subnet,
        subnet_uri=subnet_uri,
        threads=nested,
        more=loaded.more,
        liked=loaded.page.liked,
        moderator=moderator,
        thread_uri=loaded.root_uri,
        picture_limit=ctx.picture_max_bytes,
        back=subnet_href(subnet_uri) + "#" + conversations.anchor(loaded.root_uri),
    )


async def like(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, object_uri, values = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            await threads.like(
                s,
                ctx.ids,
                person=person,
                object_uri=object_uri,
                now=ctx.clock(),
                undo=values.get("undo") == "1",
            )
    except (NotFound, NotPermitted):
        raise web.HTTPNotFound(text="There is no such post in a subnet you belong to.") from None
    raise _back(subnet_uri, values.get("thread", ""))


async def edit_form(request: web.Request) -> web.Response:
    """The edit page: the form for one of my posts (kept off the subnet page, which would
    otherwise carry every post's text twice)."""
    person = require_person(request)
    ctx = request.app[WEB]
    object_uri = request.query.get("object", "")
    try:
        async with ctx.db.transaction() as s:
            post = await threads.post_to_edit(s, ctx.ids, person=person, post_uri=object_uri)
    except NotFound:
        raise web.HTTPNotFound(text="There is no such post.") from None
    return _edit_page(request, post.subnet_uri, object_uri, post.content)


def _edit_page(
    request: web.Request,
    subnet_uri: str,
    object_uri: str,
    draft: str,
    errors: ErrorSummary | None = None,
) -> web.Response:
    return page(
        request,
        "edit_post.html",
        status=400 if errors else 200,
        errors=errors or [],
        subnet_uri=subnet_uri,
        object_uri=object_uri,
        draft=draft,
        back=subnet_href(subnet_uri) + "#posts",
    )


async def edit(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, object_uri, values = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            post = await threads.edit_post(
                s,
                ctx.ids,
                person=person,
                post_uri=object_uri,
                content=values.get("content", ""),
                now=ctx.clock(),
                screener=ctx.screener,
            )
    except NotFound:
        raise web.HTTPNotFound(text="There is no such post.") from None
    except (Invalid, NotPermitted) as error:
        return _edit_page(
            request,
            subnet_uri,
            object_uri,
            values.get("content", ""),
            [{"text": str(error), "href": "#content"}],
        )
    if screened.signposts(post.screening_level, post.screening_categories):
        raise web.HTTPSeeOther(support_href(post.id))
    raise _done(request, subnet_uri, "saved")


async def delete_form(request: web.Request) -> web.Response:
    """Asks the author before their post goes, showing it."""
    person = require_person(request)
    ctx = request.app[WEB]
    object_uri = request.query.get("object", "")
    try:
        async with ctx.db.transaction() as s:
            post = await threads.post_to_edit(s, ctx.ids, person=person, post_uri=object_uri)
    except NotFound:
        raise web.HTTPNotFound(text="There is no such post.") from None
    return confirm_page(
        request,
        heading="Delete your post?",
        explanation="It will be deleted here and at every trust this subnet is shared with. "
        "Replies to it stay. You cannot undo this.",
        action="/posts/delete",
        fields={"subnet": post.subnet_uri, "object": object_uri},
        confirm="Delete post",
        back=subnet_href(post.subnet_uri) + "#posts",
        quoted=post.content,
    )


async def delete(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, object_uri, _ = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            if ctx.ids.post_id(object_uri) is not None:
                await threads.delete_post(
                    s, ctx.ids, person=person, post_uri=object_uri, now=ctx.clock()
                )
            else:
                await threads.remove_reference(
                    s, ctx.ids, person=person, object_uri=object_uri, now=ctx.clock()
                )
    except NotFound:
        raise web.HTTPNotFound(text="There is no such post.") from None
    mine = ctx.ids.post_id(object_uri) is not None
    raise _done(request, subnet_uri, "post-deleted" if mine else "post-removed")


async def leave_form(request: web.Request) -> web.Response:
    """Asks before a member leaves a subnet, naming it."""
    person = require_person(request)
    ctx = request.app[WEB]
    subnet_uri = request.query.get("subnet", "")
    try:
        async with ctx.db.transaction() as s:
            subnet = await subnets.subnet_for_member(s, ctx.ids, person, subnet_uri, "")
    except NotFound:
        raise web.HTTPNotFound(text="You are not a member of that subnet.") from None
    return confirm_page(
        request,
        heading=f"Leave {subnet.name}?",
        explanation="You will no longer see its posts. Your posts stay unless you delete them "
        "first. To come back, someone on the team will need to add you again.",
        action="/subnet/leave",
        fields={"subnet": subnet_uri},
        confirm="Leave this subnet",
        back=subnet_href(subnet_uri),
    )


async def leave(request: web.Request) -> web.Response:
    person = require_person(request)
    subnet_uri, _, _ = await _fields(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        await membership.leave(s, ctx.ids, person=person, subnet_uri=subnet_uri, now=ctx.clock())
    raise done(request, "/", "left")


async def pseudonym(request: web.Request) -> web.Response:
    """A member chooses the name this subnet shows for them (other subnets keep theirs)."""
    person = require_person(request)
    subnet_uri, _, values = await _fields(request)
    ctx = request.app[WEB]
    try:
        async with ctx.db.transaction() as s:
            held = await personas.set_pseudonym(
                s,
                ctx.ids,
                person=person,
                subnet_uri=subnet_uri,
                pseudonym=values.get("pseudonym", ""),
                now=ctx.clock(),
                screener=ctx.screener,
            )
    except Invalid as error:
        return await subnet_page(
            request, subnet_uri, errors=[{"text": str(error), "href": "#pseudonym"}]
        )
    if held is not None:
        raise web.HTTPSeeOther(name_support_href(held.id))
    raise _done(request, subnet_uri, "name-saved")


def register(app: web.Application) -> None:
    app.router.add_get("/thread", thread)
    app.router.add_post("/posts/like", like)
    app.router.add_get("/posts/edit", edit_form)
    app.router.add_post("/posts/edit", edit)
    app.router.add_get("/posts/delete", delete_form)
    app.router.add_post("/posts/delete", delete)
    app.router.add_get("/subnet/leave", leave_form)
    app.router.add_post("/subnet/leave", leave)
    app.router.add_post("/subnet/pseudonym", pseudonym)
