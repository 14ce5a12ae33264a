"""Pages for people: sign in and out, my subnets, a subnet's posts, writing a post.

Routes only translate between HTTP and `actors/` operations; every rule lives in `actors/`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp_jinja2
from aiohttp import web

from actors import (
    controls,
    conversations,
    evidence,
    first_step,
    people,
    posts,
    screened,
    subnets,
    survey,
    threads,
    visits,
)
from actors.errors import Invalid, NotFound, NotPermitted
from actors.picture_files import PICTURE_FIELD, too_large
from actors.policy import Action, may
from actors.records import Person
from actors.support import helplines_for
from actors.throttle import Throttled
from webui import flash
from webui.assets import accepts_gzip
from webui.context import (
    ALERTS_UNREAD,
    CSP_NONCE,
    CSRF,
    MESSAGES_UNREAD,
    NOTICES_UNREAD,
    PENDING,
    PERSON,
    QUEUE_WAITING,
    WEB,
)
from webui.forms import ErrorSummary
from webui.forms import error as form_error
from webui.picture_form import checked_picture
from webui.security import (
    SESSION_COOKIE,
    UploadTooLarge,
    checked_form,
    checked_form_with_file,
    masked,
    presession_token,
    set_presession_cookie,
    set_session_cookie,
)

# Pages that show a one-time secret (a code, a key, a link with a token in it) are sent as they
# are: only CSRF tokens are masked against BREACH, and these pages hold other secrets.
SHOWS_SECRETS = frozenset(
    {
        "join.html",
        "reset.html",
        "recovery_codes.html",
        "two_factor_enrol.html",
        "staff_invitation_created.html",
        "staff_person.html",
    }
)


# How long a partner's subnet page waits, the first time, to hear whether it is First Step.
FIRST_STEP_ASK_SECONDS = 3.0


def page(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    ctx = request.app[WEB]
    values.setdefault("csrf_token", request.get(CSRF))
    if values["csrf_token"]:
        values["csrf_token"] = masked(values["csrf_token"])
    response = aiohttp_jinja2.render_template(
        template,
        request,
        {
            "trust_name": ctx.trust_name,
            "person": request.get(PERSON),
            "banner_helplines": helplines_for(ctx.helplines, "adults"),
            "cspNonce": request[CSP_NONCE],
            "alerts_unread": request.get(ALERTS_UNREAD, 0),
            "queue_waiting": request.get(QUEUE_WAITING, 0),
            "notices_unread": request.get(NOTICES_UNREAD, 0),
            "messages_unread": request.get(MESSAGES_UNREAD, 0),
            "assetPath": "/nhsuk/assets",
            "flash": flash.waiting(request),
            **values,
        },
        status=status,
    )
    flash.clear(request, response)
    if template not in SHOWS_SECRETS and accepts_gzip(request):
        response.enable_compression(web.ContentCoding.gzip)
    return response


def subnet_href(uri: str) -> str:
    return f"/subnet?id={quote(uri, safe='')}"


def thread_href(uri: str) -> str:
    """A post's thread page (the post and its replies)."""
    return f"/thread?id={quote(uri, safe='')}"


def require_person(request: web.Request) -> Person:
    person = request[PERSON]
    if person is None:
        step = "/sign-in/two-factor" if request[PENDING] else "/sign-in"
        raise web.HTTPSeeOther(f"{step}?next={quote(request.path_qs, safe='')}")
    return person


def safe_next(value: str | None) -> str:
    """Only a path on this node, so the sign-in form cannot send anyone elsewhere; "/" else.

    Browsers read a redirect leniently — they drop tabs and line breaks, take a backslash for
    a slash, and go to another host for `//host` — so only printable ASCII is followed (no
    space, no backslash), and it must start with one "/" and name no scheme or host."""
    if not value or not all("!" <= char <= "~" for char in value) or "\\" in value:
        return "/"
    if not value.startswith("/") or value.startswith("//"):
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


async def home(request: web.Request) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    async with ctx.db.transaction() as s:
        mine = await subnets.subnets_of(s, ctx.ids, person, ctx.trust_name)
        survey_due = await survey.due(s, ctx.survey, person, ctx.clock())
        on_break = await controls.current_break(s, person.id, ctx.clock())
        news = await visits.new_since_last_visit(
            s, person_id=person.id, subnet_uris=[item.uri for item in mine]
        )
    hidden = on_break.subnet_uris if on_break else frozenset()
    return page(
        request,
        "home.html",
        subnets=[item for item in mine if item.uri not in hidden],
        on_break=on_break,
        hidden_count=len([item for item in mine if item.uri in hidden]),
        href=subnet_href,
        survey_due=survey_due,
        news=news,
        keeps_journal=may(person.role, Action.KEEP_JOURNAL),
    )


