"""The node's tables (design.md, "Main records").

Identifiers that cross the network are URIs held as strings (`subnet_uri`, `author_uri`,
`object_uri`): a reference to content elsewhere and a row written here are then looked up the
same way. Local rows also have an opaque random `id` used in URLs; nothing sequential is exposed.
Times are timezone-aware UTC in Python, stored as UTC on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
    __table_args__ = (Index("ix_post_subnet_published", "subnet_uri", "published"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    author_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    subnet_uri: Mapped[str] = mapped_column(String(255))
    in_reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    content: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime]
    updated: Mapped[datetime | None] = mapped_column(default=None)
    moderation_state: Mapped[str] = mapped_column(String(16), default="visible")
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class PostRef(Base):
    """A reference to content stored on another node: never its text."""

    __tablename__ = "post_ref"
    __table_args__ = (Index("ix_post_ref_subnet_published", "subnet_uri", "published"),)
    object_uri: Mapped[str] = mapped_column(String(255), primary_key=True)
    subnet_uri: Mapped[str] = mapped_column(String(255))
    author_uri: Mapped[str] = mapped_column(String(255))
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    moderation_state: Mapped[str] = mapped_column(String(16), default="visible")
    published: Mapped[datetime]
    received_at: Mapped[datetime]


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


class Event(Base):
    """Transactional outbox: what `actors/` did, written in the same transaction as the change."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    done: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class Delivery(Base):
    """One activity to one recipient node's inbox: a retrying state machine."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_due", "state", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    inbox: Mapped[str] = mapped_column(String(255))
    activity: Mapped[dict[str, Any]]
    signer: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime]


class InboxItem(Base):
    """A verified inbound activity awaiting processing; `activity_id` makes replays harmless."""

    __tablename__ = "inbox_item"
    __table_args__ = (Index("ix_inbox_due", "state", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(255), unique=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peer.id", ondelete="CASCADE"), index=True)
    activity: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    received_at: Mapped[datetime]


class Audit(Base):
    """Append-only record of who did what to which record, including remote reads."""

    __tablename__ = "audit"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(index=True)
    who: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    via: Mapped[str | None] = mapped_column(String(255), default=None)


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
