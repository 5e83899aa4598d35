"""Agent turns on their own event loop, in one worker thread: a turn's CPU work (embedding, ranking,
composing) never holds up the server's loop, which must acknowledge Slack within 3 s and answer /healthz.

At most `max_in_flight` turns run at once and the others wait in arrival order: turns share the CPU, and
run all together they all finish together (a burst's first asker waited as long as its last). On
shutdown `drain` waits for every request that started a turn until it has posted its reply."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class TurnRunner:
    """One loop for every turn of an adapter, so what a model client binds to its loop stays valid."""

    def __init__(self, name: str = "agent-turns", max_in_flight: int = 4) -> None:
        self._name = name
        self._max_in_flight = max_in_flight
        self._slots: asyncio.Semaphore | None = None  # created and used on the turn loop only
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._callers: set[asyncio.Task[Any]] = set()  # requests whose turn (and reply) is not done

    def hold(self) -> None:
        """Count the calling request as accepted from now until it finishes: `drain` waits for it even
        before its turn starts (a request reacting with 👀 first)."""
        caller = asyncio.current_task()
        if caller is not None and caller not in self._callers:
            self._callers.add(caller)
            caller.add_done_callback(self._callers.discard)

    async def run(self, turn: Coroutine[Any, Any, T]) -> T:
        self.hold()
        future = asyncio.run_coroutine_threadsafe(self._bounded(turn), self._started())
        return await asyncio.wrap_future(future)

    async def _bounded(self, turn: Coroutine[Any, Any, T]) -> T:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_in_flight)  # wakes its waiters first come, first served
        async with self._slots:
            return await turn

    @property
    def in_flight(self) -> int:
        """Requests that started a turn and have not finished with its reply."""
        return len(self._callers)

    async def drain(self, timeout_s: float) -> int:
        """Wait up to `timeout_s` for every request that started a turn to finish (its reply posted);
        returns how many were still unfinished."""
        pending = {task for task in self._callers if task is not asyncio.current_task()}
        if not pending:
            return 0
        _, left = await asyncio.wait(pending, timeout=timeout_s)
        return len(left)

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name=self._name, daemon=True)
                self._thread.start()
            return self._loop

    def close(self) -> None:
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._slots = None
