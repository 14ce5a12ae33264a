"""Node settings: `sharon.toml` in the data directory, overridable by `SHARON_*` variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from actors.support import DEFAULT_HELPLINES, Helpline, StaffedHours
from actors.survey import Question, Survey

CONFIG = "sharon.toml"


class SettingsError(Exception):
    """The data directory or its configuration is unusable; the message says why."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    url: str
    trust_name: str
    database_url: str
    cache_ttl_seconds: int = 300
    cache_entries: int = 10_000
    secure_cookies: bool = False
    peer_requests_per_second: float = 50.0
    peer_request_burst: int = 500
    # Crisis support and alerts (docs/clinical-safety.md says what a CSO sets here).
    helplines: tuple[Helpline, ...] = DEFAULT_HELPLINES
    staffed_hours: str = "Mon-Fri 09:00-17:00"
    alert_escalate_minutes: int = 15
    alert_webhook_url: str = ""
    alert_webhook_secret: str = ""
    alert_escalation_url: str = ""
    read_report_seconds: float = 30.0
    search_timeout_seconds: float = 3.0  # how long a search waits for partner trusts
    # Operating the node (README "Operating a node"): /metrics needs this bearer token (404
    # without one); /readyz fails once a due queued item has waited longer than this.
    metrics_token: str = ""
    ready_queue_seconds: int = 300
    # `metrics = false` leaves out all metrics collection (no middleware, no counting; /metrics
    # answers 404); `request_logging = false` leaves out the access log and request ids.
    metrics: bool = True
    request_logging: bool = True
    # The in-app survey (actors/survey.py): `survey_every_weeks` (0: off) and, to replace the
    # default questions, `[[survey_question]]` tables with a `key` and a `text`.
    survey: Survey = field(default_factory=Survey)
    # Reports (README "For moderators"): a post reported by this many members is hidden
    # everywhere until reviewed; an author with this many posts reported within a day may not
    # post until reviewed.
    report_hold_threshold: int = 3
    report_author_threshold: int = 5
    # The footer's pages (privacy, accessibility, house_rules, contact), from a `[pages]` table:
    # each the trust's own text; a page not given keeps the default wording (webui/site_pages.py).
    site_pages: tuple[tuple[str, str], ...] = ()
    # Subnet libraries (actors/library.py): the largest PDF and video staff may attach, and the
    # RAM (bytes) that partner libraries' pages and files may take here (never the disk).
    library_max_document_bytes: int = 20 * 1024 * 1024
    library_max_video_bytes: int = 200 * 1024 * 1024
    library_cache_bytes: int = 64 * 1024 * 1024
    # Pictures in posts (README "Pictures in posts"): the largest file a post may carry, and the
    # RAM held for pictures of posts stored at partner trusts (fetched live, never on disk).
    picture_max_bytes: int = 8 * 1024 * 1024
    picture_cache_bytes: int = 64 * 1024 * 1024
    # Private messages older than this many days are erased (0: kept; node/message_retention.py).
    message_retention_days: int = 0

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
        "staffed_hours",
        "alert_escalate_minutes",
        "alert_webhook_url",
        "alert_webhook_secret",
        "alert_escalation_url",
        "search_timeout_seconds",
        "metrics_token",
        "ready_queue_seconds",
        "metrics",
        "request_logging",
        "survey_every_weeks",
        "report_hold_threshold",
        "report_author_threshold",
        "library_max_document_bytes",
        "library_max_video_bytes",
        "library_cache_bytes",
        "picture_max_bytes",
        "picture_cache_bytes",
        "message_retention_days",
    ):
        if f"SHARON_{key.upper()}" in environ:
            values[key] = environ[f"SHARON_{key.upper()}"]
    missing = [key for key in ("url", "trust_name", "database_url") if not values.get(key)]
    if missing:
        raise SettingsError(f"{path} lacks {', '.join(missing)}")
    try:
        settings = _parsed(data_dir, values)
    except (ValueError, KeyError, TypeError) as error:
        raise SettingsError(f"{path}: a setting is not valid ({error})") from None
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
        search_timeout_seconds=float(values.get("search_timeout_seconds", 3.0)),
        report_hold_threshold=_at_least_one(values, "report_hold_threshold", 3),
        report_author_threshold=_at_least_one(values, "report_author_threshold", 5),
        **_library(values),
        picture_max_bytes=_at_least_one(values, "picture_max_bytes", 8 * 1024 * 1024),
        picture_cache_bytes=_at_least_one(values, "picture_cache_bytes", 64 * 1024 * 1024),
        **_operations(values),
        **_crisis(values),
        survey=_survey(values),
        site_pages=_site_pages(values),
        message_retention_days=_not_negative(values, "message_retention_days"),
    )


