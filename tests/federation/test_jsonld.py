"""federation.jsonld: the fast path and the pyld path agree, contexts never leave the box."""

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld as pyld

from federation.jsonld import (
    AS2,
    AS2_PUBLIC,
    CANONICAL_CONTEXT,
    SECURITY_V1,
    SHARON_V1,
    ContextRefused,
    MalformedDocument,
    bundled_file,
    bundled_loader,
    check_shape,
    dumps,
    normalise,
)

AS = "https://www.w3.org/ns/activitystreams#"
SEC = "https://w3id.org/security#"
SH = "https://w3id.org/sharon#"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"

NORTH = "https://north.nhs.example"
SOUTH = "https://south.nhs.example"
EAST = "https://east.nhs.example"
GROUP = f"{NORTH}/subnets/carers"
MEMBERS = f"{GROUP}/members"
KESTREL = f"{SOUTH}/people/kestrel"
WREN = f"{NORTH}/people/wren"
POST = f"{SOUTH}/posts/1"
JOIN = f"{SOUTH}/activities/join-1"
PEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"
CTX = list(CANONICAL_CONTEXT)

# Each case: (our canonical compact form, a semantically equivalent document written otherwise).
CORPUS: list[Any] = [
    pytest.param(
        {
            "@context": CTX,
            "id": f"{SOUTH}/activities/create-1",
            "type": "Create",
            "actor": KESTREL,
            "object": POST,
            "to": GROUP,
            "cc": [],
            "subnet": GROUP,
            "published": "2024-05-01T09:00:00Z",
        },
        {  # expanded form, no @context at all (AS2 assumed)
            "@id": f"{SOUTH}/activities/create-1",
            "@type": f"{AS}Create",
            f"{AS}actor": {"@id": KESTREL},
            f"{AS}object": [{"@id": POST}],
            f"{AS}to": {"@id": GROUP},
            f"{AS}cc": [],
            f"{SH}subnet": {"@id": GROUP},
            f"{AS}published": {"@value": "2024-05-01T09:00:00Z", "@type": XSD_DATETIME},
        },
        id="create-by-reference",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{SOUTH}/activities/create-2",
            "type": "Create",
            "actor": KESTREL,
            "object": {
                "id": f"{SOUTH}/posts/2",
                "type": "Note",
                "attributedTo": KESTREL,
                "inReplyTo": POST,
                "content": "Had a better day today — thank you all.",
                "contentMap": {"en": "Had a better day today — thank you all."},
                "sensitive": False,
                "moderationState": "held",
                "to": [GROUP, MEMBERS],
            },
            "to": [GROUP, MEMBERS],
            "published": "2024-05-01T09:05:00Z",
        },
        {  # prefixed keys (no type coercion, so explicit @id objects), values as arrays
            "@context": [AS2, {"sensitive": "as:sensitive", "sh": SH}],
            "id": f"{SOUTH}/activities/create-2",
            "type": ["Create"],
            "as:actor": {"@id": KESTREL},
            "object": {
                "id": f"{SOUTH}/posts/2",
                "type": "Note",
                "as:attributedTo": [{"@id": KESTREL}],
                "inReplyTo": [POST],
                "as:content": [
                    "Had a better day today — thank you all.",
                    {"@value": "Had a better day today — thank you all.", "@language": "en"},
                ],
                "sensitive": [False],
                "sh:moderationState": "held",
                "to": [GROUP, MEMBERS],
            },
            "to": [GROUP, MEMBERS],
            "published": ["2024-05-01T09:05:00Z"],
        },
        id="create-embedded-note",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{GROUP}/announce/1",
            "type": "Announce",
            "actor": GROUP,
            "object": POST,
            "to": MEMBERS,
            "cc": [f"{SOUTH}/actor", f"{EAST}/actor"],
            "published": "2024-05-01T09:06:00Z",
        },
        {  # the same contexts in another (equivalent) order, single values as arrays
            "@context": [SECURITY_V1, AS2, SHARON_V1],
            "id": f"{GROUP}/announce/1",
            "type": ["Announce"],
            "actor": [GROUP],
            "object": [POST],
            "to": [MEMBERS],
            "cc": [f"{SOUTH}/actor", f"{EAST}/actor"],
            "published": "2024-05-01T09:06:00Z",
        },
        id="announce",
    ),
    pytest.param(
        {"@context": CTX, "id": JOIN, "type": "Join", "actor": KESTREL, "object": GROUP},
        {  # http:// spelling of the AS2 IRI, keywords for id and type
            "@context": "http://www.w3.org/ns/activitystreams",
            "@id": JOIN,
            "@type": "Join",
            "actor": KESTREL,
            "object": GROUP,
        },
        id="join",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{SOUTH}/activities/leave-1",
            "type": "Leave",
            "actor": KESTREL,
            "object": GROUP,
            "to": GROUP,
        },
        {  # the sender's own vocabulary: every term renamed in an inline context
            "@context": {
                "ident": "@id",
                "genre": "@type",
                "Partir": f"{AS}Leave",
                "qui": {"@id": f"{AS}actor", "@type": "@id"},
                "quoi": {"@id": f"{AS}object", "@type": "@id"},
                "pour": {"@id": f"{AS}to", "@type": "@id"},
            },
            "ident": f"{SOUTH}/activities/leave-1",
            "genre": "Partir",
            "qui": KESTREL,
            "quoi": GROUP,
            "pour": GROUP,
        },
        id="leave",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{SOUTH}/activities/undo-1",
            "type": "Undo",
            "actor": KESTREL,
            "object": {"id": JOIN, "type": "Join", "actor": KESTREL, "object": GROUP},
            "to": GROUP,
        },
        {  # an extra prefix and prefixed keys, also inside the embedded object
            "@context": [*CTX, {"activity": AS}],
            "id": f"{SOUTH}/activities/undo-1",
            "type": "activity:Undo",
            "activity:actor": {"@id": KESTREL},
            "activity:object": {
                "@id": JOIN,
                "@type": "Join",
                "activity:actor": {"@id": KESTREL},
                "activity:object": {"@id": GROUP},
            },
            "to": GROUP,
        },
        id="undo-join",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{NORTH}/activities/like-1",
            "type": "Like",
            "actor": WREN,
            "object": POST,
            "to": KESTREL,
        },
        {  # Mastodon-style context with an inline object
            "@context": [
                AS2,
                SECURITY_V1,
                {
                    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                    "toot": "http://joinmastodon.org/ns#",
                },
            ],
            "id": f"{NORTH}/activities/like-1",
            "type": "Like",
            "actor": WREN,
            "object": POST,
            "to": [KESTREL],
        },
        id="like",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{SOUTH}/activities/delete-1",
            "type": "Delete",
            "actor": KESTREL,
            "object": {"id": POST, "type": "Tombstone", "deleted": "2024-05-02T10:00:00Z"},
            "to": [GROUP, AS2_PUBLIC],
        },
        {  # as:Public as a compact IRI, a full IRI as a type
            "@context": [AS2, SECURITY_V1],
            "id": f"{SOUTH}/activities/delete-1",
            "type": "Delete",
            "actor": KESTREL,
            "object": {
                "id": POST,
                "type": f"{AS}Tombstone",
                "deleted": {"@value": "2024-05-02T10:00:00Z", "@type": "xsd:dateTime"},
            },
            "to": [GROUP, "as:Public"],
        },
        id="delete-tombstone",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{SOUTH}/activities/update-1",
            "type": "Update",
            "actor": KESTREL,
            "object": {
                "id": POST,
                "type": "Note",
                "attributedTo": KESTREL,
                "content": "Edited: a better week overall.",
                "updated": "2024-05-02T11:00:00Z",
                "moderationState": "approved",
            },
            "to": GROUP,
        },
        {  # security context left out (not needed), value objects
            "@context": [AS2, SHARON_V1],
            "id": f"{SOUTH}/activities/update-1",
            "type": "Update",
            "actor": KESTREL,
            "object": {
                "id": POST,
                "type": "Note",
                "attributedTo": {"id": KESTREL},
                "content": {"@value": "Edited: a better week overall."},
                "updated": "2024-05-02T11:00:00Z",
                "moderationState": {"@value": "approved"},
            },
            "to": {"id": GROUP},
        },
        id="update-note",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{GROUP}/accept/1",
            "type": "Accept",
            "actor": GROUP,
            "object": {"id": JOIN, "type": "Join", "actor": KESTREL, "object": GROUP},
            "to": KESTREL,
        },
        {  # wrapped in a one-node @graph
            "@context": CTX,
            "@graph": [
                {
                    "id": f"{GROUP}/accept/1",
                    "type": "Accept",
                    "actor": GROUP,
                    "object": {"id": JOIN, "type": "Join", "actor": KESTREL, "object": GROUP},
                    "to": KESTREL,
                }
            ],
        },
        id="accept-join",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": f"{SOUTH}/activities/flag-1",
            "type": "Flag",
            "actor": f"{SOUTH}/actor",
            "object": [WREN, f"{NORTH}/posts/9"],
            "content": "Shares another member's contact details.",
            "to": GROUP,
        },
        {  # canonical context, but keywords instead of terms for id and type
            "@context": CTX,
            "@id": f"{SOUTH}/activities/flag-1",
            "@type": "Flag",
            "actor": f"{SOUTH}/actor",
            "object": [WREN, f"{NORTH}/posts/9"],
            "content": "Shares another member's contact details.",
            "to": GROUP,
        },
        id="flag",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": KESTREL,
            "type": "Person",
            "preferredUsername": "kestrel",
            "name": "Kestrel",
            "inbox": f"{KESTREL}/inbox",
            "outbox": f"{KESTREL}/outbox",
            "followers": f"{KESTREL}/followers",
            "endpoints": {"sharedInbox": f"{SOUTH}/inbox"},
            "manuallyApprovesFollowers": True,
            "publicKey": {"id": f"{KESTREL}#main-key", "owner": KESTREL, "publicKeyPem": PEM},
            "assertionMethod": [
                {
                    "id": f"{KESTREL}#ed25519-key",
                    "type": "Multikey",
                    "controller": KESTREL,
                    "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                }
            ],
        },
        {  # Mastodon-style actor context; assertionMethod as a single object
            "@context": [
                AS2,
                SECURITY_V1,
                {
                    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                    "toot": "http://joinmastodon.org/ns#",
                    "Multikey": f"{SEC}Multikey",
                    "assertionMethod": {"@id": f"{SEC}assertionMethod", "@type": "@id"},
                    "controller": {"@id": f"{SEC}controller", "@type": "@id"},
                    "publicKeyMultibase": f"{SEC}publicKeyMultibase",
                },
            ],
            "id": KESTREL,
            "type": "Person",
            "preferredUsername": "kestrel",
            "name": "Kestrel",
            "inbox": f"{KESTREL}/inbox",
            "outbox": f"{KESTREL}/outbox",
            "followers": f"{KESTREL}/followers",
            "endpoints": {"sharedInbox": f"{SOUTH}/inbox"},
            "manuallyApprovesFollowers": True,
            "publicKey": {"id": f"{KESTREL}#main-key", "owner": KESTREL, "publicKeyPem": PEM},
            "assertionMethod": {
                "id": f"{KESTREL}#ed25519-key",
                "type": "Multikey",
                "controller": KESTREL,
                "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            },
        },
        id="person-with-keys",
    ),
    pytest.param(
        {
            "@context": CTX,
            "id": GROUP,
            "type": "Group",
            "name": "North & South Carers",
            "summary": "A carers' subnet shared between two trusts.",
            "attributedTo": f"{NORTH}/actor",
            "inbox": f"{GROUP}/inbox",
            "outbox": f"{GROUP}/outbox",
            "followers": MEMBERS,
            "postingPolicy": "pre-moderated",
            "partners": [
                {
                    "id": f"{SOUTH}/actor",
                    "type": "Application",
                    "trustName": "South NHS Foundation Trust",
                    "keyFingerprint": "SHA256:3q2+7wAAAAA",
                },
                {
                    "id": f"{EAST}/actor",
                    "type": "Application",
                    "trustName": "East NHS Trust",
                    "keyFingerprint": "SHA256:AAAA3q2+7w",
                },
            ],
            "publicKey": {"id": f"{GROUP}#main-key", "owner": GROUP, "publicKeyPem": PEM},
        },
        {  # our extension terms as full IRIs under the plain AS2 + security contexts
            "@context": [AS2, SECURITY_V1],
            "id": GROUP,
            "type": "Group",
            "name": "North & South Carers",
            "summary": "A carers' subnet shared between two trusts.",
            "attributedTo": f"{NORTH}/actor",
            "inbox": f"{GROUP}/inbox",
            "outbox": f"{GROUP}/outbox",
            "followers": MEMBERS,
            f"{SH}postingPolicy": "pre-moderated",
            f"{SH}partners": [
                {
                    "@id": f"{SOUTH}/actor",
                    "@type": f"{AS}Application",
                    f"{SH}trustName": "South NHS Foundation Trust",
                    f"{SH}keyFingerprint": "SHA256:3q2+7wAAAAA",
                },
                {
                    "@id": f"{EAST}/actor",
                    "@type": f"{AS}Application",
                    f"{SH}trustName": "East NHS Trust",
                    f"{SH}keyFingerprint": "SHA256:AAAA3q2+7w",
                },
            ],
            "publicKey": {"id": f"{GROUP}#main-key", "owner": GROUP, "publicKeyPem": PEM},
        },
        id="group-with-partners",
    ),
]

