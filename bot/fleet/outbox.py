"""Posts owed to a platform, kept until delivered: a failed post is retried later, never dropped.

Several workers share one outbox. A worker claims a batch before sending it (`claim`): the claim names
the worker and lasts a lease, so no other worker takes those items meanwhile, and a killed worker's items
go to another once its lease runs out. `delivered`, `postpone`, `renew` and `release` act only on the
caller's own claim. Every write is one conditional statement, so it is atomic on PostgreSQL and on SQLite
alike (a read followed by a write would race, and on SQLite would fail instead of waiting for the lock)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from bot.fleet import workers
from bot.store import Case, Database, Outbox
from bot.types import utcnow

__all__ = [
    "LEASE_S",
    "adopt_unlabelled",
    "claim",
    "delivered",
    "enqueue",
    "postpone",
    "release",
    "renew",
]

LEASE_S = 60.0  # a send takes seconds; a killed worker's items wait this long for another worker
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


def claim(
    db: Database, platform: str, *, lease_s: float = LEASE_S, limit: int = 50, worker: str = ""
) -> list[Outbox]:
    """Take up to `limit` of `platform`'s due, unclaimed items for `lease_s` seconds, oldest first. Only
    its own platform's: items no running adapter can send must never fill the batch and starve the others."""
    worker = worker or workers.WORKER_ID
    now = utcnow()
    free = or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now)
    candidates = (
        select(Outbox.id)
        .where(
            col(Outbox.delivered_at).is_(None),
            col(Outbox.next_attempt_at) <= now,
            Outbox.payload["platform"].as_string() == platform,
            free,
        )
        .order_by(col(Outbox.id))
        .limit(limit)
    )
    # Most polls find nothing: a plain read then, which takes no lock (SQLite's is the whole file).
    with db.session() as s:
        if s.exec(candidates).first() is None:
            return []
    # `free` is checked again in the UPDATE itself: another worker may have claimed the rows since the
    # read. PostgreSQL skips the rows another worker is locking; SQLite has no row locks and ignores SKIP
    # LOCKED, its UPDATE holding the file's write lock instead.
    statement = (
        update(Outbox)
        .where(col(Outbox.id).in_(candidates.with_for_update(skip_locked=True)), free)
        .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_s))
        .returning(Outbox)
        .execution_options(synchronize_session=False)
    )
    with db.session() as s:
        claimed: list[Outbox] = list(s.exec(statement).scalars())
    return sorted(claimed, key=lambda item: item.id or 0)


def renew(db: Database, item_id: int, *, lease_s: float = LEASE_S, worker: str = "") -> bool:
    """Extend our claim on an item about to be sent; False when it is no longer ours to send (the lease
    ran out and another worker took it, or it was delivered)."""
    return _own(
        db,
        item_id,
        worker,
        col(Outbox.delivered_at).is_(None),
        claimed_until=utcnow() + timedelta(seconds=lease_s),
    )


def delivered(db: Database, item_id: int, *, worker: str = "") -> bool:
    """Mark our claimed item sent and let the claim go; False when the claim was not ours."""
    return _own(db, item_id, worker, delivered_at=utcnow(), claimed_by="", claimed_until=None)


def postpone(
    db: Database, item: Outbox, error: str, retry_after: float | None = None, *, worker: str = ""
) -> bool:
    """Try our claimed item again later: after `retry_after` seconds when the platform says so, else with
    exponential backoff. The claim goes; False when it was not ours."""
    attempts = item.attempts + 1
    backoff = min(_MAX_BACKOFF, timedelta(seconds=2**attempts))
    wait = timedelta(seconds=retry_after) if retry_after else backoff
    return _own(
        db,
        item.id or 0,
        worker,
        attempts=attempts,
        next_attempt_at=utcnow() + wait,
        last_error=error[:500],
        claimed_by="",
        claimed_until=None,
    )


def release(db: Database, item_ids: Iterable[int], *, worker: str = "") -> None:
    """Give back claimed items we will not send (a worker stopping), so others need not wait the lease."""
    ids = list(item_ids)
    if not ids:
        return
    with db.session() as s:
        s.exec(
            update(Outbox)
            .where(col(Outbox.id).in_(ids), col(Outbox.claimed_by) == (worker or workers.WORKER_ID))
            .values(claimed_by="", claimed_until=None)
        )


def _own(db: Database, item_id: int, worker: str, *where: ColumnElement[bool], **values: Any) -> bool:
    """Update an item only while `worker` holds its claim; whether it did."""
    statement = (
        update(Outbox)
        .where(col(Outbox.id) == item_id, col(Outbox.claimed_by) == (worker or workers.WORKER_ID), *where)
        .values(**values)
        .returning(col(Outbox.id))
    )
    with db.session() as s:
        return s.exec(statement).first() is not None


def adopt_unlabelled(db: Database) -> int:
    """Label items queued before each item named its platform (a case's items by their case, a kept
    Slack reply by its kind), so `claim` finds them; returns how many were labelled."""
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
