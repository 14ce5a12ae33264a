"""Mounting the web UI on an application: templates, routes, static assets, middleware."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from actors import numbers
from webui import (
    accounts,
    admin,
    admin_peers,
    admin_subnets,
    admin_taking_part,
    alerts,
    audit_pages,
    controls,
    errors,
    evidence,
    first_step,
    header,
    house_rules,
    joining,
    journal,
    library,
    messages,
    moderation,
    notices,
    pictures,
    queue,
    reports,
    routes,
    search,
    site_pages,
    staff,
    support,
    survey,
    threads,
    two_factor,
    welcome,
    your_data,
)
from webui.assets import Assets
from webui.context import WEB, WebContext
from webui.domain_errors import domain_errors
from webui.fragments import Fragments
from webui.security import load_session, readable_address, security_headers

STATIC = Path(__file__).parent / "static"
MIDDLEWARES = (
    security_headers,
    errors.error_pages,
    domain_errors,
    readable_address,
    load_session,
    header.header_counts,
)


def default_assets_dir() -> Path:
    """Where `npm ci` put the NHS.UK frontend build (beside the project's package.json)."""
    return (
        Path(__file__).resolve().parent.parent
        / "node_modules"
        / "nhsuk-frontend"
        / "dist"
        / "nhsuk"
    )


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per process, not once per app: `sharon demo` and the tests
    serve several nodes from one process, and compiling the NHS.UK macros for each cost
    seconds. Jinja checks each entry against its template's source checksum, so a changed
    template is compiled afresh; entries are not keyed by the environment's options, so only
    environments made by `setup` below, all alike, may share it."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def setup(app: web.Application, ctx: WebContext) -> None:
    if not (ctx.assets_dir / "nhsuk-frontend.min.css").is_file():
        raise FileNotFoundError(
            f"NHS.UK frontend assets not found in {ctx.assets_dir}; run `npm ci` in the project"
        )
    app[WEB] = ctx
    assets = Assets({"/nhsuk": ctx.assets_dir, "/static": STATIC})
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("webui", "templates"),
                jinja2.PackageLoader("nhsuk_frontend_jinja", "templates"),
            ]
        ),
        autoescape=jinja2.select_autoescape(("html", "jinja"), default=True),
        undefined=jinja2.ChainableUndefined,
        # The NHS.UK macros put each tag on its own indented line: without these, a page of 50
        # posts was a quarter blank lines. Only template lines change; values print as they are.
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=COMPILED_TEMPLATES,
        # Templates ship with the code and never change under a running node: without this,
        # every `{% from %}` and `{% include %}` asked the file system whether its template
        # had changed (about 180 `stat` calls per subnet page).
        auto_reload=False,
    )
    environment.filters["number_parts"] = numbers.parts
    environment.globals["asset_url"] = assets.url
    environment.globals["once"] = Fragments()
    routes.register(app)
    joining.register(app)
    accounts.register(app)
    your_data.register(app)
    staff.register(app)
    two_factor.register(app)
    threads.register(app)
    moderation.register(app)
    reports.register(app)
    queue.register(app)
    admin.register(app)
    admin_subnets.register(app)
    admin_peers.register(app)
    admin_taking_part.register(app)
    audit_pages.register(app)
    controls.register(app)
    support.register(app)
    alerts.register(app)
    search.register(app)
    evidence.register(app)
    survey.register(app)
    notices.register(app)
    messages.register(app)
    house_rules.register(app)
    library.register(app)
    first_step.register(app)
    journal.register(app)
    welcome.register(app)
    site_pages.register(app)
    pictures.register(app)
    assets.register(app)