# Documents as stock servers send them: plain AS2 contexts, already compact.
PLAIN_AS2: list[Any] = [
    pytest.param(
        {"@context": AS2, "id": f"{EAST}/f/1", "type": "Follow", "actor": WREN, "object": GROUP},
        id="string-context",
    ),
    pytest.param(
        {"@context": [AS2], "id": f"{EAST}/l/1", "type": "Like", "actor": WREN, "object": POST},
        id="one-element-list",
    ),
    pytest.param(
        {
            "@context": [AS2, SECURITY_V1],
            "id": f"{EAST}/people/robin#delete",
            "type": "Delete",
            "actor": f"{EAST}/people/robin",
            "object": f"{EAST}/people/robin",
            "to": AS2_PUBLIC,
        },
        id="as2-and-security",
    ),
    pytest.param(
        {"id": f"{EAST}/l/2", "type": "Like", "actor": WREN, "object": POST},
        id="missing-context",
    ),
]

PYLD_OPTIONS: dict[str, Any] = {"documentLoader": bundled_loader, "base": None}


def pyld_compact(document: dict[str, Any]) -> dict[str, Any]:
    """pyld's compaction against our context, with the public collection spelled out as
    normalise spells it (pyld writes "as:Public")."""
    compacted = json.dumps(pyld.compact(document, CTX, PYLD_OPTIONS))
    result: dict[str, Any] = json.loads(compacted.replace('"as:Public"', f'"{AS2_PUBLIC}"'))
    return result


