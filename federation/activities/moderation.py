"""The moderation family, both directions: reports (`Flag`), hiding (`Remove` of a post from
the subnet, `Undo` of it), removal with a reason (`Delete` with a `summary`), warnings (`Flag`
of a member by the Group), suspensions (`Block`, `Undo` of it) and edits that go back to
pre-moderation (`Update`).

Planners turn `actors/` events into (peer, activity, signer) triples; handlers turn verified
activities into `actors/` calls. Who may say what:

* a `Flag` of a post comes from a node's instance actor — never the reporter — with the reason
  code in `content` (and the reporter's optional note in `summary`), to the subnet's home and
  the post's home;
* `Remove`/`Undo`/`Delete`/`Block`/`Flag` of a member come from the **Group** when its home
  decided (to every node of the subnet, or to the member's node for sanctions);
* the same types signed by a **member** actor are a partner moderator asking the home, which
  checks they are a moderator of that very subnet.

`Flag` and `Block` are this family's own. `Remove`, `Undo`, `Delete` and `Update` belong to
other families (sharing, threads, posts), whose handlers hand the moderation cases here first
(`hide_or_ask`, `undo`, `removal_asked`) or after (`removal_told`, `edit_told`), so each
activity type keeps exactly one handler (federation/activities/dispatch.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actors import moderation_heard, reports
from actors.errors import Invalid
from actors.events import EventKind
from actors.ids import LocalIds
from actors.moderation import WITHHELD
from actors.posts import subnet_of_known
from actors.sharing import nodes_taking_part
from federation import documents
from federation.activities.context import (
    Activity,
    Handler,
    Handling,
    Payload,
    Planned,
    Planner,
    Planning,
)
from federation.activities.fields import text_of, type_of
from federation.activities.recipients import home_of, member_node
from federation.remote import id_of
from storage import peers as peer_store
from storage import posts as post_store
from storage.models import Peer, new_id

# --- out ------------------------------------------------------------------------------------


def _act(
    ids: LocalIds, kind: str, actor: str, obj: Any, subnet_uri: str, **extra: Any
) -> dict[str, Any]:
    return documents._activity(
        ids, new_id(), kind, actor, obj, audience=subnet_uri, to=[subnet_uri], **extra
    )


def render_flag(
    ids: LocalIds, *, object_uri: str, subnet_uri: str, reason: str, note: str
) -> dict[str, Any]:
    extra = {"content": reason}
    if note:
        extra["summary"] = note
    return _act(ids, "Flag", ids.instance, object_uri, subnet_uri, **extra)


def render_hide(
    ids: LocalIds, *, actor: str, object_uri: str, subnet_uri: str, state: str = ""
) -> dict[str, Any]:
    """A Remove of a post from the subnet; from the Group, `moderationState` says why:
    `hidden` after reports (waits for a moderator), `held` (an edit waits for approval) or
    `withheld` (a moderator hid it: that answers the reports, on every node)."""
    extra = {"moderationState": state} if state else {}
    return _act(ids, "Remove", actor, object_uri, subnet_uri, target=subnet_uri, **extra)


def render_block(
    ids: LocalIds, *, actor: str, member_uri: str, subnet_uri: str, reason: str, until: str | None
) -> dict[str, Any]:
    extra: dict[str, Any] = {"summary": reason, "target": subnet_uri}
    if until:
        extra["endTime"] = until
    return _act(ids, "Block", actor, member_uri, subnet_uri, **extra)


def render_warning(
    ids: LocalIds, *, actor: str, member_uri: str, subnet_uri: str, reason: str
) -> dict[str, Any]:
    return _act(
        ids,
        "Flag",
        actor,
        member_uri,
        subnet_uri,
        content="warning",
        summary=reason,
        target=subnet_uri,
    )


def render_removal(
    ids: LocalIds, *, actor: str, object_uri: str, subnet_uri: str, reason: str
) -> dict[str, Any]:
    delete = documents.render_delete(
        ids, new_id(), actor_uri=actor, object_uri=object_uri, subnet_uri=subnet_uri
    )
    if reason:
        delete["summary"] = reason
    return delete


def _undo(ids: LocalIds, actor: str, undone: dict[str, Any]) -> dict[str, Any]:
    return documents.render_undo(ids, new_id(), actor_uri=actor, undone=undone)


async def report_made(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    ids = ctx.ids
    row, peers = await reports.recipients(s, ids, p["report_id"])
    flag = render_flag(
        ids, object_uri=row.object_uri, subnet_uri=row.subnet_uri, reason=row.reason, note=row.note
    )
    return [(peer, flag, ids.instance) for peer in peers]


async def hidden(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    ids, subnet_uri = ctx.ids, p["subnet_uri"]
    remove = render_hide(
        ids,
        actor=subnet_uri,
        object_uri=p["object_uri"],
        subnet_uri=subnet_uri,
        state=p.get("state", ""),
    )
    return [(peer, remove, subnet_uri) for peer in await nodes_taking_part(s, ids, subnet_uri)]


async def shown(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    return [
        (peer, _undo(ctx.ids, signer, remove), signer)
        for peer, remove, signer in await hidden(s, ctx, p, now)
    ]


async def removed(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """The home removed a partner's post: every node drops it; its author's node hears why."""
    ids, subnet_uri, object_uri = ctx.ids, p["subnet_uri"], p["object_uri"]
    author_node = await member_node(s, object_uri)
    planned: Planned = []
    for peer in await nodes_taking_part(s, ids, subnet_uri):
        reason = p["reason"] if author_node is not None and peer.id == author_node.id else ""
        activity = render_removal(
            ids, actor=subnet_uri, object_uri=object_uri, subnet_uri=subnet_uri, reason=reason
        )
        planned.append((peer, activity, subnet_uri))
    return planned


def _sanction(action: str) -> Planner:
    async def plan(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
        peer = await member_node(s, p["member_uri"])
        if peer is None:
            return []
        subnet_uri = p["subnet_uri"]
        activity = _member_activity(ctx.ids, action, subnet_uri, subnet_uri, p)
        return [(peer, activity, subnet_uri)]

    return plan


def _member_activity(
    ids: LocalIds, action: str, actor: str, subnet_uri: str, p: dict[str, Any]
) -> dict[str, Any]:
    member = p.get("member_uri") or p["target"]
    if action == "warn":
        return render_warning(
            ids, actor=actor, member_uri=member, subnet_uri=subnet_uri, reason=p["reason"]
        )
    block = render_block(
        ids,
        actor=actor,
        member_uri=member,
        subnet_uri=subnet_uri,
        reason=p["reason"],
        until=p.get("until"),
    )
    return block if action == "suspend" else _undo(ids, actor, block)


async def requested(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A moderator here (granted by a subnet's home elsewhere) asks that home to act."""
    ids, home = ctx.ids, await home_of(s, p["subnet_uri"])
    if home is None:
        return []
    action, actor, subnet_uri, target = p["action"], p["actor_uri"], p["subnet_uri"], p["target"]
    if action == "hide":
        activity = render_hide(ids, actor=actor, object_uri=target, subnet_uri=subnet_uri)
    elif action == "show":
        activity = _undo(
            ids, actor, render_hide(ids, actor=actor, object_uri=target, subnet_uri=subnet_uri)
        )
    elif action == "remove":
        activity = render_removal(
            ids, actor=actor, object_uri=target, subnet_uri=subnet_uri, reason=p["reason"]
        )
    else:
        activity = _member_activity(ids, action, actor, subnet_uri, p)
    return [(home, activity, actor)]


