"""Rendering our actors, objects and activities as ActivityStreams 2 documents.

One `render_<thing>` per document type. Posts travel *by reference*: activities carry the
object's URI only, and the text is served by `render_note` to a node allowed to read it.
Nothing here reads personal details: a person is their opaque id, pseudonym and keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from actors import avatars
from actors.ids import LocalIds
from actors.picture_files import PictureInfo
from actors.posts import Authored
from federation.jsonld import CANONICAL_CONTEXT
from federation.keys import NodeKeys
from storage.models import Peer, Post, Subnet

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
SOFTWARE = "sharon-node"

Document = dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _context() -> list[str]:
    return list(CANONICAL_CONTEXT)


def _keys(ids: LocalIds, keys: NodeKeys, actor_uri: str) -> Document:
    return {
        "publicKey": {
            "id": f"{actor_uri}#main-key",
            "owner": actor_uri,
            "publicKeyPem": keys.rsa_public_pem,
        },
        "assertionMethod": [
            {
                "id": f"{actor_uri}#ed25519-key",
                "type": "Multikey",
                "controller": actor_uri,
                "publicKeyMultibase": keys.ed25519_multibase,
            }
        ],
        "inbox": f"{ids.base}/inbox",
        "endpoints": {"sharedInbox": f"{ids.base}/inbox"},
    }


def render_instance_actor(ids: LocalIds, keys: NodeKeys, trust_name: str) -> Document:
    """The node itself: signs fetches and agreements between trusts."""
    return {
        "@context": _context(),
        "id": ids.instance,
        "type": "Application",
        "preferredUsername": ids.host,
        "name": trust_name,
        "trustName": trust_name,
        "keyFingerprint": keys.fingerprint,
        "manuallyApprovesFollowers": True,
        "outbox": f"{ids.instance}/outbox",
        "url": ids.base,
        **_keys(ids, keys, ids.instance),
    }


def render_icon(ids: LocalIds, avatar: str) -> Document:
    """A chosen built-in avatar as an AS2 `icon`: the file this node serves to anyone (every
    node ships the same six, so a reader shows its own copy of the one `name`d)."""
    return {
        "type": "Image",
        "mediaType": avatars.MEDIA_TYPE,
        "url": f"{ids.base}{avatars.avatar_path(avatar)}",
        "name": avatar,
    }


def render_member(
    ids: LocalIds,
    keys: NodeKeys,
    uri: str,
    name: str,
    role_tag: str | None = None,
    avatar: str | None = None,
) -> Document:
    """A person as one subnet's nodes see them: their opaque persona id, the pseudonym chosen
    for that subnet, keys, for staff their role tag ("Clinician", "Staff"), and the built-in
    avatar they chose as `icon` — nothing else."""
    document: Document = {
        "@context": _context(),
        "id": uri,
        "type": "Person",
        "preferredUsername": uri.rsplit("/", 1)[1],
        "name": name,
        "manuallyApprovesFollowers": True,
        "outbox": f"{uri}/outbox",
        **_keys(ids, keys, uri),
    }
    if role_tag:
        document["staffRole"] = role_tag
    if avatars.chosen(avatar):
        document["icon"] = render_icon(ids, str(avatar))
    return document


def render_group(
    ids: LocalIds, keys: NodeKeys, subnet: Subnet, partners: Sequence[Peer]
) -> Document:
    """A subnet (FEP-1b12 Group), listing the nodes it is shared with."""
    uri = ids.subnet(subnet.slug)
    return {
        "@context": _context(),
        "id": uri,
        "type": "Group",
        "preferredUsername": subnet.slug,
        "name": subnet.name,
        "summary": subnet.summary,
        "manuallyApprovesFollowers": True,
        "postingPolicy": subnet.posting_policy,
        "premoderation": subnet.premoderation,
        "numbers": subnet.numbers,
        "ageGroup": subnet.audience,
        "holdConcern": subnet.hold_concern,
        "subnetKind": subnet.kind,
        "partners": [
            {"id": peer.instance_actor, "keyFingerprint": peer.key_fingerprint} for peer in partners
        ],
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        **_keys(ids, keys, uri),
    }


def picture_url(ids: LocalIds, post_id: str, thumbnail: bool = False) -> str:
    """Where a post's picture is served, to signed fetches by nodes allowed to read the post."""
    return f"{ids.post(post_id)}/picture" + ("/thumbnail" if thumbnail else "")


