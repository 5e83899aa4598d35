"""Several real worker processes drain one outbox, on PostgreSQL and on one SQLite file: every item is
sent exactly once, and a worker killed while it holds claims leaves them to another after the lease. The
claim's rules themselves (only the claimer settles an item; a stopping worker gives its batch back) are
checked in one process at the end.

Workers are forked from a clean forkserver that imported the code once (a fresh interpreter per worker
would spend seconds importing). Each send is appended to a file opened with O_APPEND, one line a send, so
the record is the posts themselves, not what the database says about them."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from adapters._outbox import OutboxWorker
from bot.fleet import outbox, workers
from bot.store import Database, Outbox

PLATFORM = "slack"
_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(["adapters._outbox", "bot.fleet.outbox"])


class Send(NamedTuple):
    item_id: int
    worker: str
    at: float  # epoch seconds
    in_flight: bool  # the worker was killed during this post


@dataclass(frozen=True)
class Plan:
    """What a worker process does: drain `url`'s outbox, appending each send to `record`."""

    url: str
    record: str
    lease_s: float
    send_s: float = 0.002  # a post's round trip: lets the other workers interleave
    hang_at: int = 0  # this send never returns (the first worker only)


def _work(plan: Plan, start: Barrier, hanging: Event | None) -> None:
    asyncio.run(_adrain(plan, start, hanging))


async def _adrain(plan: Plan, start: Barrier, hanging: Event | None) -> None:
    """Drain until nothing of ours is left undelivered."""
    db = Database(plan.url)
    fd = os.open(plan.record, os.O_WRONLY | os.O_APPEND)
    sends = 0

    async def send(item: Outbox) -> None:
        nonlocal sends
        sends += 1
        hangs = sends == plan.hang_at and hanging is not None
        os.write(fd, f"{item.id} {workers.WORKER_ID} {time.time():.6f} {int(hangs)}\n".encode())
        if hangs and hanging is not None:
            hanging.set()
            await asyncio.sleep(3600)  # the post is in flight when the worker is killed
        await asyncio.sleep(plan.send_s)

    worker = OutboxWorker(db, PLATFORM, send)
    start.wait()
    deadline = time.monotonic() + 60
    while _undelivered(db) and time.monotonic() < deadline:
        await worker.drain(plan.lease_s)
        await asyncio.sleep(0.05)
    db.dispose()


def _undelivered(db: Database) -> int:
    with db.session() as s:
        return s.exec(
            select(func.count())
            .select_from(Outbox)
            .where(
                col(Outbox.delivered_at).is_(None),
                Outbox.payload["platform"].as_string() == PLATFORM,
            )
        ).one()


def _sends(record: Path) -> list[Send]:
    rows = [line.split() for line in record.read_text().splitlines()]
    return [Send(int(item), worker, float(at), flag == "1") for item, worker, at, flag in rows]


def _queue(db: Database, count: int) -> list[int]:
    ids = [outbox.enqueue(db, "platform_message", {"platform": PLATFORM, "n": n}) for n in range(count)]
    # Another platform's items: no worker here can send them, none may be claimed.
    outbox.enqueue(db, "platform_message", {"platform": "teams", "n": 0})
    return ids


def _start(plan: Plan, count: int, hanging: Event | None = None) -> list[BaseProcess]:
    """`count` workers that start draining together; with `hanging`, the first one's send number
    `plan.hang_at` never returns."""
    start = _CTX.Barrier(count + 1)  # and us: the barrier must outlive the workers' unpickling it
    processes: list[BaseProcess] = [
        _CTX.Process(target=_work, args=(plan, start, hanging if i == 0 else None)) for i in range(count)
    ]
    for process in processes:
        process.start()
    start.wait(60)
    return processes


def _join(processes: list[BaseProcess]) -> None:
    for process in processes:
        process.join(90)
        assert process.exitcode is not None, "a worker did not finish"


@pytest.fixture
def migrated() -> Iterator[Callable[[str], Database]]:
    """Opens a database with the newest schema; afterwards, no worker process or connection is left."""
    opened: list[Database] = []

    def open_(url: str) -> Database:
        opened.append(Database(url))
        opened[-1].migrate()
        return opened[-1]

    yield open_
    for process in multiprocessing.active_children():
        process.kill()
        process.join(10)
    for db in opened:
        db.dispose()


