"""Tests for federation.signatures: published vectors, other implementations, and policy."""

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpsig
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)
from multidict import CIMultiDict, CIMultiDictProxy

from federation.signatures import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    content_digest,
    extract_response_signature,
    extract_signature,
    legacy_digest,
    parse_request,
    sign_base,
    sign_request,
    verify,
)

# --- vectors and keys ----------------------------------------------------------------------

VECTORS = Path(
    os.environ.get("SHARON_VECTORS_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
)
HTTPSIG = VECTORS / "http-signatures"
KEYS = HTTPSIG / "rfc9421-keys"


@cache
def _json(name: str) -> dict[str, Any]:
    path = HTTPSIG / name
    assert path.is_file(), f"published vectors missing: {path} (set SHARON_VECTORS_DIR)"
    return json.loads(path.read_text())


@cache
def private_key(name: str) -> Any:
    if name == "test-shared-secret":
        return base64.b64decode((KEYS / "test-shared-secret.b64").read_text().strip())
    return serialization.load_pem_private_key((KEYS / f"{name}.priv.pem").read_bytes(), None)


@cache
def public_key(name: str) -> Any:
    if name == "test-shared-secret":
        return private_key(name)
    return serialization.load_pem_public_key((KEYS / f"{name}.pub.pem").read_bytes())


def pem(name: str, private: bool) -> bytes:
    return (KEYS / f"{name}.{'priv' if private else 'pub'}.pem").read_bytes()


def parse_message(raw: str) -> tuple[str, dict[str, str], bytes]:
    """Split an HTTP/1.1 message from the RFC into start line, headers and body."""
    head, _, body = raw.partition("\n\n")
    start, *lines = head.split("\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return start, headers, body.encode()


RFC = _json("rfc9421-examples.json")
RFC_CASES = {case["label"]: case for case in RFC["cases"]}
CAVAGE = _json("draft-cavage-12-appendix-c.json")
VECTOR_CREATED = datetime.fromtimestamp(1618884473, UTC)


def rfc_vector(case: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    """(method, url, headers, body) of the request signed in ``case``, signature included."""
    label = case["label"]
    if label == "ttrp":  # B.3: the message as the proxy forwards it, signature included
        _, headers, body = parse_message(case["signed_message"])
        return "POST", "https://service.internal.example/foo?param=Value&Pet=dog", headers, body
    _, headers, body = parse_message(RFC["messages"]["test-request"])
    if label == "proxy_sig":  # §4.3: the request as rewritten by the TLS-terminating proxy
        headers["Host"] = "origin.host.internal.example"
        headers["Forwarded"] = "for=192.0.2.123;host=example.com;proto=https"
    host = headers["Host"]
    headers["Signature-Input"] = case["signature_input"]
    headers["Signature"] = case["signature"]
    return "POST", f"https://{host}/foo?param=Value&Pet=dog", headers, body


def extract_vector(case: dict[str, Any]) -> Any:
    if case["message"] == "test-response":
        _, headers, body = parse_message(RFC["messages"]["test-response"])
        # Erratum (README): the printed Content-Digest does not match the body; compute it.
        digest = base64.b64encode(hashlib.sha512(body).digest()).decode()
        headers["Content-Digest"] = f"sha-512=:{digest}:"
        headers["Signature-Input"] = case["signature_input"]
        headers["Signature"] = case["signature"]
        return extract_response_signature(200, headers)
    method, url, headers, _ = rfc_vector(case)
    return extract_signature(method, url, headers)


def published_signature(case: dict[str, Any]) -> bytes:
    value = case["signature"].split("=", 1)[1]
    return base64.b64decode(value.strip(":"))


# --- RFC 9421 published examples -------------------------------------------------------------


@pytest.mark.parametrize("label", list(RFC_CASES))
def test_rfc9421_signature_base_equals_published_base(label: str) -> None:
    case = RFC_CASES[label]
    signed = extract_vector(case)
    assert signed.scheme == "rfc9421"
    assert signed.base == case["signature_base"].encode()
    assert signed.key_id == case["keyid"]
    assert signed.label == label
    assert signed.signature == published_signature(case)


@pytest.mark.parametrize("label", list(RFC_CASES))
def test_rfc9421_published_signature_verifies(label: str) -> None:
    case = RFC_CASES[label]
    signed = extract_vector(case)
    assert signed.base == case["signature_base"].encode()
    verify(signed, public_key(case["keyid"]), algorithm=case["algorithm"])


@pytest.mark.parametrize("label", [k for k, c in RFC_CASES.items() if c["deterministic"]])
def test_rfc9421_deterministic_resigning_reproduces_published_bytes(label: str) -> None:
    case = RFC_CASES[label]
    base = case["signature_base"].encode()
    produced = sign_base(base, private_key(case["keyid"]), case["algorithm"])
    assert produced == published_signature(case)


@pytest.mark.parametrize("label", ["sig-b21", "sig-b26", "sig-b24"])
def test_rfc9421_published_signature_fails_with_another_key(label: str) -> None:
    signed = extract_vector(RFC_CASES[label])
    with pytest.raises(InvalidSignature):
        verify(signed, public_key("test-key-rsa"))


def test_rfc9421_published_sha512_content_digest_is_checked_against_body() -> None:
    method, url, headers, body = rfc_vector(RFC_CASES["sig-b23"])
    assert headers["Content-Digest"].startswith("sha-512=")
    signed = parse_request(method, url, headers, body, now=VECTOR_CREATED)
    assert "content-digest" in signed.covered
    with pytest.raises(InvalidSignature, match="does not match"):
        parse_request(method, url, headers, body[:-1], now=VECTOR_CREATED)


@pytest.mark.parametrize("label", ["sig-b23", "proxy_sig"])
def test_rfc9421_vector_passes_policy_when_now_is_its_created_time(label: str) -> None:
    case = RFC_CASES[label]
    signed = parse_request(*rfc_vector(case), now=VECTOR_CREATED + timedelta(seconds=30))
    assert signed.created is not None and signed.created >= VECTOR_CREATED
    verify(signed, public_key(case["keyid"]), algorithm=case["algorithm"])


@pytest.mark.parametrize("label", ["sig-b23", "proxy_sig"])
def test_rfc9421_vector_rejected_as_outside_window_today(label: str) -> None:
    with pytest.raises(InvalidSignature):
        parse_request(*rfc_vector(RFC_CASES[label]), now=datetime.now(UTC))


def test_rfc9421_vector_rejected_after_its_expires_parameter() -> None:
    case = RFC_CASES["proxy_sig"]  # created=1618884480, expires=1618884540
    with pytest.raises(InvalidSignature, match="expired"):
        parse_request(*rfc_vector(case), now=datetime.fromtimestamp(1618884541, UTC))


def test_rfc9421_vector_covering_nothing_fails_policy() -> None:
    with pytest.raises(InvalidSignature, match="@method"):
        parse_request(*rfc_vector(RFC_CASES["sig-b21"]), now=VECTOR_CREATED)


def test_rfc9421_vector_undeclared_rsa_algorithm_is_tried_from_key() -> None:
    # B.2.1 has no alg parameter; an RSA key tries PKCS#1 v1.5 then PSS.
    signed = extract_vector(RFC_CASES["sig-b21"])
    assert signed.algorithm is None
    verify(signed, public_key("test-key-rsa-pss"))


def base_lines(url: str, components: str, headers: dict[str, str] | None = None) -> list[str]:
    """The signature base lines our parser builds for a request covering ``components``."""
    request_headers = (headers or {}) | {
        "Signature-Input": f'sig=({components});keyid="k"',
        "Signature": "sig=:AAAA:",
    }
    return extract_signature("POST", url, request_headers).base.decode().split("\n")[:-1]


def test_rfc9421_derived_components_follow_section_2_2() -> None:
    url = "https://WWW.Example.com:443/path?param=value"
    components = '"@method" "@target-uri" "@authority" "@scheme" "@request-target" "@path" "@query"'
    assert base_lines(url, components) == [
        '"@method": POST',
        f'"@target-uri": {url}',
        '"@authority": www.example.com',
        '"@scheme": https',
        '"@request-target": /path?param=value',
        '"@path": /path',
        '"@query": ?param=value',
    ]
    assert base_lines("http://a.example:8080", '"@authority" "@path" "@query"') == [
        '"@authority": a.example:8080',
        '"@path": /',
        '"@query": ?',
    ]


def test_rfc9421_query_param_component_follows_section_2_2_8() -> None:
    url = (
        "https://example.com/parameters?var=this%20is%20a%20big%0Avalue"
        "&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something"
    )
    names = ("var", "bar", "fa%C3%A7ade%22%3A%20")
    components = " ".join(f'"@query-param";name="{name}"' for name in names)
    assert base_lines(url, components) == [
        '"@query-param";name="var": this%20is%20a%20big%0Avalue',
        '"@query-param";name="bar": with%20plus%20whitespace',
        '"@query-param";name="fa%C3%A7ade%22%3A%20": something',
    ]
    signed = extract_signature(
        "POST", url, {"Signature-Input": f'sig=({components});keyid="k"', "Signature": "sig=:AA==:"}
    )
    assert signed.covered[0] == '@query-param;name="var"'


def test_rfc9421_structured_field_components_follow_section_2_1() -> None:
    headers = {
        "Example-Dict": " a=1,    b=2;x=1;y=2,   c=(a   b   c)",
        "Cache-Control": "max-age=60,   must-revalidate",  # a registered Dictionary field
    }
    components = (
        '"example-dict" "cache-control";sf "example-dict";key="a" '
        '"example-dict";key="b" "example-dict";key="c"'
    )
    assert base_lines("https://example.com/", components, headers) == [
        '"example-dict": a=1,    b=2;x=1;y=2,   c=(a   b   c)',
        '"cache-control";sf: max-age=60, must-revalidate',
        '"example-dict";key="a": 1',
        '"example-dict";key="b": 2;x=1;y=2',
        '"example-dict";key="c": (a b c)',
    ]


@pytest.mark.parametrize(
    "components",
    [
        '"@method" "@method"',
        '"@Method"',
        '"@unknown"',
        '"@status"',
        '"date";bs',
        '"date";sf',  # type of the field unknown
        "@method",
    ],
)
def test_rfc9421_unusable_component_lists_are_malformed(components: str) -> None:
    with pytest.raises(MalformedSignature):
        base_lines("https://example.com/", components, {"Date": "x"})


# --- draft-cavage Appendix C ----------------------------------------------------------------


def cavage_request(case: dict[str, Any], header: str = "Signature") -> tuple[str, str, Any, bytes]:
    request = CAVAGE["request"]
    headers = dict(request["headers"])
    value = case["signature_header"]
    headers[header] = value if header == "Signature" else f"Signature {value}"
    url = "https://example.com" + request["path"]
    return request["method"], url, headers, request["body"].encode()


CAVAGE_CASES = {case["name"]: case for case in CAVAGE["cases"]}
CAVAGE_DATE = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)


@cache
def cavage_private_key() -> Any:
    return serialization.load_pem_private_key(CAVAGE["private_key_pem"].encode(), None)


@cache
def cavage_public_key() -> Any:
    return serialization.load_pem_public_key(CAVAGE["public_key_pem"].encode())


@pytest.mark.parametrize("header", ["Signature", "Authorization"])
@pytest.mark.parametrize("name", list(CAVAGE_CASES))
def test_cavage_signing_string_equals_published_and_verifies(name: str, header: str) -> None:
    case = CAVAGE_CASES[name]
    method, url, headers, _ = cavage_request(case, header)
    signed = extract_signature(method, url, headers)
    assert signed.scheme == "cavage"
    assert signed.key_id == CAVAGE["key_id"]
    assert signed.algorithm == "rsa-sha256"
    assert signed.covered == tuple(case["covered"])
    assert signed.base == case["signing_string"].encode()
    verify(signed, cavage_public_key())


@pytest.mark.parametrize("name", list(CAVAGE_CASES))
def test_cavage_rsa_sha256_resigning_reproduces_published_signature(name: str) -> None:
    case = CAVAGE_CASES[name]
    published = case["signature_header"].rsplit('signature="', 1)[1].rstrip('"')
    produced = sign_base(case["signing_string"].encode(), cavage_private_key(), "rsa-v1_5-sha256")
    assert base64.b64encode(produced).decode() == published


def test_cavage_all_headers_vector_passes_policy_including_digest() -> None:
    signed = parse_request(*cavage_request(CAVAGE_CASES["C.3 All Headers Test"]), now=CAVAGE_DATE)
    assert {"(request-target)", "host", "date", "digest"} <= set(signed.covered)
    verify(signed, cavage_public_key())


def test_cavage_basic_vector_fails_policy_because_digest_not_signed() -> None:
    with pytest.raises(InvalidSignature, match="digest"):
        parse_request(*cavage_request(CAVAGE_CASES["C.2 Basic Test"]), now=CAVAGE_DATE)


def test_cavage_default_vector_fails_policy_because_request_target_not_signed() -> None:
    with pytest.raises(InvalidSignature, match="request-target"):
        parse_request(*cavage_request(CAVAGE_CASES["C.1 Default Test"]), now=CAVAGE_DATE)


def test_cavage_vector_rejected_as_outside_window_today() -> None:
    case = CAVAGE_CASES["C.3 All Headers Test"]
    with pytest.raises(InvalidSignature, match="window"):
        parse_request(*cavage_request(case), now=datetime.now(UTC))


def test_cavage_vector_fails_with_another_rsa_key() -> None:
    signed = extract_signature(*cavage_request(CAVAGE_CASES["C.2 Basic Test"])[:3])
    with pytest.raises(InvalidSignature):
        verify(signed, public_key("test-key-rsa"))


# --- round trips through our own signer ------------------------------------------------------

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
INBOX = "https://b.example/users/alice/inbox"
BODY = b'{"type": "Create", "actor": "https://a.example/users/bob"}'
KEY_ID = "https://a.example/users/bob#main-key"

SIGNERS = {
    "cavage-rsa": ("cavage", "test-key-rsa"),
    "cavage-ed25519": ("cavage", "test-key-ed25519"),
    "rfc9421-ed25519": ("rfc9421", "test-key-ed25519"),
    "rfc9421-rsa": ("rfc9421", "test-key-rsa"),
}


def signed_post(
    scheme: str, key: str, *, url: str = INBOX, body: bytes | None = BODY, **kwargs: Any
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_request(
        "POST" if body is not None else "GET",
        url,
        headers,
        body,
        key_id=KEY_ID,
        private_key=private_key(key),
        scheme=scheme,  # type: ignore[arg-type]
        now=NOW,
        **kwargs,
    )
    return headers


@pytest.mark.parametrize("signer", list(SIGNERS))
def test_signed_post_parses_and_verifies(signer: str) -> None:
    scheme, key = SIGNERS[signer]
    headers = signed_post(scheme, key)
    signed = parse_request("POST", INBOX, headers, BODY, now=NOW + timedelta(seconds=3))
    assert signed.scheme == scheme
    assert signed.key_id == KEY_ID
    assert signed.created == NOW
    verify(signed, public_key(key))


@pytest.mark.parametrize("signer", list(SIGNERS))
def test_signed_get_parses_and_verifies_without_body(signer: str) -> None:
    scheme, key = SIGNERS[signer]
    headers = signed_post(scheme, key, body=None)
    assert "Digest" not in headers and "Content-Digest" not in headers
    signed = parse_request("GET", INBOX, headers, None, now=NOW)
    verify(signed, public_key(key))


def test_cavage_headers_are_what_mastodon_expects() -> None:
    rsa_headers = signed_post("cavage", "test-key-rsa")
    assert rsa_headers["Host"] == "b.example"
    assert rsa_headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert rsa_headers["Digest"] == legacy_digest(BODY)
    assert rsa_headers["Signature"].startswith(
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",'
    )
    assert 'algorithm="hs2019"' in signed_post("cavage", "test-key-ed25519")["Signature"]
    get = signed_post("cavage", "test-key-rsa", body=None)["Signature"]
    assert 'headers="(request-target) host date"' in get


def test_rfc9421_headers_cover_method_target_and_digest() -> None:
    headers = signed_post("rfc9421", "test-key-ed25519", expires_in=timedelta(minutes=5))
    assert headers["Content-Digest"] == content_digest(BODY)
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "content-digest");created=1740830400;'
        f'keyid="{KEY_ID}";alg="ed25519";expires=1740830700'
    )
    assert headers["Signature"].startswith("sig1=:") and headers["Signature"].endswith(":")


def test_digest_helpers_produce_published_forms() -> None:
    body = b'{"hello": "world"}'
    assert legacy_digest(body) == "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
    assert content_digest(body) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"


def test_aiohttp_style_case_insensitive_multidict_headers_are_accepted() -> None:
    headers = signed_post("cavage", "test-key-ed25519")
    proxy = CIMultiDictProxy(CIMultiDict(headers))
    signed = parse_request("POST", INBOX, proxy, BODY, now=NOW)
    assert signed.scheme == "cavage" and "digest" in signed.covered
    verify(signed, public_key("test-key-ed25519"))


def test_several_rfc9421_signatures_first_is_used_unless_label_given() -> None:
    first = signed_post("rfc9421", "test-key-ed25519", label="first")
    second = signed_post("rfc9421", "test-key-rsa", label="second")
    headers = dict(first)
    headers["Signature-Input"] += ", " + second["Signature-Input"]
    headers["Signature"] += ", " + second["Signature"]
    default = parse_request("POST", INBOX, headers, BODY, now=NOW)
    assert default.label == "first"
    verify(default, public_key("test-key-ed25519"))
    chosen = parse_request("POST", INBOX, headers, BODY, now=NOW, label="second")
    assert chosen.label == "second"
    verify(chosen, public_key("test-key-rsa"))


# --- query strings ---------------------------------------------------------------------------


def test_cavage_signature_over_path_with_query_verifies() -> None:
    url = INBOX + "?page=2&only=true"
    headers = signed_post("cavage", "test-key-rsa", url=url)
    signed = parse_request("POST", url, headers, BODY, now=NOW)
    assert b"(request-target): post /users/alice/inbox?page=2&only=true" in signed.base
    verify(signed, public_key("test-key-rsa"))


def test_cavage_signature_over_path_without_query_verifies_for_url_with_query() -> None:
    headers = signed_post("cavage", "test-key-rsa", url=INBOX)  # sender dropped the query
    signed = parse_request("POST", INBOX + "?page=2", headers, BODY, now=NOW)
    assert len(signed.alternative_bases) == 1
    verify(signed, public_key("test-key-rsa"))


def test_cavage_signature_over_another_path_still_fails_with_query() -> None:
    headers = signed_post("cavage", "test-key-rsa", url="https://b.example/users/eve/inbox")
    signed = parse_request("POST", INBOX + "?page=2", headers, BODY, now=NOW)
    with pytest.raises(InvalidSignature):
        verify(signed, public_key("test-key-rsa"))


def test_rfc9421_signature_binds_the_query_string() -> None:
    headers = signed_post("rfc9421", "test-key-ed25519", url=INBOX + "?page=2")
    verify(
        parse_request("POST", INBOX + "?page=2", headers, BODY, now=NOW),
        public_key("test-key-ed25519"),
    )
    with pytest.raises(InvalidSignature):
        verify(
            parse_request("POST", INBOX + "?page=3", headers, BODY, now=NOW),
            public_key("test-key-ed25519"),
        )


# --- negative cases --------------------------------------------------------------------------


@pytest.mark.parametrize("signer", list(SIGNERS))
def test_tampered_body_is_rejected_by_digest(signer: str) -> None:
    headers = signed_post(*SIGNERS[signer])
    with pytest.raises(InvalidSignature, match="does not match the body"):
        parse_request("POST", INBOX, headers, BODY + b" ", now=NOW)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_body_whose_digest_is_not_signed_is_rejected(scheme: str) -> None:
    headers = signed_post(scheme, "test-key-ed25519", body=None)  # covers no digest
    headers["Digest"] = legacy_digest(BODY)
    headers["Content-Digest"] = content_digest(BODY)
    with pytest.raises(InvalidSignature, match="not signed"):
        parse_request("POST", INBOX, headers, BODY, now=NOW)


@pytest.mark.parametrize("signer", list(SIGNERS))
@pytest.mark.parametrize("offset", [timedelta(hours=2), timedelta(hours=-2)])
def test_signature_two_hours_off_is_rejected(signer: str, offset: timedelta) -> None:
    headers = signed_post(*SIGNERS[signer])
    with pytest.raises(InvalidSignature, match="window"):
        parse_request("POST", INBOX, headers, BODY, now=NOW + offset)


def test_window_is_configurable() -> None:
    headers = signed_post("cavage", "test-key-rsa")
    later = NOW + timedelta(hours=2)
    with pytest.raises(InvalidSignature, match="window"):
        parse_request("POST", INBOX, headers, BODY, now=later)
    signed = parse_request("POST", INBOX, headers, BODY, now=later, window=timedelta(hours=3))
    verify(signed, public_key("test-key-rsa"))


def test_expired_rfc9421_signature_is_rejected() -> None:
    headers = signed_post("rfc9421", "test-key-ed25519", expires_in=timedelta(seconds=30))
    parse_request("POST", INBOX, headers, BODY, now=NOW + timedelta(seconds=29))
    with pytest.raises(InvalidSignature, match="expired"):
        parse_request("POST", INBOX, headers, BODY, now=NOW + timedelta(seconds=31))


def test_expired_cavage_signature_is_rejected() -> None:
    key = private_key("test-key-ed25519")
    created, expires = int(NOW.timestamp()), int(NOW.timestamp()) + 30
    base = (
        f"(request-target): get /users/alice/inbox\nhost: b.example\n"
        f"(created): {created}\n(expires): {expires}"
    ).encode()
    signature = base64.b64encode(sign_base(base, key, "ed25519")).decode()
    headers = {
        "Host": "b.example",
        "Signature": f'keyId="{KEY_ID}",algorithm="hs2019",created={created},expires={expires},'
        f'headers="(request-target) host (created) (expires)",signature="{signature}"',
    }
    signed = parse_request("GET", INBOX, headers, None, now=NOW + timedelta(seconds=10))
    verify(signed, public_key("test-key-ed25519"))
    with pytest.raises(InvalidSignature, match="expired"):
        parse_request("GET", INBOX, headers, None, now=NOW + timedelta(seconds=31))


def test_cavage_unsigned_created_parameter_cannot_refresh_an_old_signature() -> None:
    headers = signed_post("cavage", "test-key-rsa")  # covers date, not (created)
    later = NOW + timedelta(hours=3)
    headers["Signature"] = headers["Signature"].replace(
        ",algorithm=", f",created={int(later.timestamp())},algorithm="
    )
    signed = extract_signature("POST", INBOX, headers)
    assert signed.created == NOW
    with pytest.raises(InvalidSignature, match="window"):
        parse_request("POST", INBOX, headers, BODY, now=later)


@pytest.mark.parametrize(
    "headers",
    [
        {"Signature": "this is not a signature"},
        {"Signature": 'keyId="k",signature="not base64!!"'},
        {"Signature": 'signature="AAAA"'},
        {"Authorization": 'Signature keyId="k",algorithm="rsa-sha256"'},
        {"Signature-Input": "sig1=(", "Signature": "sig1=:AAAA:"},
        {"Signature-Input": 'sig1=("@method");created=1', "Signature": "sig1=:AAAA:"},
        {"Signature-Input": 'sig1=("@method");keyid="k"', "Signature": "sig2=:AAAA:"},
        {"Signature-Input": 'sig1=("@method");keyid="k";created="x"', "Signature": "sig1=:AA==:"},
    ],
)
def test_garbage_signature_headers_are_malformed(headers: dict[str, str]) -> None:
    with pytest.raises(MalformedSignature) as caught:
        parse_request("GET", INBOX, headers | {"Host": "b.example"}, None, now=NOW)
    assert caught.value.status == 400
    assert not isinstance(caught.value, MissingSignature)


@pytest.mark.parametrize("headers", [{}, {"Host": "b.example"}, {"Authorization": "Bearer abc"}])
def test_unsigned_request_raises_missing_signature(headers: dict[str, str]) -> None:
    with pytest.raises(MissingSignature) as caught:
        parse_request("GET", INBOX, headers, None, now=NOW)
    assert caught.value.status == 401
    assert isinstance(caught.value, SignatureError)


@pytest.mark.parametrize("signer", list(SIGNERS))
def test_signature_with_wrong_key_is_rejected(signer: str) -> None:
    scheme, key = SIGNERS[signer]
    signed = parse_request("POST", INBOX, signed_post(scheme, key), BODY, now=NOW)
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    wrong = other if key == "test-key-ed25519" else public_key("test-key-rsa-pss")
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify(signed, wrong)


@pytest.mark.parametrize(
    ("signer", "wrong_key"),
    [
        ("cavage-rsa", "test-key-ed25519"),  # rsa-sha256 declared, Ed25519 key
        ("rfc9421-ed25519", "test-key-rsa"),  # alg="ed25519", RSA key
        ("rfc9421-rsa", "test-key-ed25519"),  # alg="rsa-v1_5-sha256", Ed25519 key
        ("rfc9421-ed25519", "test-key-ecc-p256"),
    ],
)
def test_algorithm_and_key_type_mismatch_is_rejected(signer: str, wrong_key: str) -> None:
    signed = parse_request("POST", INBOX, signed_post(*SIGNERS[signer]), BODY, now=NOW)
    with pytest.raises(InvalidSignature, match="key type"):
        verify(signed, public_key(wrong_key))


def test_hmac_algorithm_with_public_key_is_rejected() -> None:
    signed = extract_vector(RFC_CASES["sig-b25"])
    with pytest.raises(InvalidSignature, match="key type"):
        verify(signed, public_key("test-key-ed25519"), algorithm="hmac-sha256")
    with pytest.raises(InvalidSignature):  # a bytes secret never implies HMAC on its own
        verify(signed, public_key("test-shared-secret"))


def test_declared_algorithm_must_match_expected_algorithm() -> None:
    signed = extract_vector(RFC_CASES["proxy_sig"])  # alg="rsa-v1_5-sha256"
    with pytest.raises(InvalidSignature, match="rsa-pss-sha512"):
        verify(signed, public_key("test-key-rsa"), algorithm="rsa-pss-sha512")


def test_unsupported_cavage_algorithm_is_rejected() -> None:
    headers = signed_post("cavage", "test-key-rsa")
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "hmac-sha256")
    signed = parse_request("POST", INBOX, headers, BODY, now=NOW)
    with pytest.raises(InvalidSignature, match="unsupported"):
        verify(signed, public_key("test-key-rsa"))


