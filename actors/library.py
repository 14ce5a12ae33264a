"""A subnet's resource library: pages staff write in Markdown, PDF documents and videos.

The library lives at its subnet's home and nowhere else. Staff of that home (clinicians who
belong to the subnet, and admins) add, edit, reorder and retire items, each change audited.
Members read it there; a partner's members read it through their own node, which asks the home
live for each reader (`RemoteLibrary`, implemented in federation/) and keeps what it gets only
in RAM. The home serves a partner only what a member of the subnet on that partner may read.

Reads are counted, never recorded by person: each read stores a keyed hash of (item, reader)
whose key (`ReaderKeys`) is kept in the node's data directory and never in the database, so
the figures say how many people read an item while the table names nobody and a copy of the
database cannot be joined to its people. Staff see counts only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from actors import membership, personas, subnets
from actors.errors import Invalid, Invalids, NotFound, NotPermitted
from actors.ids import LocalIds, host_of
from actors.policy import STAFF
from actors.text import is_blank, line_text, post_text
from storage import audit
from storage import library as store
from storage import subnets as subnet_store
from storage.library_files import LibraryFiles, Received, TooLarge
from storage.models import FirstStep, LibraryResource, Peer, Person

KINDS = ("page", "document", "video")
FILE_KINDS = ("document", "video")
MAX_BODY = 50_000
MAX_TITLE = 200
PDF = "application/pdf"
MP4 = "video/mp4"
WEBM = "video/webm"


@dataclass(frozen=True)
class Item:
    """One library item as readers see it (no bytes: a file is fetched on its own)."""

    id: str
    kind: str
    section: str
    title: str
    body: str
    media_type: str | None = None
    size: int = 0
    etag: str | None = None
    retired: bool = False
    readers: int | None = None  # filled in for staff only


@dataclass(frozen=True)
class NextSteps:
    """A First Step subnet's "What happens next" page."""

    service: str
    address: str
    what_to_expect: str
    expected_wait: str


@dataclass(frozen=True)
class Library:
    """A subnet's library for one reader: its items in order, and its First Step page."""

    subnet_uri: str
    name: str
    local: bool
    items: tuple[Item, ...]
    next_steps: NextSteps | None = None
    editable: bool = False

    def sections(self) -> list[tuple[str, list[Item]]]:
        """Items grouped by section, sections in the order their first item comes."""
        grouped: dict[str, list[Item]] = {}
        for item in self.items:
            grouped.setdefault(item.section, []).append(item)
        return list(grouped.items())


@dataclass(frozen=True)
class FileBody:
    """A file's bytes, whole, with its media type and a validator."""

    data: bytes
    media_type: str
    etag: str


class LibraryUnavailable(NotFound):
    """A partner's library could not be read just now (its home did not answer usefully)."""


class RemoteLibrary(Protocol):
    """Reading the library of a subnet hosted elsewhere, for one local reader."""

    async def library(self, subnet_uri: str, reader_uri: str) -> Library: ...

    async def item(self, subnet_uri: str, item_id: str, reader_uri: str) -> Item: ...

    async def file(self, subnet_uri: str, item_id: str, reader_uri: str) -> FileBody: ...


@dataclass(frozen=True)
class ReaderKeys:
    """Turns (item, reader) into an unlinkable key with a secret kept off the database."""

    secret: bytes = field(repr=False)

    def key(self, item_id: str, reader_uri: str) -> str:
        message = f"{item_id}\n{reader_uri}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LibraryLimits:
    """The largest document and video staff may attach (from the node's settings)."""

    document_bytes: int = 20 * 1024 * 1024
    video_bytes: int = 200 * 1024 * 1024

    def of(self, kind: str) -> int:
        return self.video_bytes if kind == "video" else self.document_bytes


class FileTooLarge(Invalid):
    """An upload passed its size limit; nothing of it was kept."""


