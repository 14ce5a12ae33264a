"""The URIs that name this node's people, subnets and posts.

They are identifiers first (other nodes store them in references) and happen to be
dereferenceable URLs. Only opaque ids and subnet slugs appear in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


def host_of(uri: str) -> str:
    """The host (with its port) a URI names: "" when it names none or is not a URL at all (an
    unclosed "[" in a peer's text), which is no peer's host."""
    try:
        return urlsplit(uri).netloc
    except ValueError:
        return ""


@dataclass(frozen=True)
class LocalIds:
    """Builds and recognises URIs under this node's base URL (no trailing slash)."""

    base: str

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    @property
    def instance(self) -> str:
        return f"{self.base}/actor"

    def person(self, person_id: str) -> str:
        return f"{self.base}/people/{person_id}"

    def member(self, persona_id: str) -> str:
        """A person inside one subnet (their persona): the only URI of a person peers see."""
        return f"{self.base}/members/{persona_id}"

    def subnet(self, slug: str) -> str:
        return f"{self.base}/subnets/{slug}"

    def post(self, post_id: str) -> str:
        return f"{self.base}/posts/{post_id}"

    def activity(self, activity_id: str) -> str:
        return f"{self.base}/activities/{activity_id}"

    def is_local(self, uri: str) -> bool:
        return uri.startswith(self.base + "/")

    def _local_id(self, uri: str, kind: str) -> str | None:
        prefix = f"{self.base}/{kind}/"
        if not uri.startswith(prefix):
            return None
        rest = uri.removeprefix(prefix)
        return rest if rest and "/" not in rest and "?" not in rest and "#" not in rest else None

    def person_id(self, uri: str) -> str | None:
        return self._local_id(uri, "people")

    def member_id(self, uri: str) -> str | None:
        return self._local_id(uri, "members")

    def subnet_slug(self, uri: str) -> str | None:
        return self._local_id(uri, "subnets")

    def post_id(self, uri: str) -> str | None:
        return self._local_id(uri, "posts")
