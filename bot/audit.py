"""The audit trail: every tool call, allowed or not, with who, what, and what came of it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TextIO

from sqlmodel import col, select

from bot.fleet._logging import current_correlation_id
from bot.store import AuditEntry, Database

__all__ = ["AuditEvent", "ExportFormat", "entries", "export", "record"]


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


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


_EXPORT_FIELDS = ("id", "at", "actor", "tool", "event", "arguments", "result", "turn_id", "correlation_id")


def export(db: Database, since: datetime, out: TextIO, fmt: ExportFormat, batch: int = 1000) -> int:
    """Write every entry recorded at or after `since` (aware) to `out`, oldest first; returns how many.

    Read in batches by id, each in its own short unit of work, so a long trail never sits in memory and
    no transaction stays open while the file is written. In CSV the arguments are one JSON cell.
    """
    writer = csv.DictWriter(out, _EXPORT_FIELDS, lineterminator="\n") if fmt == ExportFormat.CSV else None
    if writer is not None:
        writer.writeheader()
    count = 0
    for entry in _entries_since(db, since, batch):
        row = entry.model_dump(include=set(_EXPORT_FIELDS))
        row["at"] = entry.at.isoformat()
        if writer is not None:
            writer.writerow({**row, "arguments": json.dumps(entry.arguments, ensure_ascii=False)})
        else:
            out.write(json.dumps({k: row[k] for k in _EXPORT_FIELDS}, ensure_ascii=False) + "\n")
        count += 1
    return count


def _entries_since(db: Database, since: datetime, batch: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        with db.session() as s:
            rows = s.exec(
                select(AuditEntry)
                .where(AuditEntry.at >= since, col(AuditEntry.id) > after)
                .order_by(col(AuditEntry.id))
                .limit(batch)
            ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id or after