@dataclass(frozen=True)
class LibraryService:
    """What the library needs beyond the database: the partner reader, where files live, the
    key that makes counted reads unlinkable, and the size limits."""

    remote: RemoteLibrary
    files: LibraryFiles
    keys: ReaderKeys
    limits: LibraryLimits

    async def receive(self, chunks: AsyncIterator[bytes], kind: str) -> Received:
        """An upload written whole to a temporary file; FileTooLarge (nothing kept) past the
        limit for `kind`."""
        limit = self.limits.of(kind)
        try:
            return await self.files.receive(chunks, limit)
        except TooLarge:
            raise FileTooLarge(
                f"The file is larger than {_megabytes(limit)}. Choose a smaller file.", "file"
            ) from None

    def discard(self, received: Received | None) -> None:
        self.files.discard(received)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def sniffed_type(kind: str, head: bytes) -> str:
    """The media type the first bytes of an upload prove, if it is what `kind` takes (a PDF
    for a document; MP4 or WebM for a video); Invalid otherwise, whatever the file is called."""
    if kind == "document":
        if head.startswith(b"%PDF-"):
            return PDF
        raise Invalid("The file is not a PDF. Choose a PDF document.", "file")
    if kind == "video":
        if len(head) >= 12 and head[4:8] == b"ftyp":
            return MP4
        if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
            return WEBM
        raise Invalid("The file is not an MP4 or WebM video. Choose one of those.", "file")
    raise Invalid("Choose what kind of item this is.", "kind")


def _etag(row: LibraryResource) -> str:
    return f'"{row.digest or row.id}-{int(row.updated_at.timestamp())}"'


def item_of(row: LibraryResource, readers: int | None = None) -> Item:
    return Item(
        id=row.id,
        kind=row.kind,
        section=row.section,
        title=row.title,
        body=row.body,
        media_type=row.media_type,
        size=row.size,
        etag=_etag(row),
        retired=row.retired_at is not None,
        readers=readers,
    )


def next_steps_of(row: FirstStep | None) -> NextSteps | None:
    if row is None:
        return None
    return NextSteps(row.service, row.address, row.what_to_expect, row.expected_wait)