async def edited(s: AsyncSession, ctx: Planning, p: Payload, now: datetime) -> Planned:
    """A post of ours in a pre-moderated subnet elsewhere was edited: held here until its home
    approves the edit; every node hears of the edit (the mark, and a stale cache)."""
    ids = ctx.ids
    post = await post_store.visible_post(s, p["post_id"])
    if post is None or post.updated is None:
        return []
    activity = documents.render_note_update(
        ids,
        new_id(),
        author_uri=ids.instance,
        object_uri=ids.post(post.id),
        subnet_uri=post.subnet_uri,
        updated=post.updated,
    )
    return [
        (peer, activity, ids.instance) for peer in await nodes_taking_part(s, ids, post.subnet_uri)
    ]


PLANNERS: dict[EventKind, Planner] = {
    EventKind.REPORT_MADE: report_made,
    EventKind.MODERATION_HIDDEN: hidden,
    EventKind.MODERATION_SHOWN: shown,
    EventKind.MODERATION_REMOVED: removed,
    EventKind.MODERATION_WARN: _sanction("warn"),
    EventKind.MODERATION_SUSPEND: _sanction("suspend"),
    EventKind.MODERATION_LIFT: _sanction("lift"),
    EventKind.MODERATION_REQUESTED: requested,
    EventKind.MODERATION_EDITED: edited,
}


