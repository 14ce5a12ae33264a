"""The bytes of library files (PDF documents, videos), on disk under the node's data directory.

An upload is written to a temporary file as it arrives, counting bytes, and abandoned (the file
removed) as soon as it passes its limit; only once every check passed is it renamed to the
item's id. Nothing else on the node holds these bytes, and nothing from another node is ever
written here.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

HEAD = 64
READER_SECRET = "library-readers.key"  # noqa: S105 — a file name


class TooLarge(Exception):
    """An upload went past its limit; nothing of it is kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Received:
    """An upload held whole in a temporary file: its size, SHA-256 and first bytes."""

    temp: Path
    size: int
    digest: str
    head: bytes


@dataclass(frozen=True)
class LibraryFiles:
    root: Path

    def path(self, item_id: str) -> Path:
        if not item_id.isalnum():
            raise ValueError("not an item id")
        return self.root / item_id

    async def receive(self, chunks: AsyncIterator[bytes], limit: int) -> Received:
        """Write `chunks` to a temporary file; TooLarge (and the file gone) past `limit`."""
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f"upload-{secrets.token_hex(8)}.part"
        digest = hashlib.sha256()
        size, head = 0, b""
        try:
            with temp.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(limit)
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Received(temp, size, digest.hexdigest(), head)

    def keep(self, received: Received, item_id: str) -> None:
        os.replace(received.temp, self.path(item_id))

    def discard(self, received: Received | None) -> None:
        if received is not None:
            received.temp.unlink(missing_ok=True)


def reader_secret(data_dir: Path) -> bytes:
    """The key that makes counted reads unlinkable (actors/library.py): made once, kept in the
    data directory (owner-only), never in the database."""
    path = data_dir / READER_SECRET
    if not path.exists():  # written whole aside, then linked: no process reads half a key
        temp = data_dir / f"{READER_SECRET}.{secrets.token_hex(4)}"
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(secrets.token_bytes(32))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process of this node made it first: use theirs
        finally:
            temp.unlink()
    return path.read_bytes()
