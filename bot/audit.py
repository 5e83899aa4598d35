"""The audit trail: every tool call, allowed or not, with who, what, and what came of it."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlmodel import col, select

from bot._logging import current_correlation_id
from bot.store import AuditEntry, Database

__all__ = ["AuditEvent", "entries", "record"]


class AuditEvent(StrEnum):
    OFFERED = "offered"
    DENIED = "denied"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # the human thread and feedback
    OPENED = "opened"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    FEEDBACK = "feedback"


def record(
    db: Database,
    actor: str,
    tool: str,
    event: AuditEvent,
    arguments: Mapping[str, Any] | None = None,
    result: str = "",
    turn_id: int | None = None,
) -> None:
    # A separate unit of work: an audit line must survive the failure it records.
    with db.session() as s:
        s.add(
            AuditEntry(
                actor=actor,
                tool=tool,
                event=str(event),
                arguments=dict(arguments or {}),
                result=result[:2000],
                turn_id=turn_id,
                # the turn it happened in, as its log lines and its Turn row name it
                correlation_id=current_correlation_id(),
            )
        )


def entries(db: Database, actor: str | None = None, limit: int = 200) -> list[AuditEntry]:
    with db.session() as s:
        query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        return list(s.exec(query).all())