# --- in -------------------------------------------------------------------------------------


def _when(value: Any) -> datetime | None:
    text = text_of(value)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("endTime must be a date and time") from None
    if moment.tzinfo is None:
        raise Invalid("endTime must carry its time zone")
    return moment


async def _is_group(s: AsyncSession, uri: str) -> bool:
    actor = await peer_store.remote_actor(s, uri)
    return actor is not None and actor.kind == "Group"


async def _ask(
    s: AsyncSession,
    ctx: Handling,
    peer: Peer,
    doc: Activity,
    action: str,
    target: str,
    now: datetime,
) -> None:
    subnet_uri = id_of(doc.get("target")) or id_of(doc.get("audience")) or ""
    await moderation_heard.asked_by_partner_moderator(
        s,
        ctx.ids,
        peer=peer,
        actor_uri=id_of(doc.get("actor")) or "",
        action=action,
        subnet_uri=subnet_uri,
        target=target,
        reason=text_of(doc.get("summary")),
        until=_when(doc.get("endTime")),
        now=now,
    )


async def on_flag(s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime) -> None:
    """A node's report of a post, a home's warning of a member, or a partner moderator asking
    the home to warn one."""
    actor, obj = id_of(doc.get("actor")) or "", id_of(doc.get("object")) or ""
    subnet_uri = id_of(doc.get("target")) or id_of(doc.get("audience"))
    if actor == peer.instance_actor:
        await reports.flagged(
            s,
            ctx.ids,
            peer=peer,
            flag_id=doc["id"],
            object_uri=obj,
            reason=text_of(doc.get("content")),
            note=text_of(doc.get("summary")),
            claimed_subnet=subnet_uri,
            now=now,
            thresholds=ctx.thresholds,
        )
    elif subnet_uri and await _is_group(s, actor):
        await moderation_heard.sanctioned_by_home(
            s,
            ctx.ids,
            peer=peer,
            action="warn",
            subnet_uri=actor,
            member_uri=obj,
            reason=text_of(doc.get("summary")),
            until=None,
            now=now,
        )
    else:
        await _ask(s, ctx, peer, doc, "warn", obj, now)


