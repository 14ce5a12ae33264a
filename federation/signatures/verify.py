"""Verifying a parsed signature with a public key the caller looked up (pure cryptography).

The key is found by the caller — `federation/verify.py` asks an injected key resolver — so this
module never fetches, caches or decides who may talk to us.
"""

import hmac

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from federation.signatures.values import (
    CAVAGE_ALGORITHMS,
    ECDSA_SHA256,
    PKCS1,
    PSS,
    SHA256,
    SHA512,
    InvalidSignature,
    PublicKey,
    SignedRequest,
)


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
                key.verify(signature, data, PSS, SHA512)
            else:
                key.verify(signature, data, PKCS1, SHA256)
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
            key.verify(der, data, ECDSA_SHA256)
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
        declared = None if declared == "hs2019" else CAVAGE_ALGORITHMS.get(declared, declared)
        if declared not in (None, *CAVAGE_ALGORITHMS.values()):
            raise InvalidSignature(f"unsupported algorithm {signed.algorithm}")
    if declared and expected and declared != expected:
        raise InvalidSignature(f"signature uses {declared}, key is for {expected}")
    chosen = declared or expected
    if chosen:
        return (chosen,)
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
