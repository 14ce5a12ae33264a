"""The node's tables (design.md, "Main records").

Identifiers that cross the network are URIs held as strings (`subnet_uri`, `author_uri`,
`object_uri`): a reference to content elsewhere and a row written here are then looked up the
same way. Local rows also have an opaque random `id` used in URLs; nothing sequential is exposed.
Times are timezone-aware UTC in Python, stored as UTC on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements on hot paths (no ORM unit-of-work bookkeeping)."""
    return cast(Table, model.__table__)


def new_id() -> str:
    """An opaque, unguessable identifier for URLs and primary keys."""
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Person(Base):
    """A local account. Only `pseudonym` ever appears in anything another node sees."""

    __tablename__ = "person"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    avatar: Mapped[str | None] = mapped_column(String(32), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)


class PersonalDetails(Base):
    """Personal data recorded by clinicians; kept apart and never rendered into AS2."""

    __tablename__ = "personal_details"
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    real_name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    phone: Mapped[str | None] = mapped_column(String(50), default=None)
    nhs_number: Mapped[str | None] = mapped_column(String(20), default=None)


class Persona(Base):
    """A person as one subnet knows them: their own actor URI and, if they chose, pseudonym
    there, so nodes taking part in two subnets cannot link one person across them."""

    __tablename__ = "persona"
    __table_args__ = (UniqueConstraint("person_id", "subnet_uri"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    subnet_uri: Mapped[str] = mapped_column(String(255))
    pseudonym: Mapped[str | None] = mapped_column(String(64), default=None)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; we store only its hash."""

    __tablename__ = "web_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    verified: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Subnet(Base):
    """A moderated group hosted here: an ActivityPub Group actor."""

    __tablename__ = "subnet"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    posting_policy: Mapped[str] = mapped_column(String(16), default="all")
    premoderation: Mapped[bool] = mapped_column(Boolean, default=False)
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    join_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # Eating-disorder numbers for readers: shown | masked | hidden (actors/numbers.py).
    numbers: Mapped[str] = mapped_column(String(8), default="shown", server_default="shown")
    audience: Mapped[str] = mapped_column(String(16), default="adults")  # or "under_18"
    hold_concern: Mapped[bool] = mapped_column(Boolean, default=False)
    # Members of this subnet may message each other privately (actors/messages.py); off.
    peer_messages: Mapped[bool] = mapped_column(Boolean, default=False)
    # "support" (patients, carers and whoever else it names) or "learning": a learning space
    # for professionals and staff alone (actors/policy.py `may_join`).
    kind: Mapped[str] = mapped_column(String(16), default="support", server_default="support")


class Peer(Base):
    """Another trust's node that this trust's admin agreed to federate with."""

    __tablename__ = "peer"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(255), unique=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    instance_actor: Mapped[str] = mapped_column(String(255))
    shared_inbox: Mapped[str] = mapped_column(String(255))
    key_fingerprint: Mapped[str] = mapped_column(String(100))
    signature_schemes: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), default="active")
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    added_at: Mapped[datetime]
    fetch_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_fetch_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fetch_error: Mapped[str | None] = mapped_column(String(200), default=None)


class SubnetPartner(Base):
    """A peer node a local subnet is offered to (`invited`) or shared with (`accepted`)."""

    __tablename__ = "subnet_partner"
    subnet_id: Mapped[str] = mapped_column(
        ForeignKey("subnet.id", ondelete="CASCADE"), primary_key=True
    )
    peer_id: Mapped[str] = mapped_column(
        ForeignKey("peer.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), default="accepted")
    since: Mapped[datetime]


class RemoteActor(Base):
    """A cached actor document from a peer: a person's pseudonym and keys, or a Group."""

    __tablename__ = "remote_actor"
    uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    handle: Mapped[str] = mapped_column(String(255), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    inbox: Mapped[str] = mapped_column(String(255))
    key_id: Mapped[str | None] = mapped_column(String(255), default=None)
    public_key_pem: Mapped[str | None] = mapped_column(Text, default=None)
    ed25519_key_id: Mapped[str | None] = mapped_column(String(255), default=None)
    ed25519_multibase: Mapped[str | None] = mapped_column(String(100), default=None)
    partners: Mapped[list[Any]] = mapped_column(default=list)
    posting_policy: Mapped[str] = mapped_column(String(16), default="all")
    premoderation: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime]
    numbers: Mapped[str] = mapped_column(String(8), default="shown", server_default="shown")
    audience: Mapped[str] = mapped_column(String(16), default="adults")
    hold_concern: Mapped[bool] = mapped_column(Boolean, default=False)
    # A Group's `subnetKind`: "learning" for a learning space, else "support".
    subnet_kind: Mapped[str] = mapped_column(
        String(16), default="support", server_default="support"
    )


class Membership(Base):
    """A person (local or remote) in a subnet (local or remote), by URI."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("subnet_uri", "member_uri"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subnet_uri: Mapped[str] = mapped_column(String(255), index=True)
    member_uri: Mapped[str] = mapped_column(String(255), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]


class Post(Base):
    """Content written here: the only place in the network its text lives."""

    __tablename__ = "post"
    __table_args__ = (
        Index("ix_post_subnet_published", "subnet_uri", "published"),
        Index("ix_post_in_reply_to", "in_reply_to"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    author_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    subnet_uri: Mapped[str] = mapped_column(String(255))
    in_reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    content: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime]
    updated: Mapped[datetime | None] = mapped_column(default=None)
    moderation_state: Mapped[str] = mapped_column(String(16), default="visible")
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    screening_level: Mapped[str] = mapped_column(String(16), default="none")
    screening_categories: Mapped[list[Any]] = mapped_column(default=list)
    screening_score: Mapped[float] = mapped_column(Float, default=0.0)
    # An event about it was recorded, so other nodes may know its URI (never, while screening
    # has held it since it was written).
    left_home: Mapped[bool] = mapped_column(Boolean, default=False)


class PostPicture(Base):
    """The one picture of a post written here, re-encoded without metadata (full size and
    thumbnail): stored only at the post's home, and gone with the post."""

    __tablename__ = "post_picture"
    post_id: Mapped[str] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    media_type: Mapped[str] = mapped_column(String(32))
    alt_text: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail_width: Mapped[int] = mapped_column(Integer)
    thumbnail_height: Mapped[int] = mapped_column(Integer)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)


class PostRef(Base):
    """A reference to content stored on another node: never its text."""

    __tablename__ = "post_ref"
    __table_args__ = (
        Index("ix_post_ref_subnet_published", "subnet_uri", "published"),
        Index("ix_post_ref_in_reply_to", "in_reply_to"),
        Index("ix_post_ref_subnet_peer", "subnet_uri", "peer_id", "moderation_state"),
    )
    object_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    subnet_uri: Mapped[str] = mapped_column(String(255))
    author_uri: Mapped[str] = mapped_column(String(255))
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    moderation_state: Mapped[str] = mapped_column(String(16), default="visible")
    published: Mapped[datetime]
    received_at: Mapped[datetime]
    updated: Mapped[datetime | None] = mapped_column(default=None)  # its home edited it


class ShareOffer(Base):
    """A subnet on a peer that its home invited this node into: pending until our admin answers."""

    __tablename__ = "share_offer"
    subnet_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    invite_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    received_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(default=None)


class Reaction(Base):
    """A Like of a post (local or remote), by URI: a reference, like `post_ref`."""

    __tablename__ = "reaction"
    __table_args__ = (UniqueConstraint("object_uri", "actor_uri"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    object_uri: Mapped[str] = mapped_column(String(255), index=True)
    actor_uri: Mapped[str] = mapped_column(String(255))
    subnet_uri: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime]


class Erasure(Base):
    """A Delete of our content sent to one partner node, kept until that node acknowledges it."""

    __tablename__ = "erasure"
    object_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    peer_id: Mapped[str] = mapped_column(
        ForeignKey("peer.id", ondelete="CASCADE"), primary_key=True
    )
    subnet_uri: Mapped[str] = mapped_column(String(255))
    actor_uri: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    last_sent_at: Mapped[datetime]
    acked_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


class QueueRow:
    """The columns every queue row carries (federation/workers.py runs the state machine):
    `pending` → `done` | `rejected` (refused for a reason) | `failed` (out of attempts; the
    error's type, never its text, in `last_error`)."""

    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # The PostgreSQL server pid of the claiming process's listening connection (see queues.py).
    locked_by: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)


class Event(QueueRow, Base):
    """Transactional outbox: what `actors/` did, written in the same transaction as the change."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]


class Delivery(QueueRow, Base):
    """One activity to one recipient node's inbox: a retrying state machine. Deliveries with the
    same `ordering_key` (the object they are about) to one peer go one at a time, in `seq`
    order, so a Delete never overtakes its Create."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_due", "state", "next_attempt_at"),
        Index("ix_delivery_ordering", "peer_id", "ordering_key", "state", "seq"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    inbox: Mapped[str] = mapped_column(String(255))
    activity: Mapped[dict[str, Any]]
    signer: Mapped[str] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime]
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    ordering_key: Mapped[str | None] = mapped_column(String(255), default=None)
    seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    created_at: Mapped[datetime]