@pytest.fixture
def record(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "sent.log"
    path.touch()
    yield path


def _drain_with_three_workers(db: Database, record: Path) -> None:
    ids = _queue(db, 300)
    processes = _start(Plan(db.url, str(record), lease_s=60), 3)
    _join(processes)
    assert [p.exitcode for p in processes] == [0, 0, 0]

    sends = _sends(record)
    assert Counter(s.item_id for s in sends) == Counter(ids), "an item was posted twice or never"
    assert len({s.worker for s in sends}) == 3, "the workers did not share the work"
    with db.session() as s:
        rows = s.exec(select(Outbox)).all()
    assert all(r.delivered_at is not None and r.claimed_by == "" for r in rows if r.id in ids)
    teams = [r for r in rows if r.payload["platform"] == "teams"]
    assert [(r.delivered_at, r.claimed_by) for r in teams] == [(None, "")]


@pytest.mark.postgres
def test_three_workers_on_postgresql_post_each_of_300_items_once(
    postgres_url: str, migrated: Callable[[str], Database], record: Path
) -> None:
    _drain_with_three_workers(migrated(postgres_url), record)


def test_three_workers_on_one_sqlite_file_post_each_of_300_items_once(
    tmp_path: Path, migrated: Callable[[str], Database], record: Path
) -> None:
    _drain_with_three_workers(migrated(f"sqlite:///{tmp_path / 'data' / 'bot.db'}"), record)


@pytest.mark.postgres
def test_a_killed_workers_claims_go_to_another_worker_after_the_lease(
    postgres_url: str, migrated: Callable[[str], Database], record: Path
) -> None:
    db = migrated(postgres_url)
    ids = _queue(db, 120)
    hanging = _CTX.Event()
    killed, survivor = _start(Plan(postgres_url, str(record), lease_s=2, hang_at=3), 2, hanging)
    assert hanging.wait(60), "the first worker never started sending"
    os.kill(killed.pid or 0, signal.SIGKILL)
    killed.join(10)
    [in_flight] = [s for s in _sends(record) if s.in_flight]
    with db.session() as s:
        held = s.exec(
            select(Outbox).where(
                col(Outbox.claimed_by) == in_flight.worker, col(Outbox.delivered_at).is_(None)
            )
        ).all()
    assert len(held) >= 5, "the killed worker held only the item in flight"

    _join([survivor])
    assert survivor.exitcode == 0
    sends = _sends(record)
    assert Counter(s.item_id for s in sends) == Counter([*ids, in_flight.item_id]), (
        "only the post in flight when the worker died may go out twice"
    )
    resent = {s.item_id: s for s in sends if s.worker != in_flight.worker}
    for item in held:
        assert item.claimed_until is not None and item.id is not None
        assert resent[item.id].at >= item.claimed_until.timestamp(), "taken before the lease ran out"


def test_a_batch_that_outlasts_its_lease_is_posted_once(
    tmp_path: Path, migrated: Callable[[str], Database], record: Path
) -> None:
    """Posts slow enough that a batch outlives its lease: the other worker takes the lapsed tail, and the
    first sends only what it still holds, renewing each item before it posts it."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    db = migrated(url)
    ids = _queue(db, 16)
    processes = _start(Plan(url, str(record), lease_s=0.6, send_s=0.1), 2)
    _join(processes)
    assert [p.exitcode for p in processes] == [0, 0]
    sends = _sends(record)
    assert Counter(s.item_id for s in sends) == Counter(ids), "an item was posted twice or never"
    assert len({s.worker for s in sends}) == 2, "the lapsed items were not taken by the other worker"


def test_only_the_claimer_may_settle_an_item_and_a_lapsed_claim_passes_on(
    tmp_path: Path, migrated: Callable[[str], Database]
) -> None:
    db = migrated(f"sqlite:///{tmp_path / 'bot.db'}")
    [item_id] = _queue(db, 1)
    [mine] = outbox.claim(db, PLATFORM, lease_s=0.2, worker="a")
    assert outbox.claim(db, PLATFORM, worker="b") == []
    assert not outbox.delivered(db, item_id, worker="b") and not outbox.postpone(db, mine, "x", worker="b")

    time.sleep(0.25)  # a's lease runs out: b takes the item, and a can no longer settle it
    [theirs] = outbox.claim(db, PLATFORM, lease_s=60, worker="b")
    assert not outbox.renew(db, item_id, worker="a") and not outbox.delivered(db, item_id, worker="a")
    assert outbox.postpone(db, theirs, "HTTP 503", worker="b")
    assert outbox.claim(db, PLATFORM, worker="a") == []  # not due yet: the backoff holds it
    with db.session() as s:
        item = s.get(Outbox, item_id)
    assert item is not None
    assert (item.attempts, item.claimed_by, item.claimed_until, item.delivered_at) == (1, "", None, None)
    assert item.last_error == "HTTP 503"


async def test_a_stopping_worker_gives_back_the_rest_of_its_batch(
    tmp_path: Path, migrated: Callable[[str], Database]
) -> None:
    """A worker shut down mid-batch finishes the post in flight; the rest need not wait out its lease."""
    db = migrated(f"sqlite:///{tmp_path / 'bot.db'}")
    ids = _queue(db, 5)
    sent: list[int] = []
    stopping: list[asyncio.Task[None]] = []

    async def send(item: Outbox) -> None:
        sent.append(item.id or 0)
        stopping.append(asyncio.create_task(worker.stop(running)))  # a shutdown while this post is out
        await asyncio.sleep(0.01)

    worker = OutboxWorker(db, PLATFORM, send)
    running = asyncio.create_task(worker.run(60, lease_s=60))
    while not stopping:
        await asyncio.sleep(0.01)
    await stopping[0]
    assert sent == ids[:1]
    assert [item.id for item in outbox.claim(db, PLATFORM, worker="another")] == ids[1:]
