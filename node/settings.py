"""Node settings: `sharon.toml` in the data directory, overridable by `SHARON_*` variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONFIG = "sharon.toml"


class SettingsError(Exception):
    """The data directory or its configuration is unusable; the message says why."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    url: str
    trust_name: str
    database_url: str
    crisis_numbers: tuple[tuple[str, str], ...] = (
        ("Samaritans", "116 123"),
        ("NHS 111 (option 2, mental health)", "111"),
        ("emergency services", "999"),
    )
    cache_ttl_seconds: int = 300
    cache_entries: int = 10_000
    secure_cookies: bool = False
    peer_requests_per_second: float = 50.0
    peer_request_burst: int = 500

    @property
    def bind(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


def render_toml(url: str, trust_name: str, database_url: str) -> str:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return (
        "# SHaRON node settings. Any key can be overridden by SHARON_<KEY> in the environment.\n"
        f"url = {quote(url)}\n"
        f"trust_name = {quote(trust_name)}\n"
        f"database_url = {quote(database_url)}\n"
        "cache_ttl_seconds = 300\n"
    )


def load(data_dir: Path, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    path = data_dir / CONFIG
    if not path.is_file():
        raise SettingsError(
            f"{data_dir} is not a SHaRON node directory (no {CONFIG}); run `sharon init`"
        )
    try:
        values = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}") from None
    for key in (
        "url",
        "trust_name",
        "database_url",
        "cache_ttl_seconds",
        "peer_requests_per_second",
        "peer_request_burst",
    ):
        if f"SHARON_{key.upper()}" in environ:
            values[key] = environ[f"SHARON_{key.upper()}"]
    missing = [key for key in ("url", "trust_name", "database_url") if not values.get(key)]
    if missing:
        raise SettingsError(f"{path} lacks {', '.join(missing)}")
    try:
        settings = _parsed(data_dir, values)
    except ValueError as error:
        raise SettingsError(f"{path}: a number setting is not a number ({error})") from None
    return replace(settings, secure_cookies=settings.url.startswith("https://"))


def _parsed(data_dir: Path, values: Mapping[str, Any]) -> Settings:
    return Settings(
        data_dir=data_dir,
        url=str(values["url"]).rstrip("/"),
        trust_name=str(values["trust_name"]),
        database_url=str(values["database_url"]),
        cache_ttl_seconds=int(values.get("cache_ttl_seconds", 300)),
        peer_requests_per_second=float(values.get("peer_requests_per_second", 50.0)),
        peer_request_burst=int(values.get("peer_request_burst", 500)),
    )