class InboxItem(QueueRow, Base):
    """A verified inbound activity awaiting processing; `activity_id` makes replays harmless."""

    __tablename__ = "inbox_item"
    __table_args__ = (Index("ix_inbox_due", "state", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(255), unique=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    activity: Mapped[dict[str, Any]]
    next_attempt_at: Mapped[datetime]
    received_at: Mapped[datetime]


class HeardDelete(Base):
    """A Delete received for an object, remembered until `keep_until` so that a Create, Announce
    or Update of it arriving late (overtaken in flight) is refused rather than resurrecting it."""

    __tablename__ = "heard_delete"
    object_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"))
    keep_until: Mapped[datetime] = mapped_column(index=True)


class Audit(Base):
    """Append-only record of who did what to which record, including remote reads. Rows form
    a hash chain in `seq` order: each carries the hash of the one before (storage/audit.py)."""

    __tablename__ = "audit"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(index=True)
    who: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    via: Mapped[str | None] = mapped_column(String(255), default=None)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The audit chain's last link (one row): appends take turns on it, and a chain cut short
    at its end no longer matches it."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class SignInThrottle(Base):
    """Recent failed sign-ins per account or per client address (both keyed by a hash)."""

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class Invitation(Base):
    """A one-time way in: a link token and a short code, both stored only as hashes."""

    __tablename__ = "invitation"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    subnet_slugs: Mapped[list[Any]] = mapped_column(default=list)
    real_name: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_by: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RecoveryCode(Base):
    """A one-time second factor for staff who lost their authenticator; stored hashed."""

    __tablename__ = "recovery_code"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class PasswordReset(Base):
    """A clinician-issued, one-time, short-lived link to set a new password; stored hashed."""

    __tablename__ = "password_reset"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Alert(Base):
    """Screened text that the author's home trust must look at (never leaves this node): a post
    (`subject` "post", `post_id` set) or a name the person chose (`subject` "name", the name in
    `text`; in the subnet `subnet_uri`, or everywhere when it is empty)."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_state", "state", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    post_id: Mapped[str | None] = mapped_column(
        ForeignKey("post.id", ondelete="CASCADE"), index=True, default=None
    )
    subject: Mapped[str] = mapped_column(String(16), default="post")
    text: Mapped[str | None] = mapped_column(Text, default=None)
    author_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    subnet_uri: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    # `subject` "message": a private message (its text in `text` too, gone with the message).
    message_id: Mapped[str | None] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True, default=None
    )
    # A journal entry its author shared with their clinicians (`subject` "journal"); None once
    # the entry is deleted.
    journal_entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("journal_entry.id", ondelete="SET NULL"), index=True, default=None
    )


class AlertNote(Base):
    """A staff member's note on an alert."""

    __tablename__ = "alert_note"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class OnDuty(Base):
    """A staff member who said they are on duty (watching alerts) since a time."""

    __tablename__ = "on_duty"
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime]


class Page(Base):
    """One signed call to the trust's paging webhook about an alert: a retrying state machine."""

    __tablename__ = "page"
    __table_args__ = (Index("ix_page_due", "state", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "alert" or "escalation"
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class SubnetVisit(Base):
    """A person opened a subnet's page in this clock hour (one row however often): the
    Evidence page's activity figures, never what they read."""

    __tablename__ = "subnet_visit"
    __table_args__ = (Index("ix_subnet_visit_subnet_hour", "subnet_uri", "hour"),)
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    subnet_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)


class SurveyAnswer(Base):
    """One answer to the in-app survey, by month and without the person who gave it."""

    __tablename__ = "survey_answer"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    question: Mapped[str] = mapped_column(String(64))
    answer: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7), index=True)


