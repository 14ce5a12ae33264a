"""JSON-LD for inbound ActivityStreams: one canonical compact form, reached by two paths.

Everything past the inbox reads documents in our canonical compact form: compacted against
``CANONICAL_CONTEXT`` (AS2, security v1, our sharon v1 extension), with ``"@context"`` set to it.

* **Fast path.** pyld costs 3–4 ms per document, and nearly every document we receive is already
  in that form: its ``@context`` is ours or plain AS2 (or missing, which AS2 says means AS2) and
  every key is a plain term. Such a document is used as is; deciding so is one walk over its keys,
  done anyway by the shape check.
* **Slow path.** Anything else (inline context objects, prefixed or full-IRI keys, JSON-LD
  keywords, other context orders) is expanded and compacted by pyld.

``tests/federation/test_jsonld.py`` proves on a corpus that both paths give the same result.
Contexts are never fetched: every pyld call is given ``bundled_loader``, which serves the files in
``federation/contexts/`` and refuses every other URL.
"""

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from pyld import jsonld as pyld
from pyld.jsonld import JsonLdError

from federation.errors import FederationError

AS2 = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"
SHARON_V1 = "https://w3id.org/sharon/v1"
"""IRI of our extension context; the node also serves the file at /ns/sharon-v1.jsonld."""
AS2_PUBLIC = f"{AS2}#Public"

CANONICAL_CONTEXT: tuple[str, ...] = (AS2, SECURITY_V1, SHARON_V1)
"""The ``@context`` our own documents carry (a tuple so nobody can mutate it; JSON-encodes as an
array). ``normalise`` always returns it as a fresh list."""

MAX_DEPTH = 32
MAX_KEYS = 10_000

# Plain-AS2 contexts whose documents are already canonical (Mastodon sends the first one on
# activities). Compared with ==, never hashed: a context list may hold dicts.
_CANONICAL_LISTS: tuple[tuple[str, ...], ...] = ((AS2,), (AS2, SECURITY_V1), CANONICAL_CONTEXT)

# URL → bundled file. pyld asks for the exact string written in @context, so the spellings of
# the AS2 IRI seen in the wild are served too.
_BUNDLED: Mapping[str, str] = MappingProxyType(
    {
        AS2: "activitystreams.jsonld",
        f"{AS2}/": "activitystreams.jsonld",
        f"{AS2}.jsonld": "activitystreams.jsonld",
        "http://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
        "http://www.w3.org/ns/activitystreams/": "activitystreams.jsonld",
        "http://www.w3.org/ns/activitystreams.jsonld": "activitystreams.jsonld",
        SECURITY_V1: "security-v1.jsonld",
        "http://w3id.org/security/v1": "security-v1.jsonld",
        SHARON_V1: "sharon-v1.jsonld",
    }
)

# Addressing properties, where AS2 allows three spellings of the public collection:
# https://www.w3.org/TR/activitystreams-core/#public-addressing
_ADDRESSING = frozenset({"to", "cc", "bto", "bcc", "audience"})
_PUBLIC_ALIASES = frozenset({"Public", "as:Public"})


class MalformedDocument(FederationError, ValueError):
    """The body is not a JSON-LD document we can read (answer 400, not 401)."""


class ContextRefused(JsonLdError):  # type: ignore[misc]  # pyld ships no types
    """Raised inside pyld by ``bundled_loader`` for a URL it does not bundle."""

    def __init__(self, url: str) -> None:
        super().__init__(
            "Refusing to load a context that is not bundled.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
        self.url = url


@cache
def _bundled_text(name: str) -> str:
    return (resources.files("federation") / "contexts" / name).read_text(encoding="utf-8")


def bundled_file(name: str) -> str:
    """Return the text of a bundled context file, e.g. for serving /ns/sharon-v1.jsonld."""
    if name not in _BUNDLED.values():
        raise KeyError(name)
    return _bundled_text(name)


def bundled_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves bundled contexts and refuses everything else.

    Never touches the network. The document is parsed afresh on each call because pyld may
    mutate it; the ``static`` tag lets pyld keep its processed form across calls.
    """
    name = _BUNDLED.get(url)
    if name is None:
        raise ContextRefused(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(_bundled_text(name)),
        "tag": "static",
    }


# The bundled loader is also pyld's process-wide default, so that no pyld call in this process
# (ours, or a library's without options) can fetch a context.
pyld.set_document_loader(bundled_loader)


def _refuse_constant(name: str) -> Any:
    raise MalformedDocument(f"{name} is not JSON")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise MalformedDocument(f"the member {key[:50]!r} appears twice in one object")
        members[key] = value
    return members


def loads_strict(body: bytes) -> Any:
    """Parse a body as JSON and nothing beyond it (RFC 8259), or raise ``MalformedDocument``.

    Refused, where Python's ``json`` is lenient: bodies that are not UTF-8 (UTF-16/32, a byte
    order mark, stray bytes), ``NaN``/``Infinity``, an object naming a member twice (which one
    counts would depend on the parser), and strings holding a lone surrogate (not text: it cannot
    be stored or sent on) or NUL (PostgreSQL cannot store it). Nesting is bounded by the caller's
    shape check; a parser's own recursion limit is reported as malformed, not raised.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedDocument(f"the body is not UTF-8 (byte {error.start})") from None
    try:
        document = json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_unique_members
        )
    except RecursionError:
        raise MalformedDocument("JSON nested too deeply") from None
    except MalformedDocument:
        raise
    except ValueError as error:
        raise MalformedDocument(f"the body is not JSON: {error}") from None
    _check_strings(document)
    return document


