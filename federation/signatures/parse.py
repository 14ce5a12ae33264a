"""Parsing an inbound signature (either scheme) into a `SignedRequest`, and the policy a
request must meet before its key is even looked up: signing time within the window, a covered
digest that matches the body, the request line and host covered. No key, no I/O."""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import SplitResult

import http_sf

from federation.signatures.bases import cavage_lines, rfc9421_base
from federation.signatures.values import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    SignedRequest,
    normalise_headers,
    split_url,
)

_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^\s,"]+))\s*(?:,|\Z)')
DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def _timestamp(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, str):
            value = int(value)
        if type(value) is not int:
            raise TypeError
        return datetime.fromtimestamp(value, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise MalformedSignature(f"{name} must be an integer timestamp") from exc


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --- draft-cavage -------------------------------------------------------------------------


def _parse_cavage_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos, end = 0, len(value)
    while pos < end:
        match = _CAVAGE_PARAM.match(value, pos)
        if match is None:
            raise MalformedSignature("unparseable Signature header")
        key = match[1].lower()
        if key in params:
            raise MalformedSignature(f"duplicate {match[1]} in Signature header")
        params[key] = match[2] if match[2] is not None else match[3]
        pos = match.end()
    return params


def _extract_cavage(method: str, parts: SplitResult, headers: dict[str, str]) -> SignedRequest:
    value = headers.get("signature")
    if value is None:
        value = headers["authorization"][10:]  # caller checked the "Signature " prefix
    params = _parse_cavage_params(value)
    try:
        key_id, signature_b64 = params["keyid"], params["signature"]
    except KeyError as exc:
        raise MalformedSignature(f"Signature header lacks {exc.args[0]}") from exc
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except binascii.Error as exc:
        raise MalformedSignature("signature is not base64") from exc
    covered = tuple(params.get("headers", "date").lower().split())
    if not covered:
        raise MalformedSignature("empty headers parameter")
    path = parts.path or "/"
    target = f"{path}?{parts.query}" if parts.query else path
    lines = cavage_lines(covered, method, target, parts.netloc, headers, params)
    alternatives: tuple[bytes, ...] = ()
    if parts.query and "(request-target)" in covered:
        without_query = [
            f"(request-target): {method.lower()} {path}"
            if line.startswith("(request-target): ")
            else line
            for line in lines
        ]
        alternatives = ("\n".join(without_query).encode(),)
    # Only signed values count: an uncovered created/expires could be forged by a replayer.
    created = _timestamp(params.get("created"), "created") if "(created)" in covered else None
    expires = _timestamp(params.get("expires"), "expires") if "(expires)" in covered else None
    if created is None and "date" in covered:
        created = _http_date(headers.get("date"))
    return SignedRequest(
        scheme="cavage",
        key_id=key_id,
        algorithm=params.get("algorithm"),
        covered=covered,
        signature=signature,
        base="\n".join(lines).encode(),
        created=created,
        expires=expires,
        alternative_bases=alternatives,
    )


# --- RFC 9421 -----------------------------------------------------------------------------


def _extract_rfc9421(
    method: str,
    url: str,
    parts: SplitResult | None,
    headers: dict[str, str],
    status: int | None,
    label: str | None,
) -> SignedRequest:
    try:
        inputs = http_sf.parse(headers["signature-input"].encode(), tltype="dictionary")
        signatures = http_sf.parse(headers.get("signature", "").encode(), tltype="dictionary")
    except (ValueError, UnicodeEncodeError) as exc:
        raise MalformedSignature("unparseable Signature-Input or Signature") from exc
    assert isinstance(inputs, dict) and isinstance(signatures, dict)
    if label is None:
        label = next(iter(inputs), None)
    if label is None or label not in inputs or label not in signatures:
        raise MalformedSignature(f"no signature labelled {label!r}")
    inner, member = inputs[label], signatures[label]
    if not (isinstance(inner, tuple) and isinstance(inner[0], list)):
        raise MalformedSignature("Signature-Input member is not an inner list")
    if not (isinstance(member, tuple) and isinstance(member[0], bytes)):
        raise MalformedSignature("Signature member is not a byte sequence")
    signature, params = member[0], inner[1]
    for name, value in params.items():
        if (name in ("created", "expires") and type(value) is not int) or (
            name in ("keyid", "alg", "nonce", "tag") and not isinstance(value, str)
        ):
            raise MalformedSignature(f"signature parameter {name} has the wrong type")
    text = {name: value for name, value in params.items() if isinstance(value, str)}
    key_id = text.get("keyid")
    if key_id is None:
        raise MalformedSignature("signature lacks keyid")
    base, covered = rfc9421_base(inner, method, url, parts, headers, status)
    created = _timestamp(params.get("created"), "created")
    if created is None and "date" in covered:
        created = _http_date(headers.get("date"))
    return SignedRequest(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=text.get("alg"),
        covered=covered,
        signature=signature,
        base=base,
        created=created,
        expires=_timestamp(params.get("expires"), "expires"),
        label=label,
        nonce=text.get("nonce"),
        tag=text.get("tag"),
    )


# --- parsing and policy -------------------------------------------------------------------


def _extract(
    method: str, url: str, parts: SplitResult, headers: dict[str, str], label: str | None
) -> SignedRequest:
    if "signature-input" in headers:
        return _extract_rfc9421(method, url, parts, headers, None, label)
    if "signature" in headers or headers.get("authorization", "")[:10].lower() == "signature ":
        return _extract_cavage(method, parts, headers)
    raise MissingSignature("the request is not signed")


def extract_signature(
    method: str, url: str, headers: Mapping[str, str], *, label: str | None = None
) -> SignedRequest:
    """Parse a request's signature (either scheme) and build its base; no policy checks.

    ``url`` is the full URL as received. Raises MissingSignature / MalformedSignature, or
    InvalidSignature when a covered header is absent.
    """
    return _extract(method.upper(), url, split_url(url), normalise_headers(headers), label)


def extract_response_signature(
    status: int, headers: Mapping[str, str], *, label: str | None = None
) -> SignedRequest:
    """Parse an RFC 9421 response signature (``@status`` and fields); no policy checks."""
    normalised = normalise_headers(headers)
    if "signature-input" not in normalised:
        raise MissingSignature("the response carries no RFC 9421 signature")
    return _extract_rfc9421("", "", None, normalised, status, label)


def _check_digest(name: str, value: str | None, body: bytes) -> None:
    if value is None:
        raise InvalidSignature(f"covered {name} header is missing")
    pairs: list[tuple[str, object]] = []
    if name == "digest":
        for part in value.split(","):
            algorithm, _, encoded = part.strip().partition("=")
            try:
                pairs.append((algorithm.lower(), base64.b64decode(encoded, validate=True)))
            except binascii.Error as exc:
                raise MalformedSignature("Digest value is not base64") from exc
    else:
        try:
            members = http_sf.parse(value.encode(), tltype="dictionary")
        except (ValueError, UnicodeEncodeError) as exc:
            raise MalformedSignature("unparseable Content-Digest") from exc
        assert isinstance(members, dict)
        pairs = [
            (algorithm, member[0] if isinstance(member, tuple) else member)
            for algorithm, member in members.items()
        ]
    checked = False
    for algorithm, expected in pairs:
        hasher = DIGESTS.get(algorithm)
        if hasher is None:
            continue
        if not isinstance(expected, bytes):
            raise MalformedSignature(f"{name} value is not a byte sequence")
        if not hmac.compare_digest(hasher(body).digest(), expected):
            raise InvalidSignature(f"{name} does not match the body")
        checked = True
    if not checked:
        raise InvalidSignature(f"{name} uses no supported algorithm (sha-256, sha-512)")


def parse_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: datetime,
    window: timedelta = timedelta(hours=1),
    require_digest_for_body: bool = True,
    label: str | None = None,
) -> SignedRequest:
    """Parse a request's signature and enforce policy; the caller then runs :func:`verify`.

    Policy: cavage must cover ``(request-target)``, ``host`` and ``date`` or ``(created)``;
    rfc9421 must cover ``@method`` and ``@target-uri`` (or ``@authority`` with ``@path`` or
    ``@request-target``). The signing time must be within ``window`` of ``now`` (aware UTC)
    and ``expires`` not passed. A non-empty body needs a covered ``Digest``/``Content-Digest``
    (unless ``require_digest_for_body`` is false); every covered digest must match the body.
    With several RFC 9421 signatures the first is used unless ``label`` names one.
    """
    normalised = normalise_headers(headers)
    signed = _extract(method.upper(), url, split_url(url), normalised, label)
    covered = set(signed.covered)
    if signed.scheme == "cavage":
        if "(request-target)" not in covered or "host" not in covered:
            raise InvalidSignature("signature must cover (request-target) and host")
        if "date" not in covered and "(created)" not in covered:
            raise InvalidSignature("signature must cover date or (created)")
    elif "@method" not in covered or not (
        "@target-uri" in covered
        or ("@authority" in covered and ("@path" in covered or "@request-target" in covered))
    ):
        raise InvalidSignature("signature must cover @method and @target-uri")
    if signed.created is None:
        if "date" in covered:
            raise MalformedSignature("unparseable Date header")
        raise InvalidSignature("signature carries no signing time (created or Date)")
    if abs(now - signed.created) > window:
        raise InvalidSignature("signature time is outside the allowed window")
    if signed.expires is not None and signed.expires < now:
        raise InvalidSignature("signature has expired")
    digests = [name for name in ("digest", "content-digest") if name in covered]
    if body and require_digest_for_body and not digests:
        raise InvalidSignature("the body's digest header is missing or not signed")
    for name in digests:
        _check_digest(name, normalised.get(name), body or b"")
    return signed