class SurveyOffer(Base):
    """When a person was last offered the survey (so it comes at most every N weeks)."""

    __tablename__ = "survey_offer"
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    offered_at: Mapped[datetime]


class Mute(Base):
    """Something a person chose not to see: another person (`kind` "person", by the actor URI
    they write under) or a word (`kind` "word", kept lower-case)."""

    __tablename__ = "mute"
    __table_args__ = (UniqueConstraint("person_id", "kind", "value"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class TimeOut(Base):
    """A person taking a break: the chosen subnets are hidden and notices paused until `until`
    (None: until they come back)."""

    __tablename__ = "time_out"
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    subnet_uris: Mapped[list[Any]] = mapped_column(default=list)
    started_at: Mapped[datetime]
    until: Mapped[datetime | None] = mapped_column(default=None)


class Report(Base):
    """A member's report of a post (kept at the reporter's node, the subnet's home and the
    author's home). `reporter_key` tells reporters apart without naming them: a hash of the
    local member URI here, of the Flag's id when it came from another node."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("object_uri", "reporter_key"),
        Index("ix_report_state", "state", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    object_uri: Mapped[str] = mapped_column(String(255), index=True)
    subnet_uri: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    reporter_key: Mapped[str] = mapped_column(String(64))
    reporter_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    author_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None, index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    # What was decided (actors/report_outcomes.py), wherever the decision was heard.
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)


class Sanction(Base):
    """A moderator's warning or suspension of a member of a subnet, or a node-wide hold on a
    person's posting after many reports; active while `lifted_at` is None and `until` (None:
    for good, or until reviewed) is in the future."""

    __tablename__ = "sanction"
    __table_args__ = (Index("ix_sanction_member", "member_uri", "kind"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # warned, suspended, posting_hold
    subnet_uri: Mapped[str] = mapped_column(String(255), default="")
    member_uri: Mapped[str] = mapped_column(String(255), default="")
    person_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), default=None, index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)


class Notice(Base):
    """Something a local person is told in the app (actors/notices.py names the kinds). Likes
    of one post are counted on one unread row (`count`, the latest liker in `actor_uri`).
    `subnet_name` and `actor_name` are kept as they were, for when the subnet or the other
    party is no longer known here."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_person_created", "person_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    subject_uri: Mapped[str | None] = mapped_column(String(255), default=None)
    subnet_uri: Mapped[str | None] = mapped_column(String(255), default=None)
    subnet_name: Mapped[str | None] = mapped_column(String(200), default=None)
    actor_uri: Mapped[str | None] = mapped_column(String(255), default=None)
    actor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class LastVisit(Base):
    """When a local person last opened a subnet's page ("new since your last visit")."""

    __tablename__ = "last_visit"
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    subnet_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    visited_at: Mapped[datetime]


class HouseRules(Base):
    """A local subnet's house rules, written by its staff, shown when joining and on its page."""

    __tablename__ = "house_rules"
    subnet_id: Mapped[str] = mapped_column(
        ForeignKey("subnet.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class FirstStep(Base):
    """A local subnet marked First Step (for people waiting for their first appointment), with
    its "What happens next" page: the service, its address, what to expect, the expected wait."""

    __tablename__ = "first_step"
    subnet_id: Mapped[str] = mapped_column(
        ForeignKey("subnet.id", ondelete="CASCADE"), primary_key=True
    )
    service: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    what_to_expect: Mapped[str] = mapped_column(Text, default="")
    expected_wait: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


class LibraryResource(Base):
    """One item of a local subnet's library: a page (Markdown in `body`), a PDF document or a
    video (bytes on disk under the node's data directory, named by `id`). Ordered by
    `position`, grouped by `section`; a retired item is kept (for the audit) but not shown."""

    __tablename__ = "library_resource"
    __table_args__ = (Index("ix_library_resource_subnet", "subnet_id", "position"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnet.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # page | document | video
    section: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    media_type: Mapped[str | None] = mapped_column(String(64), default=None)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    digest: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class LibraryReader(Base):
    """That someone read a library item: a keyed hash of (item, reader) whose key is kept in
    the data directory, never in the database, so rows count people but name nobody and
    cannot be joined to the people table from a copy of the database (actors/library.py)."""

    __tablename__ = "library_reader"
    resource_id: Mapped[str] = mapped_column(
        ForeignKey("library_resource.id", ondelete="CASCADE"), primary_key=True
    )
    reader_key: Mapped[str] = mapped_column(String(64), primary_key=True)


class CareTeamMember(Base):
    """A clinician on a local patient's or carer's care team: whom their team messages reach."""

    __tablename__ = "care_team_member"
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    clinician_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_by: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    added_at: Mapped[datetime]


class Conversation(Base):
    """Private messages between local people; they never leave this node (actors/messages.py).
    `kind` "team": `person_id` and their care team; "clinician": `person_id` and the clinician
    `other_id`; "peer": two members (`person_id` started it) of the local subnet `subnet_uri`."""

    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_pair", "person_id", "kind", "other_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    other_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None, index=True
    )
    subnet_uri: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]
    last_message_at: Mapped[datetime]


class Message(Base):
    """One private message. `held`: screening found a peer's message urgent, so only its author
    and this trust's clinicians see it until a clinician releases it."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_conversation", "conversation_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None, index=True
    )
    author_role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    screening_level: Mapped[str] = mapped_column(String(16), default="none")
    held: Mapped[bool] = mapped_column(Boolean, default=False)


class ConversationRead(Base):
    """When a local person last read a conversation (what is unread for them is newer)."""

    __tablename__ = "conversation_read"
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime]


class MessagingSetting(Base):
    """Node-wide messaging words an admin sets: the team's stated reply time (one row)."""

    __tablename__ = "messaging_setting"
    id: Mapped[str] = mapped_column(String(16), primary_key=True, default="node")
    reply_time: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class JournalEntry(Base):
    """A person's journal entry: private to them unless they share it with their home trust's
    clinicians (`shared_at`). Never leaves this node."""

    __tablename__ = "journal_entry"
    __table_args__ = (Index("ix_journal_entry_person_written", "person_id", "written_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    mood: Mapped[int | None] = mapped_column(Integer, default=None)  # 1 (very low) to 5
    tags: Mapped[list[Any]] = mapped_column(default=list)
    written_at: Mapped[datetime]
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    shared_at: Mapped[datetime | None] = mapped_column(default=None)
    # What screening found when it was last shared (a private entry's is never recorded).
    screening_level: Mapped[str] = mapped_column(String(16), default="none")


class WorkCount(Base):
    """What a node's background work has done, summed over all its processes (node/metrics.py):
    `kind` is done, rejected, failed, failed_attempt or restart, and `name` a queue, job or
    task, with `peer` ""; or `kind` is delivery or fetch, `name` the outcome and `peer` the host
    the request went to."""

    __tablename__ = "work_count"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    peer: Mapped[str] = mapped_column(String(255), primary_key=True, default="")
    count: Mapped[int] = mapped_column(BigInteger, default=0)
