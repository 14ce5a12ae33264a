"""HTTP message signatures for ActivityPub server-to-server requests (pure: no I/O, no key loading).

Two schemes are spoken:

* **cavage** — draft-cavage-http-signatures-12 as Mastodon uses it: a ``Signature`` header (or
  ``Authorization: Signature ...``) carrying ``keyId``, ``algorithm`` (``rsa-sha256``, or
  ``hs2019`` meaning RSASSA-PKCS1-v1_5/SHA-256 for RSA keys and Ed25519 for Ed25519 keys),
  ``headers`` and ``signature``; the body is bound by ``Digest: SHA-256=<base64>``.
* **rfc9421** — RFC 9421 HTTP Message Signatures: ``Signature-Input`` and ``Signature``
  structured-field dictionaries; the body is bound by ``Content-Digest`` (RFC 9530).

As in bovine, work is split into steps, one module each:

* ``parse`` — :func:`extract_signature` parses the headers into a :class:`SignedRequest` (key
  id, covered components, exact signature base) without any policy; :func:`parse_request` does
  the same and then enforces policy — the signing time (``created`` or the signed ``Date``) lies
  within ``window`` of ``now``, ``expires`` has not passed, a body is bound by a *covered*
  digest header that matches it, and the request line and host are covered;
* ``verify`` — the caller looks up the key named by ``key_id`` (federation/verify.py, through
  an injected resolver) and calls :func:`verify`;
* ``build`` — :func:`sign_request` produces the headers for an outgoing request; in two steps,
  :func:`prepare_signature` does everything but the private-key operation
  (:meth:`SignatureToMake.signature`), which the caller runs where it suits, and
  :meth:`SignatureToMake.signed` gives the headers;
* ``bases`` builds the exact bytes signed, for parsing and signing alike; ``values`` holds the
  value object, the errors and the digests.

Keys are ``cryptography`` key objects loaded once by the caller (``bytes`` only as an HMAC
shared secret).

Query strings (Mastodon compatibility): the cavage ``(request-target)`` is built from the path
*with* its query; when the URL has a query, :attr:`SignedRequest.alternative_bases` also holds
the base built from the path without it, and :func:`verify` accepts either.
"""

from federation.signatures.build import (
    SignatureToMake,
    prepare_signature,
    sign_base,
    sign_request,
)
from federation.signatures.parse import extract_response_signature, extract_signature, parse_request
from federation.signatures.values import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    PrivateKey,
    PublicKey,
    Scheme,
    SignatureError,
    SignedRequest,
    content_digest,
    legacy_digest,
)
from federation.signatures.verify import verify

__all__ = [
    "InvalidSignature",
    "MalformedSignature",
    "MissingSignature",
    "PrivateKey",
    "PublicKey",
    "Scheme",
    "SignatureError",
    "SignatureToMake",
    "SignedRequest",
    "content_digest",
    "extract_response_signature",
    "extract_signature",
    "legacy_digest",
    "parse_request",
    "prepare_signature",
    "sign_base",
    "sign_request",
    "verify",
]