async def may_edit(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> bool:
    """Staff of the subnet's home who belong to it (admins: any subnet hosted here)."""
    try:
        await membership.require_moderator(s, ids, person, subnet_uri)
    except NotPermitted:
        return False
    return True


async def _require_editor(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> str:
    """The local subnet's id, if `person` may change its library; NotPermitted else."""
    if not await may_edit(s, ids, person, subnet_uri):
        raise NotPermitted("Only staff of this subnet's home trust can change its library.")
    subnet = await subnets.local_subnet(s, ids.subnet_slug(subnet_uri) or "")
    return subnet.id


async def library_for(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str, node_name: str
) -> Library:
    """A local subnet's library for one of its members (NotFound for anyone else); staff who
    may edit it also see retired items and how many people read each."""
    summary = await subnets.subnet_for_member(s, ids, person, subnet_uri, node_name)
    if not summary.local:
        raise NotFound("That library is kept by another trust.")
    subnet = await subnets.local_subnet(s, ids.subnet_slug(subnet_uri) or "")
    editable = await may_edit(s, ids, person, subnet_uri)
    rows = await store.resources_of(s, subnet.id, retired=editable)
    counts = await store.reader_counts(s, [row.id for row in rows]) if editable else {}
    return Library(
        subnet_uri,
        summary.name,
        True,
        tuple(item_of(row, counts.get(row.id, 0) if editable else None) for row in rows),
        next_steps_of(await store.first_step(s, subnet.id)),
        editable,
    )


async def member_uri_of(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> str:
    """The URI `person` reads a subnet under (NotFound unless a member)."""
    await subnets.subnet_for_member(s, ids, person, subnet_uri, "")
    uri = await personas.find_member_uri(s, ids, person.id, subnet_uri)
    if uri is None:
        raise NotFound("You are not a member of that subnet.")
    return uri


async def _live_item(s: AsyncSession, subnet_id: str, item_id: str) -> LibraryResource:
    row = await store.resource(s, item_id)
    if row is None or row.subnet_id != subnet_id or row.retired_at is not None:
        raise NotFound("There is no such item in this library.")
    return row


async def read_item(
    s: AsyncSession,
    ids: LocalIds,
    keys: ReaderKeys,
    *,
    person: Person,
    subnet_uri: str,
    item_id: str,
) -> Item:
    """One item of a local library for a member, counted as read by them (once; staff
    looking over their own library are not counted)."""
    reader = await member_uri_of(s, ids, person, subnet_uri)
    subnet = await subnets.local_subnet(s, ids.subnet_slug(subnet_uri) or "")
    row = await _live_item(s, subnet.id, item_id)
    if person.role not in STAFF:
        await store.note_reader(s, row.id, keys.key(row.id, reader))
    return item_of(row)


async def served_item(
    s: AsyncSession, ids: LocalIds, keys: ReaderKeys, *, subnet_uri: str, item_id: str, reader: str
) -> Item:
    """An item for a reader already checked (a member here, or a partner's member), counted."""
    subnet = await subnets.local_subnet(s, ids.subnet_slug(subnet_uri) or "")
    row = await _live_item(s, subnet.id, item_id)
    await store.note_reader(s, row.id, keys.key(row.id, reader))
    return item_of(row)


async def peer_reader_may_read(
    s: AsyncSession, ids: LocalIds, *, slug: str, peer: Peer, reader_uri: str
) -> str:
    """The subnet's URI if `peer` may have its library read by `reader_uri`: the subnet is
    hosted here and shared with `peer`, and the reader is an active member of it on `peer`'s
    own node (the same rule as for posts). NotFound otherwise, saying nothing more."""
    subnet = await subnet_store.subnet_by_slug(s, slug)
    if subnet is None or not await subnet_store.is_partner(s, subnet.id, peer.id):
        raise NotFound("There is no such library.")
    uri = ids.subnet(slug)
    if host_of(reader_uri) != peer.host:
        raise NotFound("There is no such library.")
    found = await subnet_store.membership(s, uri, reader_uri)
    if found is None or found.state != "active":
        raise NotFound("There is no such library.")
    return uri


async def served_library(s: AsyncSession, ids: LocalIds, *, slug: str) -> Library:
    """A local library as a partner's reader sees it (no retired items, no figures)."""
    subnet = await subnets.local_subnet(s, slug)
    rows = await store.resources_of(s, subnet.id)
    return Library(
        ids.subnet(slug),
        subnet.name,
        False,
        tuple(item_of(row) for row in rows),
        next_steps_of(await store.first_step(s, subnet.id)),
    )


async def file_path_of(
    s: AsyncSession, ids: LocalIds, files: LibraryFiles, *, subnet_uri: str, item_id: str
) -> tuple[Item, str]:
    """A live file item of a local subnet and where its bytes are (NotFound else)."""
    subnet = await subnets.local_subnet(s, ids.subnet_slug(subnet_uri) or "")
    row = await _live_item(s, subnet.id, item_id)
    if row.kind not in FILE_KINDS:
        raise NotFound("That item has no file.")
    return item_of(row), str(files.path(row.id))


def _texts(section: str, title: str, body: str, *, page: bool) -> tuple[str, str, str]:
    """Checked section, title and body, every problem at once (Invalids)."""
    problems: list[Invalid] = []
    checked = ["", "", ""]
    try:
        checked[0] = "" if is_blank(section) else line_text(section, "The section", "section")
        if len(checked[0]) > MAX_TITLE:
            raise Invalid(f"A section name can be at most {MAX_TITLE} characters.", "section")
    except Invalid as error:
        problems.append(error)
    try:
        if is_blank(title):
            raise Invalid("Enter a title.", "title")
        checked[1] = line_text(title, "The title", "title")
        if len(checked[1]) > MAX_TITLE:
            raise Invalid(f"A title can be at most {MAX_TITLE} characters.", "title")
    except Invalid as error:
        problems.append(error)
    try:
        if page and is_blank(body):
            raise Invalid("Write the page.", "body")
        checked[2] = "" if is_blank(body) else post_text(body, "The text", "body")
        if len(checked[2]) > MAX_BODY:
            raise Invalid(f"The text can be at most {MAX_BODY} characters.", "body")
    except Invalid as error:
        problems.append(error)
    if problems:
        raise Invalids(problems)
    return checked[0], checked[1], checked[2]


async def add_page(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    section: str,
    title: str,
    body: str,
    now: datetime,
) -> Item:
    """Staff add a Markdown page at the end of the library; audited."""
    subnet_id = await _require_editor(s, ids, person, subnet_uri)
    section, title, body = _texts(section, title, body, page=True)
    row = LibraryResource(
        subnet_id=subnet_id,
        kind="page",
        section=section,
        title=title,
        body=body,
        position=await store.next_position(s, subnet_id),
        created_at=now,
        updated_at=now,
    )
    store.add_resource(s, row)
    await s.flush()
    await _audit(s, ids, person, "library.added", row, now)
    return item_of(row)


async def add_file(
    s: AsyncSession,
    ids: LocalIds,
    files: LibraryFiles,
    *,
    person: Person,
    subnet_uri: str,
    kind: str,
    section: str,
    title: str,
    body: str,
    received: Received | None,
    now: datetime,
) -> Item:
    """Staff attach a PDF or a video, already received whole into a temporary file within the
    size limit; kept only if every check passes (else Invalids, and the caller discards it)."""
    subnet_id = await _require_editor(s, ids, person, subnet_uri)
    problems: list[Invalid] = []
    try:
        section, title, body = _texts(section, title, body, page=False)
    except Invalids as error:
        problems += error.problems
    media_type = None
    if kind not in FILE_KINDS:
        problems.append(Invalid("Choose whether this is a document or a video.", "kind"))
    elif received is None or received.size == 0:
        problems.append(Invalid("Choose a file to attach.", "file"))
    else:
        try:
            media_type = sniffed_type(kind, received.head)
        except Invalid as error:
            problems.append(error)
    if problems or received is None or media_type is None:
        raise Invalids(problems)
    row = LibraryResource(
        subnet_id=subnet_id,
        kind=kind,
        section=section,
        title=title,
        body=body,
        position=await store.next_position(s, subnet_id),
        media_type=media_type,
        size=received.size,
        digest=received.digest,
        created_at=now,
        updated_at=now,
    )
    store.add_resource(s, row)
    await s.flush()
    files.keep(received, row.id)
    await _audit(s, ids, person, "library.added", row, now)
    return item_of(row)


async def item_for_editing(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str, item_id: str
) -> Item:
    subnet_id = await _require_editor(s, ids, person, subnet_uri)
    return item_of(await _live_item(s, subnet_id, item_id))


async def edit_item(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    item_id: str,
    section: str,
    title: str,
    body: str,
    now: datetime,
) -> Item:
    """Staff change an item's section, title and text; audited."""
    subnet_id = await _require_editor(s, ids, person, subnet_uri)
    row = await _live_item(s, subnet_id, item_id)
    row.section, row.title, row.body = _texts(section, title, body, page=row.kind == "page")
    row.updated_at = now
    await _audit(s, ids, person, "library.edited", row, now)
    return item_of(row)


async def move_item(
    s: AsyncSession,
    ids: LocalIds,
    *,
    person: Person,
    subnet_uri: str,
    item_id: str,
    direction: str,
    now: datetime,
) -> None:
    """Staff move an item one place up or down the library; audited."""
    if direction not in ("up", "down"):
        raise Invalid("Move an item up or down.", "direction")
    subnet_id = await _require_editor(s, ids, person, subnet_uri)
    rows = list(await store.resources_of(s, subnet_id))
    index = next((i for i, row in enumerate(rows) if row.id == item_id), None)
    if index is None:
        raise NotFound("There is no such item in this library.")
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        row.position = position
    await _audit(s, ids, person, "library.reordered", rows[other], now)


async def retire_item(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str, item_id: str, now: datetime
) -> None:
    """Staff retire an item: no longer shown or served; audited."""
    subnet_id = await _require_editor(s, ids, person, subnet_uri)
    row = await _live_item(s, subnet_id, item_id)
    row.retired_at = now
    row.updated_at = now
    await _audit(s, ids, person, "library.retired", row, now)


async def _audit(
    s: AsyncSession, ids: LocalIds, person: Person, action: str, row: LibraryResource, now: datetime
) -> None:
    await audit.record(
        s, at=now, who=ids.person(person.id), action=action, target=f"library:{row.id}"
    )
