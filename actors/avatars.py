"""The built-in avatars people may choose (never uploads), and what of one may travel.

A person's choice leaves home as the address of the picture at their home node
(`/static/avatars/<name>.svg`, a file every node ships), so a stock fediverse server shows it
too. A node reading a partner's post learns only *which* of these names was chosen, and only
from an address on the answering node itself; it then shows its own copy of that picture, so
a peer can never make a reader's browser fetch anything from elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

AVATARS = ("leaf", "wave", "sun", "mountain", "star", "boat")
PATH = "/static/avatars/"
MEDIA_TYPE = "image/svg+xml"
MAX_URL_LENGTH = 2000


def avatar_path(name: str) -> str:
    """Where every node serves the avatar `name` (unfingerprinted, so other servers can link it)."""
    return f"{PATH}{name}.svg"


def chosen(value: str | None) -> str | None:
    """A stored choice as shown: one of `AVATARS`, else none."""
    return value if value in AVATARS else None


def heard_avatar(url: object, host: str) -> str | None:
    """The avatar a partner names by `url`, when it is exactly one of ours served by that
    partner (`host`: the answering node's host and port); anything else is none, not an error.

    Refused: not text, too long, another host (or userinfo, which changes the host part),
    another scheme, a query or fragment, spaces or control characters, any path but
    `/static/avatars/<one of AVATARS>.svg` (so no `..`, no percent-encoding, no other file)."""
    if not isinstance(url, str) or not host or len(url) > MAX_URL_LENGTH:
        return None
    if not url.isascii() or not url.isprintable() or " " in url:
        return None  # urlsplit would quietly drop tabs and newlines
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or parts.netloc.lower() != host.lower():
        return None
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return None
    name = parts.path.removeprefix(PATH).removesuffix(".svg")
    return name if name in AVATARS and parts.path == avatar_path(name) else None
