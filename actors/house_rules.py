"""House rules: what a local subnet's staff ask of its members, shown when someone joins (the
invitation page, the welcome page) and linked from the subnet's page.

Rules are written at the subnet's home and kept there; a partner trust's members see the
rules of the subnets their own trust hosts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from actors import membership, subnets
from actors.errors import Invalid, NotPermitted
from actors.ids import LocalIds
from actors.policy import Action, may
from actors.text import is_blank, post_text
from storage import audit
from storage import house_rules as store
from storage import subnets as subnet_store
from storage.models import Person

MAX_LENGTH = 5000


@dataclass(frozen=True)
class SubnetRules:
    """A subnet's name and its rules (None: none written here)."""

    uri: str
    name: str
    text: str | None
    local: bool


async def rules_for(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str
) -> SubnetRules:
    """A subnet's rules, for one of its members (NotFound for anyone else)."""
    summary = await subnets.subnet_for_member(s, ids, person, subnet_uri, "")
    text = None
    slug = ids.subnet_slug(subnet_uri)
    subnet = await subnet_store.subnet_by_slug(s, slug) if slug else None
    if subnet is not None:
        text = (await store.rules_of(s, [subnet.id])).get(subnet.id)
    return SubnetRules(subnet_uri, summary.name, text, summary.local)


async def rules_of_slugs(s: AsyncSession, slugs: Sequence[str]) -> list[SubnetRules]:
    """The rules of local subnets named by slug (an invitation's), those that have any."""
    found = []
    for slug in slugs:
        subnet = await subnet_store.subnet_by_slug(s, slug)
        if subnet is None:
            continue
        text = (await store.rules_of(s, [subnet.id])).get(subnet.id)
        if text:
            found.append(SubnetRules("", subnet.name, text, True))
    return found


async def may_edit(s: AsyncSession, ids: LocalIds, person: Person, subnet_uri: str) -> bool:
    """Staff of the subnet's home who belong to it (admins: any subnet hosted here)."""
    if not may(person.role, Action.EDIT_HOUSE_RULES):
        return False
    try:
        await membership.require_moderator(s, ids, person, subnet_uri)
    except NotPermitted:
        return False
    return True


async def set_rules(
    s: AsyncSession, ids: LocalIds, *, person: Person, subnet_uri: str, text: str, now: datetime
) -> None:
    """Staff write a subnet's rules (empty: none); audited."""
    if not await may_edit(s, ids, person, subnet_uri):
        raise NotPermitted("Only staff of this subnet's home trust can change its house rules.")
    slug = ids.subnet_slug(subnet_uri)
    subnet = await subnets.local_subnet(s, slug or "")
    text = "" if is_blank(text) else post_text(text, "The house rules", "rules")
    if len(text) > MAX_LENGTH:
        raise Invalid(f"House rules can be at most {MAX_LENGTH} characters long.", "rules")
    await store.set_rules(s, subnet.id, text, now)
    await audit.record(
        s, at=now, who=ids.person(person.id), action="house_rules.edited", target=subnet_uri
    )
