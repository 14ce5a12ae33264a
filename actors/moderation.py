"""Moderation decisions at a subnet's home: pre-moderation, hiding, removal, warnings and
suspensions.

The subnet's home decides. A moderator there acts directly; a partner trust's clinician whom
the home made a moderator asks the home (an event their node turns into an activity signed as
them), and the home checks they moderate *this* subnet before doing anything
(`actors/moderation_heard.py`). What the home decides is recorded as an event for every node
taking part (`federation/activities/moderation.py`), so a hidden post is hidden everywhere;
sanctions go to the member's own trust, which applies them to its person too. Every decision
is audited. What waits for a moderator is `actors/moderation_waiting.py`.

A held post of ours is not announced, and is served to no node but the home, except for a
moderator of its subnet (`actors/posts.py`); a held reference to a partner's post is not
announced. Approval releases it, refusal (with a reason its author is told) erases it (ours)
or tells its author's node to (a partner's).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, notices, personas, report_outcomes, sanctions, threads
from actors.errors import Invalid, NotFound, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds
from actors.membership import require_moderator
from actors.policy import Action, may
from actors.posts import subnet_of_known
from storage import audit, reactions
from storage import posts as store
from storage import subnets as subnet_store
from storage.models import Person, Post, PostRef

WITHHELD = "withheld"
"""A post a moderator hid on purpose: that was the review, so nothing waits (hidden after
reports, `hidden`, waits until a moderator looks; either can be shown again)."""
POST_ACTIONS = ("hide", "show", "remove")
MEMBER_ACTIONS = ("warn", "suspend", "lift")
ACTIONS = POST_ACTIONS + MEMBER_ACTIONS
DESTRUCTIVE = ("remove", "suspend", "remove_member")
"""Actions that ask for confirmation, with a reason the person is told."""
POLICY = {
    "hide": Action.HIDE_POST,
    "show": Action.HIDE_POST,
    "remove": Action.REMOVE_POST,
    "warn": Action.WARN_MEMBER,
    "suspend": Action.SUSPEND_MEMBER,
    "lift": Action.LIFT_SUSPENSION,
}


async def decide(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    subnet_uri: str,
    object_uri: str,
    approve: bool,
    now: datetime,
    reason: str = "",
) -> None:
    """Approve or reject a post waiting for a moderator (pre-moderation, an edit, or reports).
    A moderator the home granted at a partner trust asks the home to show it, or to remove
    it with the reason."""
    if not may(moderator.role, Action.DECIDE_HELD_POST):
        raise NotPermitted("Only a moderator of this subnet can do that.")
    if ids.subnet_slug(subnet_uri) is None:
        await act(
            s,
            ids,
            moderator=moderator,
            action="show" if approve else "remove",
            subnet_uri=subnet_uri,
            target=object_uri,
            reason="" if approve else reason or "It was not approved.",
            now=now,
        )
        return
    await require_moderator(s, ids, moderator, subnet_uri)
    post, ref = await _target(s, ids, subnet_uri, object_uri)
    row = post or ref
    if row is None or row.moderation_state not in ("held", "hidden", WITHHELD):
        raise NotFound("There is no such post waiting for moderation.")
    who = ids.person(moderator.id)
    if approve:
        await _show(s, ids, post=post, ref=ref, object_uri=object_uri, who=who, now=now)
    else:
        reason = sanctions.checked_reason(reason, required=False) or "It was not approved."
        await _remove(
            s,
            ids,
            post=post,
            ref=ref,
            object_uri=object_uri,
            who=who,
            reason=reason,
            now=now,
            kind="rejected",
        )
    await audit.record(
        s, at=now, who=who, action="post.approved" if approve else "post.refused", target=object_uri
    )


async def may_moderate(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> bool:
    """Staff of the subnet's home (members of it, or any admin there), or a clinician the home
    made one of its moderators."""
    if person.role == "admin" and ids.subnet_slug(subnet_uri) is not None:
        return True
    return await threads.is_moderator(s, ids, person, subnet_uri)


async def act(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    action: str,
    subnet_uri: str,
    target: str,
    reason: str,
    now: datetime,
    duration: str = "",
) -> None:
    """One moderator action on a post (`hide`, `show`, `remove`) or a member (`warn`,
    `suspend`, `lift`). At the home it is done now; a granted moderator elsewhere asks the
    home. Anyone else is refused and nothing changes."""
    if action not in ACTIONS:
        raise Invalid("Choose what to do.")
    if not may(moderator.role, POLICY[action]) or not await may_moderate(
        s, ids, moderator, subnet_uri
    ):
        raise NotPermitted("Only a moderator of this subnet can do that.")
    reason = sanctions.checked_reason(reason, required=action in ("remove", "warn", "suspend"))
    until = sanctions.until_for(duration, now) if action == "suspend" else None
    if ids.subnet_slug(subnet_uri) is not None:
        await apply(
            s,
            ids,
            action=action,
            subnet_uri=subnet_uri,
            target=target,
            reason=reason,
            until=until,
            who=ids.person(moderator.id),
            now=now,
        )
        return
    actor_uri = await personas.member_uri(s, ids, moderator.id, subnet_uri)
    known = await subnet_of_known(s, ids, target) if action in POST_ACTIONS else subnet_uri
    if known is not None and known != subnet_uri:  # a post held at the home is not known here
        raise NotFound("There is no such post in this subnet.")
    await events.record(
        s,
        EventKind.MODERATION_REQUESTED,
        {
            "action": action,
            "subnet_uri": subnet_uri,
            "target": target,
            "reason": reason,
            "until": until.isoformat() if until else None,
            "actor_uri": actor_uri,
        },
        now,
    )
    await audit.record(
        s, at=now, who=ids.person(moderator.id), action=f"moderation.{action}.asked", target=target
    )


async def apply(
    s: AsyncSession,
    ids: LocalIds,
    *,
    action: str,
    subnet_uri: str,
    target: str,
    reason: str,
    until: datetime | None,
    who: str,
    now: datetime,
) -> None:
    """Do a moderator's action at the subnet's home (the caller checked who may)."""
    if action in POST_ACTIONS:
        post, ref = await _target(s, ids, subnet_uri, target)
        if action == "hide":  # a moderator's decision: it answers the reports
            await _hide(s, ids, post=post, ref=ref, object_uri=target, state=WITHHELD, now=now)
            await report_outcomes.settle(s, object_uri=target, outcome="hidden", now=now)
        elif action == "show":
            await _show(s, ids, post=post, ref=ref, object_uri=target, who=who, now=now)
        else:
            await _remove(
                s, ids, post=post, ref=ref, object_uri=target, who=who, reason=reason, now=now
            )
    else:
        if await subnet_store.any_membership(s, subnet_uri, target) is None:
            raise NotFound("That person is not in this subnet.")
        local = await personas.local_member(s, ids, target)
        person_id = local.person.id if local else None
        if not await sanction_here(
            s,
            action=action,
            subnet_uri=subnet_uri,
            member_uri=target,
            person_id=person_id,
            reason=reason,
            until=until,
            now=now,
        ):
            raise NotFound("That person is not suspended.")
        if local is None:
            await events.record(
                s,
                EventKind(f"moderation.{action}"),
                {
                    "subnet_uri": subnet_uri,
                    "member_uri": target,
                    "reason": reason,
                    "until": until.isoformat() if until else None,
                },
                now,
            )
    await audit.record(s, at=now, who=who, action=f"moderation.{action}", target=target)


async def _target(
    s: AsyncSession, ids: LocalIds, subnet_uri: str, object_uri: str
) -> tuple[Post | None, PostRef | None]:
    post_id = ids.post_id(object_uri)
    post = await store.visible_post(s, post_id) if post_id else None
    ref = None if post is not None else await store.ref_by_uri(s, object_uri)
    found = post.subnet_uri if post else (ref.subnet_uri if ref else None)
    if found != subnet_uri or ids.subnet_slug(subnet_uri) is None:
        raise NotFound("There is no such post in a subnet hosted here.")
    return post, ref


async def _hide(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post: Post | None,
    ref: PostRef | None,
    object_uri: str,
    state: str,
    now: datetime,
) -> None:
    """Hide a post everywhere: `hidden` after reports (waits for a moderator) or `WITHHELD` by
    a moderator. Every node hears which (a held post, never announced, needs no hiding
    elsewhere); reports never undo a moderator's decision."""
    row = post or ref
    assert row is not None
    was = row.moderation_state
    if was == state or (was == WITHHELD and state == "hidden"):
        return
    row.moderation_state = state
    if was in ("visible", "hidden"):
        await events.record(
            s,
            EventKind.MODERATION_HIDDEN,
            {"object_uri": object_uri, "subnet_uri": row.subnet_uri, "state": state},
            now,
        )
    if post is not None and was == "visible":
        await tell_author(s, ids, post=post, kind="held", reason="", now=now)