def _survey(values: Mapping[str, Any]) -> Survey:
    every = int(values.get("survey_every_weeks", 8))
    if "survey_question" not in values:
        return Survey(every_weeks=every)
    tables = values["survey_question"]
    if not isinstance(tables, list):
        raise ValueError("survey_question must be a list of [[survey_question]] tables")
    questions = tuple(Question(str(t["key"]), str(t["text"])) for t in tables)
    return Survey(questions, every)


def _at_least_one(values: Mapping[str, Any], key: str, default: int) -> int:
    number = int(values.get(key, default))
    if number < 1:
        raise ValueError(f"{key} must be at least 1")
    return number


SITE_PAGES = ("privacy", "accessibility", "house_rules", "contact")


def _not_negative(values: Mapping[str, Any], key: str) -> int:
    value = int(values.get(key, 0))
    if value < 0:
        raise ValueError(f"{key} must be 0 or more")
    return value


def _site_pages(values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    given = values.get("pages", {})
    if not isinstance(given, dict) or not set(given) <= set(SITE_PAGES):
        raise ValueError(f"[pages] takes only {', '.join(SITE_PAGES)}")
    return tuple((name, str(given[name])) for name in SITE_PAGES if str(given.get(name, "")))


def _library(values: Mapping[str, Any]) -> dict[str, Any]:
    """The library's limits: each a whole number of bytes, at least 1 KiB."""
    found: dict[str, Any] = {}
    for key, default in (
        ("library_max_document_bytes", 20 * 1024 * 1024),
        ("library_max_video_bytes", 200 * 1024 * 1024),
        ("library_cache_bytes", 64 * 1024 * 1024),
    ):
        found[key] = int(values.get(key, default))
        if found[key] < 1024:
            raise ValueError(f"{key} must be at least 1024")
    return found


def _operations(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings for the people who run the node: the metrics token and readiness limit,
    and whether metrics are collected and requests logged."""
    token = str(values.get("metrics_token", ""))
    if token and len(token) < 16:
        raise ValueError("metrics_token must be at least 16 characters")
    seconds = int(values.get("ready_queue_seconds", 300))
    if seconds < 1:
        raise ValueError("ready_queue_seconds must be at least 1")
    return {
        "metrics_token": token,
        "ready_queue_seconds": seconds,
        "metrics": _switch(values, "metrics"),
        "request_logging": _switch(values, "request_logging"),
    }


def _switch(values: Mapping[str, Any], key: str) -> bool:
    """An on/off setting, on unless given: a TOML boolean, or `true`/`false` from the
    environment (`SHARON_METRICS=false`)."""
    value = values.get(key, True)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{key} must be true or false")


def _crisis(values: Mapping[str, Any]) -> dict[str, Any]:
    """The crisis settings; `[[helpline]]` tables replace the default helplines."""
    hours = str(values.get("staffed_hours", "Mon-Fri 09:00-17:00"))
    StaffedHours.parse(hours)  # ValueError names the problem
    minutes = int(values.get("alert_escalate_minutes", 15))
    if not 1 <= minutes <= 24 * 60:
        raise ValueError("alert_escalate_minutes must be between 1 and 1440")
    found: dict[str, Any] = {
        "staffed_hours": hours,
        "alert_escalate_minutes": minutes,
        "alert_webhook_url": str(values.get("alert_webhook_url", "")),
        "alert_webhook_secret": str(values.get("alert_webhook_secret", "")),
        "alert_escalation_url": str(values.get("alert_escalation_url", "")),
    }
    for key in ("alert_webhook_url", "alert_escalation_url"):
        if found[key] and not found[key].startswith(("https://", "http://")):
            raise ValueError(f"{key} must be an http(s) URL")
    if (found["alert_webhook_url"] or found["alert_escalation_url"]) and len(
        found["alert_webhook_secret"]
    ) < 16:
        raise ValueError("alert_webhook_secret must be at least 16 characters")
    if "helpline" in values:
        tables = values["helpline"]
        if not isinstance(tables, list) or not tables:
            raise ValueError("helpline must be a list of [[helpline]] tables")
        found["helplines"] = tuple(
            Helpline(
                name=str(table["name"]),
                number=str(table["number"]),
                kind="text" if table.get("kind") == "text" else "call",
                detail=str(table.get("detail", "")),
                body=str(table.get("body", "")),
                under_18_only=table.get("under_18_only") is True,
                label=str(table.get("label", "")),
            )
            for table in tables
        )
    return found