async def on_block(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    """A home suspended one of our people, or a partner moderator asks it to suspend one."""
    actor, member = id_of(doc.get("actor")) or "", id_of(doc.get("object")) or ""
    if await _is_group(s, actor):
        await moderation_heard.sanctioned_by_home(
            s,
            ctx.ids,
            peer=peer,
            action="suspend",
            subnet_uri=actor,
            member_uri=member,
            reason=text_of(doc.get("summary")),
            until=_when(doc.get("endTime")),
            now=now,
        )
    else:
        await _ask(s, ctx, peer, doc, "suspend", member, now)


async def hide_or_ask(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> bool:
    """A Remove of a known post (not of a member or node: then False, for sharing's handler):
    hidden here when the Group says so (a moderator's decision when its `moderationState` is
    `withheld`: our reports of it are closed), else a partner moderator asking the home to
    hide it."""
    actor, obj = id_of(doc.get("actor")) or "", id_of(doc.get("object")) or ""
    if await subnet_of_known(s, ctx.ids, obj) is None:
        return False
    if await _is_group(s, actor):
        await moderation_heard.shown_by_home(
            s,
            ctx.ids,
            peer=peer,
            object_uri=obj,
            hidden=True,
            now=now,
            by_moderator=text_of(doc.get("moderationState")) == WITHHELD,
        )
        ctx.forget([obj])
    else:
        await _ask(s, ctx, peer, doc, "hide", obj, now)
    return True


UNDOABLE = frozenset({"Remove", "Block"})
"""What `undo` handles when embedded in an Undo (threads' handler passes these here)."""


async def undo(s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime) -> None:
    """An Undo of a hiding (shown again) or of a suspension (lifted), from the Group; from a
    member, a partner moderator asking the home to do so."""
    undone = doc.get("object")
    kind = type_of(undone)
    if kind not in UNDOABLE or not isinstance(undone, dict):
        raise Invalid("only a Remove or a Block is undone by a moderator")
    actor, obj = id_of(undone.get("actor")) or "", id_of(undone.get("object")) or ""
    if actor != id_of(doc.get("actor")):
        raise Invalid("an Undo must embed an activity of its own actor")
    group = await _is_group(s, actor)
    if kind == "Remove" and group:
        await moderation_heard.shown_by_home(
            s, ctx.ids, peer=peer, object_uri=obj, hidden=False, now=now
        )
        ctx.forget([obj])
    elif kind == "Block" and group:
        await moderation_heard.sanctioned_by_home(
            s,
            ctx.ids,
            peer=peer,
            action="lift",
            subnet_uri=actor,
            member_uri=obj,
            reason="",
            until=None,
            now=now,
        )
    else:
        await _ask(s, ctx, peer, undone, "show" if kind == "Remove" else "lift", obj, now)


async def removal_asked(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> bool:
    """A Delete signed by a partner moderator (with a reason) of a post in a subnet hosted
    here is their asking us to remove it: decided here (True); any other Delete is not."""
    actor, obj = id_of(doc.get("actor")) or "", id_of(doc.get("object")) or ""
    subnet_uri = await subnet_of_known(s, ctx.ids, obj)
    if actor in (peer.instance_actor, obj) or await _is_group(s, actor):
        return False
    if subnet_uri is None or ctx.ids.subnet_slug(subnet_uri) is None:
        return False
    doc = {**doc, "summary": text_of(doc.get("summary")) or "Removed by a moderator."}
    await _ask(s, ctx, peer, {**doc, "target": subnet_uri}, "remove", obj, now)
    ctx.forget([obj])
    return True


async def removal_told(
    s: AsyncSession, ctx: Handling, peer: Peer, doc: Activity, now: datetime
) -> None:
    """After a Delete is handled: a Group's removal with a reason goes to the post's author."""
    if reason := text_of(doc.get("summary")):
        await moderation_heard.removed_by_home(
            s, ctx.ids, peer=peer, object_uri=id_of(doc.get("object")) or "", reason=reason, now=now
        )


async def edit_told(s: AsyncSession, ctx: Handling, doc: Activity, now: datetime) -> None:
    """After a Note's Update is handled: the reference is marked edited, and in a pre-moderated
    subnet hosted here the edit goes back to the moderators."""
    if type_of(doc.get("object")) == "Note":
        await moderation_heard.edited_elsewhere(
            s, ctx.ids, object_uri=id_of(doc.get("object")) or "", now=now
        )


HANDLERS: dict[str, Handler] = {
    "Flag": on_flag,
    "Block": on_block,
}
