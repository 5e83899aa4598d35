"""The loop that delivers an adapter's outbox: woken at once when something is queued, else on a timer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class OutboxWorker:
    def __init__(self, drain: Callable[[], Awaitable[int]]) -> None:
        self._drain = drain
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self, interval_s: float) -> None:
        while not self._stopping:
            await self._drain()
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