async def hide_automatically(
    s: AsyncSession, ids: LocalIds, *, object_uri: str, now: datetime
) -> None:
    """Reports reached the threshold: hidden everywhere until a moderator looks."""
    subnet_uri = await subnet_of_known(s, ids, object_uri)
    if subnet_uri is None:
        return
    post, ref = await _target(s, ids, subnet_uri, object_uri)
    await _hide(s, ids, post=post, ref=ref, object_uri=object_uri, state="hidden", now=now)
    await audit.record(s, at=now, who="reports", action="moderation.hide", target=object_uri)


async def _show(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post: Post | None,
    ref: PostRef | None,
    object_uri: str,
    who: str,
    now: datetime,
) -> None:
    row = post or ref
    assert row is not None
    was, row.moderation_state = row.moderation_state, "visible"
    if was == "held":  # pre-moderation: released as a new post would have been
        if post is not None:
            await events.record(s, EventKind.POST_CREATED, {"post_id": post.id}, now)
        else:
            await events.record(s, EventKind.REF_ACCEPTED, {"object_uri": object_uri}, now)
    if was != "visible":
        await events.record(
            s,
            EventKind.MODERATION_SHOWN,
            {"object_uri": object_uri, "subnet_uri": row.subnet_uri},
            now,
        )
    if post is not None and post.updated is not None:  # an approved edit: caches refetch
        await events.record(s, EventKind.POST_UPDATED, {"post_id": post.id}, now)
    await report_outcomes.settle(s, object_uri=object_uri, outcome="shown", now=now)
    if post is not None and was == "held":
        await tell_author(s, ids, post=post, kind="approved", reason="", now=now)


