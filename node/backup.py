"""`sharon backup DIR FILE` and `sharon restore FILE DIR`: a whole node in one .tar.gz.

The archive holds the data directory (settings, signing keys, anything else there), a
consistent copy of the database taken while the node runs — SQLite's online backup API, or
`pg_dump --format=custom` for PostgreSQL — and a small `manifest.json` saying which. Nothing is
half-written: the archive is built under a temporary name and renamed; a restore is unpacked
beside the target and renamed into place, and refuses a directory that is not empty. Restored
keys are 0600 again whatever the archive says, and the restored database is migrated to this
version's schema.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from node.manage import ManageError, settings_for
from node.settings import CONFIG
from storage.migrate import upgrade

FORMAT = "sharon-backup-1"
MANIFEST = "manifest.json"
FILES = "node"  # the data directory, inside the archive
SQLITE_COPY = "database/sharon.sqlite3"
PG_DUMP_FILE = "database/postgresql.dump"
SQLITE_NAME = "sharon.sqlite3"
PG_DUMP = "pg_dump"  # from PATH: the client tools of the server's major version (or newer)
PG_RESTORE = "pg_restore"
KEY_SUFFIX = ".pem"


@dataclass(frozen=True)
class Restored:
    directory: Path
    database_url: str
    trust_name: str


def _sqlite_path(database_url: str) -> Path | None:
    prefix = next(
        (p for p in ("sqlite:///", "sqlite+aiosqlite:///") if database_url.startswith(p)), None
    )
    return Path(database_url.removeprefix(prefix)) if prefix else None


def _libpq_url(database_url: str) -> str:
    """`postgresql+asyncpg://…` and `postgres://…` as the PostgreSQL tools take them."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", database_url)


def _run_tool(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)  # noqa: S603
    except FileNotFoundError:
        raise ManageError(f"{argv[0]} not found; install the PostgreSQL client tools") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {done.returncode}"
        if "version mismatch" in done.stderr:
            detail += f" (the {argv[0]} here must be at least the server's version)"
        raise ManageError(f"{what} failed: {detail}")


def backup(directory: Path, out: Path) -> Path:
    """Write the node in `directory` (running or not) to the archive `out`; returns it."""
    settings = settings_for(directory)
    if out.exists():
        raise ManageError(f"{out} already exists; choose a new file name")
    if not out.parent.is_dir():
        raise ManageError(f"{out.parent} is not a directory")
    sqlite_file = _sqlite_path(settings.database_url)
    skip = {sqlite_file.resolve()} if sqlite_file else set()
    with tempfile.TemporaryDirectory(prefix=".sharon-backup-", dir=out.parent) as work:
        work_dir = Path(work)
        if sqlite_file is not None:
            database = work_dir / "sharon.sqlite3"
            _sqlite_copy(sqlite_file, database)
            members = [(database, SQLITE_COPY)]
        else:
            database = work_dir / "postgresql.dump"
            url = _libpq_url(settings.database_url)
            _run_tool(
                [
                    PG_DUMP,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={database}",
                    url,
                ],
                "pg_dump",
            )
            members = [(database, PG_DUMP_FILE)]
        manifest = work_dir / MANIFEST
        manifest.write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "database": "sqlite" if sqlite_file is not None else "postgresql",
                    "url": settings.url,
                    "trust_name": settings.trust_name,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        partial = work_dir / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(manifest, MANIFEST)
            for path in sorted(directory.rglob("*")):
                if path.is_file() and not _is_database_file(path, skip):
                    archive.add(path, f"{FILES}/{path.relative_to(directory)}")
            for path, name in members:
                archive.add(path, name)
        os.chmod(partial, 0o600)  # it holds the node's private keys
        partial.replace(out)
    return out


def _is_database_file(path: Path, skip: set[Path]) -> bool:
    """The live SQLite file and its journal files (`-wal`, `-shm`): copied by the backup API."""
    resolved = path.resolve()
    return any(resolved == s or resolved.name.startswith(s.name + "-") for s in skip)


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy while other connections write (SQLite's online backup API)."""
    if not source.is_file():
        raise ManageError(f"the database {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def restore(archive_path: Path, directory: Path, database_url: str | None = None) -> Restored:
    """Unpack a backup into a new (or empty) `directory`. A SQLite database comes back inside
    it; a PostgreSQL dump goes into `database_url`, which must name an empty database."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ManageError(f"{directory} is not empty; restore into a new directory")
    try:
        archive = tarfile.open(archive_path, "r:gz")
    except (OSError, tarfile.TarError) as error:
        raise ManageError(f"{archive_path} is not a SHaRON backup ({error})") from None
    directory.parent.mkdir(parents=True, exist_ok=True)
    with (
        archive,
        tempfile.TemporaryDirectory(prefix=".sharon-restore-", dir=directory.parent) as work,
    ):
        work_dir = Path(work)
        try:
            archive.extractall(work_dir, filter="data")
            manifest = json.loads((work_dir / MANIFEST).read_text())
        except (OSError, tarfile.TarError, ValueError) as error:
            raise ManageError(f"{archive_path} is not a SHaRON backup ({error})") from None
        if manifest.get("format") != FORMAT:
            raise ManageError(f"{archive_path} is not a SHaRON backup this version can read")
        files = work_dir / FILES
        if not (files / CONFIG).is_file():
            raise ManageError(f"{archive_path} holds no {CONFIG}")
        if manifest["database"] == "sqlite":
            if database_url:
                raise ManageError("this backup holds a SQLite database; leave out --database-url")
            (work_dir / SQLITE_COPY).replace(files / SQLITE_NAME)
            database_url = f"sqlite:///{(directory / SQLITE_NAME).resolve()}"
        elif not database_url:
            raise ManageError(
                "this backup holds a PostgreSQL database; give --database-url of an empty one"
            )
        else:
            _run_tool(
                [
                    PG_RESTORE,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={_libpq_url(database_url)}",
                    str(work_dir / PG_DUMP_FILE),
                ],
                "pg_restore",
            )
        _set_database_url(files / CONFIG, database_url)
        for key in files.rglob(f"*{KEY_SUFFIX}"):
            key.chmod(0o600)
        files.chmod(0o700)
        if directory.exists():
            directory.rmdir()  # empty, checked above
        shutil.move(files, directory)
    try:
        upgrade(database_url)
    except Exception as error:
        raise ManageError(
            f"restored, but the schema upgrade failed: {type(error).__name__}"
        ) from None
    settings = settings_for(directory)
    return Restored(directory, database_url, settings.trust_name)


def _set_database_url(config: Path, database_url: str) -> None:
    """Point the restored settings at the restored database (one `database_url = …` line)."""
    quoted = '"' + database_url.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text, count = re.subn(
        r"^database_url\s*=.*$",
        lambda _: f"database_url = {quoted}",
        config.read_text(),
        flags=re.M,
    )
    if count != 1:
        raise ManageError(f"{CONFIG} in the backup has no single database_url line")
    config.write_text(text)
