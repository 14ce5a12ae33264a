"""What the web UI needs from the node, passed in explicitly as one typed app value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from argon2 import PasswordHasher

from actors.clock import Clock
from actors.ids import LocalIds
from actors.posts import ContentResolver
from storage.engine import Database
from storage.models import Person


@dataclass(frozen=True)
class WebContext:
    db: Database
    ids: LocalIds
    resolver: ContentResolver
    hasher: PasswordHasher
    clock: Clock
    trust_name: str
    crisis_numbers: tuple[tuple[str, str], ...]
    secure_cookies: bool
    assets_dir: Path


WEB = web.AppKey("web", WebContext)

CSP_NONCE = web.RequestKey("csp_nonce", str)
PERSON: web.RequestKey[Person | None] = web.RequestKey("person")
CSRF: web.RequestKey[str | None] = web.RequestKey("csrf")
# A staff member who gave their password but not yet their second factor: signed in to nothing.
PENDING: web.RequestKey[Person | None] = web.RequestKey("pending")
