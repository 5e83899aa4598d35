"""Per-user rate limits across workers: a polite reply in the user's language once over the limit, counted
in the database (two bots on one PostgreSQL) or in Redis, and the database standing in when Redis is down."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlmodel import col, select

from bot import Bot, IncomingMessage, Outcome, messages
from bot.config import Settings
from bot.conversation.commands import AdminCommands
from bot.fleet.ratelimit import DatabaseRateLimit, RedisRateLimit
from bot.store import Database, RateHit, Turn
from knowledge import KnowledgeBase
from knowledge.testing import HashingEmbedding

from .conftest import make_settings

REDIS = "redis://127.0.0.1:6379/0"


def _message(text: str, user: str = "ana", **fields: Any) -> IncomingMessage:
    return IncomingMessage(platform="slack", user_id=user, text=text, thread_id=uuid.uuid4().hex, **fields)


async def _outcome(bot: Bot, text: str = "How many vacation days do I get?", user: str = "ana") -> Outcome:
    reply = await bot.ahandle(_message(text, user))
    assert reply is not None
    return reply.outcome


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'limits.db'}")
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379 ({exc})")
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


async def _bots(*all_settings: Settings, embedder: HashingEmbedding) -> AsyncIterator[list[Bot]]:
    """Bots that share one index (built once) and each their settings' database: several workers."""
    kb = KnowledgeBase(all_settings[0].home, all_settings[0].knowledge, lambda: embedder)
    kb.reindex()
    bots = [Bot.from_settings(s, knowledge=kb) for s in all_settings]
    try:
        yield bots
    finally:
        for bot in bots:
            await bot.aclose()


def test_the_database_window_slides_and_prunes_what_it_left_behind(sqlite_db: Database) -> None:
    limit = DatabaseRateLimit(sqlite_db, 3, prune_every_s=0)
    assert [limit.allow("slack:ana") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("slack:eve")  # another user has a limit of their own
    with sqlite_db.session() as s:
        for hit in s.exec(select(RateHit).where(RateHit.user_id == "slack:ana")).all():
            hit.at -= timedelta(seconds=61)
    assert limit.allow("slack:ana")  # the old hits left the window...
    with sqlite_db.session() as s:
        ana = s.exec(select(RateHit).where(RateHit.user_id == "slack:ana")).all()
    assert len(ana) == 1  # ...and their rows are gone; the refusal was never counted


async def test_over_the_limit_a_user_is_asked_to_wait_in_their_language_and_the_turn_is_kept(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    settings = make_settings(tmp_path / "home", corpus, rate_limit={"per_minute": 2})
    async for (bot,) in _bots(settings, embedder=embedder):
        proposal = await bot.ahandle(_message("Open a ticket for IT: the VPN drops every hour"))
        assert proposal is not None and proposal.outcome == Outcome.ACTION_PROPOSED
        assert await _outcome(bot) == Outcome.ANSWERED
        limited = await bot.ahandle(_message("¿Cuántos días de vacaciones tengo al año?"))
        assert limited is not None and limited.outcome == Outcome.RATE_LIMITED
        assert limited.text == messages.say("rate_limited", "es", limit=2) and limited.buttons == []
        assert await _outcome(bot, user="eve") == Outcome.ANSWERED  # only ana is over
        # buttons and admin commands are not messages to the agent: they still work and are not counted
        done = await bot.aconfirm("slack", "ana", proposal.actions[0].confirmation_id, True)
        assert done.outcome == Outcome.ACTION_DONE
        assert "`help`" in await AdminCommands(bot).run("slack:ana", "help", "en")
        with bot.db.session() as s:
            hits = s.exec(select(RateHit).where(RateHit.user_id == "slack:ana")).all()
            turn = s.get(Turn, limited.turn_id)
        assert len(hits) == 2
        assert turn is not None and turn.outcome == "rate_limited" and turn.user_id == "slack:ana"
        # a retry of a refused event is still a retry: no second reply, no second count
        retried = _message("hola", event_id="Ev-limited")
        assert (await bot.ahandle(retried)) is not None and await bot.ahandle(retried) is None


@pytest.mark.postgres
async def test_two_workers_on_postgresql_share_one_limit(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, postgres_url: str
) -> None:
    settings = make_settings(
        tmp_path / "home", corpus, database_url=postgres_url, rate_limit={"per_minute": 3}
    )
    async for first, second in _bots(settings, settings, embedder=embedder):
        assert first.db is not second.db
        outcomes = [await _outcome(bot) for bot in (first, second, first, second, first)]
        assert outcomes[:3] == [Outcome.ANSWERED] * 3
        assert outcomes[3:] == [Outcome.RATE_LIMITED] * 2


@pytest.mark.postgres
def test_simultaneous_messages_on_two_workers_never_exceed_the_limit(postgres_url: str) -> None:
    dbs = [Database(postgres_url), Database(postgres_url)]
    dbs[0].migrate()
    limits = [DatabaseRateLimit(db, 5) for db in dbs]
    try:
        with ThreadPoolExecutor(8) as pool:
            allowed = list(pool.map(lambda n: limits[n % 2].allow("teams:burst"), range(16)))
        assert allowed.count(True) == 5
        with dbs[0].session() as s:
            assert len(s.exec(select(RateHit).where(col(RateHit.user_id) == "teams:burst")).all()) == 5
    finally:
        for db in dbs:
            db.dispose()


async def test_two_workers_count_in_redis_when_it_is_configured(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, redis_prefix: str
) -> None:
    # Each worker has its own SQLite file: only Redis can make them agree.
    first, second = (
        make_settings(
            tmp_path / name,
            corpus,
            redis_url=REDIS,
            rate_limit={"per_minute": 2, "redis_prefix": redis_prefix},
        )
        for name in ("a", "b")
    )
    async for a, b in _bots(first, second, embedder=embedder):
        outcomes = [await _outcome(bot) for bot in (a, b, a, b)]
        assert outcomes == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.RATE_LIMITED, Outcome.RATE_LIMITED]
        assert await _outcome(b, user="eve") == Outcome.ANSWERED
        for bot in (a, b):
            with bot.db.session() as s:
                assert s.exec(select(RateHit)).all() == []
    keys = redis.Redis.from_url(REDIS).keys(f"{redis_prefix}*")
    assert sorted(keys) == [f"{redis_prefix}slack:ana".encode(), f"{redis_prefix}slack:eve".encode()]


def test_with_redis_down_the_database_counts_and_the_log_says_so_once(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    closed_port = "redis://127.0.0.1:1/0"
    limit = RedisRateLimit(closed_port, "test:", 2, DatabaseRateLimit(sqlite_db, 2))
    with caplog.at_level(logging.WARNING, logger="bot.fleet.ratelimit"):
        assert [limit.allow("slack:ana") for _ in range(3)] == [True, True, False]
    limit.close()
    (warning,) = caplog.records
    assert "127.0.0.1:1" in warning.getMessage() and "database" in warning.getMessage()
    with sqlite_db.session() as s:
        assert len(s.exec(select(RateHit)).all()) == 2
