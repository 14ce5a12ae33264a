"""Federation endpoints: discovery (WebFinger, NodeInfo, host-meta), actor and object documents
(authorized fetch: signed by an agreed peer, and only what that peer may see), and the inbox.

Anything a peer may not see answers 404, exactly as if it did not exist. A post is served only
for the reader named in `for=` (else the signer), who must be a member of the post's subnet on
the asking node (a post held or hidden by moderation: a moderator of that subnet there);
`POST /reads` takes a partner's report of reads served from its cache
(federation/read_reports.py), and `<subnet>/queue` tells a moderator granted at a partner what
waits here (federation/home_queues.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

from aiohttp import web

from actors import home_queue, outboxes, personas, pictures, posts, subnets
from actors.clock import Clock
from actors.errors import Gone, Invalid, NotFound
from actors.ids import LocalIds
from federation import documents, home_queues
from federation import search as remote_search
from federation.documents import ACTIVITY_JSON
from federation.errors import RequestRefused
from federation.inbox import InboxRoute
from federation.jsonld import bundled_file
from federation.keys import NodeKeys
from federation.limits import admit
from federation.membership_checks import MembershipConfirmer
from federation.pictures import picture_response
from federation.read_reports import ReadReportsRoute
from federation.remote import Directory
from federation.verify import Verified, verify_request
from storage import subnets as subnet_store
from storage.engine import Database
from storage.models import Peer

log = logging.getLogger(__name__)
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
SCHEMES = ["rfc9421", "cavage"]


def activity_response(document: dict[str, Any]) -> web.Response:
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
    confirmer: MembershipConfirmer = field(init=False)

    def __post_init__(self) -> None:
        self.confirmer = MembershipConfirmer(self.db, self.ids, self.directory.client, self.clock)

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
        app.router.add_get("/posts/{id}/picture", self.picture)
        app.router.add_get("/posts/{id}/picture/thumbnail", self.picture)
        app.router.add_get("/objects", self.objects)
        app.router.add_post(
            "/reads",
            ReadReportsRoute(self.db, self.ids, self.directory, self.confirmer, self.clock).post,
        )
        app.router.add_get(remote_search.PATH, self.search)
        app.router.add_get("/actor/outbox", self.instance_outbox)
        app.router.add_get("/members/{id}/outbox", self.member_outbox)
        app.router.add_get("/subnets/{slug}/outbox", self.subnet_outbox)
        app.router.add_get("/subnets/{slug}/followers", self.subnet_followers)
        app.router.add_get("/subnets/{slug}/queue", self.subnet_queue)
        app.router.add_post("/inbox", self.inbox.post)
        app.router.add_post("/actor/inbox", self.inbox.post)
        app.router.add_post("/members/{id}/inbox", self.inbox.post)
        app.router.add_post("/subnets/{slug}/inbox", self.inbox.post)

    async def _signed(self, request: web.Request) -> Verified:
        try:
            verified = await verify_request(
                request, None, self.directory, self.ids.base, now=self.directory.clock()
            )
            admit(self.directory.limiter, verified.peer)
            return verified
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
        return activity_response(
            documents.render_member(
                self.ids, self.keys, uri, member.name, member.role_tag, member.avatar
            )
        )

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

    async def _one_post_read(
        self, request: web.Request
    ) -> tuple[Verified, str, str, set[str], set[str]]:
        """A signed read of the post `{id}`: the verified request, the reader (`for=`, else
        the signer), the post's id, and what `_confirmed` says of that reader."""
        verified = await self._signed(request)
        reader = request.query.get("for", verified.signer)
        post_id = request.match_info["id"]
        confirmed, moderated = await self._confirmed([post_id], verified.peer, reader)
        return verified, reader, post_id, confirmed, moderated

    async def _confirmed(
        self, post_ids: list[str], peer: Peer, reader: str
    ) -> tuple[set[str], set[str]]:
        """Subnets of these posts, hosted by a third node, whose home confirms the reader as
        a member; and those (of held or hidden posts) whose home confirms them a moderator."""
        async with self.db.transaction() as s:
            to_confirm = await posts.subnets_to_confirm(s, self.ids, post_ids=post_ids, peer=peer)
            to_moderate = await posts.moderated_to_confirm(
                s, self.ids, post_ids=post_ids, peer=peer
            )
        members = await self.confirmer.confirmed(to_confirm, reader) if to_confirm else set()
        moderators = (
            await self.confirmer.confirmed(to_moderate, reader, moderator=True)
            if to_moderate
            else set()
        )
        return members, moderators

    async def note(self, request: web.Request) -> web.Response:
        """One post, for the member named in `for=` (else the signer) if they may read it."""
        verified, reader, post_id, confirmed, moderated = await self._one_post_read(request)
        try:
            async with self.db.transaction() as s:
                found = await posts.readable_post(
                    s,
                    self.ids,
                    post_id=post_id,
                    peer=verified.peer,
                    reader_uri=reader,
                    now=self.clock(),
                    confirmed=confirmed,
                    moderated=moderated,
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
            documents.render_note(
                self.ids,
                found.post,
                found.author_uri,
                found.author_name,
                found.role_tag,
                found.picture,
                avatar=found.avatar,
            )
        )

    async def picture(self, request: web.Request) -> web.Response:
        """A post's picture (or its thumbnail), under the rule of its text: for the member
        named in `for=` (else the signer) if they may read the post; 404 otherwise."""
        verified, reader, post_id, confirmed, moderated = await self._one_post_read(request)
        try:
            async with self.db.transaction() as s:
                found = await pictures.readable_picture(
                    s,
                    self.ids,
                    post_id=post_id,
                    peer=verified.peer,
                    reader_uri=reader,
                    now=self.clock(),
                    thumbnail=request.path.endswith("/thumbnail"),
                    confirmed=confirmed,
                    moderated=moderated,
                )
        except NotFound:
            raise web.HTTPNotFound(text="no such object") from None
        return picture_response(found)

    async def objects(self, request: web.Request) -> web.Response:
        """Batched fetch: the notes among `id=…` that the signing peer may read for the member
        named in `for=` (else the signer): each in a subnet that member belongs to there."""
        verified = await self._signed(request)
        wanted = request.query.getall("id", [])
        if not wanted or len(wanted) > 100:
            return web.json_response({"error": "give between 1 and 100 id parameters"}, status=400)
        post_ids = [pid for pid in (self.ids.post_id(uri) for uri in wanted) if pid]
        reader = request.query.get("for", verified.signer)
        confirmed, moderated = await self._confirmed(post_ids, verified.peer, reader)
        async with self.db.transaction() as s:
            readable = await posts.readable_posts(
                s,
                self.ids,
                post_ids=post_ids,
                peer=verified.peer,
                reader_uri=reader,
                now=self.clock(),
                confirmed=confirmed,
                moderated=moderated,
            )
        notes = [documents.render_authored(self.ids, item) for item in readable]
        return activity_response(documents.render_collection(notes))

    async def search(self, request: web.Request) -> web.Response:
        """A partner searches the posts written here for one of its people."""
        verified = await self._signed(request)
        try:
            notes = await remote_search.answer(
                request.query, verified.peer, self.db, self.ids, self.clock()
            )
        except Invalid as error:
            return web.json_response({"error": str(error)}, status=400)
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
        """How many members; with `member=<uri>`, whether that one is (with `role=moderator`,
        whether they moderate it), for a partner node checking a reader before it serves a
        post."""
        member = request.query.get("member")
        listing = (
            partial(
                outboxes.subnet_member_named,
                member_uri=member,
                moderator=request.query.get("role") == "moderator",
            )
            if member
            else outboxes.subnet_members
        )
        return await self._listing(request, listing, request.match_info["slug"])

    async def subnet_queue(self, request: web.Request) -> web.Response:
        """What waits in a subnet hosted here, for a moderator we granted on the asking node
        (named in `for=`): references and reason codes only (federation/home_queues.py)."""
        verified = await self._signed(request)
        uri = self.ids.subnet(request.match_info["slug"])
        try:
            async with self.db.transaction() as s:
                waiting = await home_queue.for_partner_moderator(
                    s,
                    self.ids,
                    peer=verified.peer,
                    subnet_uri=uri,
                    reader_uri=request.query.get("for", ""),
                )
        except NotFound:
            raise web.HTTPNotFound(text="no such collection") from None
        return activity_response(home_queues.render(uri, waiting))

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
