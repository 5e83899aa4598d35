"""The index snapshot every worker serves, recorded in the database: the newest row is current. A reindex
takes the "reindex" lease, so one runs at a time across workers, and records its snapshot only while it
still holds that lease."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta, tzinfo

from sqlmodel import col, select

from bot import messages
from bot.fleet.leases import Holding, Leases
from bot.store import Database, IndexSnapshot
from bot.types import utcnow
from knowledge import Manifest

__all__ = ["REINDEX_LEASE", "RecordedSnapshots", "reindex_running"]

REINDEX_LEASE = "reindex"


class RecordedSnapshots:
    """The knowledge base's `SnapshotLedger` over the bot's database."""

    def __init__(self, db: Database, lease_ttl: timedelta, leases: Leases | None = None) -> None:
        self.db, self.ttl = db, lease_ttl
        self.leases = leases or Leases(db)
        self._holding: Holding | None = None

    def current(self) -> str | None:
        with self.db.session() as s:
            return s.exec(
                select(IndexSnapshot.snapshot_id)
                .order_by(col(IndexSnapshot.recorded_at).desc(), col(IndexSnapshot.snapshot_id).desc())
                .limit(1)
            ).first()

    @contextmanager
    def exclusive(self) -> Iterator[Holding]:
        """The reindex lease while the block runs; LeaseHeld (who, since when) if another reindex runs."""
        with self.leases.hold(REINDEX_LEASE, self.ttl) as holding:
            self._holding = holding
            try:
                yield holding
            finally:
                self._holding = None

    def record(self, manifest: Manifest) -> None:
        """Make `manifest`'s snapshot the newest row, in the same transaction that proves this reindex still
        holds its lease (LeaseLost otherwise: another worker may be writing its own)."""
        with self.db.session() as s:
            if self._holding is not None:
                self.leases.renew(self._holding, self.ttl, s)
            newest = s.exec(
                select(IndexSnapshot.recorded_at).order_by(col(IndexSnapshot.recorded_at).desc()).limit(1)
            ).first()
            # Newest by construction, even if this worker's clock is a little behind the last recorder's.
            now = utcnow()
            at = max(now, newest + timedelta(microseconds=1)) if newest is not None else now
            s.add(
                IndexSnapshot(
                    snapshot_id=manifest.snapshot_id,
                    recorded_at=at,
                    worker=self.leases.holder,
                    chunks=sum(d.chunks for d in manifest.docs.values()),
                    documents=len(manifest.docs),
                )
            )


def reindex_running(holding: Holding, lang: str, zone: tzinfo | None) -> str:
    """What a second reindex request is told: which worker runs one, and since when (the company's clock)."""
    since = holding.acquired_at.astimezone(zone)
    return messages.say("reindex_running", lang, worker=holding.holder, since=f"{since:%H:%M}")
