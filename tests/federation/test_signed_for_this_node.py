"""A signature is valid only for the request it was made for (issue 9, item 1).

Node S is a peer of A but not a partner of A's subnet "diary"; B is a partner. A request B
signed for S, replayed by S to A with the very same headers (`Host: S` included), must be
refused 401 — whatever components the signature covers, in both schemes, GETs and POSTs.
The node checks the signature against its own configured base URL, never the `Host` sent.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import pytest
from conftest import StartNode, TestNode, peer_all, share, signed_get

from actors.clock import utcnow
from federation.keys import NodeKeys
from federation.signatures import extract_signature, sign_base, sign_request
from node import manage
from storage.models import InboxItem

Scheme = Literal["cavage", "rfc9421"]


@pytest.fixture
async def nodes(start_node: StartNode) -> tuple[TestNode, TestNode, TestNode, str]:
    a, b, s = await start_node("Home"), await start_node("Partner"), await start_node("Snoop")
    await peer_all(a, b, s)
    await b.add_user("alex", "carer")
    subnet = await manage.subnet_create(a.directory, "diary", "Diary")
    await share(a, "diary", b)
    return a, b, s, subnet


def _signed_by(node: TestNode, scheme: Scheme) -> tuple[str, Any]:
    keys = NodeKeys.load(node.directory)
    if scheme == "rfc9421":
        return f"{node.url}/actor#ed25519-key", keys.ed25519
    return f"{node.url}/actor#main-key", keys.rsa


def _sign(
    signer: TestNode, method: str, url: str, body: bytes | None, scheme: Scheme
) -> dict[str, str]:
    key_id, key = _signed_by(signer, scheme)
    headers = {"Accept": "application/activity+json"}
    if body is not None:
        headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_request(
            method, url, headers, body, key_id=key_id, private_key=key, scheme=scheme, now=utcnow()
        )
    )
    return headers


def _sign_components(
    signer: TestNode, method: str, url: str, body: bytes | None, components: str
) -> dict[str, str]:
    """RFC 9421 over the given components (e.g. `"@method" "@authority" "@path"`)."""
    key_id, key = _signed_by(signer, "rfc9421")
    headers = _sign(signer, method, url, body, "rfc9421")  # Host, Date, Content-Digest
    created = int(utcnow().timestamp())
    headers["Signature-Input"] = (
        f'sig1=({components});created={created};keyid="{key_id}";alg="ed25519"'
    )
    headers["Signature"] = "sig1=:AA==:"
    signature = sign_base(extract_signature(method, url, headers).base, key, "ed25519")
    headers["Signature"] = f"sig1=:{base64.b64encode(signature).decode()}:"
    return headers


async def _send(
    to: TestNode, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, to.url + path, headers=headers, data=body) as response,
    ):
        return response.status, await response.text()


def _netloc(node: TestNode) -> str:
    return urlsplit(node.url).netloc


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_a_get_signed_for_another_node_is_refused(
    nodes: tuple[TestNode, TestNode, TestNode, str], scheme: Scheme
) -> None:
    a, b, s, subnet = nodes
    path = urlsplit(subnet).path
    # the partner's own request to A is answered; S's own is not (it is no partner)
    assert (await signed_get(b, subnet))[0] == 200
    assert (await signed_get(s, subnet))[0] == 404
    # B's request to S, replayed by S to A with the same headers (Host: S)
    headers = _sign(b, "GET", f"{s.url}{path}", None, scheme)
    assert headers["Host"] == _netloc(s)
    status, text = await _send(a, "GET", path, headers)
    assert status == 401, text
    assert "Diary" not in text
    assert "signed for another host" in text or "does not verify" in text
    # the same request signed for A is answered: the refusal is about the target, nothing else
    status, text = await _send(a, "GET", path, _sign(b, "GET", f"{a.url}{path}", None, scheme))
    assert status == 200 and "Diary" in text


@pytest.mark.parametrize(
    "components",
    [
        '"@method" "@target-uri"',
        '"@method" "@authority" "@path"',
        '"@method" "@authority" "@request-target"',
        '"@method" "@authority" "@path" "@query" "@scheme"',
        '"@method" "@target-uri" "host"',
        '"@method" "@authority" "@path" "host"',
    ],
)
async def test_every_covered_component_is_checked_against_this_node(
    nodes: tuple[TestNode, TestNode, TestNode, str], components: str
) -> None:
    a, b, s, subnet = nodes
    path = urlsplit(subnet).path
    replayed = _sign_components(b, "GET", f"{s.url}{path}", None, components)
    status, text = await _send(a, "GET", path, replayed)
    assert status == 401 and "Diary" not in text, (components, text)
    honest = _sign_components(b, "GET", f"{a.url}{path}", None, components)
    status, text = await _send(a, "GET", path, honest)
    assert status == 200 and "Diary" in text, (components, text)


async def test_a_signed_host_header_must_name_this_node_even_when_the_url_matches(
    nodes: tuple[TestNode, TestNode, TestNode, str],
) -> None:
    """RFC 9421 over @target-uri *and* the Host field: a Host naming another node is refused."""
    a, b, s, subnet = nodes
    path = urlsplit(subnet).path
    headers = _sign_components(b, "GET", f"{a.url}{path}", None, '"@method" "@target-uri" "host"')
    headers["Host"] = _netloc(s)
    signed_host = _sign_components(b, "GET", f"{a.url}{path}", None, '"@method" "@target-uri"')
    status, _ = await _send(a, "GET", path, {**headers})
    assert status == 401
    assert (await _send(a, "GET", path, signed_host))[0] == 200


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_a_post_signed_for_another_node_is_refused_and_nothing_is_stored(
    nodes: tuple[TestNode, TestNode, TestNode, str], scheme: Scheme
) -> None:
    a, b, s, subnet = nodes

    def activity() -> bytes:
        return json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{b.url}/activities/{uuid.uuid4().hex}",
                "type": "Like",
                "actor": f"{b.url}/actor",
                "object": subnet,
            }
        ).encode()

    body = activity()
    before = await a.count(InboxItem)
    headers = _sign(b, "POST", f"{s.url}/inbox", body, scheme)
    status, text = await _send(a, "POST", "/inbox", headers, body)
    assert status == 401 and "signature" in text, text
    assert await a.count(InboxItem) == before
    assert json.loads(body)["id"] not in await a.all_rows_text()
    honest = activity()
    status, text = await _send(
        a, "POST", "/inbox", _sign(b, "POST", f"{a.url}/inbox", honest, scheme), honest
    )
    assert status == 202, text