def _cavage_headers(covered: str, lines: list[str], key: str = "test-key-rsa") -> dict[str, str]:
    signature = sign_base("\n".join(lines).encode(), private_key(key), "rsa-v1_5-sha256")
    encoded = base64.b64encode(signature).decode()
    value = f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{covered}",signature="{encoded}"'
    return {"Host": "b.example", "Date": "Sat, 01 Mar 2025 12:00:00 GMT", "Signature": value}


def test_get_signed_without_host_is_rejected() -> None:
    headers = _cavage_headers(
        "(request-target) date",
        ["(request-target): get /users/alice/inbox", "date: Sat, 01 Mar 2025 12:00:00 GMT"],
    )
    verify(extract_signature("GET", INBOX, headers), public_key("test-key-rsa"))  # valid, but
    with pytest.raises(InvalidSignature, match="host"):
        parse_request("GET", INBOX, headers, None, now=NOW)


def test_cavage_signature_without_date_or_created_is_rejected() -> None:
    headers = _cavage_headers(
        "(request-target) host", ["(request-target): get /users/alice/inbox", "host: b.example"]
    )
    with pytest.raises(InvalidSignature, match="date"):
        parse_request("GET", INBOX, headers, None, now=NOW)


def test_covered_header_missing_from_request_is_rejected() -> None:
    headers = signed_post("cavage", "test-key-rsa")
    del headers["Digest"]
    with pytest.raises(InvalidSignature, match="digest"):
        parse_request("POST", INBOX, headers, BODY, now=NOW)


