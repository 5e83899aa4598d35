"""Delivering a platform's outbox: woken at once when something is queued, else on a timer. The worker
reads only its platform's items and hands each to `send`; failures are postponed, never dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot import outbox
from bot.store import Database, Outbox

log = logging.getLogger(__name__)


def _no_hint(_: Exception) -> float | None:
    return None


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        platform: str,
        send: Callable[[Outbox], Awaitable[None]],
        retry_after: Callable[[Exception], float | None] = _no_hint,
    ) -> None:
        """`retry_after`: the wait the platform asked for in a failure, if it said one."""
        self._db, self._platform, self._send, self._retry_after = db, platform, send, retry_after
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Send every due item of ours; returns how many were delivered."""
        sent = 0
        for item in outbox.due(self._db, self._platform):
            try:
                await self._send(item)
            except Exception as exc:  # network, rate limit, a channel that is gone: try again later
                outbox.postpone(
                    self._db, item.id or 0, f"{type(exc).__name__}: {exc}", self._retry_after(exc)
                )
                continue
            outbox.delivered(self._db, item.id or 0)
            sent += 1
        return sent

    async def run(self, interval_s: float) -> None:
        try:
            outbox.adopt_unlabelled(self._db)
        except Exception as exc:  # the database is down: the loop below keeps trying the rest
            log.warning("could not label older outbox items: %s", exc)
        while not self._stopping:
            try:
                await self.drain()
            except Exception as exc:  # the database is down: the loop must outlive it
                log.warning("the %s outbox could not be read: %s", self._platform, exc)
            try:
                await asyncio.wait_for(self._wake.wait(), interval_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Let a delivery in flight finish (a post cut in half leaves the platform's connection hanging)."""
        self._stopping = True
        self._wake.set()
        await task