def render_image(ids: LocalIds, post_id: str, picture: PictureInfo) -> Document:
    """A post's picture as an AS2 `Image` attachment: its description is `name` (the alt
    text), the thumbnail its `preview`; both URLs answer signed fetches only."""
    return {
        "type": "Image",
        "mediaType": picture.media_type,
        "url": picture_url(ids, post_id),
        "name": picture.alt,
        "width": picture.width,
        "height": picture.height,
        "preview": {
            "type": "Link",
            "mediaType": picture.media_type,
            "href": picture_url(ids, post_id, thumbnail=True),
            "width": picture.thumbnail_width,
            "height": picture.thumbnail_height,
        },
    }


def render_note(
    ids: LocalIds,
    post: Post,
    author_uri: str,
    author_name: str,
    role_tag: str | None = None,
    picture: PictureInfo | None = None,
    *,
    avatar: str | None = None,
) -> Document:
    """A post's content, for a node allowed to read it. Plain text, said so by `mediaType`.
    The author is their persona as `render_member` gives it (name, role tag and avatar, no
    keys); a picture is an `Image` attachment (`render_image`)."""
    author: Document = {"id": author_uri, "type": "Person", "name": author_name}
    if role_tag:
        author["staffRole"] = role_tag
    if avatars.chosen(avatar):
        author["icon"] = render_icon(ids, str(avatar))
    note: Document = {
        "@context": _context(),
        "id": ids.post(post.id),
        "type": "Note",
        "attributedTo": author,
        "content": post.content,
        "mediaType": "text/plain",
        "published": iso(post.published),
        "audience": post.subnet_uri,
        "to": [post.subnet_uri],
    }
    if post.in_reply_to:
        note["inReplyTo"] = post.in_reply_to
    if post.updated:
        note["updated"] = iso(post.updated)
    if picture is not None:
        note["attachment"] = [render_image(ids, post.id, picture)]
    return note


