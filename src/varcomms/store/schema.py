"""The database tables (SQLAlchemy Core).

Migrations in ``migrations/versions`` create and change these; a test checks that the
migrated database matches this module, so the two cannot drift apart. Times are stored
as UTC and come back timezone-aware on every backend (:class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# -- item pool (collect, draft) ------------------------------------------------------

items = Table(
    "items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("guid", String(1000)),
    Column("url", String(2000), nullable=False),
    Column("title", String(1000), nullable=False),
    Column("summary_html", Text, nullable=False, default=""),
    Column("published_at", UTCDateTime()),
    Column("image_url", String(2000)),
    Column("image_alt", String(1000)),
    Column("themes", JSON, nullable=False, default=list),
    Column("brand", String(50)),
    Column("event_start", UTCDateTime()),
    Column("event_end", UTCDateTime()),
    Column("event_all_day", Boolean, nullable=False, default=False),
    Column("event_location", String(1000)),
    Column("event_uid", String(1000)),
    Column("event_ics_url", String(2000)),
    Column("status", String(20), nullable=False, default="new"),
    Column("used_in", String(50)),
    # Set when an editor re-tags an item: re-collecting then leaves its themes alone.
    Column("themes_locked", Boolean, nullable=False, default=False, server_default=false()),
    # Hash of the normalised content: tells "updated" from "unchanged" on re-collect.
    Column("content_hash", String(64), nullable=False),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Index("ix_items_source_guid", "source", "guid"),
    Index("ix_items_source_url", "source", "url"),
    Index("ix_items_status_kind", "status", "kind"),
    Index("ix_items_published_at", "published_at"),
    Index("ix_items_event_start", "event_start"),
)

source_state = Table(
    "source_state",
    metadata,
    Column("name", String(100), primary_key=True),
    # The URL the validators belong to; a changed URL must not send them.
    Column("url", String(2000)),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("last_fetched_at", UTCDateTime()),
    Column("last_status", String(50)),
    Column("last_error", Text),
    Column("last_duration", Float),
)

# -- audience -------------------------------------------------------------------------


def _email_domain(context: Any) -> str:
    """Default for subscribers.domain: computed from the row's own address on insert."""
    email: str = context.get_current_parameters()["email"]
    return email.rsplit("@", 1)[-1].lower()


subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Normalised (lower-case) address: unique regardless of how it was typed.
    Column("email", String(320), nullable=False, unique=True),
    # The part after "@": domain suppressions and per-domain counts stay plain SQL.
    Column("domain", String(255), nullable=False, default=_email_domain),
    Column("name", String(200)),
    Column("first_name", String(100)),
    Column("organisation", String(200)),
    Column("org_type", String(40), nullable=False, default="other"),
    Column("municipality", String(100)),
    Column("language", String(10), nullable=False, default="nl"),
    Column("status", String(20), nullable=False, default="pending"),
    Column("consent_source", String(200)),
    Column("consent_at", UTCDateTime()),
    Column("confirmed_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Which version of the sign-up form's consent text the person agreed to (web opt-in).
    Column("consent_version", String(40)),
    # A reader may pause the newsletter from the preference centre; no mail until then.
    Column("paused_until", UTCDateTime()),
    Index("ix_subscribers_status", "status"),
    Index("ix_subscribers_org_type", "org_type"),
    Index("ix_subscribers_municipality", "municipality"),
    Index("ix_subscribers_domain", "domain"),
    # An id is never handed out twice (SQLite would reuse the highest deleted one):
    # links in old mail name a subscriber id and must never reach someone else.
    sqlite_autoincrement=True,
)

