"""What the web edge holds of storage without reaching into it: the signed-in person's row and
the database whose units of work it opens around `actors` calls (webui imports no `storage`)."""

from __future__ import annotations

from storage.engine import Database
from storage.library_files import Received
from storage.models import JournalEntry, Person

__all__ = ["Database", "JournalEntry", "Person", "Received"]