def test_signed_digest_with_unsupported_algorithm_is_rejected() -> None:
    headers = _cavage_headers(
        "(request-target) host date digest",
        [
            "(request-target): post /users/alice/inbox",
            "host: b.example",
            "date: Sat, 01 Mar 2025 12:00:00 GMT",
            "digest: MD5=AAAA",
        ],
    )
    headers["Digest"] = "MD5=AAAA"
    with pytest.raises(InvalidSignature, match="supported"):
        parse_request("POST", INBOX, headers, BODY, now=NOW)


# --- other implementations ---------------------------------------------------------------------


def test_our_cavage_signature_verifies_with_httpsig() -> None:
    url = INBOX + "?x=1"
    headers = signed_post("cavage", "test-key-rsa", url=url)
    verifier = httpsig.HeaderVerifier(
        headers=headers,
        secret=pem("test-key-rsa", private=False),
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path="/users/alice/inbox?x=1",
        sign_header="signature",
    )
    assert verifier.verify() is True


@pytest.mark.parametrize("sign_header", ["signature", "authorization"])
def test_httpsig_cavage_signature_verifies_with_ours(sign_header: str) -> None:
    headers = {
        "Host": "b.example",
        "Date": "Sat, 01 Mar 2025 12:00:00 GMT",
        "Digest": legacy_digest(BODY),
    }
    signer = httpsig.HeaderSigner(
        key_id=KEY_ID,
        secret=pem("test-key-rsa", private=True),
        algorithm="rsa-sha256",
        headers=["(request-target)", "host", "date", "digest"],
        sign_header=sign_header,
    )
    signed_headers = dict(signer.sign(headers, method="POST", path="/users/alice/inbox"))
    signed = parse_request("POST", INBOX, signed_headers, BODY, now=NOW)
    assert signed.key_id == KEY_ID
    verify(signed, public_key("test-key-rsa"))


