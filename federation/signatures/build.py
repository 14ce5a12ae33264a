"""Signing an outgoing request: the headers to set (Host, Date, a digest, the signature)."""

import base64
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, ParamSpec

import http_sf
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from federation.signatures.bases import cavage_lines, rfc9421_base, ser_inner
from federation.signatures.values import (
    ECDSA_SHA256,
    PKCS1,
    PSS,
    SHA256,
    SHA512,
    PrivateKey,
    Scheme,
    content_digest,
    legacy_digest,
    normalise_headers,
    split_url,
)


def sign_base(base: bytes, private_key: PrivateKey, algorithm: str) -> bytes:
    """Sign a signature base with an RFC 9421 algorithm name; ValueError on a key mismatch."""
    if algorithm == "ed25519" and isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(base)
    if algorithm == "rsa-v1_5-sha256" and isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(base, PKCS1, SHA256)
    if algorithm == "rsa-pss-sha512" and isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(base, PSS, SHA512)
    if (
        algorithm == "ecdsa-p256-sha256"
        and isinstance(private_key, ec.EllipticCurvePrivateKey)
        and isinstance(private_key.curve, ec.SECP256R1)
    ):
        r, s = decode_dss_signature(private_key.sign(base, ECDSA_SHA256))
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


@dataclass(frozen=True)
class SignatureToMake:
    """An outgoing request's signature base and the headers around it, before the private-key
    operation: signing in two steps, so that the operation alone (`signature`) can run where
    it suits (RSA releases the GIL: on another thread it holds no lock that the event loop
    waits for)."""

    base: bytes
    algorithm: str  # RFC 9421 name, as `sign_base` takes it
    headers: dict[str, str]  # Host, Date and the digest
    signature_headers: Callable[[bytes], dict[str, str]]
    private_key: PrivateKey = field(repr=False)

    def signature(self) -> bytes:
        """The private-key operation over `base`."""
        return sign_base(self.base, self.private_key, self.algorithm)

    def signed(self, signature: bytes) -> dict[str, str]:
        """The headers to set, given `signature()`."""
        return {**self.headers, **self.signature_headers(signature)}

    def sign(self) -> dict[str, str]:
        """Both steps at once: the headers to set."""
        return self.signed(self.signature())


def prepare_signature(
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
) -> SignatureToMake:
    """Sign an outgoing request, up to the private-key operation (`.sign()` for the headers at
    once; `sign_request` is both steps).

    Always Host (the caller's if given, else from ``url``) and Date (from ``now``). cavage:
    ``Digest`` when ``body`` is not None and ``Signature`` over ``(request-target) host date
    [digest]`` with ``rsa-sha256`` (RSA) or ``hs2019`` (Ed25519). rfc9421: ``Content-Digest``
    when ``body`` is not None, and ``Signature-Input``/``Signature`` (label ``label``) over
    ``@method @target-uri [content-digest]`` with created, keyid, alg and optional expires;
    ``algorithm`` overrides the key's default (ed25519 / rsa-v1_5-sha256 / ecdsa-p256-sha256).
    ValueError for a key that cannot sign so.
    """
    parts = split_url(url)
    method = method.upper()
    host = normalise_headers(headers).get("host") or parts.netloc
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
        base = "\n".join(cavage_lines(covered, method, target, host, values, {})).encode()
        listed = " ".join(covered)

        def cavage_header(signature: bytes) -> dict[str, str]:
            encoded = base64.b64encode(signature).decode()
            return {
                "Signature": f'keyId="{key_id}",algorithm="{name}",headers="{listed}",'
                f'signature="{encoded}"'
            }

        return SignatureToMake(base, cavage_algorithm, out, cavage_header, private_key)
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
    base, _ = rfc9421_base(inner, method, url, parts, values, None)
    signature_input = f"{label}={ser_inner(inner)}"

    def rfc9421_headers(signature: bytes) -> dict[str, str]:
        return {
            "Signature-Input": signature_input,
            "Signature": http_sf.ser({label: (signature, {})}),
        }

    return SignatureToMake(base, rfc_algorithm, out, rfc9421_headers, private_key)


P = ParamSpec("P")


def _at_once(prepare: Callable[P, SignatureToMake]) -> Callable[P, dict[str, str]]:
    def sign_request(*args: P.args, **kwargs: P.kwargs) -> dict[str, str]:
        """`prepare_signature`'s arguments; the headers to set on the request, signed."""
        return prepare(*args, **kwargs).sign()

    return sign_request


sign_request = _at_once(prepare_signature)