subscriber_themes = Table(
    "subscriber_themes",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("theme", String(100), primary_key=True),
    Index("ix_subscriber_themes_theme", "theme", "subscriber_id"),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # "address" (normalised email), "domain", or "hash" (salted hash of an erased address)
    Column("kind", String(20), nullable=False),
    Column("value", String(320), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("source", String(100)),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("kind", "value", name="uq_suppressions_kind_value"),
)

# -- web: sign-up requests and rate limits ---------------------------------------------

optins = Table(
    "optins",
    metadata,
    # AUTOINCREMENT: an id is never reused, so an old confirmation link never names a
    # newer request.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    # What the form said (name, organisation, type, municipality, themes): applied only
    # when the address is confirmed.
    Column("data", JSON, nullable=False, default=dict),
    Column("consent_version", String(40), nullable=False),
    Column("source", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime()),
    Index("ix_optins_email", "email"),
    sqlite_autoincrement=True,
)

rate_limits = Table(
    "rate_limits",
    metadata,
    # A keyed hash of what is limited (a client address, a mail address), never the value.
    Column("bucket", String(100), primary_key=True),
    Column("window_start", UTCDateTime(), primary_key=True),
    Column("hits", Integer, nullable=False),
    Index("ix_rate_limits_window_start", "window_start"),
)

# -- delivery -------------------------------------------------------------------------

sends = Table(
    "sends",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("edition_id", String(50), nullable=False),
    Column("segment", String(100)),
    Column("provider", String(40), nullable=False),
    Column("is_test", Boolean, nullable=False, default=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("note", Text),
    Index("ix_sends_edition_id", "edition_id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("send_id", String(40), ForeignKey("sends.id"), nullable=False),
    Column("edition_id", String(50), nullable=False),
    # The normalised address for a real send; test sends use a key that includes the send
    # id, so a test never blocks the real message.
    Column("recipient_key", String(400), nullable=False),
    Column("email", String(320), nullable=False),
    Column("subscriber_id", Integer),
    Column("variant", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("batch", Integer),
    Column("message_id", String(300)),
    Column("provider_message_id", String(300)),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The one rule that makes "nothing twice" structural: one row per person per edition.
    UniqueConstraint("edition_id", "recipient_key", name="uq_deliveries_edition_recipient"),
    Index("ix_deliveries_send_state", "send_id", "state"),
    # Provider events name the message by the Message-ID we set.
    Index("ix_deliveries_message_id", "message_id"),
)

# -- events (webhooks, unsubscribes) ----------------------------------------------------

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(40), nullable=False),
    Column("provider_event_id", String(300)),
    Column("type", String(30), nullable=False),
    Column("email", String(320)),
    Column("send_id", String(40)),
    Column("edition_id", String(50)),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    UniqueConstraint("provider", "provider_event_id", name="uq_events_provider_event"),
    Index("ix_events_email", "email"),
)

# Webhook tokens already seen (Mailgun signs a fresh token per request): a replayed
# request carries a token seen before and is refused. Rows older than the accepted
# timestamp window can go, since such a request is refused by its age anyway.
webhook_tokens = Table(
    "webhook_tokens",
    metadata,
    Column("provider", String(40), primary_key=True),
    Column("token", String(200), primary_key=True),
    Column("seen_at", UTCDateTime(), nullable=False),
)

# -- scheduler --------------------------------------------------------------------------

# APScheduler's own job store table (SQLAlchemyJobStore, tablename="scheduler_jobs"),
# created here so the migrated schema is the whole schema; APScheduler finds it present.
scheduler_jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

# What the scheduler has done once and must never do again: a reminder, a draft, a
# day's refresh, a collect slot. The key says which; the row is written before the act.
scheduler_notices = Table(
    "scheduler_notices",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("edition_id", String(50)),
    Column("kind", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("detail", Text),
)

# The scheduler's claim on an edition's send. Inserting the row (or moving it from
# interrupted/released to sending) is the conditional scheduled → sending change: two
# schedulers firing at once, only one row change succeeds, only one sends.
scheduler_sends = Table(
    "scheduler_sends",
    metadata,
    Column("edition_id", String(50), primary_key=True),
    Column("state", String(20), nullable=False),  # sending | interrupted | released | sent | failed
    Column("owner", String(80)),
    Column("claimed_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("released_by", String(200)),
    Column("released_at", UTCDateTime()),
    Column("note", Text),
)