def _check_strings(document: Any) -> None:
    """Every key and string is text that can be stored: no lone surrogate, no NUL."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise MalformedDocument("a string holds NUL (U+0000)")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise MalformedDocument("a string holds a lone surrogate (not text)") from None


def check_shape(
    document: object, max_depth: int = MAX_DEPTH, max_keys: int = MAX_KEYS
) -> dict[str, Any]:
    """Return ``document`` if it is a JSON object nested at most ``max_depth`` deep, with at most
    ``max_keys`` members and items in all; raise ``MalformedDocument`` otherwise."""
    _scan(document, max_depth, max_keys)
    assert isinstance(document, dict)
    return document


def _scan(document: object, max_depth: int, max_keys: int) -> bool:
    """Check the shape iteratively (no recursion limit) and say whether every object is a plain
    node: keys are terms (no ``@`` keyword, compact or full IRI) bar the top-level ``@context``."""
    if not isinstance(document, dict):
        raise MalformedDocument("JSON-LD document must be an object")
    plain = True
    count = 0
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise MalformedDocument(f"JSON nested deeper than {max_depth} levels")
        count += len(value)
        if count > max_keys:
            raise MalformedDocument(f"JSON holds more than {max_keys} members")
        if isinstance(value, dict):
            if plain:
                plain = _plain_node(value, value is document)
            children: Iterable[Any] = value.values()
        else:
            children = value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return plain


def _plain_node(node: dict[str, Any], top: bool) -> bool:
    """Keys are plain terms and ``id``/``type`` have the shapes pyld requires; anything else
    takes the slow path (which rejects what pyld rejects)."""
    if not all(
        not key.startswith("@") and ":" not in key for key in node if not top or key != "@context"
    ):
        return False
    node_id, node_type = node.get("id", ""), node.get("type", "")
    # A type written as a compact or full IRI ("as:Create") is a term only after compaction.
    return isinstance(node_id, str) and (
        (isinstance(node_type, str) and ":" not in node_type)
        or (
            isinstance(node_type, list)
            and all(isinstance(t, str) and ":" not in t for t in node_type)
        )
    )


def _is_canonical_context(context: object) -> bool:
    """Whether a document with this ``@context`` and plain-term keys is already canonical."""
    if isinstance(context, str):
        return context == AS2
    return isinstance(context, list | tuple) and tuple(context) in _CANONICAL_LISTS


def normalise(document: object) -> dict[str, Any]:
    """Return ``document`` in canonical compact form; raise ``MalformedDocument`` if it is not
    a bounded JSON object, needs a context we do not bundle, or is invalid JSON-LD.

    The result may share nested values with ``document``: treat both as read-only.
    """
    plain = _scan(document, MAX_DEPTH, MAX_KEYS)
    assert isinstance(document, dict)
    if plain and _is_canonical_context(document.get("@context", AS2)):
        rest = {key: value for key, value in document.items() if key != "@context"}
        result = {"@context": list(CANONICAL_CONTEXT), **rest}
    else:
        if "@context" not in document:
            document = {"@context": AS2, **document}
        result = _compact(document)
    normalised: dict[str, Any] = _public_iri(result)
    return normalised


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    # base None keeps relative IRIs (and the bare "Public") as written, as the fast path does.
    options = {"documentLoader": bundled_loader, "base": None}
    try:
        compacted: dict[str, Any] = pyld.compact(document, list(CANONICAL_CONTEXT), options)
    except JsonLdError as error:
        refused = _refused_url(error)
        if refused is not None:
            raise MalformedDocument(f"remote context refused: {refused}") from error
        raise MalformedDocument(f"invalid JSON-LD: {_innermost(error)}") from error
    except (ValueError, KeyError) as error:
        # pyld raises these, not JsonLdError, for some malformed contexts (e.g. relative IRIs).
        raise MalformedDocument(f"invalid JSON-LD: {error!r}") from error
    return compacted


def _refused_url(error: BaseException) -> str | None:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ContextRefused):
            return cause.url
        cause = cause.__cause__
    return None


def _innermost(error: BaseException) -> str:
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error.args[0]) if error.args else type(error).__name__


def _public_iri(value: Any, addressing: bool = False) -> Any:
    """Spell the public collection as its full IRI wherever it addresses something, copying only
    what changes. Recursion is bounded: the document passed ``_scan``."""
    if isinstance(value, str):
        return AS2_PUBLIC if addressing and value in _PUBLIC_ALIASES else value
    if isinstance(value, list):
        items = [_public_iri(item, addressing) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        changed = {
            key: new
            for key, item in value.items()
            if (new := _public_iri(item, key in _ADDRESSING)) is not item
        }
        return {**value, **changed} if changed else value
    return value


def dumps(document: Mapping[str, Any]) -> bytes:
    """Compact, deterministic UTF-8 JSON (sorted keys, no whitespace, no NaN)."""
    return json.dumps(
        document, separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False
    ).encode("utf-8")
