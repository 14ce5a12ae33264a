"""Static files (the NHS.UK frontend build and our own), served for a small page weight.

Templates link each file by a fingerprinted name (`asset_url("/nhsuk/nhsuk-frontend.min.css")`
gives `/nhsuk/nhsuk-frontend.min.<12 hex of its SHA-256>.css`). Such a name never changes
meaning, so it is served with `Cache-Control: public, max-age=31536000, immutable`: a repeat
visit fetches none of it. A name without a fingerprint (favicons the NHS.UK template links,
files a stylesheet names) is served with `no-cache` and an ETag, so it is revalidated (304).
Text files are compressed once, in memory, with Brotli (Google's `brotli`) and gzip, when
first asked for (naming a file in a page needs only its digest), and sent in the smallest
coding the browser accepts;
pages are compressed as they are sent (`webui/routes.page`; their CSRF tokens are masked afresh
on every page, so compression reveals nothing of them: BREACH).
The NHS.UK stylesheet is made for nhs.uk: it names its icons from the site root (`/assets/…`)
and loads the Frutiger font from assets.nhs.uk, which our Content-Security-Policy refuses (and
which would tell a third party who reads a mental-health service). It is served with its icons
under `/nhsuk/assets/` and without those `@font-face` rules; its own font stack then falls back to
Arial, as NHS.UK does where Frutiger is not loaded.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import brotli
from aiohttp import web
from aiohttp.typedefs import Handler

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
COMPRESSIBLE = {".css", ".js", ".mjs", ".json", ".map", ".svg", ".txt", ".html", ".ico"}
MIN_COMPRESS = 512
_OFFSITE_FONT = re.compile(rb"@font-face\{[^}]*url\(https?://[^}]*\}")
_ROOT_ASSETS = re.compile(rb"url\((['\"]?)/assets/")
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Asset:
    body: bytes
    digest: str
    content_type: str
    compressible: bool

    @cached_property
    def gzipped(self) -> bytes | None:
        """The body gzipped, if that is smaller."""
        if not self.compressible:
            return None
        gzipped = gzip.compress(self.body, compresslevel=9, mtime=0)
        return gzipped if len(gzipped) < len(self.body) else None

    @cached_property
    def brotlied(self) -> bytes | None:
        """The body in Brotli (quality 11), if that is smaller than either of the others."""
        if not self.compressible:
            return None
        brotlied = brotli.compress(self.body, quality=11)
        return brotlied if len(brotlied) < len(self.gzipped or self.body) else None


def for_this_site(body: bytes, prefix: str) -> bytes:
    """A stylesheet with its `/assets/` names under `prefix` and no off-site fonts."""
    body = _OFFSITE_FONT.sub(b"", body)
    return _ROOT_ASSETS.sub(rb"url(\1" + prefix.encode() + rb"/assets/", body)


def _load(path: Path, prefix: str) -> Asset:
    body = path.read_bytes()
    if path.suffix == ".css":
        body = for_this_site(body, prefix)
    kind = {".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json"}
    content_type = kind.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return Asset(
        body=body,
        digest=hashlib.sha256(body).hexdigest()[:12],
        content_type=content_type or "application/octet-stream",
        compressible=path.suffix in COMPRESSIBLE and len(body) >= MIN_COMPRESS,
    )


@dataclass
class Assets:
    """Files under named URL prefixes (`{"/nhsuk": dir, "/static": dir}`), read once."""

    roots: dict[str, Path]
    _loaded: dict[tuple[str, str], Asset] = field(default_factory=dict)

    def _asset(self, prefix: str, relative: str) -> Asset | None:
        key = (prefix, relative)
        if key not in self._loaded:
            root = self.roots[prefix].resolve()
            path = (root / relative).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                return None
            self._loaded[key] = _load(path, prefix)
        return self._loaded[key]

    def url(self, path: str) -> str:
        """The fingerprinted URL of `/prefix/relative/name.ext` (the path as given when there is
        no such file: it then answers 404, as it would have anyway)."""
        prefix, relative = self._split(path)
        asset = self._asset(prefix, relative) if prefix else None
        if asset is None:
            return path
        stem, dot, ext = relative.rpartition(".")
        return f"{prefix}/{stem}.{asset.digest}.{ext}" if dot else path

    def _split(self, path: str) -> tuple[str, str]:
        for prefix in self.roots:
            if path.startswith(prefix + "/"):
                return prefix, path.removeprefix(prefix + "/")
        return "", path

    def register(self, app: web.Application) -> None:
        for prefix in self.roots:
            app.router.add_get(prefix + "/{name:.+}", self._handler(prefix))

    def _handler(self, prefix: str) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            return self.respond(request, prefix, request.match_info["name"])

        return serve

    def respond(self, request: web.Request, prefix: str, name: str) -> web.Response:
        fingerprinted = _FINGERPRINTED.match(name)
        relative = fingerprinted["stem"] + fingerprinted["ext"] if fingerprinted else name
        asset = self._asset(prefix, relative)
        if asset is None and fingerprinted:  # a file whose own name looks fingerprinted
            asset, fingerprinted = self._asset(prefix, name), None
        if asset is None or (fingerprinted and fingerprinted["hash"] != asset.digest):
            raise web.HTTPNotFound(text="No such file.")
        etag = f'"{asset.digest}"'
        headers = {
            "Cache-Control": IMMUTABLE if fingerprinted else REVALIDATE,
            "ETag": etag,
            "Vary": "Accept-Encoding",
        }
        if not fingerprinted and etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        body = asset.body
        if asset.brotlied is not None and accepts(request, "br"):
            body, headers["Content-Encoding"] = asset.brotlied, "br"
        elif asset.gzipped is not None and accepts(request, "gzip"):
            body, headers["Content-Encoding"] = asset.gzipped, "gzip"
        return web.Response(body=body, content_type=asset.content_type, headers=headers)


def accepts_gzip(request: web.Request) -> bool:
    return accepts(request, "gzip")


def accepts(request: web.Request, wanted: str) -> bool:
    """Whether the request's Accept-Encoding takes `wanted` (named, or `*`, and q not 0)."""
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in (wanted, "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False
