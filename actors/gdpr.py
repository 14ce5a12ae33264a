"""A person's UK GDPR rights over what this node holds about them: access and erasure.

Access (Art. 15, 20): everything tied to the account — profile, personal details, memberships,
private messages, posts with their text (a removed one with why), journal entries, notices and
last visits, sessions, the audit entries about them (who read their personal details: by role,
trust and day), and which partner trusts' members read each post and when (fetched, or served
from a partner's cache and reported) — as one JSON document. A reader is named by role and
trust, never by pseudonym or URI.
Erasure (Art. 17): posts, private messages (their own conversations and every message they
wrote), journal entries, memberships, sessions, details and the account are removed at home in
one transaction, and each erased post is recorded as a `post.deleted` event (with the post's and
subnet's URIs, since the row is gone) so that `federation/` tells every node holding a reference
to drop it; a `person.deleted` event (naming each persona and its subnet) has every node of
those subnets drop the persona documents it holds. Audit entries stay: they name
only the opaque actor URI, and the trust must be able to account for past access.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from actors import events, messages, people, personas, subnets
from actors.errors import Invalid, NotPermitted
from actors.events import EventKind
from actors.ids import LocalIds
from actors.policy import Action, may
from actors.posts import REMOTE_READ
from storage import audit
from storage import controls as controls_store
from storage import details as details_store
from storage import evidence as evidence_store
from storage import gdpr as store
from storage import journal as journal_store
from storage import notices as notice_store
from storage import peers as peer_store
from storage import people as people_store
from storage import pictures as picture_store
from storage import survey as survey_store
from storage.models import Audit, Person, Post, TimeOut


async def _uris(s: AsyncSession, ids: LocalIds, person: Person) -> list[str]:
    """Every URI the person is known by: one per subnet (and the node-wide one, unused now)."""
    return [ids.person(person.id), *await personas.member_uris_of(s, ids, person.id)]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _break(row: TimeOut | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"subnets": row.subnet_uris, "since": _iso(row.started_at), "until": _iso(row.until)}


async def export(
    s: AsyncSession, ids: LocalIds, *, person: Person, node_name: str, now: datetime
) -> dict[str, Any]:
    """Everything this node holds about `person`, for them to download."""
    uri = ids.person(person.id)
    details = await details_store.personal_details(s, person.id)
    names = {item.uri: item.name for item in await subnets.subnets_of(s, ids, person, node_name)}
    own_posts = await store.posts_by(s, person.id)
    peers = await peer_store.list_peers(s)
    trusts = {peer.host: peer.name for peer in peers}
    post_uris = {ids.post(post.id): post for post in own_posts}
    reads = await store.audit_of_targets(s, list(post_uris), REMOTE_READ)
    about_me = await store.audit_about(s, uri)
    who = _Who(s, ids, uri, node_name, {peer.instance_actor: peer.name for peer in peers})
    removals = await _removals(s, ids, person, post_uris, who)
    pictures = await picture_store.described(s, [post.id for post in own_posts])
    data = {
        "exported_at": _iso(now),
        "trust": node_name,
        "account": {
            "id": uri,
            "username": person.username,
            "pseudonym": person.pseudonym,
            "role": person.role,
            "avatar": person.avatar,
            "created_at": _iso(person.created_at),
            "two_step_sign_in": person.totp_secret is not None,
        },
        "personal_details": {
            "real_name": details.real_name,
            "email": details.email,
            "phone": details.phone,
            "nhs_number": details.nhs_number,
        }
        if details
        else None,
        "memberships": [
            {
                "subnet": m.subnet_uri,
                "name": names.get(m.subnet_uri, ""),
                "since": _iso(m.created_at),
            }
            for m in await store.memberships_of_any_state(s, await _uris(s, ids, person))
        ],
        "posts": [
            {
                "id": ids.post(post.id),
                "subnet": post.subnet_uri,
                "published": _iso(post.published),
                "content": post.content,
                "removed": _iso(post.deleted_at),
                "removed_why": removals.get(ids.post(post.id)),
                "picture": {
                    "description": pictures[post.id].alt_text,
                    "type": pictures[post.id].media_type,
                    "address": f"/pictures?post={ids.post(post.id)}",
                }
                if post.id in pictures
                else None,
            }
            for post in own_posts
        ],
        "read_by_partners": [
            {
                "post": row.target,
                "published": _iso(post_uris[row.target].published),
                "trust": trusts.get(row.via or "", row.via or "another trust"),
                "at": _iso(row.at),
            }
            for row in reads
        ],
        "read_by_partners_by_day": reads_by_day(
            [
                (
                    row.target,
                    trusts.get(row.via or "", row.via or "another trust"),
                    row.at,
                )
                for row in reads
            ],
            {
                uri: (post.published, names.get(post.subnet_uri, ""))
                for uri, post in post_uris.items()
            },
        ),
        "details_seen_by_day": await _details_seen(about_me, who),
        "notices": [
            {
                "kind": row.kind,
                "about": row.subject_uri,
                "subnet": row.subnet_name or names.get(row.subnet_uri or "", row.subnet_uri),
                "reason": row.reason,
                "until": _iso(row.until),
                "at": _iso(row.created_at),
                "read": _iso(row.read_at),
            }
            for row in await notice_store.notices_of(s, person.id, None)
        ],
        "last_visits": {
            names.get(subnet_uri, subnet_uri): _iso(at)
            for subnet_uri, at in (await notice_store.visits_of(s, person.id)).items()
        },
        "journal": [
            {
                "written": _iso(row.written_at),
                "edited": _iso(row.updated_at),
                "text": row.text,
                "mood": row.mood,
                "tags": list(row.tags),
                "shared_with_clinicians": _iso(row.shared_at),
            }
            for row in await journal_store.entries_of(s, person.id)
        ],
        "sessions": [
            {"started": _iso(row.created_at), "last_seen": _iso(row.last_seen_at)}
            for row in await store.sessions_of(s, person.id)
        ],
        "muted": [
            {"kind": row.kind, "what": row.label, "since": _iso(row.created_at)}
            for row in await controls_store.mutes_of(s, person.id)
        ],
        "break": _break(await controls_store.time_out_of(s, person.id)),
        "audit": [
            {
                "at": _iso(row.at),
                "who": row.who,
                "by": await who.label(row.who),
                "action": row.action,
                "target": row.target,
            }
            for row in about_me
        ],
        # The Evidence page counts these (one per subnet and clock hour); survey answers are
        # kept without the person, so only when they were last asked is theirs.
        "subnet_visits": [
            {"subnet": subnet_uri, "hour": _iso(hour)}
            for subnet_uri, hour in await evidence_store.visits_of(s, person.id)
        ],
        "survey_last_offered": _iso(await survey_store.last_offered(s, person.id)),
        # Private messages never leave this node; each conversation with what they may read.
        "messages": await messages.export(s, person=person),
    }
    await audit.record(s, at=now, who=uri, action="data.exported", target=uri)
    return data


DETAILS_ACTIONS = {"personal_details.read": "read", "personal_details.recorded": "recorded"}
ARTICLE = {"admin": "an admin", "clinician": "a clinician"}


@dataclass
class _Who:
    """Says who an audit entry names, in words: a role and a trust, never a URI or a name."""

    s: AsyncSession
    ids: LocalIds
    me: str
    node_name: str
    peers: dict[str, str]
    _known: dict[str, tuple[str, str]] = field(default_factory=dict)

    async def role_and_trust(self, uri: str) -> tuple[str, str]:
        if uri not in self._known:
            self._known[uri] = await self._find(uri)
        return self._known[uri]

    async def _find(self, uri: str) -> tuple[str, str]:
        if uri == self.me:
            return "you", self.node_name
        person_id = self.ids.person_id(uri)
        if person_id is not None:
            person = await people_store.person_by_id(self.s, person_id)
            role = person.role if person is not None else "former member of staff"
            return role, self.node_name
        if uri in self.peers:
            return "trust", self.peers[uri]
        if uri == "retention":
            return "retention", self.node_name
        return "member", "another trust"

    async def label(self, uri: str) -> str:
        """ "you", "a clinician at Berkshire Healthcare", "Oxford Health" (a trust's node)."""
        role, trust = await self.role_and_trust(uri)
        if role in ("you", "trust"):
            return "you" if role == "you" else trust
        if role == "retention":
            return "the subnet's retention period"
        return f"{ARTICLE.get(role, f'a {role}')} at {trust}"


async def _details_seen(rows: Sequence[Audit], who: _Who) -> list[dict[str, Any]]:
    """Who read or recorded the person's personal details, by day, role and trust."""
    counted: Counter[tuple[str, str, str, str]] = Counter()
    for row in rows:
        if row.action in DETAILS_ACTIONS:
            role, trust = await who.role_and_trust(row.who)
            counted[(row.at.date().isoformat(), DETAILS_ACTIONS[row.action], role, trust)] += 1
    return [
        {"day": day, "action": action, "role": role, "trust": trust, "times": times}
        for (day, action, role, trust), times in sorted(counted.items(), reverse=True)
    ]


def reads_by_day(
    reads: Sequence[tuple[str, str, datetime]], posts: dict[str, tuple[datetime, str]]
) -> list[dict[str, Any]]:
    """Partner reads of the person's posts (post URI, trust, time), counted per post, trust
    and day, newest day first: what "Your data" shows (the download keeps every read)."""
    counted: Counter[tuple[str, str, str]] = Counter()
    last: dict[tuple[str, str, str], datetime] = {}
    for post_uri, trust, at in reads:
        key = (at.date().isoformat(), post_uri, trust)
        counted[key] += 1
        last[key] = max(last.get(key, at), at)
    return [
        {
            "day": day,
            "post": post_uri,
            "published": _iso(posts[post_uri][0]) if post_uri in posts else None,
            "subnet": posts[post_uri][1] if post_uri in posts else "",
            "trust": trust,
            "times": times,
            "last_at": _iso(last[(day, post_uri, trust)]),
        }
        for (day, post_uri, trust), times in sorted(counted.items(), reverse=True)
    ]


async def _removals(
    s: AsyncSession, ids: LocalIds, person: Person, post_uris: dict[str, Post], who: _Who
) -> dict[str, str]:
    """Why each of the person's removed posts was removed, in words."""
    gone = [uri for uri, post in post_uris.items() if post.deleted_at is not None]
    reasons = await notice_store.reasons_given(s, person.id, "post_removed", gone)
    deleted_by = {
        row.target: row.who for row in await store.audit_of_targets(s, gone, "post.deleted")
    }
    why = {}
    for uri in gone:
        by = deleted_by.get(uri)
        role, trust = await who.role_and_trust(by) if by else ("", "")
        if by == ids.person(person.id) or role == "you":
            text = "You deleted it."
        elif role == "retention":
            text = "Removed when it reached the subnet's retention period."
        elif role == "trust":
            text = f"Removed by a moderator at {trust}, which hosts the subnet."
        elif by:
            text = "Removed by a moderator."
        else:
            text = "Removed."
        if uri in reasons:
            text = f"{text.removesuffix('.')}. Reason: {reasons[uri]}"
        why[uri] = text
    for uri, post in post_uris.items():
        if post.deleted_at is None and post.moderation_state == "rejected":
            why[uri] = "Not approved by a moderator" + (
                f". Reason: {reasons[uri]}" if uri in reasons else "."
            )
    return why


async def erase(
    s: AsyncSession,
    ids: LocalIds,
    hasher: PasswordHasher,
    *,
    person: Person,
    password: str,
    now: datetime,
) -> int:
    """Erase the account after the person confirms with their password; returns posts erased."""
    if not may(person.role, Action.ERASE_OWN_ACCOUNT):
        raise NotPermitted("Staff accounts are closed by the trust's admin.")
    if await people.authenticate(s, hasher, person.username, password) is None:
        raise Invalid("That password is not right.", "password")
    uri = ids.person(person.id)
    member_uris = await _uris(s, ids, person)
    posts = await store.posts_by(s, person.id)
    for post in posts:
        await events.record(
            s,
            EventKind.POST_DELETED,
            {
                "post_id": post.id,
                "object_uri": ids.post(post.id),
                "subnet_uri": post.subnet_uri,
                "author_uri": await personas.find_member_uri(s, ids, person.id, post.subnet_uri)
                or uri,
            },
            now,
        )
    subnet_uris = [m.subnet_uri for m in await store.memberships_of_any_state(s, member_uris)]
    members = [[m.uri, m.persona.subnet_uri] for m in await personas.members_of(s, ids, person.id)]
    await events.record(
        s,
        EventKind.PERSON_DELETED,
        {"person_uri": uri, "subnets": subnet_uris, "members": members},
        now,
    )
    await messages.erase_person(s, person=person)
    await store.delete_account(s, person.id, member_uris)
    await audit.record(s, at=now, who=uri, action="account.erased", target=uri)
    return len(posts)
