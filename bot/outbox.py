"""Posts owed to a platform, kept until delivered: a failed post is retried later, never dropped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from bot.store import Case, Database, Outbox
from bot.types import utcnow

__all__ = ["adopt_unlabelled", "delivered", "due", "enqueue", "postpone"]

_MAX_BACKOFF = timedelta(minutes=30)


def enqueue(db: Database, kind: str, payload: dict[str, Any], *, delay_s: float | None = None) -> int:
    """Queue a post; `delay_s` when the platform asked for a wait (a rate limit's Retry-After)."""
    with db.session() as s:
        item = Outbox(kind=kind, payload=payload)
        if delay_s:
            item.next_attempt_at = utcnow() + timedelta(seconds=delay_s)
        s.add(item)
        s.flush()
        assert item.id is not None
        return item.id


def due(db: Database, platform: str, limit: int = 50) -> list[Outbox]:
    """`platform`'s undelivered items whose next attempt is due, oldest first. Only its own: items no
    running adapter can send must never fill the batch and starve the others."""
    with db.session() as s:
        return list(
            s.exec(
                select(Outbox)
                .where(
                    col(Outbox.delivered_at).is_(None),
                    col(Outbox.next_attempt_at) <= utcnow(),
                    Outbox.payload["platform"].as_string() == platform,
                )
                .order_by(col(Outbox.id))
                .limit(limit)
            ).all()
        )


def delivered(db: Database, item_id: int) -> None:
    with db.session() as s:
        item = s.get(Outbox, item_id)
        if item is not None:
            item.delivered_at = utcnow()


def postpone(db: Database, item_id: int, error: str, retry_after: float | None = None) -> None:
    """Try again later: after `retry_after` seconds when the platform says so, else exponential backoff."""
    with db.session() as s:
        item = s.get(Outbox, item_id)
        if item is None:
            return
        item.attempts += 1
        wait = (
            timedelta(seconds=retry_after)
            if retry_after
            else min(_MAX_BACKOFF, timedelta(seconds=2**item.attempts))
        )
        item.next_attempt_at = utcnow() + wait
        item.last_error = error[:500]


def adopt_unlabelled(db: Database) -> int:
    """Label items queued before each item named its platform (a case's items by their case, a kept
    Slack reply by its kind), so `due` finds them; returns how many were labelled."""
    labelled = 0
    with db.session() as s:
        for item in s.exec(select(Outbox).where(col(Outbox.delivered_at).is_(None))).all():
            if "platform" in item.payload:
                continue
            if item.kind == "slack_message":
                item.kind, item.payload = "platform_message", {"platform": "slack", "post": item.payload}
            else:
                case = s.get(Case, int(item.payload.get("case_id") or 0))
                if case is None:
                    continue
                item.payload = {**item.payload, "platform": case.platform}
            labelled += 1
    return labelled
