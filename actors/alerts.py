"""Alerts for the author's home trust: what screening found, and what staff did about it.

An alert is raised at the author's home node in the same transaction as the post (or the name
a person chose, `actors/screened.py`) it is about, whichever node hosts the subnet, and never
leaves this node. Who sees
alerts: the clinicians on duty — or every clinician when nobody is on duty — and, once an
urgent alert has gone unacknowledged for the escalation time, the trust's admins too. Every
read and every action is audited. A held post (`moderation_state == "screened"`) is released
by a clinician here; release then records it as a normal post would be. A held name is
applied on release, as if screening had passed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors import journal, messages, personas, posts, profile, subnets
from actors.errors import Invalid, NotFound, NotPermitted
from actors.ids import LocalIds
from actors.policy import STAFF, Action, may
from actors.text import post_text
from storage import alerts as store
from storage import audit
from storage import journal as journal_store
from storage import people as people_store
from storage.models import Alert, AlertNote, Page, Person, Post

OUTCOMES: dict[str, str] = {
    "contacted": "Contacted the person",
    "no_action": "No action needed",
    "crisis_team": "Referred to the crisis team",
    "safeguarding": "Safeguarding referral",
}
CATEGORY_LABELS: dict[str, str] = {
    "suicidal_intent": "Suicidal intent or plan",
    "self_harm_current": "Current self-harm",
    "ed_medical_risk": "Eating-disorder medical risk",
    "safeguarding": "Safeguarding disclosure",
    "perinatal_risk": "Perinatal risk to mother or baby",
    "harm_to_others": "Harm to others",
    "self_harm_urges": "Self-harm urges",
    "passive_ideation": "Passive ideation",
    "pro_ed": "Pro-eating-disorder encouragement",
    "ed_numbers": "Weight, calorie, BMI or exercise numbers",
}
MAX_NOTE = 2000


async def _on_duty_ids(s: AsyncSession) -> set[str]:
    return {
        person.id
        for _, person in await store.on_duty(s)
        if person.role == "clinician" and not person.disabled
    }


async def sees_all_alerts(s: AsyncSession, viewer: Person) -> bool:
    """A clinician on duty, or any clinician while no clinician is on duty."""
    if not may(viewer.role, Action.READ_ALERTS):
        return False
    duty = await _on_duty_ids(s)
    return not duty or viewer.id in duty


async def unread_count(s: AsyncSession, viewer: Person) -> int:
    """Open (unacknowledged) alerts this person should look at: shown on every staff page."""
    if await sees_all_alerts(s, viewer):
        return await store.count_open(s)
    if may(viewer.role, Action.READ_ESCALATED_ALERTS):
        return await store.count_open(s, escalated_only=True)
    return 0


@dataclass(frozen=True)
class AlertView:
    id: str
    level: str
    categories: tuple[str, ...]
    score: float
    subnet_uri: str
    subnet_name: str
    created_at: datetime
    state: str
    escalated: bool
    held: bool
    post_state: str  # for a name: "held" or "applied"; a journal entry: "shared", "private"…
    post_uri: str  # "" for a name
    content: str
    author_id: str
    author_name: str
    acknowledged_by: str = ""
    acknowledged_at: datetime | None = None
    outcome: str = ""
    notes: tuple[tuple[datetime, str, str], ...] = field(default_factory=tuple)
    subject: str = "post"  # or "name": a name the person chose, shown to nobody yet


async def _view(
    s: AsyncSession,
    ids: LocalIds,
    alert: Alert,
    post: Post | None,
    author: Person,
    notes: bool = False,
) -> AlertView:
    try:
        name = (await subnets.summary(s, ids, alert.subnet_uri, "")).name
    except NotFound:
        name = "a subnet no longer known here"
    if not alert.subnet_uri:
        name = "every subnet (their pseudonym)"
    if alert.subject == "message":
        name = f"a private message ({name})" if alert.subnet_uri else "a private message"
    post_state, content = _state(post, alert), post.content if post else alert.text or ""
    if alert.subject == "journal":
        name = "their journal, shared with clinicians"
        entry = await journal_store.entry_by_id(s, alert.journal_entry_id or "")
        post_state, content = journal.alert_content(alert, entry)
    acknowledger = (
        await people_store.person_by_id(s, alert.acknowledged_by) if alert.acknowledged_by else None
    )
    written: tuple[tuple[datetime, str, str], ...] = ()
    if notes:
        written = tuple(
            (note.created_at, person.pseudonym if person else "a former colleague", note.text)
            for note, person in await store.notes_of(s, alert.id)
        )
    return AlertView(
        id=alert.id,
        level=alert.level,
        categories=tuple(alert.categories),
        score=alert.score,
        subnet_uri=alert.subnet_uri,
        subnet_name=name,
        created_at=alert.created_at,
        state=alert.state,
        escalated=alert.escalated_at is not None,
        held=post.moderation_state == "screened" if post else alert.held,
        post_state=post_state,
        post_uri=ids.post(post.id) if post else "",
        content=content,
        author_id=author.id,
        author_name=author.pseudonym,
        acknowledged_by=acknowledger.pseudonym if acknowledger else "",
        acknowledged_at=alert.acknowledged_at,
        outcome=OUTCOMES.get(alert.outcome or "", ""),
        notes=written,
        subject=alert.subject,
    )


def _state(post: Post | None, alert: Alert) -> str:
    if post is None:
        return "held" if alert.held else "applied"
    return post.moderation_state if post.deleted_at is None else "deleted"


@dataclass(frozen=True)
class Board:
    """The Alerts page: what this viewer may see, and who is on duty."""

    scope: str  # "all", "escalated" or "off_duty"
    open: list[AlertView]
    acknowledged: list[AlertView]
    resolved: list[AlertView]
    on_duty: list[tuple[str, datetime]]
    viewer_on_duty: bool


async def board(s: AsyncSession, ids: LocalIds, *, viewer: Person, now: datetime) -> Board:
    if not may(viewer.role, Action.READ_ESCALATED_ALERTS):
        raise NotPermitted("Alerts are for the trust's staff.")
    duty = [(person.pseudonym, row.since) for row, person in await store.on_duty(s)]
    viewer_on = any(row.person_id == viewer.id for row, _ in await store.on_duty(s))
    if await sees_all_alerts(s, viewer):
        scope, escalated_only = "all", False
    elif viewer.role == "admin":
        scope, escalated_only = "escalated", True
    else:
        return Board("off_duty", [], [], [], duty, viewer_on)
    lists: dict[str, list[AlertView]] = {}
    for state in ("open", "acknowledged", "resolved"):
        rows = await store.alerts_with_posts(
            s, states=[state], escalated_only=escalated_only, limit=50
        )
        lists[state] = [await _view(s, ids, *row) for row in rows]
    lists["resolved"].sort(key=lambda view: view.created_at, reverse=True)
    await audit.record(s, at=now, who=ids.person(viewer.id), action="alerts.listed", target=scope)
    return Board(scope, lists["open"], lists["acknowledged"], lists["resolved"], duty, viewer_on)


async def _visible(
    s: AsyncSession, viewer: Person, alert_id: str
) -> tuple[Alert, Post | None, Person]:
    row = await store.alert_with_post(s, alert_id)
    if row is None:
        raise NotFound("There is no such alert.")
    if await sees_all_alerts(s, viewer):
        return row
    if may(viewer.role, Action.READ_ESCALATED_ALERTS) and (
        row[0].escalated_at is not None and viewer.role == "admin"
    ):
        return row
    raise NotFound("There is no such alert.")


async def alert(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, alert_id: str, now: datetime
) -> AlertView:
    """One alert with the post's text and the notes; the read is audited."""
    row = await _visible(s, viewer, alert_id)
    await audit.record(s, at=now, who=ids.person(viewer.id), action="alert.read", target=alert_id)
    return await _view(s, ids, *row, notes=True)


