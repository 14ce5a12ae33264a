"""Mounting the web UI on an application: templates, routes, static assets, middleware."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from webui import accounts, admin, moderation, routes, staff, threads, two_factor
from webui.context import WEB, WebContext
from webui.security import load_session, security_headers

STATIC = Path(__file__).parent / "static"
MIDDLEWARES = (security_headers, load_session)


def default_assets_dir() -> Path:
    """Where `npm ci` put the NHS.UK frontend build (beside the project's package.json)."""
    return (
        Path(__file__).resolve().parent.parent
        / "node_modules"
        / "nhsuk-frontend"
        / "dist"
        / "nhsuk"
    )


def setup(app: web.Application, ctx: WebContext) -> None:
    if not (ctx.assets_dir / "nhsuk-frontend.min.css").is_file():
        raise FileNotFoundError(
            f"NHS.UK frontend assets not found in {ctx.assets_dir}; run `npm ci` in the project"
        )
    app[WEB] = ctx
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("webui", "templates"),
                jinja2.PackageLoader("nhsuk_frontend_jinja", "templates"),
            ]
        ),
        autoescape=jinja2.select_autoescape(("html", "jinja"), default=True),
        undefined=jinja2.ChainableUndefined,
    )
    routes.register(app)
    accounts.register(app)
    staff.register(app)
    two_factor.register(app)
    threads.register(app)
    moderation.register(app)
    admin.register(app)
    app.router.add_static("/nhsuk", ctx.assets_dir)
    app.router.add_static("/static", STATIC)
