"""HTTP message signatures for ActivityPub server-to-server requests (pure: no I/O, no key loading).

Two schemes are spoken:

* **cavage** — draft-cavage-http-signatures-12 as Mastodon uses it: a ``Signature`` header (or
  ``Authorization: Signature ...``) carrying ``keyId``, ``algorithm`` (``rsa-sha256``, or
  ``hs2019`` meaning RSASSA-PKCS1-v1_5/SHA-256 for RSA keys and Ed25519 for Ed25519 keys),
  ``headers`` and ``signature``; the body is bound by ``Digest: SHA-256=<base64>``.
* **rfc9421** — RFC 9421 HTTP Message Signatures: ``Signature-Input`` and ``Signature``
  structured-field dictionaries; the body is bound by ``Content-Digest`` (RFC 9530).

As in bovine, work is split into steps: :func:`extract_signature` parses the headers into a
:class:`SignedRequest` (key id, covered components, exact signature base) without any policy;
:func:`parse_request` does the same and then enforces policy — the signing time (``created``
or the signed ``Date``) lies within ``window`` of ``now``, ``expires`` has not passed, a body is
bound by a *covered* digest header that matches it, and the request line and host are covered.
The caller then looks up the key named by ``key_id`` and calls :func:`verify`.
:func:`sign_request` produces the headers for an outgoing request. Keys are ``cryptography``
key objects loaded once by the caller (``bytes`` only as an HMAC shared secret).

Query strings (Mastodon compatibility): the cavage ``(request-target)`` is built from the path
*with* its query; when the URL has a query, :attr:`SignedRequest.alternative_bases` also holds
the base built from the path without it, and :func:`verify` accepts either.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Literal, TypeAlias
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "InvalidSignature",
    "MalformedSignature",
    "MissingSignature",
    "PrivateKey",
    "PublicKey",
    "SignatureError",
    "SignedRequest",
    "content_digest",
    "extract_response_signature",
    "extract_signature",
    "legacy_digest",
    "parse_request",
    "sign_base",
    "sign_request",
    "verify",
]

Scheme: TypeAlias = Literal["cavage", "rfc9421"]
PublicKey: TypeAlias = (
    rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | bytes
)
PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | bytes
)


class SignatureError(Exception):
    """Base of every signature failure; ``status`` is the HTTP status to answer with."""

    status = 401


class MalformedSignature(SignatureError):
    """The signature headers are unparseable or lack required pieces (HTTP 400)."""

    status = 400


class MissingSignature(MalformedSignature):
    """The request carries no signature at all (HTTP 401)."""

    status = 401


class InvalidSignature(SignatureError):
    """Parsed, but does not verify or fails policy (digest, time window, coverage) (HTTP 401)."""

    status = 401


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A parsed signature: everything :func:`verify` needs once the key is known.

    ``covered`` holds lowercase header names / pseudo-headers (cavage) or component identifiers
    (rfc9421; parameterised ones serialised, e.g. ``@query-param;name="Pet"``). ``created`` is
    the ``created`` parameter, or failing that the covered ``Date`` header.
    """

    scheme: Scheme
    key_id: str
    algorithm: str | None
    covered: tuple[str, ...]
    signature: bytes
    base: bytes
    created: datetime | None
    expires: datetime | None
    alternative_bases: tuple[bytes, ...] = ()
    label: str | None = None
    nonce: str | None = None
    tag: str | None = None