async def _handled(
    s: AsyncSession, viewer: Person, alert_id: str, action: Action = Action.HANDLE_ALERTS
) -> tuple[Alert, Post | None, Person]:
    if not may(viewer.role, action):
        raise NotPermitted("Only clinicians act on alerts.")
    row = await _visible(s, viewer, alert_id)
    if not await sees_all_alerts(s, viewer):
        raise NotPermitted("Go on duty to act on alerts.")
    return row


async def acknowledge(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, alert_id: str, now: datetime
) -> None:
    alert, _, _ = await _handled(s, viewer, alert_id)
    if alert.state == "open":
        alert.state, alert.acknowledged_at, alert.acknowledged_by = "acknowledged", now, viewer.id
        await audit.record(
            s, at=now, who=ids.person(viewer.id), action="alert.acknowledged", target=alert.id
        )


async def add_note(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, alert_id: str, text: str, now: datetime
) -> None:
    text = post_text(text, "Your note", "note")  # the rules every text people read follows
    if not text:
        raise Invalid("Write the note before adding it.")
    if len(text) > MAX_NOTE:
        raise Invalid(f"A note can be at most {MAX_NOTE} characters long.")
    alert, _, _ = await _handled(s, viewer, alert_id)
    await store.add_note(
        s, AlertNote(alert_id=alert.id, author_id=viewer.id, text=text, created_at=now)
    )
    await audit.record(s, at=now, who=ids.person(viewer.id), action="alert.noted", target=alert.id)