def nquads(document: dict[str, Any]) -> str:
    """The document's RDF dataset in canonical N-Quads (URDNA2015), via the bundled loader."""
    options = {**PYLD_OPTIONS, "algorithm": "URDNA2015", "format": "application/n-quads"}
    result: str = pyld.normalize(document, options)
    return result


@pytest.fixture
def no_pyld(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pyld was called on the fast path")

    for name in ("expand", "compact", "normalize", "flatten", "frame"):
        monkeypatch.setattr(pyld, name, refuse)
    for name in ("expand", "compact"):
        monkeypatch.setattr(pyld.JsonLdProcessor, name, refuse)


@pytest.fixture
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def record(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", record)
    monkeypatch.setattr(socket.socket, "connect_ex", record)
    monkeypatch.setattr(socket, "create_connection", record)
    monkeypatch.setattr(socket, "getaddrinfo", record)
    return attempts


@pytest.mark.parametrize(("canonical", "variant"), CORPUS)
def test_variant_and_canonical_normalise_to_the_canonical_document(
    canonical: dict[str, Any], variant: dict[str, Any]
) -> None:
    assert normalise(variant) == normalise(canonical) == canonical


@pytest.mark.parametrize(("canonical", "variant"), CORPUS)
def test_canonical_document_is_what_pyld_compaction_produces(
    canonical: dict[str, Any], variant: dict[str, Any]
) -> None:
    assert pyld_compact(canonical) == canonical


@pytest.mark.parametrize(("canonical", "variant"), CORPUS)
def test_normalised_documents_keep_the_rdf_of_the_original(
    canonical: dict[str, Any], variant: dict[str, Any]
) -> None:
    expected = nquads(canonical)
    assert expected.count("\n") >= 3
    assert nquads(variant if "@context" in variant else {"@context": AS2, **variant}) == expected
    assert nquads(normalise(canonical)) == expected
    assert nquads(normalise(variant)) == expected


@pytest.mark.parametrize(("canonical", "variant"), CORPUS)
def test_fast_path_does_not_call_pyld(
    no_pyld: None, canonical: dict[str, Any], variant: dict[str, Any]
) -> None:
    assert normalise(canonical) == canonical
    with pytest.raises(AssertionError, match="fast path"):
        normalise(variant)


@pytest.mark.parametrize("document", PLAIN_AS2)
def test_plain_as2_document_takes_the_fast_path_and_agrees_with_pyld(
    monkeypatch: pytest.MonkeyPatch, no_pyld: None, document: dict[str, Any]
) -> None:
    fast = normalise(document)
    monkeypatch.undo()
    with_context = document if "@context" in document else {"@context": AS2, **document}
    assert fast == pyld_compact(with_context)
    assert fast == {"@context": CTX, **{k: v for k, v in document.items() if k != "@context"}}


def test_fast_path_returns_a_fresh_canonical_context_and_leaves_the_input_alone() -> None:
    document = {"@context": CANONICAL_CONTEXT, "type": "Like", "actor": WREN, "object": POST}
    before = json.loads(json.dumps(document))
    result = normalise(document)
    assert result["@context"] == CTX
    assert result["@context"] is not document["@context"]
    result["@context"].append("mutated")
    assert normalise(document)["@context"] == CTX
    assert json.loads(json.dumps(document)) == before


@pytest.mark.parametrize("spelling", ["Public", "as:Public", AS2_PUBLIC])
@pytest.mark.parametrize("context", [CTX, [AS2, {"x": "https://x.example/#"}]])
def test_public_collection_is_spelled_as_its_full_iri(spelling: str, context: Any) -> None:
    document = {
        "@context": context,
        "type": "Create",
        "name": "Public",
        "to": spelling,
        "cc": [GROUP, spelling],
        "object": {"type": "Note", "audience": spelling, "content": "Public"},
    }
    result = normalise(document)
    assert result["to"] == AS2_PUBLIC
    assert result["cc"] == [GROUP, AS2_PUBLIC]
    assert result["object"]["audience"] == AS2_PUBLIC
    assert result["name"] == "Public"
    assert result["object"]["content"] == "Public"
    assert document["to"] == spelling


@pytest.mark.parametrize(
    "context",
    [
        "https://evil.example/ctx",
        [AS2, "https://evil.example/ctx"],
        [AS2, {"@import": "https://evil.example/ctx"}],
        [AS2, {"x": {"@id": f"{AS}x", "@context": "https://evil.example/ctx"}}],
        "https://w3id.org/security/v2",
        "http://localhost:8080/ctx",
    ],
)
def test_remote_context_is_refused_without_touching_the_network(
    network_attempts: list[object], context: Any
) -> None:
    document = {"@context": context, "type": "Note", "x": {"content": "hi"}}
    with pytest.raises(MalformedDocument, match="remote context refused"):
        normalise(document)
    assert network_attempts == []


def test_bundled_loader_refuses_unbundled_urls_with_a_pyld_error(
    network_attempts: list[object],
) -> None:
    with pytest.raises(ContextRefused) as caught:
        bundled_loader("https://evil.example/ctx", {})
    assert isinstance(caught.value, pyld.JsonLdError)
    assert caught.value.url == "https://evil.example/ctx"
    assert network_attempts == []


@pytest.mark.parametrize(
    ("url", "file"),
    [
        (AS2, "activitystreams.jsonld"),
        ("http://www.w3.org/ns/activitystreams", "activitystreams.jsonld"),
        (f"{AS2}.jsonld", "activitystreams.jsonld"),
        (f"{AS2}/", "activitystreams.jsonld"),
        (SECURITY_V1, "security-v1.jsonld"),
        (SHARON_V1, "sharon-v1.jsonld"),
    ],
)
def test_bundled_loader_serves_the_bundled_files(url: str, file: str) -> None:
    remote = bundled_loader(url)
    assert remote["contentType"] == "application/ld+json"
    assert remote["contextUrl"] is None
    assert remote["documentUrl"] == url
    assert remote["document"] == json.loads(bundled_file(file))
    assert remote["document"] is not bundled_loader(url)["document"]


def test_sharon_context_maps_its_terms_to_the_documented_iris() -> None:
    document = {
        "@context": CTX,
        "id": GROUP,
        "partners": [{"id": f"{SOUTH}/actor", "keyFingerprint": "f", "trustName": "t"}],
        "subnet": GROUP,
        "onBehalfOf": KESTREL,
        "moderationState": "held",
        "postingPolicy": "open",
        "manuallyApprovesFollowers": True,
        "sensitive": False,
        "assertionMethod": [
            {"id": "k", "type": "Multikey", "controller": GROUP, "publicKeyMultibase": "z"}
        ],
    }
    [expanded] = pyld.expand(document, PYLD_OPTIONS)
    assert expanded[f"{SH}partners"][0][f"{SH}keyFingerprint"] == [{"@value": "f"}]
    assert expanded[f"{SH}partners"][0][f"{SH}trustName"] == [{"@value": "t"}]
    assert expanded[f"{SH}subnet"] == [{"@id": GROUP}]
    assert expanded[f"{SH}onBehalfOf"] == [{"@id": KESTREL}]
    assert expanded[f"{SH}moderationState"] == [{"@value": "held"}]
    assert expanded[f"{SH}postingPolicy"] == [{"@value": "open"}]
    assert expanded[f"{AS}manuallyApprovesFollowers"] == [{"@value": True}]
    assert expanded[f"{AS}sensitive"] == [{"@value": False}]
    [key] = expanded[f"{SEC}assertionMethod"]
    assert key["@type"] == [f"{SEC}Multikey"]
    assert key[f"{SEC}controller"] == [{"@id": GROUP}]
    assert key[f"{SEC}publicKeyMultibase"] == [{"@value": "z"}]


@pytest.mark.parametrize(
    "document",
    [
        {"@context": 5},
        {"@context": CTX, "@id": 5},
        {"@context": CTX, "type": {"not": "a type"}},
        {"@context": CTX, "type": "Note", "object": {"id": 5}},
        {"@context": CTX, "type": ["Note", 5]},
        {"@context": {"@version": 2}},
        {"@context": "relative-context.jsonld", "type": "Note"},
        {"@context": CTX, "content": {"@value": {"nested": "object"}}},
    ],
)
def test_invalid_json_ld_is_a_malformed_document(document: dict[str, Any]) -> None:
    with pytest.raises(MalformedDocument, match="invalid JSON-LD"):
        normalise(document)


def nested(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {"type": "Note"}
    inner: list[Any] = []
    document["content"] = inner
    for _ in range(depth - 2):
        deeper: list[Any] = []
        inner.append(deeper)
        inner = deeper
    return document


def test_deeply_nested_json_is_rejected_without_recursion_error() -> None:
    with pytest.raises(MalformedDocument, match="nested deeper"):
        check_shape(nested(1000))
    with pytest.raises(MalformedDocument, match="nested deeper"):
        normalise(nested(1000))


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert check_shape(nested(32), max_depth=32)
    with pytest.raises(MalformedDocument):
        check_shape(nested(33), max_depth=32)


def test_too_many_members_are_rejected() -> None:
    document = {"type": "Collection", "items": [f"{NORTH}/posts/{n}" for n in range(100)]}
    assert check_shape(document, max_keys=102)
    with pytest.raises(MalformedDocument, match="more than"):
        check_shape(document, max_keys=101)


@pytest.mark.parametrize("value", [[{"type": "Note"}], "Note", 5, None])
def test_non_object_is_rejected(value: object) -> None:
    with pytest.raises(MalformedDocument, match="must be an object"):
        check_shape(value)
    with pytest.raises(MalformedDocument, match="must be an object"):
        normalise(value)


def test_dumps_is_compact_deterministic_utf8() -> None:
    first = dumps({"type": "Note", "content": "café — ok", "@context": AS2})
    second = dumps({"@context": AS2, "content": "café — ok", "type": "Note"})
    assert first == second
    assert first == f'{{"@context":"{AS2}","content":"café — ok","type":"Note"}}'.encode()


def vectors_dir() -> Path:
    configured = os.environ.get("SHARON_VECTORS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


@pytest.mark.parametrize("name", ["activitystreams.jsonld", "security-v1.jsonld"])
def test_bundled_contexts_equal_the_published_vectors(name: str) -> None:
    vector = vectors_dir() / "jsonld" / name
    if not vector.is_file():
        pytest.skip(f"test vectors not found at {vector}")
    assert bundled_file(name) == vector.read_text(encoding="utf-8")


def test_pyld_default_loader_is_the_bundled_one_so_nothing_can_fetch_a_context() -> None:
    from pyld import jsonld as pyld_jsonld

    assert pyld_jsonld.get_document_loader() is bundled_loader
    with pytest.raises(pyld_jsonld.JsonLdError):
        pyld_jsonld.expand({"@context": "https://evil.example/ctx", "name": "x"})