_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^\s,"]+))\s*(?:,|\Z)')
_DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}
_CAVAGE_ALGORITHMS = {"rsa-sha256": "rsa-v1_5-sha256", "ed25519": "ed25519"}
_SHA256 = hashes.SHA256()
_SHA512 = hashes.SHA512()
_PKCS1 = padding.PKCS1v15()
_PSS = padding.PSS(mgf=padding.MGF1(_SHA512), salt_length=64)
_ECDSA_SHA256 = ec.ECDSA(_SHA256)
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_PLAIN_STRING = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")  # no quote, backslash, controls


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` header value (sha-256) for ``body``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def legacy_digest(body: bytes) -> str:
    """The RFC 3230 ``Digest`` header value (``SHA-256=<base64>``) for ``body``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def _normalise(headers: Mapping[str, str]) -> dict[str, str]:
    """Lowercase names, strip values, join repeated fields with ", " (multidicts too)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        name = name.lower()
        value = value.strip()
        previous = out.get(name)
        out[name] = value if previous is None else f"{previous}, {value}"
    return out


def _split_url(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise MalformedSignature(f"unparseable URL: {exc}") from exc


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


def _cavage_lines(
    covered: tuple[str, ...],
    method: str,
    target: str,
    host: str,
    headers: Mapping[str, str],
    params: Mapping[str, str],
) -> list[str]:
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1])
            if value is None:
                raise MalformedSignature(f"{name} is covered but the parameter is missing")
            lines.append(f"{name}: {value}")
        elif name == "host":
            lines.append(f"host: {headers.get('host') or host}")
        else:
            value = headers.get(name)
            if value is None:
                raise InvalidSignature(f"covered header {name!r} is missing")
            lines.append(f"{name}: {value}")
    return lines


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
    lines = _cavage_lines(covered, method, target, parts.netloc, headers, params)
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


def _authority(parts: SplitResult) -> str:
    authority = parts.netloc.rpartition("@")[2].lower()
    default_port = _DEFAULT_PORTS.get(parts.scheme.lower())
    if default_port and authority.endswith(default_port):
        authority = authority[: -len(default_port)]
    return authority


def _query_param(parts: SplitResult, params: Mapping[str, Any]) -> str:
    name = params.get("name")
    if set(params) != {"name"} or not isinstance(name, str):
        raise MalformedSignature('@query-param needs exactly a string "name" parameter')
    values = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _form(k) == name]
    if len(values) != 1:
        raise InvalidSignature(f"query parameter {name!r} is absent or repeated")
    return _form(values[0])


def _form(value: str) -> str:
    # RFC 9421 §2.2.8: re-encode with the HTML form percent-encode set, spaces as %20.
    return quote(value, safe="*").replace("~", "%7E")


def _derived(
    name: str,
    params: Mapping[str, Any],
    method: str,
    url: str,
    parts: SplitResult | None,
    status: int | None,
) -> str:
    if name == "@status":
        if status is None:
            raise MalformedSignature("@status is only valid in a response signature")
        return str(status)
    if parts is None:
        raise MalformedSignature(f"{name} is not supported in a response signature")
    if name == "@query-param":
        return _query_param(parts, params)
    if params:
        raise MalformedSignature(f"unsupported parameters on {name}")
    path = parts.path or "/"
    if name == "@method":
        return method
    if name == "@target-uri":
        return url
    if name == "@authority":
        return _authority(parts)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@path":
        return path
    if name == "@query":
        return "?" + parts.query
    if name == "@request-target":
        return f"{path}?{parts.query}" if parts.query else path
    raise MalformedSignature(f"unsupported derived component {name}")


def _field(name: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    value = headers.get(name)
    if value is None:
        raise InvalidSignature(f"covered field {name!r} is missing")
    if not params:
        return value
    try:
        if "key" in params and set(params) <= {"key", "sf"}:
            members = http_sf.parse(value.encode(), tltype="dictionary")
            assert isinstance(members, dict)
            return http_sf.ser([members[params["key"]]])
        if set(params) == {"sf"}:
            tltype = "dictionary" if name == "content-digest" else None
            return http_sf.ser(http_sf.parse(value.encode(), name=name, tltype=tltype))
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedSignature(f"covered field {name!r} cannot be read as requested") from exc
    raise MalformedSignature(f"unsupported parameters on field {name!r}")


def _ser_item(value: Any, params: Mapping[str, Any]) -> str:
    """Structured-field serialisation, fast for the plain strings/integers signatures carry."""
    if type(value) is str and _PLAIN_STRING.fullmatch(value):
        return f'"{value}"{_ser_params(params)}'
    if type(value) is int:
        return f"{value}{_ser_params(params)}"
    return http_sf.ser((value, {})) + _ser_params(params)


def _ser_params(params: Mapping[str, Any]) -> str:
    return "".join(f";{k}" if v is True else f";{k}={_ser_item(v, {})}" for k, v in params.items())


def _ser_inner(inner: tuple[list[Any], dict[str, Any]]) -> str:
    return "(" + " ".join(_ser_item(*item) for item in inner[0]) + ")" + _ser_params(inner[1])


def _rfc9421_base(
    inner: tuple[list[Any], dict[str, Any]],
    method: str,
    url: str,
    parts: SplitResult | None,
    headers: Mapping[str, str],
    status: int | None,
) -> tuple[bytes, tuple[str, ...]]:
    """The RFC 9421 §2.5 signature base for the inner list ``inner``, and its covered ids."""
    lines, covered, seen = [], [], set()
    for item in inner[0]:
        name, params = item
        if not isinstance(name, str) or name != name.lower():
            raise MalformedSignature("component identifiers must be lowercase strings")
        ident = _ser_item(name, params)
        if ident in seen:
            raise MalformedSignature(f"component {ident} is covered twice")
        seen.add(ident)
        if name.startswith("@"):
            value = _derived(name, params, method, url, parts, status)
        else:
            value = _field(name, params, headers)
        if "\n" in value or "\r" in value:
            raise MalformedSignature(f"component {ident} contains a newline")
        lines.append(f"{ident}: {value}")
        covered.append(name + _ser_params(params) if params else name)
    lines.append('"@signature-params": ' + _ser_inner(inner))
    try:
        return "\n".join(lines).encode("ascii"), tuple(covered)
    except UnicodeEncodeError as exc:
        raise MalformedSignature("signature base is not ASCII") from exc


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
    inner, (signature, _) = inputs[label], signatures[label]
    if not (isinstance(inner, tuple) and isinstance(inner[0], list)):
        raise MalformedSignature("Signature-Input member is not an inner list")
    if not isinstance(signature, bytes):
        raise MalformedSignature("Signature member is not a byte sequence")
    params = inner[1]
    for name, value in params.items():
        if (name in ("created", "expires") and type(value) is not int) or (
            name in ("keyid", "alg", "nonce", "tag") and not isinstance(value, str)
        ):
            raise MalformedSignature(f"signature parameter {name} has the wrong type")
    key_id = params.get("keyid")
    if key_id is None:
        raise MalformedSignature("signature lacks keyid")
    base, covered = _rfc9421_base(inner, method, url, parts, headers, status)
    created = _timestamp(params.get("created"), "created")
    if created is None and "date" in covered:
        created = _http_date(headers.get("date"))
    return SignedRequest(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=params.get("alg"),
        covered=covered,
        signature=signature,
        base=base,
        created=created,
        expires=_timestamp(params.get("expires"), "expires"),
        label=label,
        nonce=params.get("nonce"),
        tag=params.get("tag"),
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
    return _extract(method.upper(), url, _split_url(url), _normalise(headers), label)


def extract_response_signature(
    status: int, headers: Mapping[str, str], *, label: str | None = None
) -> SignedRequest:
    """Parse an RFC 9421 response signature (``@status`` and fields); no policy checks."""
    normalised = _normalise(headers)
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
        pairs = [(algorithm, member[0]) for algorithm, member in members.items()]
    checked = False
    for algorithm, expected in pairs:
        hasher = _DIGESTS.get(algorithm)
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
    normalised = _normalise(headers)
    signed = _extract(method.upper(), url, _split_url(url), normalised, label)
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


# --- cryptography -------------------------------------------------------------------------


def _key_mismatch(algorithm: str) -> InvalidSignature:
    return InvalidSignature(f"key type does not fit algorithm {algorithm}")


def _verify_raw(algorithm: str, key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if algorithm == "ed25519":
            if not isinstance(key, ed25519.Ed25519PublicKey):
                raise _key_mismatch(algorithm)
            key.verify(signature, data)
        elif algorithm in ("rsa-v1_5-sha256", "rsa-pss-sha512"):
            if not isinstance(key, rsa.RSAPublicKey):
                raise _key_mismatch(algorithm)
            if algorithm == "rsa-pss-sha512":
                key.verify(signature, data, _PSS, _SHA512)
            else:
                key.verify(signature, data, _PKCS1, _SHA256)
        elif algorithm == "ecdsa-p256-sha256":
            if not (
                isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
            ):
                raise _key_mismatch(algorithm)
            if len(signature) != 64:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key.verify(der, data, _ECDSA_SHA256)
        elif algorithm == "hmac-sha256":
            if not isinstance(key, bytes):
                raise _key_mismatch(algorithm)
            return hmac.compare_digest(hmac.digest(key, data, "sha256"), signature)
        else:
            raise InvalidSignature(f"unsupported algorithm {algorithm}")
    except (_CryptoInvalidSignature, ValueError):
        return False
    return True


def _candidate_algorithms(
    signed: SignedRequest, key: PublicKey, expected: str | None
) -> tuple[str, ...]:
    declared = signed.algorithm
    if signed.scheme == "cavage" and declared is not None:
        declared = None if declared == "hs2019" else _CAVAGE_ALGORITHMS.get(declared, declared)
        if declared not in (None, *_CAVAGE_ALGORITHMS.values()):
            raise InvalidSignature(f"unsupported algorithm {signed.algorithm}")
    if declared and expected and declared != expected:
        raise InvalidSignature(f"signature uses {declared}, key is for {expected}")
    if declared or expected:
        return (declared or expected,)  # type: ignore[return-value]
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("ed25519",)
    if isinstance(key, rsa.RSAPublicKey):
        if signed.scheme == "cavage":
            return ("rsa-v1_5-sha256",)
        return ("rsa-v1_5-sha256", "rsa-pss-sha512")
    if isinstance(key, ec.EllipticCurvePublicKey) and signed.scheme == "rfc9421":
        return ("ecdsa-p256-sha256",)
    raise InvalidSignature("no algorithm declared and none implied by the key")


def verify(signed: SignedRequest, public_key: PublicKey, *, algorithm: str | None = None) -> None:
    """Raise InvalidSignature unless ``signed`` verifies with ``public_key``.

    The algorithm is the declared one (cavage ``rsa-sha256``; ``hs2019``/absent follow the key:
    RSA → PKCS#1 v1.5/SHA-256, Ed25519 → Ed25519), else ``algorithm`` (the one bound to the key,
    RFC 9421 names), else implied by the key (an RSA key with an undeclared RFC 9421 signature
    tries rsa-v1_5-sha256 then rsa-pss-sha512). A key of the wrong type is rejected. ``bytes``
    is an HMAC secret, usable only with an explicit hmac-sha256.
    """
    for candidate in _candidate_algorithms(signed, public_key, algorithm):
        for base in (signed.base, *signed.alternative_bases):
            if _verify_raw(candidate, public_key, signed.signature, base):
                return
    raise InvalidSignature("signature does not verify")


def sign_base(base: bytes, private_key: PrivateKey, algorithm: str) -> bytes:
    """Sign a signature base with an RFC 9421 algorithm name; ValueError on a key mismatch."""
    if algorithm == "ed25519" and isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(base)
    if algorithm == "rsa-v1_5-sha256" and isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(base, _PKCS1, _SHA256)
    if algorithm == "rsa-pss-sha512" and isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(base, _PSS, _SHA512)
    if (
        algorithm == "ecdsa-p256-sha256"
        and isinstance(private_key, ec.EllipticCurvePrivateKey)
        and isinstance(private_key.curve, ec.SECP256R1)
    ):
        r, s = decode_dss_signature(private_key.sign(base, _ECDSA_SHA256))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if algorithm == "hmac-sha256" and isinstance(private_key, bytes):
        return hmac.digest(private_key, base, "sha256")
    raise ValueError(f"cannot sign {algorithm} with {type(private_key).__name__}")


def _default_algorithm(private_key: PrivateKey) -> str:
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(private_key, rsa.RSAPrivateKey):
        return "rsa-v1_5-sha256"
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return "ecdsa-p256-sha256"
    raise ValueError(f"no default algorithm for {type(private_key).__name__}")


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    scheme: Scheme,
    now: datetime,
    expires_in: timedelta | None = None,
    algorithm: str | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Sign an outgoing request; return the headers to set on it.

    Always Host (the caller's if given, else from ``url``) and Date (from ``now``). cavage:
    ``Digest`` when ``body`` is not None and ``Signature`` over ``(request-target) host date
    [digest]`` with ``rsa-sha256`` (RSA) or ``hs2019`` (Ed25519). rfc9421: ``Content-Digest``
    when ``body`` is not None, and ``Signature-Input``/``Signature`` (label ``label``) over
    ``@method @target-uri [content-digest]`` with created, keyid, alg and optional expires;
    ``algorithm`` overrides the key's default (ed25519 / rsa-v1_5-sha256 / ecdsa-p256-sha256).
    """
    parts = _split_url(url)
    method = method.upper()
    host = _normalise(headers).get("host") or parts.netloc
    now = now.astimezone(UTC)
    out = {"Host": host, "Date": format_datetime(now, usegmt=True)}
    if scheme == "cavage":
        if expires_in is not None:
            raise ValueError("expires_in is only supported with the rfc9421 scheme")
        if '"' in key_id:
            raise ValueError("key_id must not contain a double quote")
        cavage_algorithm = algorithm or _default_algorithm(private_key)
        name = {"rsa-v1_5-sha256": "rsa-sha256", "ed25519": "hs2019"}.get(cavage_algorithm)
        if name is None:
            raise ValueError(f"the cavage scheme cannot sign with {cavage_algorithm}")
        covered: tuple[str, ...] = ("(request-target)", "host", "date")
        values = {"host": host, "date": out["Date"]}
        if body is not None:
            out["Digest"] = values["digest"] = legacy_digest(body)
            covered += ("digest",)
        path = parts.path or "/"
        target = f"{path}?{parts.query}" if parts.query else path
        base = "\n".join(_cavage_lines(covered, method, target, host, values, {})).encode()
        signature = base64.b64encode(sign_base(base, private_key, cavage_algorithm)).decode()
        out["Signature"] = (
            f'keyId="{key_id}",algorithm="{name}",headers="{" ".join(covered)}",'
            f'signature="{signature}"'
        )
        return out
    rfc_algorithm = algorithm or _default_algorithm(private_key)
    components: list[Any] = [("@method", {}), ("@target-uri", {})]
    values = {}
    if body is not None:
        out["Content-Digest"] = values["content-digest"] = content_digest(body)
        components.append(("content-digest", {}))
    params: dict[str, Any] = {"created": int(now.timestamp()), "keyid": key_id}
    params["alg"] = rfc_algorithm
    if expires_in is not None:
        params["expires"] = int((now + expires_in).timestamp())
    inner = (components, params)
    base, _ = _rfc9421_base(inner, method, url, parts, values, None)
    signature = sign_base(base, private_key, rfc_algorithm)
    out["Signature-Input"] = f"{label}={_ser_inner(inner)}"
    out["Signature"] = http_sf.ser({label: (signature, {})})
    return out
