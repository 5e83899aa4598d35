"""Delivering an adapter's outbox: woken at once when something is queued, else on a timer. Each adapter
says which items are its own and how to send one; failures are postponed, never dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot import outbox
from bot.store import Database, Outbox


def _no_hint(_: Exception) -> float | None:
    return None


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        mine: Callable[[Outbox], bool],
        send: Callable[[Outbox], Awaitable[None]],
        retry_after: Callable[[Exception], float | None] = _no_hint,
    ) -> None:
        """`retry_after`: the wait the platform asked for in a failure, if it said one."""
        self._db, self._mine, self._send, self._retry_after = db, mine, send, retry_after
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Send every due item of ours; returns how many were delivered."""
        sent = 0
        for item in outbox.due(self._db):
            if not self._mine(item):
                continue
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
        while not self._stopping:
            await self.drain()
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
