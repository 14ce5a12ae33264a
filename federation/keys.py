"""The node's signing keys: RSA-2048 (draft-cavage, for stock fediverse software) and Ed25519
(RFC 9421 between SHaRON nodes, published as a FEP-521a Multikey).

Every local actor is published with the node's keys, under its own key ids: the node signs for
all its people anyway, and per-person keys would only let peers link one person's actors.
Keys are loaded once and the objects kept (a PEM load costs tens of milliseconds).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

RSA_FILE = "instance-rsa.pem"
ED25519_FILE = "instance-ed25519.pem"
RETIRED_PREFIX = "retired-"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_MULTICODEC = b"\xed\x01"


@dataclass(frozen=True)
class NodeKeys:
    rsa: rsa.RSAPrivateKey
    ed25519: ed25519.Ed25519PrivateKey

    @classmethod
    def generate(cls) -> NodeKeys:
        return cls(
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            ed25519.Ed25519PrivateKey.generate(),
        )

    @classmethod
    def load(cls, directory: Path) -> NodeKeys:
        rsa_key = serialization.load_pem_private_key((directory / RSA_FILE).read_bytes(), None)
        ed_key = serialization.load_pem_private_key((directory / ED25519_FILE).read_bytes(), None)
        if not isinstance(rsa_key, rsa.RSAPrivateKey) or not isinstance(
            ed_key, ed25519.Ed25519PrivateKey
        ):
            raise ValueError("the node's key files hold the wrong kinds of key")
        return cls(rsa_key, ed_key)

    def save(self, directory: Path, *, prefix: str = "", replace: bool = False) -> None:
        """Write both keys, readable by the owner only (0600).

        With `replace`, each file is written beside its target and renamed over it, so a crash
        leaves either the old key or the new one, never half of a key."""
        for name, key in ((RSA_FILE, self.rsa), (ED25519_FILE, self.ed25519)):
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path = directory / (prefix + name)
            target = path.with_name(path.name + ".new") if replace else path
            if replace:
                target.unlink(missing_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            if replace:
                os.replace(target, path)

    @classmethod
    def rotate(cls, directory: Path) -> tuple[NodeKeys, NodeKeys]:
        """New keys for the node; the old ones are kept as `retired-*.pem` (the last pair only).

        Returns (old, new). The caller tells peers, signing with the old keys."""
        old = cls.load(directory)
        new = cls.generate()
        old.save(directory, prefix=RETIRED_PREFIX, replace=True)
        new.save(directory, replace=True)
        return old, new

    @property
    def rsa_public_pem(self) -> str:
        return public_pem(self.rsa.public_key())

    @property
    def ed25519_multibase(self) -> str:
        raw = self.ed25519.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return "z" + base58(_ED25519_MULTICODEC + raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rsa.public_key())


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey) -> str:
    """`SHA256:` and the base64 SHA-256 of the key's SubjectPublicKeyInfo, as OpenSSH shows keys."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def base58(data: bytes) -> str:
    """Bitcoin-alphabet base58 (multibase `z`), as FEP-521a Multikeys use."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


MAX_BASE58 = 100
"""Longest base58 text decoded: a multikey is 47 characters; decoding is quadratic in length."""


def unbase58(text: str) -> bytes:
    """Decode bitcoin-alphabet base58; ValueError on a foreign character or a text too long."""
    if len(text) > MAX_BASE58:
        raise ValueError(f"base58 text longer than {MAX_BASE58} characters")
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def ed25519_from_multibase(value: str) -> ed25519.Ed25519PublicKey:
    """Decode a FEP-521a `publicKeyMultibase`; ValueError when it is not an Ed25519 key."""
    if not value.startswith("z"):
        raise ValueError("only base58btc multibase keys are understood")
    raw = unbase58(value[1:])
    if not raw.startswith(_ED25519_MULTICODEC) or len(raw) != 34:
        raise ValueError("not an Ed25519 multikey")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])


def load_public_pem(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("unsupported public key type")
    return key