def render_ordered_collection(uri: str, total: int, items: Sequence[str]) -> Document:
    """An actor's collection: a count and, where it may be shown, URIs (never content)."""
    collection: Document = {
        "@context": _context(),
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if items:
        collection["orderedItems"] = list(items)
    return collection


def render_tombstone(object_uri: str) -> Document:
    """What a deleted post's URI answers (with 410 Gone): that it existed, nothing more."""
    return {"@context": _context(), "id": object_uri, "type": "Tombstone"}


def render_collection(items: list[Document]) -> Document:
    return {
        "@context": _context(),
        "type": "Collection",
        "totalItems": len(items),
        "items": [{k: v for k, v in item.items() if k != "@context"} for item in items],
    }


def _activity(
    ids: LocalIds, activity_id: str, kind: str, actor: str, obj: Any, **extra: Any
) -> Document:
    return {
        "@context": _context(),
        "id": ids.activity(activity_id),
        "type": kind,
        "actor": actor,
        "object": obj,
        **extra,
    }


def note_stub(object_uri: str, in_reply_to: str | None = None, **extra: Any) -> Document:
    """A post by reference: its id and thread position, never its content."""
    stub: Document = {"id": object_uri, "type": "Note", **extra}
    if in_reply_to:
        stub["inReplyTo"] = in_reply_to
    return stub


def render_create(
    ids: LocalIds,
    activity_id: str,
    *,
    author_uri: str,
    object_uri: str,
    subnet_uri: str,
    published: datetime,
    in_reply_to: str | None = None,
) -> Document:
    """A member's post, by reference, sent to the subnet's home."""
    return _activity(
        ids,
        activity_id,
        "Create",
        author_uri,
        note_stub(object_uri, in_reply_to, attributedTo=author_uri),
        target=subnet_uri,
        audience=subnet_uri,
        to=[subnet_uri],
        published=iso(published),
    )


def render_announce(
    ids: LocalIds,
    activity_id: str,
    *,
    subnet_uri: str,
    object_uri: str,
    published: datetime,
    in_reply_to: str | None = None,
) -> Document:
    """The subnet's home passes a post (by reference) on to every partner node."""
    return _activity(
        ids,
        activity_id,
        "Announce",
        subnet_uri,
        note_stub(object_uri, in_reply_to),
        audience=subnet_uri,
        to=[f"{subnet_uri}/followers"],
        published=iso(published),
    )


def render_join(
    ids: LocalIds,
    activity_id: str,
    *,
    member_uri: str,
    subnet_uri: str,
    joins_as: str | None = None,
) -> Document:
    """A Join; to a learning space it says what the person is (`joinsAs`: "staff" or
    "professional"), the one fact about them such a space's home needs to hold to its rule."""
    extra = {"joinsAs": joins_as} if joins_as else {}
    return _activity(ids, activity_id, "Join", member_uri, subnet_uri, to=[subnet_uri], **extra)


def render_update(
    ids: LocalIds, activity_id: str, *, actor_uri: str, document: Document
) -> Document:
    body = {k: v for k, v in document.items() if k != "@context"}
    return _activity(ids, activity_id, "Update", actor_uri, body, to=[f"{actor_uri}/followers"])


def render_invite(ids: LocalIds, activity_id: str, *, subnet_uri: str, node_actor: str) -> Document:
    """A subnet's home offers to share it with a peer node (FEP-1b12 roles: Group → node)."""
    return _activity(
        ids, activity_id, "Invite", subnet_uri, subnet_uri, target=node_actor, to=[node_actor]
    )


def render_answer(
    ids: LocalIds, activity_id: str, *, accepted: bool, actor_uri: str, answered: Document
) -> Document:
    """Accept or Reject of an activity (an Invite, a Delete to acknowledge), embedded so the
    recipient need not look it up."""
    kind = "Accept" if accepted else "Reject"
    return _activity(ids, activity_id, kind, actor_uri, answered, to=[answered.get("actor")])


def render_remove(ids: LocalIds, activity_id: str, *, subnet_uri: str, removed: str) -> Document:
    """The subnet's home removes a member, or (when `removed` is a node) ends sharing with it."""
    return _activity(
        ids, activity_id, "Remove", subnet_uri, removed, target=subnet_uri, to=[removed]
    )


def render_leave(ids: LocalIds, activity_id: str, *, member_uri: str, subnet_uri: str) -> Document:
    return _activity(ids, activity_id, "Leave", member_uri, subnet_uri, to=[subnet_uri])


def render_delete(
    ids: LocalIds, activity_id: str, *, actor_uri: str, object_uri: str, subnet_uri: str
) -> Document:
    """The object is gone: every node drops its reference and cache entry, and acknowledges."""
    return _activity(
        ids,
        activity_id,
        "Delete",
        actor_uri,
        {"id": object_uri, "type": "Tombstone"},
        audience=subnet_uri,
        to=[subnet_uri],
    )


def render_persona_delete(
    ids: LocalIds, activity_id: str, *, member_uri: str, subnet_uri: str
) -> Document:
    """One of our people erased their account: the subnet's nodes drop their persona document.
    From our instance actor (the persona's own key is gone with it)."""
    return _activity(
        ids,
        activity_id,
        "Delete",
        ids.instance,
        {"id": member_uri, "type": "Tombstone", "formerType": "Person"},
        audience=subnet_uri,
        to=[subnet_uri],
    )


def render_note_update(
    ids: LocalIds,
    activity_id: str,
    *,
    author_uri: str,
    object_uri: str,
    subnet_uri: str,
    updated: datetime,
) -> Document:
    """A post was edited: by reference; nodes drop their cached copy and fetch it again."""
    return _activity(
        ids,
        activity_id,
        "Update",
        author_uri,
        note_stub(object_uri, updated=iso(updated)),
        audience=subnet_uri,
        to=[subnet_uri],
    )


def render_like(
    ids: LocalIds, activity_id: str, *, actor_uri: str, object_uri: str, subnet_uri: str
) -> Document:
    return _activity(
        ids, activity_id, "Like", actor_uri, object_uri, audience=subnet_uri, to=[subnet_uri]
    )


def render_undo(ids: LocalIds, activity_id: str, *, actor_uri: str, undone: Document) -> Document:
    body = {k: v for k, v in undone.items() if k != "@context"}
    return _activity(ids, activity_id, "Undo", actor_uri, body, to=body.get("to", []))


def render_add_moderator(
    ids: LocalIds, activity_id: str, *, subnet_uri: str, member_uri: str
) -> Document:
    """The subnet's home makes a member one of its moderators (FEP-1b12 style)."""
    return _activity(
        ids,
        activity_id,
        "Add",
        subnet_uri,
        member_uri,
        target=f"{subnet_uri}/moderators",
        to=[member_uri],
    )


def render_authored(ids: LocalIds, item: Authored) -> Document:
    """A readable post of ours as `render_note` gives it, for a fetch or a search answer."""
    return render_note(
        ids,
        item.post,
        item.author_uri,
        item.author_name,
        item.role_tag,
        item.picture,
        avatar=item.avatar,
    )
