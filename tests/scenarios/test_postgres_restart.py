"""PostgreSQL restarts mid-conversation: users keep writing while the database stops and starts again.
Every event is answered once, or told to try again; nothing is answered twice; the outbox items queued
before and after the outage are all posted once, by a delivery loop that outlived it: the post in flight
when the database went down is recorded once it is back, not posted again.

The database is a throwaway cluster of the test's own (the machine's server on 5432 is never touched)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from adapters._outbox import OutboxWorker
from bot import Bot, IncomingMessage, Outcome, Reply, messages
from bot.fleet import outbox
from bot.store import DatabaseUnavailable, Outbox
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import bot_over, make_settings
from tests.fakes.postgres_cluster import ClusterUnavailable, PostgresCluster, throwaway_cluster

QUESTIONS = [
    "How many vacation days do I get?",
    "¿Cuántos días de vacaciones tengo?",
    "Who decides on approvals of time off?",
]
TRY_AGAIN = {messages.say("database_down", lang) for lang in ("en", "es")}


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    with ExitStack() as stack:
        try:
            started = stack.enter_context(throwaway_cluster())
        except ClusterUnavailable as exc:
            pytest.skip(f"no throwaway PostgreSQL cluster here: {exc}")
        yield started


class Users:
    """Messages sent a few at a time, without pause, until told to stop; every reply is kept."""

    def __init__(self, bot: Bot) -> None:
        self.bot, self.replies = bot, dict[str, Reply | None]()
        self.sent_after_restart: list[str] = []
        self.restarted = False
        self._numbers = itertools.count()
        self._stopping = False

    async def write(self, writers: int = 3) -> None:
        await asyncio.gather(*(self._one_user(n) for n in range(writers)))

    def stop(self) -> None:
        self._stopping = True

    async def _one_user(self, user: int) -> None:
        while not self._stopping:
            n = next(self._numbers)
            event = IncomingMessage(
                platform="slack",
                user_id=f"U{user}",
                text=QUESTIONS[n % len(QUESTIONS)],
                event_id=f"Ev{n}",
                thread_id=f"t{n}",
            )
            if self.restarted:
                self.sent_after_restart.append(event.event_id)
            self.replies[event.event_id] = await self.bot.ahandle(event)
            await asyncio.sleep(0.05)

    def told_to_try_again(self) -> set[str]:
        return {e for e, r in self.replies.items() if r is not None and r.text in TRY_AGAIN}


async def _wait_for(condition: Callable[[], object], what: str, timeout_s: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_postgresql_restarting_mid_conversation_loses_and_repeats_nothing(
    cluster: PostgresCluster, tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    bot = bot_over(make_settings(tmp_path / "home", corpus, database_url=cluster.url), embedder)
    posted: list[int] = []
    down = asyncio.Event()

    async def post(item: Outbox) -> None:
        if not posted:
            await down.wait()  # the first post is in flight when the database goes down
        posted.append(item.id or 0)

    delivery = OutboxWorker(bot.db, "slack", post)
    before = [outbox.enqueue(bot.db, "platform_message", {"platform": "slack"}) for _ in range(5)]
    loop = asyncio.create_task(delivery.run(0.1, lease_s=5))
    users = Users(bot)
    writing = asyncio.create_task(users.write())

    await _wait_for(lambda: len(users.replies) >= 6, "the first answers")
    await asyncio.to_thread(cluster.stop)  # fast: transactions in flight are cut, connections dropped
    down.set()
    await _wait_for(lambda: len(users.told_to_try_again()) >= 3, "users told to try again")
    with pytest.raises(DatabaseUnavailable):
        outbox.enqueue(bot.db, "platform_message", {"platform": "slack"})  # the caller fails closed
    await _wait_for(lambda: posted, "the post in flight")

    await asyncio.to_thread(cluster.start)
    users.restarted = True
    await _wait_for(lambda: len(users.sent_after_restart) >= 9, "answers after the restart")
    users.stop()
    await writing
    after = [outbox.enqueue(bot.db, "platform_message", {"platform": "slack"}) for _ in range(3)]
    delivery.wake()
    await _wait_for(lambda: len(posted) >= len(before) + len(after), "the outbox delivered")
    await delivery.stop(loop)

    assert sorted(posted) == sorted(before + after), "an item was lost or posted twice"
    assert all(reply is not None for reply in users.replies.values()), "an event went unanswered"
    try_again = users.told_to_try_again()
    answered = {e for e, r in users.replies.items() if r is not None and r.outcome is not Outcome.ERROR}
    assert try_again and answered and try_again | answered == set(users.replies)
    assert set(users.sent_after_restart) <= answered, "the bot did not reconnect after the restart"
    # The platform delivers every event again: none is answered a second time.
    for event_id in sorted(answered, key=lambda e: int(e[2:])):
        again = IncomingMessage(platform="slack", user_id="U0", text=QUESTIONS[0], event_id=event_id)
        assert await bot.ahandle(again) is None, f"{event_id} was answered twice"
    await bot.aclose()
