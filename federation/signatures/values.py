"""What every step of HTTP signatures shares: key types, errors, the parsed signature (a value
object), digests of a body, and header and URL normalisation. Pure: no I/O, no key loading."""

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias
from urllib.parse import SplitResult, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from federation.errors import FederationError

Scheme: TypeAlias = Literal["cavage", "rfc9421"]
PublicKey: TypeAlias = (
    rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | bytes
)
PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | bytes
)


class SignatureError(FederationError):
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


SHA256 = hashes.SHA256()
SHA512 = hashes.SHA512()
PKCS1 = padding.PKCS1v15()
PSS = padding.PSS(mgf=padding.MGF1(SHA512), salt_length=64)
ECDSA_SHA256 = ec.ECDSA(SHA256)
CAVAGE_ALGORITHMS = {"rsa-sha256": "rsa-v1_5-sha256", "ed25519": "ed25519"}


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` header value (sha-256) for ``body``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def legacy_digest(body: bytes) -> str:
    """The RFC 3230 ``Digest`` header value (``SHA-256=<base64>``) for ``body``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def normalise_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lowercase names, strip values, join repeated fields with ", " (multidicts too)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        name = name.lower()
        value = value.strip()
        previous = out.get(name)
        out[name] = value if previous is None else f"{previous}, {value}"
    return out


def split_url(url: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise MalformedSignature(f"unparseable URL: {exc}") from exc
