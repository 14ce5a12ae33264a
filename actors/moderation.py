"""Pre-moderation at a subnet's home: posts held until one of its moderators decides.

A held post of ours is not announced and not served to any node; a held reference to a
partner's post is not announced. Approval releases it (the usual event), refusal erases it
(ours) or tells its author's node to (a partner's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import threads
from actors.errors import NotFound
from actors.ids import LocalIds
from actors.membership import require_moderator
from actors.posts import RefToResolve
from storage import audit, queues
from storage import people as people_store
from storage import posts as store
from storage.models import Person


@dataclass(frozen=True)
class Held:
    uri: str
    author_name: str
    content: str | None
    local: bool
    published: datetime


async def held(
    s: AsyncSession, ids: LocalIds, *, moderator: Person, subnet_uri: str
) -> tuple[list[Held], list[RefToResolve]]:
    """Our held posts (with text) and held references (to resolve live, like a page)."""
    await require_moderator(s, ids, moderator, subnet_uri)
    ours = []
    for post in await store.held_posts(s, subnet_uri):
        author = await people_store.person_by_id(s, post.author_id)
        name = author.pseudonym if author else "A member"
        ours.append(Held(ids.post(post.id), name, post.content, True, post.published))
    refs = [
        RefToResolve(ref.object_uri, ref.peer_id) for ref in await store.held_refs(s, subnet_uri)
    ]
    return ours, refs


async def decide(
    s: AsyncSession,
    ids: LocalIds,
    *,
    moderator: Person,
    subnet_uri: str,
    object_uri: str,
    approve: bool,
    now: datetime,
) -> None:
    await require_moderator(s, ids, moderator, subnet_uri)
    post_id = ids.post_id(object_uri)
    if post_id is not None:
        post = await store.visible_post(s, post_id)
        if post is None or post.subnet_uri != subnet_uri or post.moderation_state != "held":
            raise NotFound("There is no such post waiting for moderation.")
        if approve:
            post.moderation_state = "visible"
            await queues.add_event(s, "post.created", {"post_id": post.id}, now)
        else:
            await threads.erase(s, ids, post=post, now=now, who=ids.person(moderator.id))
    else:
        ref = await store.ref_by_uri(s, object_uri)
        if ref is None or ref.subnet_uri != subnet_uri or ref.moderation_state != "held":
            raise NotFound("There is no such post waiting for moderation.")
        if approve:
            ref.moderation_state = "visible"
            await queues.add_event(s, "ref.accepted", {"object_uri": object_uri}, now)
        else:
            await threads.remove_reference(s, ids, person=moderator, object_uri=object_uri, now=now)
    await audit.record(
        s,
        at=now,
        who=ids.person(moderator.id),
        action="post.approved" if approve else "post.refused",
        target=object_uri,
    )
