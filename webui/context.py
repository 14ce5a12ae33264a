"""What the web UI needs from the node, passed in explicitly as one typed app value."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web
from argon2 import PasswordHasher

from actors.clock import Clock
from actors.evidence import PartnerFigures
from actors.home_queue import HomeQueues
from actors.ids import LocalIds
from actors.library import LibraryService
from actors.peering import Peering
from actors.picture_files import DEFAULT_MAX_BYTES
from actors.pictures import PictureFetcher
from actors.posts import ContentResolver
from actors.records import Database, Person
from actors.reports import Thresholds
from actors.screening import Screener
from actors.search import RemoteSearcher
from actors.support import Helpline, StaffedHours
from actors.survey import Survey


@dataclass(frozen=True)
class WebContext:
    db: Database
    ids: LocalIds
    resolver: ContentResolver
    hasher: PasswordHasher
    clock: Clock
    trust_name: str
    secure_cookies: bool
    assets_dir: Path
    screener: Screener
    helplines: tuple[Helpline, ...]  # the trust's `[[helpline]]` numbers: every crisis surface
    staffed_hours: StaffedHours
    escalate_minutes: int
    searcher: RemoteSearcher
    out_of_hours: Callable[[datetime], bool]
    partner_figures: PartnerFigures
    survey: Survey
    peering: Peering  # looking up and agreeing peers (node/peering.py)
    home_queues: HomeQueues  # what waits at partner subnets' homes (federation/home_queues.py)
    report_thresholds: Thresholds = field(default_factory=Thresholds)
    site_pages: tuple[tuple[str, str], ...] = ()  # the trust's own footer pages, by name
    library: LibraryService | None = None  # subnet libraries (actors/library.py)
    pictures: PictureFetcher | None = None  # pictures of posts stored at other trusts
    picture_max_bytes: int = DEFAULT_MAX_BYTES  # the largest picture file a post may carry
    # Pictures being cleaned at once (each holds its file and decoded pixels in memory).
    picture_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))


WEB = web.AppKey("web", WebContext)

CSP_NONCE = web.RequestKey("csp_nonce", str)
PERSON: web.RequestKey[Person | None] = web.RequestKey("person")
CSRF: web.RequestKey[str | None] = web.RequestKey("csrf")
# A staff member who gave their password but not yet their second factor: signed in to nothing.
PENDING: web.RequestKey[Person | None] = web.RequestKey("pending")
# Open alerts the signed-in staff member should look at (0 for everyone else).
ALERTS_UNREAD: web.RequestKey[int] = web.RequestKey("alerts_unread")
QUEUE_WAITING: web.RequestKey[int] = web.RequestKey("queue_waiting")
# Notices the signed-in person has not opened yet (webui/notices.py).
NOTICES_UNREAD: web.RequestKey[int] = web.RequestKey("notices_unread")
# Unread private messages in the signed-in person's conversations (webui/messages.py).
MESSAGES_UNREAD: web.RequestKey[int] = web.RequestKey("messages_unread")
