"""Posting the weekly digest to every configured managers' channel, once per week."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.digest._chart import render_chart
from bot.digest._compute import compute_digest, last_week
from bot.digest._render import to_markdown
from bot.digest._runs import claim_run, mark_posted, missed_week, release_run
from bot.store import Database

log = logging.getLogger(__name__)

Poster = Callable[[str, bytes, str], Awaitable[None]]  # (markdown, chart PNG, week)


class DigestPublisher:
    def __init__(
        self,
        db: Database,
        posters: Sequence[Poster],
        *,
        zone: ZoneInfo,
        weekday: int,
        time: str,
        lang: str,
        stale_after_days: int,
        min_confidence: float,
    ) -> None:
        self.db, self.posters, self.zone, self.lang = db, list(posters), zone, lang
        self.weekday = weekday
        self.hour, self.minute = (int(part) for part in time.split(":"))
        self.stale_after_days, self.min_confidence = stale_after_days, min_confidence

    def last_week(self, now: datetime | None = None) -> str:
        return last_week(self.zone, now)

    async def publish(self, week: str, *, force: bool = False) -> bool:
        """Post `week`'s digest unless another worker already did (or is doing) it; True if posted here."""
        if not force and not claim_run(self.db, week):
            return False
        try:
            digest = compute_digest(
                self.db,
                week,
                self.zone,
                now=datetime.now(UTC),
                stale_after_days=self.stale_after_days,
                min_confidence=self.min_confidence,
            )
            markdown = to_markdown(digest, self.lang, self.stale_after_days)
            chart = render_chart(digest, self.lang)
            for post in self.posters:
                await post(markdown, chart, week)
        except Exception:
            log.exception("the digest for %s could not be posted; it will be tried again", week)
            release_run(self.db, week)
            return False
        mark_posted(self.db, week)
        return True

    async def catch_up(self, now: datetime | None = None) -> bool:
        """Post last week's digest if it was due while the server was down."""
        week = missed_week(self.db, now or datetime.now(UTC), self.zone, self.weekday, self.hour, self.minute)
        return await self.publish(week) if week else False
