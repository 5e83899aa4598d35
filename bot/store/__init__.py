"""Persistence: SQLModel tables over SQLite by default or any SQLAlchemy URL (PostgreSQL in production)."""

from bot.store._database import Database, DatabaseUnavailable
from bot.store._tables import (
    AuditEntry,
    Case,
    CaseMessage,
    Conversation,
    ConversationRef,
    DigestRun,
    Feedback,
    IndexSnapshot,
    Lease,
    Outbox,
    PendingConfirmation,
    ProcessedEvent,
    RateHit,
    Ticket,
    TicketComment,
    TimeOffRequest,
    Turn,
)

__all__ = [
    "AuditEntry",
    "Case",
    "CaseMessage",
    "Conversation",
    "ConversationRef",
    "Database",
    "DatabaseUnavailable",
    "DigestRun",
    "Feedback",
    "IndexSnapshot",
    "Lease",
    "Outbox",
    "PendingConfirmation",
    "ProcessedEvent",
    "RateHit",
    "Ticket",
    "TicketComment",
    "TimeOffRequest",
    "Turn",
]
