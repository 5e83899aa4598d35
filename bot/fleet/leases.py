"""Named leases in the database: a piece of work one worker does at a time (a reindex), whatever the
number of workers. A lease is held until a time its holder keeps pushing forward from a heartbeat
thread while the work runs; a holder that is killed stops pushing, and the lease is free once that time
has passed. Workers' clocks must agree to well within the lease's length (NTP does)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select, update

from bot.fleet import workers
from bot.store import Database, DatabaseUnavailable, Lease
from bot.types import utcnow

__all__ = ["Holding", "LeaseHeld", "LeaseLost", "Leases"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holding:
    """Who holds a lease, since when and until when; `acquired_at` also tells one holding from the next."""

    name: str
    holder: str
    acquired_at: datetime
    until: datetime


class LeaseHeld(Exception):
    """Another holder has the lease; `holding` says who and since when."""

    def __init__(self, holding: Holding) -> None:
        super().__init__(
            f"{holding.name} is held by {holding.holder} since {holding.acquired_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        self.holding = holding


class LeaseLost(Exception):
    """The lease ran out before its holder renewed it and someone else may have taken it."""


class Leases:
    """Acquire, renew and release named leases as `holder` (this worker, by default)."""

    def __init__(self, db: Database, holder: str = "", clock: Callable[[], datetime] = utcnow) -> None:
        # Read when built, not at import: a forked worker has a name of its own.
        self.db, self.holder, self._clock = db, holder or workers.WORKER_ID, clock

    def acquire(self, name: str, ttl: timedelta) -> Holding:
        """The lease, if it is free or its holder let it run out; LeaseHeld otherwise."""
        for _ in range(3):
            taken = self._take(name, ttl)
            if taken is not None:
                return taken
            held = self._row(name)
            if held is not None and held.until > self._clock():
                raise LeaseHeld(held)
            # It ran out between the two looks: worth another try.
        # Not reached in practice: an expired row is taken by the next UPDATE, a missing one by the INSERT.
        assert held is not None
        raise LeaseHeld(held)

    def _take(self, name: str, ttl: timedelta) -> Holding | None:
        now = self._clock()
        mine = Holding(name, self.holder, now, now + ttl)
        with self.db.session() as s:
            # Both statements are conditional, so two workers racing for it cannot both win: the UPDATE
            # takes an expired row (PostgreSQL re-checks the condition after a concurrent update), the
            # INSERT creates a missing one and does nothing when another worker created it first.
            taken = s.exec(
                update(Lease)
                .where(col(Lease.name) == name, col(Lease.until) <= now)
                .values(holder=mine.holder, until=mine.until, acquired_at=mine.acquired_at)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not taken:
                # RETURNING tells whether the row went in (an ORM insert's rowcount is not reliable).
                taken = len(s.exec(self._insert(s, mine)).all())  # type: ignore[call-overload]
        return mine if taken else None

    @staticmethod
    def _insert(s: Session, holding: Holding) -> object:
        values = {
            "name": holding.name,
            "holder": holding.holder,
            "until": holding.until,
            "acquired_at": holding.acquired_at,
        }
        dialect = s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        return (
            insert(Lease)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(col(Lease.name))
        )

    def renew(self, holding: Holding, ttl: timedelta, session: Session | None = None) -> Holding:
        """Push the lease's end `ttl` from now; LeaseLost when it is no longer this holding's. With
        `session`, the renewal joins that unit of work (the row stays locked until it commits)."""
        if session is None:
            with self.db.session() as s:
                return self.renew(holding, ttl, s)
        until = self._clock() + ttl
        renewed = session.exec(
            update(Lease)
            .where(
                col(Lease.name) == holding.name,
                col(Lease.holder) == holding.holder,
                col(Lease.acquired_at) == holding.acquired_at,
            )
            .values(until=until)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not renewed:
            raise LeaseLost(f"the {holding.name} lease of {holding.holder} ran out and was taken over")
        return Holding(holding.name, holding.holder, holding.acquired_at, until)

    def release(self, holding: Holding) -> None:
        """Free the lease now (if it is still this holding's), so the next request need not wait."""
        with self.db.session() as s:
            s.exec(
                update(Lease)
                .where(
                    col(Lease.name) == holding.name,
                    col(Lease.holder) == holding.holder,
                    col(Lease.acquired_at) == holding.acquired_at,
                )
                .values(until=self._clock())
                .execution_options(synchronize_session=False)
            )

    def holding(self, name: str) -> Holding | None:
        """Who holds the lease now, or None when it is free."""
        row = self._row(name)
        return row if row is not None and row.until > self._clock() else None

    def _row(self, name: str) -> Holding | None:
        with self.db.session() as s:
            row = s.exec(select(Lease).where(col(Lease.name) == name)).first()
        return Holding(row.name, row.holder, row.acquired_at, row.until) if row is not None else None

    @contextmanager
    def hold(self, name: str, ttl: timedelta) -> Iterator[Holding]:
        """Hold the lease while the block runs, renewed every third of `ttl`; released at the end."""
        holding = self.acquire(name, ttl)
        beat = _Heartbeat(self, holding, ttl)
        beat.start()
        try:
            yield holding
        finally:
            beat.stop()
            try:
                self.release(beat.holding)
            except DatabaseUnavailable as exc:  # it runs out by itself
                log.warning("could not release the %s lease (%s); it is free after %s", name, exc, ttl)


class _Heartbeat(threading.Thread):
    """Renews a holding until stopped. A renewal the database refuses is retried at the next beat; a lost
    lease is logged (whoever records the work's result checks the lease in the same transaction)."""

    def __init__(self, leases: Leases, holding: Holding, ttl: timedelta) -> None:
        super().__init__(name=f"lease-{holding.name}", daemon=True)
        self.leases, self.holding, self.ttl = leases, holding, ttl
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.ttl.total_seconds() / 3):
            try:
                self.holding = self.leases.renew(self.holding, self.ttl)
            except DatabaseUnavailable as exc:
                log.warning("could not renew the %s lease (%s); trying again", self.holding.name, exc)
            except LeaseLost as exc:
                log.error("%s", exc)
                return

    def stop(self) -> None:
        self._stopped.set()
        self.join()
