"""A person's UK GDPR rights over what this node holds about them: access and erasure.

Access (Art. 15, 20): everything tied to the account — profile, personal details, memberships,
posts with their text, sessions and the audit entries about them — as one JSON document.
Erasure (Art. 17): posts, memberships, sessions, details and the account are removed at home in
one transaction, and each erased post is recorded as a `post.deleted` event (with the post's and
subnet's URIs, since the row is gone) so that `federation/` tells every node holding a reference
to drop it; a `person.deleted` event does the same for the actor. Audit entries stay: they name
only the opaque actor URI, and the trust must be able to account for past access.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from actors import people, personas, subnets
from actors.errors import Invalid, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from storage import audit, queues
from storage import details as details_store
from storage import erasure as store
from storage.models import Person


async def _uris(s: AsyncSession, ids: LocalIds, person: Person) -> list[str]:
    """Every URI the person is known by: one per subnet (and the node-wide one, unused now)."""
    return [ids.person(person.id), *await personas.member_uris_of(s, ids, person.id)]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def export(
    s: AsyncSession, ids: LocalIds, *, person: Person, node_name: str, now: datetime
) -> dict[str, Any]:
    """Everything this node holds about `person`, for them to download."""
    uri = ids.person(person.id)
    details = await details_store.personal_details(s, person.id)
    names = {item.uri: item.name for item in await subnets.subnets_of(s, ids, person, node_name)}
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
            }
            for post in await store.posts_by(s, person.id)
        ],
        "sessions": [
            {"started": _iso(row.created_at), "last_seen": _iso(row.last_seen_at)}
            for row in await store.sessions_of(s, person.id)
        ],
        "audit": [
            {"at": _iso(row.at), "who": row.who, "action": row.action, "target": row.target}
            for row in await store.audit_about(s, uri)
        ],
    }
    await audit.record(s, at=now, who=uri, action="data.exported", target=uri)
    return data


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
        await queues.add_event(
            s,
            "post.deleted",
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
    await queues.add_event(s, "person.deleted", {"person_uri": uri, "subnets": subnet_uris}, now)
    await store.delete_account(s, person.id, member_uris)
    await audit.record(s, at=now, who=uri, action="account.erased", target=uri)
    return len(posts)