@dataclass
class HMSRequest:
    """The minimal request object http_message_signatures needs (it does not need requests)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


HMS_ALGORITHMS = {
    "ed25519": (algorithms.ED25519, "test-key-ed25519"),
    "rsa-pss-sha512": (algorithms.RSA_PSS_SHA512, "test-key-rsa-pss"),
    "rsa-v1_5-sha256": (algorithms.RSA_V1_5_SHA256, "test-key-rsa"),
}


@pytest.mark.parametrize("alg", ["ed25519", "rsa-v1_5-sha256", "rsa-pss-sha512"])
def test_our_rfc9421_signature_verifies_with_http_message_signatures(alg: str) -> None:
    algorithm, key = HMS_ALGORITHMS[alg]
    now = datetime.now(UTC)
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_request(
        "POST",
        INBOX,
        headers,
        BODY,
        key_id=KEY_ID,
        private_key=private_key(key),
        scheme="rfc9421",
        now=now,
        algorithm=alg,
        expires_in=timedelta(minutes=5),
    )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={KEY_ID: public_key(key)}, private_keys={}),
    )
    results = verifier.verify(
        HMSRequest("POST", INBOX, headers),
        body=BODY,
        require_components=("@method", "@target-uri", "content-digest"),
    )
    assert [r.label for r in results] == ["sig1"]
    assert results[0].parameters["keyid"] == KEY_ID


@pytest.mark.parametrize("alg", ["ed25519", "rsa-pss-sha512", "rsa-v1_5-sha256"])
def test_http_message_signatures_signature_verifies_with_ours(alg: str) -> None:
    algorithm, key = HMS_ALGORITHMS[alg]
    now = datetime.now(UTC).replace(microsecond=0)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: private_key(key)}),
    )
    request = HMSRequest("POST", INBOX + "?a=b", {"Content-Type": "application/activity+json"})
    signer.sign(
        request,
        key_id=KEY_ID,
        created=now,
        label="peer",
        covered_component_ids=("@method", "@authority", "@path", "@query", "@target-uri"),
        body=BODY,
    )
    assert "content-digest" in request.headers["Signature-Input"]
    signed = parse_request(request.method, request.url, request.headers, BODY, now=now)
    assert signed.label == "peer"
    assert signed.algorithm == alg
    verify(signed, public_key(key))
    with pytest.raises(InvalidSignature):
        parse_request(request.method, request.url, request.headers, BODY + b"!", now=now)
