"""What other nodes tell us about moderation: a subnet's home hid, showed or removed a post,
or sanctioned one of our people (we apply it too); a partner's moderator asks us, the home, to
act; a post's home edited it. Called by `federation/activities/moderation.py` once the
activity is verified; each checks that the sender may say so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, personas, report_outcomes
from actors.errors import Invalid, NotFound, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds, host_of
from actors.moderation import ACTIONS, WITHHELD, apply, sanction_here, tell_author
from actors.posts import subnet_of_known
from storage import audit
from storage import peers as peer_store
from storage import posts as store
from storage import subnets as subnet_store
from storage.models import Peer


async def _home_says(s: AsyncSession, peer: Peer, subnet_uri: str) -> None:
    group = await peer_store.remote_actor(s, subnet_uri)
    if group is None or group.kind != "Group" or group.peer_id != peer.id:
        raise NotPermitted("Only a subnet's home can moderate it.")


async def shown_by_home(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    object_uri: str,
    hidden: bool,
    now: datetime,
    by_moderator: bool = False,
) -> None:
    """A subnet's home hid a post (or showed it again): the same here. Showing it, or hiding
    it `by_moderator` (not after reports), was a moderator's review: our open reports of it
    are closed with that outcome, and our reporters told as at the home."""
    subnet_uri = await subnet_of_known(s, ids, object_uri)
    if subnet_uri is None:
        raise NotFound("That post is not known here.")
    await _home_says(s, peer, subnet_uri)
    post_id = ids.post_id(object_uri)
    post = await store.visible_post(s, post_id) if post_id else None
    row = post or await store.ref_by_uri(s, object_uri)
    if row is None:
        raise NotFound("That post is not known here.")
    was = row.moderation_state
    if not hidden:
        row.moderation_state = "visible"
    elif by_moderator:
        row.moderation_state = WITHHELD
    elif was not in ("held", WITHHELD):  # an edit held here stays held until approved
        row.moderation_state = "hidden"
    if by_moderator or not hidden:
        outcome: report_outcomes.Outcome = "hidden" if hidden else "shown"
        await report_outcomes.settle(s, object_uri=object_uri, outcome=outcome, now=now)
    if post is not None and not hidden and was == "held":
        await tell_author(s, ids, post=post, kind="approved", reason="", now=now)
    elif post is not None and hidden and was == "visible":
        await tell_author(s, ids, post=post, kind="held", reason="", now=now)


async def removed_by_home(
    s: AsyncSession, ids: LocalIds, *, peer: Peer, object_uri: str, reason: str, now: datetime
) -> None:
    """The subnet's home removed a post of ours (already erased by the Delete): tell its author
    the reason (a post still held for pre-moderation was not approved)."""
    post_id = ids.post_id(object_uri)
    post = await store.post_by_id(s, post_id) if post_id else None
    if post is None or not reason:
        return
    await _home_says(s, peer, post.subnet_uri)
    kind = "rejected" if post.moderation_state == "held" else "removed"
    await tell_author(s, ids, post=post, kind=kind, reason=reason, now=now)


async def sanctioned_by_home(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    action: str,
    subnet_uri: str,
    member_uri: str,
    reason: str,
    until: datetime | None,
    now: datetime,
) -> None:
    """A subnet's home warned, suspended or reinstated one of our people: we apply it too."""
    await _home_says(s, peer, subnet_uri)
    local = await personas.local_member(s, ids, member_uri)
    if local is None:
        raise NotFound("That person is not one of ours.")
    await sanction_here(
        s,
        action=action,
        subnet_uri=subnet_uri,
        member_uri=member_uri,
        person_id=local.person.id,
        reason=reason,
        until=until,
        now=now,
    )
    await audit.record(s, at=now, who=subnet_uri, action=f"moderation.{action}", target=member_uri)


async def asked_by_partner_moderator(
    s: AsyncSession,
    ids: LocalIds,
    *,
    peer: Peer,
    actor_uri: str,
    action: str,
    subnet_uri: str,
    target: str,
    reason: str,
    until: datetime | None,
    now: datetime,
) -> None:
    """A partner trust's clinician asks us, the subnet's home, to act: only if we made them a
    moderator of this very subnet."""
    if action not in ACTIONS:
        raise Invalid("that is not a moderator action")
    if host_of(actor_uri) != peer.host or ids.subnet_slug(subnet_uri) is None:
        raise NotPermitted("Only a subnet's home decides on moderation, for its moderators.")
    row = await subnet_store.membership(s, subnet_uri, actor_uri)
    if row is None or row.role != "moderator":
        raise NotPermitted("That person is not a moderator of this subnet.")
    if action in ("remove", "warn", "suspend") and not reason:
        raise Invalid("a moderator's action needs a reason")
    await apply(
        s,
        ids,
        action=action,
        subnet_uri=subnet_uri,
        target=target,
        reason=reason,
        until=until,
        who=actor_uri,
        now=now,
    )


async def edited_elsewhere(
    s: AsyncSession, ids: LocalIds, *, object_uri: str, now: datetime
) -> None:
    """A post's home edited it: mark the reference edited; in a pre-moderated subnet hosted
    here, the edit goes back to the moderators (hidden everywhere until approved)."""
    ref = await store.ref_by_uri(s, object_uri)
    if ref is None:
        return
    ref.updated = now
    slug = ids.subnet_slug(ref.subnet_uri)
    subnet = await subnet_store.subnet_by_slug(s, slug) if slug else None
    if subnet is not None and subnet.premoderation and ref.moderation_state == "visible":
        ref.moderation_state = "held"
        await events.record(
            s,
            EventKind.MODERATION_HIDDEN,
            {"object_uri": object_uri, "subnet_uri": ref.subnet_uri, "state": "held"},
            now,
        )