async def sign_in_form(request: web.Request) -> web.Response:
    token = presession_token(request)
    response = page(
        request, "sign_in.html", next=safe_next(request.query.get("next")), csrf_token=token
    )
    set_presession_cookie(request, response, token)
    return response


async def sign_in(request: web.Request) -> web.Response:
    form = await checked_form(request)
    ctx = request.app[WEB]
    username = str(form.get("username", "")).strip().lower()
    password = str(form.get("password", ""))
    errors = []
    if not username:
        errors.append({"text": "Enter your username", "href": "#username"})
    if not password:
        errors.append({"text": "Enter your password", "href": "#password"})
    person, status = None, 400
    if not errors:
        try:
            async with ctx.db.transaction() as s:
                person = await people.sign_in(
                    s,
                    ctx.hasher,
                    username=username,
                    password=password,
                    address=request.remote or "",
                    now=ctx.clock(),
                )
                if person is not None:
                    session = await people.start_session(s, person, ctx.clock())
        except Throttled as error:
            errors.append({"text": str(error), "href": "#username"})
            status = 429
        else:
            if person is None:
                errors.append(
                    {"text": "The username or password is not right", "href": "#username"}
                )
    if errors:
        token = request[CSRF] or presession_token(request)
        return page(
            request,
            "sign_in.html",
            status=status,
            errors=errors,
            username=username,
            next=safe_next(str(form.get("next", ""))),
            csrf_token=token,
        )
    target = safe_next(str(form.get("next", "")))
    if not session.verified:
        target = f"/sign-in/two-factor?next={quote(target, safe='')}"
    response = web.HTTPSeeOther(target)
    set_session_cookie(request, response, session.token)
    raise response


async def sign_out_form(request: web.Request) -> web.Response:
    require_person(request)
    return page(request, "sign_out.html")


