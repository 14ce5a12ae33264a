"""Reading the fields of a normalised inbound activity the way every handler needs them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from federation.remote import id_of


def type_of(value: Any) -> str | None:
    """The (first) type of an embedded object or activity; None for a bare URI."""
    if isinstance(value, dict):
        kind = value.get("type")
        first = kind[0] if isinstance(kind, list) and kind else kind
        return first if isinstance(first, str) else None
    return None


def text_of(value: Any) -> str:
    """A text field (`summary`, `content`): the first of a list, any language of a map."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):  # a language map
        value = next(iter(value.values()), "")
    return value if isinstance(value, str) else ""


def audience_of(doc: dict[str, Any]) -> str | None:
    """The subnet an activity about a post says it is in. A Delete whose subnet its sender no
    longer knew names the object itself (federation/activities/posts.py): that claims no
    subnet."""
    audience = id_of(doc.get("audience"))
    return audience if audience and audience != id_of(doc.get("object")) else None


def time_of(value: Any, default: datetime) -> datetime:
    """An ISO timestamp with its zone, else `default`."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        if moment.tzinfo is not None:
            return moment
    return default


def in_reply_to(doc: dict[str, Any]) -> str | None:
    """The thread position a by-reference object stub carries, if any."""
    obj = doc.get("object")
    return id_of(obj.get("inReplyTo")) if isinstance(obj, dict) else None
