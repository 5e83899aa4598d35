"""Per-user rate limits shared by every worker: a sliding one-minute window counted in Redis when
`redis_url` is set, in the database otherwise (and whenever Redis does not answer)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta
from typing import Protocol

import redis
from sqlalchemy import text
from sqlmodel import col, delete, func, select

from bot.store import Database, RateHit
from bot.types import utcnow

__all__ = ["DatabaseRateLimit", "RateLimit", "RedisRateLimit", "rate_limit"]

log = logging.getLogger(__name__)

WINDOW_S = 60.0
# How long the database stands in before Redis is tried again after it failed.
_REDIS_RETRY_S = 30.0
# Atomic in Redis: drop hits older than the window, refuse at the limit, else record this one. Redis'
# own clock decides, so workers whose clocks disagree still share one window.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window_ms)
return 1
"""


_LOCKED = text(
    "SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(1237, hashtext(:u))"
)


class RateLimit(Protocol):
    def allow(self, user: str) -> bool:
        """True and counted when `user` is under the limit; False (not counted) when over it."""
        ...

    def close(self) -> None: ...


class DatabaseRateLimit:
    """One `RateHit` row per accepted message; the rows that left the window are pruned as it slides."""

    def __init__(self, db: Database, per_minute: int, prune_every_s: float = WINDOW_S) -> None:
        self._db, self._limit, self._prune_every = db, per_minute, prune_every_s
        self._postgres = db.engine.dialect.name == "postgresql"
        # SQLite serialises writers but not a count and the insert after it; one process's turns queue here.
        self._local = threading.Lock()
        self._pruned_at: float | None = None

    def allow(self, user: str) -> bool:
        if self._postgres:
            return self._allow(user)
        with self._local:
            return self._allow(user)

    def _allow(self, user: str) -> bool:
        now = utcnow()
        since = now - timedelta(seconds=WINDOW_S)
        with self._db.session() as s:
            if self._postgres:
                # One round trip: two workers counting the same user wait for each other's insert, and the
                # commit need not wait for the disk (a hit lost in a crash costs nothing).
                s.connection().execute(_LOCKED, {"u": user})
            if self._pruned_at is None or time.monotonic() - self._pruned_at >= self._prune_every:
                self._pruned_at = time.monotonic()
                s.exec(delete(RateHit).where(col(RateHit.at) < since))  # everyone's, not only this user's
            used = s.exec(
                select(func.count())
                .select_from(RateHit)
                .where(RateHit.user_id == user, col(RateHit.at) >= since)
            ).one()
            if used >= self._limit:
                return False
            s.add(RateHit(user_id=user, at=now))
        return True

    def close(self) -> None:
        pass


class RedisRateLimit:
    """A sorted set per user in Redis; while Redis is down the database counts, said once in the log."""

    def __init__(self, url: str, prefix: str, per_minute: int, fallback: DatabaseRateLimit) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_SLIDING_WINDOW)
        self._prefix, self._limit, self._fallback = prefix, per_minute, fallback
        kwargs = self._client.connection_pool.connection_kwargs
        self._where = f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"  # never the password
        self._down_until: float | None = None

    def allow(self, user: str) -> bool:
        if self._down_until is not None and time.monotonic() < self._down_until:
            return self._fallback.allow(user)
        try:
            allowed = self._script(
                keys=[self._prefix + user], args=[int(WINDOW_S * 1000), self._limit, uuid.uuid4().hex]
            )
        except redis.RedisError as exc:
            if self._down_until is None:
                log.warning(
                    "rate limits: Redis at %s does not answer (%s); counting in the database until it does",
                    self._where,
                    exc,
                )
            self._down_until = time.monotonic() + _REDIS_RETRY_S
            return self._fallback.allow(user)
        if self._down_until is not None:
            log.info("rate limits: Redis at %s answers again; counting there", self._where)
            self._down_until = None
        return bool(allowed)

    def close(self) -> None:
        self._client.close()


def rate_limit(db: Database, per_minute: int, redis_url: str, redis_prefix: str) -> RateLimit | None:
    """The limiter the settings ask for, or None when `per_minute` is 0 (no limit)."""
    if per_minute <= 0:
        return None
    in_database = DatabaseRateLimit(db, per_minute)
    if not redis_url:
        return in_database
    return RedisRateLimit(redis_url, redis_prefix, per_minute, in_database)