async def sign_out(request: web.Request) -> web.Response:
    await checked_form(request)
    ctx = request.app[WEB]
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with ctx.db.transaction() as s:
            await people.end_session(s, token)
    response = web.HTTPSeeOther("/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def older_than(request: web.Request) -> tuple[datetime, str] | None:
    """The `before` of an "Older posts" link: the last post shown, by time and URI."""
    when, last = request.query.get("older_than"), request.query.get("last")
    if not when or not last:
        return None
    try:
        published = datetime.fromisoformat(when)
    except ValueError:
        raise web.HTTPBadRequest(text="This link to older posts is not right.") from None
    if published.tzinfo is None:
        raise web.HTTPBadRequest(text="This link to older posts is not right.")
    return published, last


def older_href(uri: str, older: tuple[datetime, str]) -> str:
    when, last = older
    query = urlencode({"id": uri, "older_than": when.isoformat(), "last": last})
    return f"/subnet?{query}#posts"


async def subnet_page(
    request: web.Request,
    uri: str,
    *,
    errors: ErrorSummary | None = None,
    draft: str = "",
    status: int = 400,
) -> web.Response:
    person = require_person(request)
    ctx = request.app[WEB]
    before = older_than(request) if request.method == "GET" else None
    try:
        async with ctx.db.transaction() as s:
            loaded = await posts.subnet_page(
                s,
                ctx.ids,
                person=person,
                subnet_uri=uri,
                node_name=ctx.trust_name,
                before=before,
            )
            moderator = await threads.is_moderator(s, ctx.ids, person, uri)
            shown, answered = conversations.page_threads(loaded)
            threaded = await conversations.threads_of(
                s, ctx.ids, subnet_uri=uri, shown=shown, answered=answered
            )
            await evidence.record_visit(s, person, uri, ctx.clock())
            await visits.record_visit(s, person_id=person.id, subnet_uri=uri, now=ctx.clock())
            mutes = await controls.mutes_of(s, person)
    except NotFound:
        raise web.HTTPNotFound(
            text="There is no such subnet, or you are not a member of it."
        ) from None
    entries, threaded = await conversations.resolve(loaded, threaded, ctx.resolver)
    entries = controls.apply(entries, mutes)
    return page(
        request,
        "subnet.html",
        status=status if errors else 200,
        subnet=loaded.subnet,
        threads=conversations.nest(entries, threaded),
        moderator=moderator,
        errors=errors or [],
        draft=draft,
        subnet_uri=uri,
        liked=loaded.liked,
        older=older_href(uri, loaded.older) if loaded.older else None,
        newest=subnet_href(uri) + "#posts" if before else None,
        picture_limit=ctx.picture_max_bytes,
    )


async def subnet(request: web.Request) -> web.Response:
    """A subnet's posts; a First Step subnet opened for the first time shows What happens next
    first (its link on to the discussion says `welcome=done`)."""
    uri = request.query.get("id", "")
    if request.query.get("welcome") != "done":
        person, ctx = require_person(request), request.app[WEB]
        async with ctx.db.transaction() as s:
            lands = await first_step.lands_first(s, ctx.ids, person, uri)
            reader = await first_step.remote_reader_to_ask(s, ctx.ids, person, uri)
        if reader is not None and ctx.library is not None:
            try:  # a partner's First Step subnet: its home says so, in its library
                async with asyncio.timeout(FIRST_STEP_ASK_SECONDS):
                    found = await ctx.library.remote.library(uri, reader)
                lands = found.next_steps is not None
            except (NotFound, TimeoutError):
                lands = False  # the discussion opens; its library links What happens next
        if lands:
            raise web.HTTPSeeOther(f"/subnet/next?id={quote(uri, safe='')}")
    return await subnet_page(request, uri)


async def write_post(request: web.Request) -> web.Response:
    """A post or reply, with at most one picture (a multipart form; the subnet is also in the
    address, so that a picture too large to read can still be answered on the subnet's page)."""
    person = require_person(request)
    ctx = request.app[WEB]
    try:
        form, upload = await checked_form_with_file(request, PICTURE_FIELD, ctx.picture_max_bytes)
    except UploadTooLarge:
        problem = too_large(ctx.picture_max_bytes)
        return await subnet_page(
            request,
            request.query.get("subnet", ""),
            errors=[form_error(str(problem), PICTURE_FIELD)],
            status=413,
        )
    uri = str(form.get("subnet", ""))
    content = str(form.get("content", ""))
    picture, errors = await checked_picture(request, form, upload)
    if errors:
        try:
            posts.checked_content(content)
        except Invalid as problem:
            errors.insert(0, form_error(str(problem), "content"))
        return await subnet_page(request, uri, errors=errors, draft=content)
    try:
        async with ctx.db.transaction() as s:
            post = await posts.write_post(
                s,
                ctx.ids,
                person=person,
                subnet_uri=uri,
                content=content,
                now=ctx.clock(),
                screener=ctx.screener,
                in_reply_to=str(form.get("in_reply_to", "")) or None,
                picture=picture,
            )
    except NotFound:
        raise web.HTTPNotFound(
            text="There is no such subnet, or you are not a member of it."
        ) from None
    except (Invalid, NotPermitted) as error:
        return await subnet_page(
            request, uri, errors=[{"text": str(error), "href": "#content"}], draft=content
        )
    if screened.signposts(post.screening_level, post.screening_categories):
        raise web.HTTPSeeOther(support_href(post.id))
    what = "posted" if post.moderation_state == "visible" else "posted-held"
    thread = str(form.get("thread", ""))
    back = thread_href(thread) if thread else subnet_href(uri) + "#posts"
    raise flash.done(request, back, what)


def support_href(post_id: str) -> str:
    """The page an author sees next when what they wrote worries us (`webui/support.py`)."""
    return f"/support?post={quote(post_id, safe='')}"


def name_support_href(alert_id: str) -> str:
    """The page a person sees next when a name they chose worries us (`webui/support.py`)."""
    return f"/support?name={quote(alert_id, safe='')}"


async def help_page(request: web.Request) -> web.Response:
    """Open to everyone, signed in or not: every configured helpline (Childline included)."""
    return page(request, "help.html", helplines=request.app[WEB].helplines)


def register(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/sign-in", sign_in_form)
    app.router.add_post("/sign-in", sign_in)
    app.router.add_get("/sign-out", sign_out_form)
    app.router.add_post("/sign-out", sign_out)
    app.router.add_get("/subnet", subnet)
    app.router.add_post("/subnet/posts", write_post)
    app.router.add_get("/help", help_page)
