"""The footer's pages: privacy notice, accessibility statement, house rules and contact.

Each is the trust's own text from the `[pages]` table of `sharon.toml` (paragraphs separated by
a blank line), or else the default wording here, which names the trust. Open to everyone,
signed in or not.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from webui.context import WEB
from webui.routes import page

PAGES = {
    "privacy": (
        "/privacy",
        "Privacy notice",
        "{trust} is the data controller for everything you write here and for your account.\n\n"
        "Your posts are stored only by {trust}. When a subnet is shared with another NHS trust, "
        "that trust's members read your posts live from here; their trust keeps no copy.\n\n"
        "Your name, contact details and NHS number are seen only by staff at {trust} who care "
        "for you, and every time they look is recorded. You can download or erase your data "
        "from Your account.",
    ),
    "accessibility": (
        "/accessibility",
        "Accessibility statement",
        "{trust} wants as many people as possible to be able to use this service. It works "
        "without JavaScript, on a phone as narrow as 360 pixels, with a keyboard alone, and with "
        "a screen reader, and it is checked against WCAG 2.2 AA.\n\n"
        "If something does not work for you, contact {trust} and tell us what happened.",
    ),
    "house_rules": (
        "/house-rules",
        "House rules",
        "Be kind. Everyone here is going through something.\n\n"
        "Do not share anything that could identify you or anyone else: full names, addresses, "
        "phone numbers, schools or workplaces.\n\n"
        "Clinicians moderate every subnet. Posts that could harm someone are held or removed. "
        "Each subnet may have rules of its own, shown on its page.",
    ),
    "contact": (
        "/contact",
        "Contact",
        "For questions about this service, speak to the clinician who invited you, or contact "
        "{trust}.\n\nIf you need help now, see who you can contact on the Need help now? page.",
    ),
}


def _handler(name: str) -> Handler:
    _, heading, default = PAGES[name]

    async def show(request: web.Request) -> web.Response:
        ctx = request.app[WEB]
        text = dict(ctx.site_pages).get(name) or default.format(trust=ctx.trust_name)
        paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
        return page(request, "site_page.html", heading=heading, paragraphs=paragraphs)

    return show


def register(app: web.Application) -> None:
    for name, (path, _, _) in PAGES.items():
        app.router.add_get(path, _handler(name))