async def resolve(
    s: AsyncSession, ids: LocalIds, *, viewer: Person, alert_id: str, outcome: str, now: datetime
) -> None:
    """Close an alert with what was done (acknowledging it too, if nobody had)."""
    if outcome not in OUTCOMES:
        raise Invalid("Choose what was done.")
    alert, _, _ = await _handled(s, viewer, alert_id)
    if alert.state == "resolved":
        raise Invalid("This alert is already resolved.")
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, viewer.id
    alert.state, alert.resolved_at, alert.resolved_by, alert.outcome = (
        "resolved",
        now,
        viewer.id,
        outcome,
    )
    await audit.record(
        s, at=now, who=ids.person(viewer.id), action=f"alert.resolved.{outcome}", target=alert.id
    )


async def decide_post(
    s: AsyncSession,
    ids: LocalIds,
    *,
    viewer: Person,
    alert_id: str,
    release: bool,
    now: datetime,
) -> None:
    """Release the held post (it is then recorded as a normal post would be, and leaves this
    node if its subnet is shared) or keep it held, seen by its author alone. For a held name:
    apply it, or keep it unused."""
    alert, post, author = await _handled(s, viewer, alert_id, Action.RELEASE_SCREENED_POST)
    if alert.subject == "message" and alert.message_id:
        await messages.release_held(
            s,
            ids,
            message_id=alert.message_id,
            release=release,
            who=ids.person(viewer.id),
            now=now,
        )
        alert.held = alert.held and not release
        return
    if post is None:
        await _decide_name(
            s, ids, alert=alert, author=author, release=release, viewer=viewer, now=now
        )
        return
    if post.moderation_state != "screened" or post.deleted_at is not None:
        raise Invalid("This post is not held.")
    if release:
        await posts.publish(s, ids, post=post, author=author, now=now)
    await audit.record(
        s,
        at=now,
        who=ids.person(viewer.id),
        action="post.released" if release else "post.kept",
        target=ids.post(post.id),
    )


async def _decide_name(
    s: AsyncSession,
    ids: LocalIds,
    *,
    alert: Alert,
    author: Person,
    release: bool,
    viewer: Person,
    now: datetime,
) -> None:
    if not alert.held or not alert.text:
        raise Invalid("This name is not held.")
    if release:
        alert.held = False
        if alert.subnet_uri:
            await personas.apply_pseudonym(
                s, person_id=author.id, subnet_uri=alert.subnet_uri, pseudonym=alert.text, now=now
            )
        else:
            await profile.apply_pseudonym(s, author, alert.text, now)
    await audit.record(
        s,
        at=now,
        who=ids.person(viewer.id),
        action="name.released" if release else "name.kept",
        target=ids.person(author.id),
    )


async def set_duty(
    s: AsyncSession, ids: LocalIds, *, person: Person, on: bool, now: datetime
) -> None:
    if not may(person.role, Action.GO_ON_DUTY):
        raise NotPermitted("Only staff go on duty.")
    await store.set_on_duty(s, person.id, now, on)
    await audit.record(
        s, at=now, who=ids.person(person.id), action="duty.on" if on else "duty.off", target=""
    )


async def anyone_on_duty(s: AsyncSession) -> bool:
    return bool(await _on_duty_ids(s))


async def escalate_due(
    s: AsyncSession, ids: LocalIds, *, now: datetime, after: timedelta
) -> list[str]:
    """Alerts (urgent or concern) nobody acknowledged within `after`: mark them escalated
    (admins see them, shown in red) and queue a call to the escalation webhook. Returns their
    ids."""
    escalated = []
    for alert in await store.due_for_escalation(s, now - after):
        alert.escalated_at = now
        await store.add_page(
            s, Page(alert_id=alert.id, kind="escalation", next_attempt_at=now, created_at=now)
        )
        await audit.record(s, at=now, who="escalation", action="alert.escalated", target=alert.id)
        escalated.append(alert.id)
    return escalated


def is_staff(person: Person | None) -> bool:
    return person is not None and person.role in STAFF


async def paging_record(s: AsyncSession, *, viewer: Person) -> list[Page]:
    """Calls to the paging webhook that have not (yet) succeeded, newest first (admins)."""
    if not may(viewer.role, Action.READ_PAGING_RECORD):
        raise NotPermitted("Only the trust's admins see the paging record.")
    return list(await store.recent_pages(s))
