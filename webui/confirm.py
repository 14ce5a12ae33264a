"""The page that asks "are you sure?" before a destructive action (`confirm.html`)."""

from __future__ import annotations

from aiohttp import web

from webui.routes import page


def confirm_page(
    request: web.Request,
    *,
    heading: str,
    explanation: str,
    action: str,
    fields: dict[str, str],
    confirm: str,
    back: str,
    quoted: str | None = None,
) -> web.Response:
    """The page that asks before a destructive action (`confirm.html`)."""
    return page(
        request,
        "confirm.html",
        heading=heading,
        explanation=explanation,
        action=action,
        fields=fields,
        confirm=confirm,
        back=back,
        quoted=quoted,
    )
