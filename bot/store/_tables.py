"""Table models. They stay inside `bot/`: adapters get `Reply` objects and plain values, never rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.types import utcnow


class Conversation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)  # platform:tenant:channel:thread
    platform: str
    channel_id: str = ""
    thread_id: str = ""
    user_id: str  # who started it (platform:user)
    started_at: datetime = Field(default_factory=utcnow)


class Turn(SQLModel, table=True):
    """One question and the bot's reply to it."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    platform: str
    user_id: str
    question: str
    answer: str = ""
    lang: str = "en"
    outcome: str = ""
    topic: str = ""  # the document area the answer came from, or the tool used
    confidence: float = 0.0
    tool: str = ""
    case_id: int | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    latency_ms: float = 0.0
    correlation_id: str = Field(default="", index=True)  # carried from the platform event to the logs


class ProcessedEvent(SQLModel, table=True):
    """A platform delivery already handled; the unique key makes retries a no-op across workers."""

    platform: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    at: datetime = Field(default_factory=utcnow)


class Case(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    turn_id: int | None = None
    platform: str
    user_id: str
    channel_id: str = ""
    thread_id: str = ""
    lang: str = "en"
    question: str
    summary: str = ""  # what the bot found and tried
    topic: str = ""
    status: str = "open"  # open, claimed, resolved
    opened_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_by: str = ""
    claimed_at: datetime | None = None
    first_human_reply_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str = ""
    # where the case was announced to the human team (platform-specific: channel and message id)
    announcement: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class CaseMessage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    author: str
    role: str  # employee, human
    text: str
    at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Append-only: the application inserts and reads these rows, nothing updates or deletes them (on
    PostgreSQL a trigger refuses both, whoever asks)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str  # platform:user
    tool: str
    event: str  # offered, denied, proposed, confirmed, cancelled, expired, succeeded, failed
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    result: str = ""
    turn_id: int | None = None
    correlation_id: str = Field(default="", index=True)


class Feedback(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("turn_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    turn_id: int = Field(foreign_key="turn.id", index=True)
    user_id: str
    value: int  # +1 or -1
    at: datetime = Field(default_factory=utcnow)


class PendingConfirmation(SQLModel, table=True):
    id: str = Field(primary_key=True)
    user_id: str
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    lang: str = "en"
    summary: str = ""
    turn_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    status: str = "pending"  # pending, confirmed, cancelled, expired


class Ticket(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    requester: str = Field(index=True)
    category: str
    summary: str
    status: str = "open"  # open, in_progress, closed
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TicketComment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    author: str
    text: str
    at: datetime = Field(default_factory=utcnow)


class TimeOffRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    requester: str = Field(index=True)
    start: date
    end: date
    kind: str
    days: int  # working days (Monday to Friday) in the range
    note: str = ""
    status: str = "pending"  # pending, approved, rejected
    created_at: datetime = Field(default_factory=utcnow)
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_note: str = ""


class Outbox(SQLModel, table=True):
    """Posts an adapter owes a platform (case announcements, relays); kept until delivered."""

    __table_args__ = (Index("ix_outbox_undelivered", "delivered_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    last_error: str = ""
    # A worker's claim while it sends: nobody else takes the item until `claimed_until`, so a killed
    # worker's items go to another worker once the lease runs out.
    claimed_by: str = ""
    claimed_until: datetime | None = None


class DigestRun(SQLModel, table=True):
    week: str = Field(primary_key=True)  # ISO week, 2026-W47: one row, one post, however many workers
    started_at: datetime = Field(default_factory=utcnow)
    posted_at: datetime | None = None


class ConversationRef(SQLModel, table=True):
    """How to reach a conversation later (proactive messages): the platform's own reference, as stored."""

    platform: str = Field(primary_key=True)
    conversation_id: str = Field(primary_key=True)
    reference: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


class Lease(SQLModel, table=True):
    """A named piece of work one worker does at a time (a reindex): held until `until`, renewed while
    the work runs, and free again when a killed holder stops renewing it."""

    name: str = Field(primary_key=True)
    holder: str = ""
    until: datetime = Field(default_factory=utcnow)
    acquired_at: datetime = Field(default_factory=utcnow)


class IndexSnapshot(SQLModel, table=True):
    """Snapshots written to the shared store, newest current: every worker switches to the newest."""

    snapshot_id: str = Field(primary_key=True)
    recorded_at: datetime = Field(default_factory=utcnow, index=True)
    worker: str = ""
    chunks: int = 0
    documents: int = 0


class RateHit(SQLModel, table=True):
    """One message a user sent, counted against the per-user limit by every worker."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
