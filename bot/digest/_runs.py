"""Posting once per week, whatever the number of workers, and catching up on a missed week."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.digest._compute import iso_week
from bot.store import Database, DigestRun
from bot.types import utcnow


def claim_run(db: Database, week: str) -> bool:
    """True for exactly one caller per week: the digest-run row's primary key is the week."""
    try:
        with db.session() as s:
            s.add(DigestRun(week=week))
    except IntegrityError:
        return False
    return True


def mark_posted(db: Database, week: str) -> None:
    with db.session() as s:
        run = s.get(DigestRun, week)
        if run is not None:
            run.posted_at = utcnow()


def missed_week(
    db: Database, now: datetime, zone: ZoneInfo, weekday: int, hour: int, minute: int
) -> str | None:
    """The last completed week, if its digest was due before `now` and was never claimed."""
    local = now.astimezone(zone)
    due = (local - timedelta(days=(local.weekday() - weekday) % 7)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )
    if due > local:
        due -= timedelta(days=7)
    week = iso_week((due - timedelta(days=7)).date())
    with db.session() as s:
        return None if s.get(DigestRun, week) is not None else week


def release_run(db: Database, week: str) -> None:
    """Give the week back after a failed post, so the next attempt (any worker) can claim it."""
    with db.session() as s:
        run = s.get(DigestRun, week)
        if run is not None and run.posted_at is None:
            s.delete(run)
