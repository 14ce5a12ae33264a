"""Crisis support shown to a person at once after they write something that worries us.

The trust configures its helplines (defaults below, from NHS and charity guidance) and its
staffed hours; the page says when a member of the team will next be online — now, if someone
is on duty. Words are for the person: what they can do now, never what the software did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from actors import alerts, subnets
from actors.errors import NotFound
from actors.ids import LocalIds
from actors.screened import SCREENED
from storage import alerts as alert_store
from storage import posts as post_store
from storage.models import Person

LONDON = ZoneInfo("Europe/London")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Helpline:
    """One way to get help now: `kind` is "call" (tel:) or "text" (sms:)."""

    name: str
    number: str
    kind: str = "call"
    detail: str = ""
    body: str = ""  # for a text line: the word to send
    under_18_only: bool = False
    label: str = ""  # the link's words, when "Call <name> on <number>" reads badly

    @property
    def text(self) -> str:
        if self.label:
            return self.label
        if self.kind == "text":
            return f"Text {self.body} to {self.number}" if self.body else f"Text {self.number}"
        return f"Call {self.name} on {self.number}"

    @property
    def href(self) -> str:
        digits = re.sub(r"[^0-9+]", "", self.number)
        if self.kind == "text":
            return f"sms:{digits}?body={self.body}" if self.body else f"sms:{digits}"
        return f"tel:{digits}"


DEFAULT_HELPLINES: tuple[Helpline, ...] = (
    Helpline("Samaritans", "116 123", detail="Free, any time, day or night."),
    Helpline(
        "NHS 111",
        "111",
        detail="Choose option 2 for the mental health crisis line. Free, any time.",
        label="Call NHS 111, option 2",
    ),
    Helpline("Shout", "85258", kind="text", body="SHOUT", detail="Free, any time, by text."),
    Helpline(
        "Childline",
        "0800 1111",
        detail="Free for anyone under 19, any time.",
        under_18_only=True,
    ),
    Helpline(
        "Emergency services",
        "999",
        detail="If you are in danger now, or have hurt yourself. Or go to A&E.",
        label="Call 999",
    ),
)


def helplines_for(helplines: tuple[Helpline, ...], audience: str) -> list[Helpline]:
    return [line for line in helplines if audience == "under_18" or not line.under_18_only]


@dataclass(frozen=True)
class StaffedHours:
    """When the team is usually online, in UK time (e.g. "Mon-Fri 09:00-17:00")."""

    days: frozenset[int]
    start: time
    end: time

    @classmethod
    def parse(cls, value: str) -> StaffedHours:
        match = re.fullmatch(
            r"\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*",
            value,
        )
        if not match:
            raise ValueError(f"staffed hours {value!r} are not like 'Mon-Fri 09:00-17:00'")
        first, last = match.group(1).lower(), (match.group(2) or match.group(1)).lower()
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"staffed hours {value!r} name an unknown day")
        a, b = DAYS.index(first), DAYS.index(last)
        days = frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 7), *range(b + 1)])
        start = time(int(match.group(3)), int(match.group(4)))
        end = time(int(match.group(5)), int(match.group(6)))
        if end <= start:
            raise ValueError(f"staffed hours {value!r} end before they start")
        return cls(days, start, end)

    def next_start(self, now: datetime) -> datetime | None:
        """None when `now` is within staffed hours; else when they next begin (UK time)."""
        local = now.astimezone(LONDON)
        if local.weekday() in self.days and self.start <= local.time() < self.end:
            return None
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            begins = datetime.combine(day, self.start, tzinfo=LONDON)
            if day.weekday() in self.days and begins > local:
                return begins
        return None


@dataclass(frozen=True)
class Availability:
    now: bool  # someone is on duty, or it is within staffed hours
    next_at: datetime | None  # UK time the team is next online, when not now


async def availability(s: AsyncSession, hours: StaffedHours, now: datetime) -> Availability:
    if await alerts.anyone_on_duty(s):
        return Availability(True, None)
    begins = hours.next_start(now)
    return Availability(begins is None, begins)


def when(moment: datetime, now: datetime) -> str:
    """Plain words for a time: "at 9am today", "at 9am tomorrow", "at 9am on Monday"."""
    local, today = moment.astimezone(LONDON), now.astimezone(LONDON).date()
    hour = local.strftime("%I").lstrip("0")
    clock = f"{hour}{local.strftime(':%M') if local.minute else ''}{local.strftime('%p').lower()}"
    if local.date() == today:
        return f"at {clock} today"
    if local.date() == today + timedelta(days=1):
        return f"at {clock} tomorrow"
    return f"at {clock} on {local.strftime('%A')}"


@dataclass(frozen=True)
class AfterPost:
    """What the author's next page says about a post of theirs that screening flagged."""

    subnet_uri: str
    held: bool
    flagged: bool
    audience: str
    subject: str = "post"  # or "name": a name they chose, which others do not see yet


async def after_post(s: AsyncSession, ids: LocalIds, *, person: Person, post_id: str) -> AfterPost:
    """Only the post's author learns how their own post is being looked after."""
    post = await post_store.visible_post(s, post_id)
    if post is None or post.author_id != person.id:
        raise NotFound("There is no such post of yours.")
    try:
        audience = (await subnets.summary(s, ids, post.subnet_uri, "")).audience
    except NotFound:
        audience = "adults"
    return AfterPost(
        post.subnet_uri,
        post.moderation_state == SCREENED,
        post.screening_level != "none",
        audience,
    )


async def after_name(s: AsyncSession, ids: LocalIds, *, person: Person, alert_id: str) -> AfterPost:
    """What the person's next page says about a name of theirs that screening held."""
    alert = await alert_store.alert_by_id(s, alert_id)
    if alert is None or alert.subject != "name" or alert.author_id != person.id:
        raise NotFound("There is no such name of yours.")
    audience = "adults"
    if alert.subnet_uri:
        try:
            audience = (await subnets.summary(s, ids, alert.subnet_uri, "")).audience
        except NotFound:
            pass
    return AfterPost(alert.subnet_uri, alert.held, True, audience, subject="name")
