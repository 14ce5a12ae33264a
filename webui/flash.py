"""Telling a person that what they did worked: post/redirect/get with a one-time message.

A route that succeeds answers `done(location, what)`: a 303 to the next page and a short-lived
cookie naming one of `MESSAGES` (a key, never text, so nobody can make a page say something
else). The next page rendered shows it in an NHS.UK success banner and clears the cookie.
"""

from __future__ import annotations

from aiohttp import web

from webui.context import WEB

FLASH_COOKIE = "sharon_flash"
MESSAGES = {
    "saved": "Saved",
    "posted": "Your post has been published",
    "posted-held": "Your post will appear once a moderator has looked at it",
    "post-deleted": "Post deleted",
    "post-removed": "Post removed from this subnet",
    "left": "You have left the subnet",
    "name-saved": "Your name in this subnet has been saved",
    "sharing-stopped": "Sharing stopped: the partner trust drops everything of the subnet",
    "sharing-offered": "Offer sent: the subnet is shared once their admin accepts",
    "offer-accepted": "Invitation accepted",
    "offer-declined": "Invitation declined",
    "invitation-revoked": "Invitation revoked: its link and code no longer work",
    "policy-saved": "Policy saved",
    "subnet-created": "Subnet created",
    "stopped-taking-part": "This trust no longer takes part in that subnet",
    "member-added": "Added: they are a member once the subnet's home agrees",
    "peer-added": "Peer added: you can now offer it your subnets",
    "peer-removed": "Peer removed: everything of it has been dropped",
    "message-sent": "Your message has been sent",
    "care-team-changed": "Care team updated",
    "journal-saved": "Saved in your journal: only you can read it",
    "journal-shared": "Saved and shared with your clinicians",
    "journal-private": "Only you can read this entry now",
    "journal-deleted": "Entry deleted",
}


def done(request: web.Request, location: str, what: str) -> web.HTTPSeeOther:
    """A redirect to `location` whose page will say `MESSAGES[what]`."""
    response = web.HTTPSeeOther(location)
    response.set_cookie(
        FLASH_COOKIE,
        what,
        max_age=60,
        httponly=True,
        samesite="Lax",
        secure=request.app[WEB].secure_cookies,
        path="/",
    )
    return response


def waiting(request: web.Request) -> str | None:
    """The message waiting for this page, if any."""
    return MESSAGES.get(request.cookies.get(FLASH_COOKIE, ""))


def clear(request: web.Request, response: web.StreamResponse) -> None:
    """Once shown (or unknown), a message is gone."""
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(FLASH_COOKIE, path="/")
