"""Federation endpoints: discovery (WebFinger, NodeInfo, host-meta), actor and object documents
(authorized fetch: signed by an agreed peer, and only what that peer may see), and the inbox.

Anything a peer may not see answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from actors import outboxes, personas, posts, subnets
from actors.clock import Clock
from actors.errors import Gone, NotFound
from actors.ids import LocalIds
from federation import documents
from federation.documents import ACTIVITY_JSON
from federation.inbox import InboxRoute
from federation.jsonld import bundled_file
from federation.keys import NodeKeys
from federation.remote import Directory
from federation.verify import RequestRefused, Verified, verify_request
from storage import subnets as subnet_store
from storage.engine import Database

log = logging.getLogger(__name__)
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
SCHEMES = ["rfc9421", "cavage"]


def activity_response(document: dict) -> web.Response:
    return web.Response(
        body=json.dumps(document, ensure_ascii=False).encode(),
        content_type=ACTIVITY_JSON,
        headers={"Vary": "Accept, Signature, Signature-Input"},
    )


def wants_html(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "activity+json" not in accept and "ld+json" not in accept


@dataclass
class FederationRoutes:
    db: Database
    ids: LocalIds
    keys: NodeKeys
    directory: Directory
    inbox: InboxRoute
    clock: Clock
    trust_name: str

    def register(self, app: web.Application) -> None:
        app.router.add_get("/.well-known/webfinger", self.webfinger)
        app.router.add_get("/.well-known/nodeinfo", self.nodeinfo_links)
        app.router.add_get("/.well-known/host-meta", self.host_meta)
        app.router.add_get("/nodeinfo/2.1", self.nodeinfo)
        app.router.add_get("/ns/sharon-v1.jsonld", self.context)
        app.router.add_get("/actor", self.instance_actor)
        app.router.add_get("/members/{id}", self.member)
        app.router.add_get("/subnets/{slug}", self.group)
        app.router.add_get("/posts/{id}", self.note)
        app.router.add_get("/objects", self.objects)
        app.router.add_get("/actor/outbox", self.instance_outbox)
        app.router.add_get("/members/{id}/outbox", self.member_outbox)
        app.router.add_get("/subnets/{slug}/outbox", self.subnet_outbox)
        app.router.add_get("/subnets/{slug}/followers", self.subnet_followers)
        app.router.add_post("/inbox", self.inbox.post)
        app.router.add_post("/actor/inbox", self.inbox.post)
        app.router.add_post("/people/{id}/inbox", self.inbox.post)
        app.router.add_post("/members/{id}/inbox", self.inbox.post)
        app.router.add_post("/subnets/{slug}/inbox", self.inbox.post)

    async def _signed(self, request: web.Request) -> Verified:
        try:
            return await verify_request(request, None, self.directory, self.ids.base)
        except RequestRefused as refused:
            raise _refusal(refused) from None

    async def webfinger(self, request: web.Request) -> web.Response:
        resource = request.query.get("resource", "")
        if not resource.startswith("acct:") or "@" not in resource:
            return web.json_response({"error": "resource must be acct:name@host"}, status=400)
        name, _, host = resource.removeprefix("acct:").rpartition("@")
        if host != self.ids.host:
            return web.json_response({"error": "not a resource of this node"}, status=404)
        async with self.db.transaction() as s:
            if name == self.ids.host:
                uri = self.ids.instance
            elif await subnet_store.subnet_by_slug(s, name) is not None:
                uri = self.ids.subnet(name)
            else:
                return web.json_response({"error": "no such account"}, status=404)
        return web.json_response(
            {
                "subject": resource,
                "aliases": [uri],
                "links": [{"rel": "self", "type": ACTIVITY_JSON, "href": uri}],
            },
            content_type="application/jrd+json",
        )

    async def nodeinfo_links(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{self.ids.base}/nodeinfo/2.1"}]}
        )

    async def host_meta(self, request: web.Request) -> web.Response:
        template = quote(f"{self.ids.base}/.well-known/webfinger?resource=", safe=":/?=")
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
            f'  <Link rel="lrdd" template="{template}{{uri}}"/>\n</XRD>\n'
        )
        return web.Response(text=body, content_type="application/xrd+xml")

    async def nodeinfo(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "version": "2.1",
                "software": {"name": documents.SOFTWARE, "version": "0.1.0"},
                "protocols": ["activitypub"],
                "services": {"inbound": [], "outbound": []},
                "openRegistrations": False,
                "usage": {"users": {}},
                "metadata": {
                    "trustName": self.trust_name,
                    "signatureSchemes": SCHEMES,
                    "federationPolicy": "allowlist",
                    "instanceActor": self.ids.instance,
                },
            },
            content_type=f'application/json; profile="{NODEINFO_SCHEMA}#"',
        )

    async def context(self, request: web.Request) -> web.Response:
        return web.Response(
            text=bundled_file("sharon-v1.jsonld"), content_type="application/ld+json"
        )

    async def instance_actor(self, request: web.Request) -> web.Response:
        return activity_response(
            documents.render_instance_actor(self.ids, self.keys, self.trust_name)
        )

    async def member(self, request: web.Request) -> web.Response:
        """A person inside one subnet, shown only to nodes taking part in it."""
        verified = await self._signed(request)
        uri = self.ids.member(request.match_info["id"])
        async with self.db.transaction() as s:
            member = await personas.local_member(s, self.ids, uri)
            visible = member is not None and await subnets.member_visible_to_node(
                s, self.ids, member, verified.peer
            )
        if not visible or member is None:
            raise web.HTTPNotFound(text="no such actor")
        return activity_response(documents.render_member(self.ids, self.keys, uri, member.name))

    async def group(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        uri = self.ids.subnet(slug)
        if wants_html(request):
            raise web.HTTPSeeOther(f"/subnet?id={quote(uri, safe='')}")
        verified = await self._signed(request)
        async with self.db.transaction() as s:
            subnet = await subnet_store.subnet_by_slug(s, slug)
            if subnet is None or not await subnets.node_may_see_group(s, subnet, verified.peer):
                raise web.HTTPNotFound(text="no such actor")
            partners = await subnet_store.partners_of(s, subnet.id)
        return activity_response(documents.render_group(self.ids, self.keys, subnet, partners))

    async def note(self, request: web.Request) -> web.Response:
        verified = await self._signed(request)
        reader = request.query.get("for", verified.signer)
        try:
            async with self.db.transaction() as s:
                found = await posts.readable_post(
                    s,
                    self.ids,
                    post_id=request.match_info["id"],
                    peer=verified.peer,
                    reader_uri=reader,
                    now=self.clock(),
                )
        except NotFound:
            raise web.HTTPNotFound(text="no such object") from None
        except Gone:
            response = activity_response(
                documents.render_tombstone(self.ids.post(request.match_info["id"]))
            )
            response.set_status(410)
            return response
        return activity_response(
            documents.render_note(self.ids, found.post, found.author_uri, found.author_name)
        )

    async def objects(self, request: web.Request) -> web.Response:
        """Batched fetch: the notes among `id=…` that the signing peer may read."""
        verified = await self._signed(request)
        wanted = request.query.getall("id", [])
        if not wanted or len(wanted) > 100:
            return web.json_response({"error": "give between 1 and 100 id parameters"}, status=400)
        post_ids = [pid for pid in (self.ids.post_id(uri) for uri in wanted) if pid]
        async with self.db.transaction() as s:
            readable = await posts.readable_posts(
                s,
                self.ids,
                post_ids=post_ids,
                peer=verified.peer,
                reader_uri=request.query.get("for", verified.signer),
                now=self.clock(),
            )
        notes = [
            documents.render_note(self.ids, item.post, item.author_uri, item.author_name)
            for item in readable
        ]
        return activity_response(documents.render_collection(notes))

    async def instance_outbox(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return activity_response(
            documents.render_ordered_collection(f"{self.ids.instance}/outbox", 0, [])
        )

    async def member_outbox(self, request: web.Request) -> web.Response:
        return await self._listing(request, outboxes.member_outbox, request.match_info["id"])

    async def subnet_outbox(self, request: web.Request) -> web.Response:
        return await self._listing(request, outboxes.subnet_outbox, request.match_info["slug"])

    async def subnet_followers(self, request: web.Request) -> web.Response:
        return await self._listing(request, outboxes.subnet_members, request.match_info["slug"])

    async def _listing(
        self, request: web.Request, listing: outboxes.ListingQuery, name: str
    ) -> web.Response:
        """A collection GET: signed by an agreed peer, and 404 unless that peer may see it."""
        verified = await self._signed(request)
        try:
            async with self.db.transaction() as s:
                found = await listing(s, self.ids, name, verified.peer)
        except NotFound:
            raise web.HTTPNotFound(text="no such collection") from None
        uri = f"{self.ids.base}{request.path}"
        return activity_response(documents.render_ordered_collection(uri, found.total, found.items))


def _refusal(refused: RequestRefused) -> web.HTTPException:
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        429: web.HTTPTooManyRequests,
    }
    kind = kinds.get(refused.status, web.HTTPUnauthorized)
    return kind(text=str(refused), headers=refused.headers)
