"""Delivering a platform's outbox: woken at once when something is queued, else on a timer. The worker
claims only its platform's items and hands each to `send`; failures are postponed, never dropped. Other
workers on the same database never receive an item this one holds, and take it if this one dies."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from bot.fleet import outbox
from bot.store import Database, DatabaseUnavailable, Outbox

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

_BATCH = 10  # what a worker holds at once: small, so that slow posts spread over every worker


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
        self._unrecorded: list[int] = []  # posted while the database was down
        self._unsent: list[int] = []  # claimed, dropped unsent when the database went down

    def wake(self) -> None:
        self._wake.set()

    async def drain(self, lease_s: float = outbox.LEASE_S) -> int:
        """Send every due item of ours, a claimed batch at a time; returns how many were delivered."""
        await self._settle()
        sent = 0
        while not self._stopping:
            claimed_at = time.monotonic()
            batch = await self._call(outbox.claim, self._platform, lease_s=lease_s, limit=_BATCH)
            sent += await self._deliver(batch, lease_s, claimed_at)
            if len(batch) < _BATCH:
                break
        return sent

    async def _deliver(self, batch: list[Outbox], lease_s: float, claimed_at: float) -> int:
        sent = 0
        for position, item in enumerate(batch):
            rest = [i.id or 0 for i in batch[position:]]
            if self._stopping:  # another worker need not wait out the lease for what we will not send
                await self._call(outbox.release, rest)
                break
            try:
                # A slow batch can outlast its lease: past half of it, each item is renewed before it
                # is sent, and sent only if it is still ours.
                fresh = time.monotonic() - claimed_at < lease_s / 2
                sent += await self._deliver_one(item, None if fresh else lease_s)
            except DatabaseUnavailable:
                self._unsent.extend(i for i in rest if i not in self._unrecorded)
                raise
        return sent

    async def _deliver_one(self, item: Outbox, renew_for_s: float | None) -> int:
        item_id = item.id or 0
        if renew_for_s is not None and not await self._call(outbox.renew, item_id, lease_s=renew_for_s):
            log.info("outbox item %s went to another worker while this one was busy", item_id)
            return 0
        try:
            await self._send(item)
        except Exception as exc:  # network, rate limit, a channel that is gone: try again later
            error = f"{type(exc).__name__}: {exc}"
            await self._call(outbox.postpone, item, error, self._retry_after(exc))
            return 0
        self._unrecorded.append(item_id)
        await self._call(outbox.delivered, item_id)
        self._unrecorded.remove(item_id)
        return 1

    async def _settle(self) -> None:
        """What the database missed while it was down, once it is back: posts made but not recorded (else
        they would be posted again when their lease ran out) and claims dropped unsent (released, so they
        need not wait out the lease)."""
        while self._unrecorded:
            await self._call(outbox.delivered, self._unrecorded[0])
            self._unrecorded.pop(0)
        if self._unsent:
            await self._call(outbox.release, self._unsent)
            self._unsent.clear()

    async def _call(
        self, query: Callable[Concatenate[Database, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """The database off the event loop: on SQLite a write may wait for the file's lock, and the loop
        must keep acknowledging the platform's requests meanwhile."""
        return await asyncio.to_thread(query, self._db, *args, **kwargs)

    async def run(self, interval_s: float, lease_s: float = outbox.LEASE_S) -> None:
        """Deliver until stopped; `lease_s`: how long a claim keeps other workers off an item."""
        try:
            await self._call(outbox.adopt_unlabelled)
        except Exception as exc:  # the database is down: the loop below keeps trying the rest
            log.warning("could not label older outbox items: %s", exc)
        while not self._stopping:
            try:
                await self.drain(lease_s)
            except Exception as exc:  # the database is down: the loop must outlive it
                log.warning("the %s outbox could not be read: %s", self._platform, exc)
            try:
                await asyncio.wait_for(self._wake.wait(), interval_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Let a delivery in flight finish (a post cut in half leaves the platform's connection hanging)
        and give back the rest of the batch."""
        self._stopping = True
        self._wake.set()
        await task