async def _remove(
    s: AsyncSession,
    ids: LocalIds,
    *,
    post: Post | None,
    ref: PostRef | None,
    object_uri: str,
    who: str,
    reason: str,
    now: datetime,
    kind: str = "removed",
) -> None:
    await report_outcomes.settle(s, object_uri=object_uri, outcome="removed", now=now)
    if post is not None:
        await threads.erase(s, ids, post=post, now=now, who=who, outcome="removed")
        await tell_author(s, ids, post=post, kind=kind, reason=reason, now=now)
        return
    assert ref is not None
    await store.delete_ref(s, object_uri)
    await reactions.drop_reactions_to(s, object_uri)
    await events.record(
        s,
        EventKind.MODERATION_REMOVED,
        {"object_uri": object_uri, "subnet_uri": ref.subnet_uri, "reason": reason},
        now,
    )
    await audit.record(s, at=now, who=who, action="ref.removed", target=object_uri)


_NOTICES = {
    "held": notices.NoticeKind.POST_HELD,
    "approved": notices.NoticeKind.POST_APPROVED,
    "rejected": notices.NoticeKind.POST_REJECTED,
    "removed": notices.NoticeKind.POST_REMOVED,
}


async def tell_author(
    s: AsyncSession, ids: LocalIds, *, post: Post, kind: str, reason: str, now: datetime
) -> None:
    """The author of a post of ours hears what a moderator decided, in the app (a removed
    post's notice keeps the reason, not the text)."""
    await notices.tell(
        s,
        person_id=post.author_id,
        kind=_NOTICES[kind],
        subject_uri=ids.post(post.id),
        subnet_uri=post.subnet_uri,
        reason=reason or None,
        now=now,
    )


async def sanction_here(
    s: AsyncSession,
    *,
    action: str,
    subnet_uri: str,
    member_uri: str,
    person_id: str | None,
    reason: str,
    until: datetime | None,
    now: datetime,
) -> bool:
    """Warn, suspend or reinstate a member here, and tell them if they are ours; False when
    there was no suspension to lift (also how a home's sanction of one of ours is applied)."""
    if action == "warn":
        await sanctions.warn(
            s,
            subnet_uri=subnet_uri,
            member_uri=member_uri,
            person_id=person_id,
            reason=reason,
            now=now,
        )
    elif action == "suspend":
        await sanctions.suspend(
            s,
            subnet_uri=subnet_uri,
            member_uri=member_uri,
            person_id=person_id,
            reason=reason,
            until=until,
            now=now,
        )
    elif not await sanctions.lift(s, subnet_uri=subnet_uri, member_uri=member_uri, now=now):
        return False
    await _tell_member(
        s,
        person_id=person_id,
        action=action,
        subnet_uri=subnet_uri,
        reason=reason,
        until=until,
        now=now,
    )
    return True


async def _tell_member(
    s: AsyncSession,
    *,
    person_id: str | None,
    action: str,
    subnet_uri: str,
    reason: str,
    until: datetime | None,
    now: datetime,
) -> None:
    kinds = {
        "warn": notices.NoticeKind.WARNED,
        "suspend": notices.NoticeKind.SUSPENDED,
        "lift": notices.NoticeKind.SUSPENSION_LIFTED,
    }
    if person_id is None or action not in kinds:
        return
    kind = kinds[action]
    await notices.tell(
        s,
        person_id=person_id,
        kind=kind,
        subject_uri=subnet_uri,
        subnet_uri=subnet_uri,
        reason=reason or None,
        until=until,
        now=now,
    )
