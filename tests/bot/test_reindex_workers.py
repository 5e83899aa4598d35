"""Several workers, one shared snapshot folder and one PostgreSQL database: a reindex on one worker is
served by the others within seconds, one reindex runs at a time, and a killed reindex or a read-only or
full disk leaves the current snapshot serving.

The workers are real processes: this module, run as `python -m tests.bot.test_reindex_workers`, is one
(a bot over the shared database answering `reindex` and `search` lines on stdin, following snapshots as
`serve` does) or the `backoffice reindex` command line, both with the deterministic embedder."""

from __future__ import annotations

import errno
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.fleet.leases import LeaseHeld, LeaseLost, Leases
from bot.fleet.snapshots import REINDEX_LEASE, RecordedSnapshots
from bot.store import Database
from bot.types import utcnow
from knowledge import KnowledgeBase, KnowledgeSettings
from knowledge.testing import HashingEmbedding

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = 3.0
POLL_S = 0.3
ADMIN = "test:admin"
DONE = ("Index ", "Índice ")  # what a finished reindex replies, in English or Spanish


class SlowHashing(HashingEmbedding):
    """The deterministic embedder, `delay` seconds per passage: long enough to act while it embeds."""

    delay: float = 0.0

    def _get_text_embedding(self, text: str) -> list[float]:
        time.sleep(self.delay)
        return super()._get_text_embedding(text)


def _big_document(corpus: Path, name: str, sections: int) -> None:
    """A handbook with one passage per section, each naming its own made-up word."""
    body = "\n\n".join(
        f"## Section {i}\n\nThe {name}{i} procedure covers form {i} and its annex for the travel desk."
        for i in range(sections)
    )
    (corpus / "en" / f"{name}.md").write_text(f"# {name.title()} manual\n\n{body}\n", encoding="utf-8")


# --- the processes --------------------------------------------------------------------------------------


def _worker_main(config: dict[str, Any]) -> None:
    """A worker: a bot over the shared database and snapshot folder, following snapshots as `serve` does."""
    import asyncio

    from adapters.server import follow_snapshots
    from bot import Bot
    from bot.config import load_settings
    from bot.conversation.commands import AdminCommands
    from bot.fleet.workers import WORKER_ID

    settings = load_settings(None, config["settings"])
    embedder = SlowHashing(delay=config["delay"])
    ledger = RecordedSnapshots(Database(settings.effective_database_url), timedelta(seconds=LEASE_S))
    kb = KnowledgeBase(settings.home, settings.knowledge, lambda: embedder, ledger=ledger)
    bot = Bot.from_settings(settings, knowledge=kb)
    commands = AdminCommands(bot)

    def emit(**fields: Any) -> None:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()

    async def reindex(lang: str) -> None:
        emit(reindex=await commands.run(ADMIN, "reindex", lang), lang=lang)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        kb.index()
        emit(ready=True, worker=WORKER_ID, snapshot=kb.serving_id())
        background = [asyncio.create_task(follow_snapshots(kb))]
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, _, arg = line.strip().partition(" ")
            if command == "reindex":
                background.append(asyncio.create_task(reindex(arg)))
            elif command == "search":
                hits = await asyncio.to_thread(kb.search, arg, 1)
                emit(search=arg, doc=hits[0].chunk.doc_path if hits else None, snapshot=kb.serving_id())
        for task in background:
            task.cancel()

    asyncio.run(main())


def _cli_main(config: dict[str, Any]) -> None:
    """`backoffice reindex`, embedding with the deterministic embedder, on a disk as small as asked."""
    import resource

    import knowledge._embeddings
    from bot.cli import main

    delay = config["delay"]
    knowledge._embeddings.load_embedder = lambda *_: SlowHashing(delay=delay)  # type: ignore[assignment]
    if config.get("max_file_bytes"):
        # What a full disk does to a writer: a write past the limit fails with EFBIG (the signal that
        # would kill the process instead is ignored, as a full disk kills nobody).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = config["max_file_bytes"]
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.argv = ["backoffice", "reindex"]
    main()


if __name__ == "__main__":
    # Run as a child process by the tests below.
    mode, raw = sys.argv[1], sys.argv[2]
    (_worker_main if mode == "worker" else _cli_main)(json.loads(raw))
    sys.exit(0)


# --- helpers for the tests ------------------------------------------------------------------------------


def _child(
    mode: str, config: dict[str, Any], prefix: list[str] | None = None, **kw: Any
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    env.update(kw.pop("env", {}))
    env["HF_HUB_OFFLINE"] = "1"
    command = [
        *(prefix or []),
        sys.executable,
        "-m",
        "tests.bot.test_reindex_workers",
        mode,
        json.dumps(config),
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, text=True, **kw)


class Worker:
    """A worker process spoken to in lines: what it prints is read on a thread so waits can time out."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.process = _child("worker", config, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.id = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self._lines.put(json.loads(line))

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, key: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"worker said no {key!r} within {timeout} s") from None
            if key in found:
                return found

    def search(self, query: str) -> dict[str, Any]:
        self.send(f"search {query}")
        return self.expect("search")

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def shared(tmp_path: Path, corpus: Path, postgres_url: str) -> Iterator[dict[str, Any]]:
    """One PostgreSQL schema, one snapshot folder and one norms folder for every worker; indexed once."""
    db = Database(postgres_url)
    db.migrate()
    snapshots = tmp_path / "shared-snapshots"
    knowledge = {
        "source": str(corpus),
        "snapshot_dir": str(snapshots),
        "snapshot_poll_s": POLL_S,
        "reindex_lease_s": LEASE_S,
    }
    kb = KnowledgeBase(
        tmp_path / "here",
        KnowledgeSettings.model_validate(knowledge),
        SlowHashing,
        ledger=RecordedSnapshots(db, timedelta(seconds=LEASE_S)),
    )
    first = kb.reindex().snapshot_id
    yield {"db": db, "kb": kb, "first": first, "knowledge": knowledge, "url": postgres_url, "tmp": tmp_path}
    db.dispose()


def _worker_config(shared: dict[str, Any], name: str, delay: float = 0.0) -> dict[str, Any]:
    settings = {
        "home": str(shared["tmp"] / name),
        "database_url": shared["url"],
        "knowledge": shared["knowledge"],
        "groups": {"admins": [ADMIN]},
    }
    return {"settings": settings, "delay": delay}


def _cli_env(shared: dict[str, Any]) -> dict[str, str]:
    knowledge = shared["knowledge"]
    return {
        "BACKOFFICE_HOME": str(shared["tmp"] / "cli"),
        "BACKOFFICE_DATABASE_URL": shared["url"],
        "BACKOFFICE_KNOWLEDGE__SOURCE": knowledge["source"],
        "BACKOFFICE_KNOWLEDGE__SNAPSHOT_DIR": knowledge["snapshot_dir"],
        "BACKOFFICE_KNOWLEDGE__REINDEX_LEASE_S": str(LEASE_S),
    }


def _serving_is_intact(kb: KnowledgeBase, snapshot: str) -> None:
    """`snapshot` is still the current one everywhere, whole on disk, and nothing half-written is left."""
    assert kb.current_id() == snapshot == kb.store.current_id()
    kb.store.load(snapshot, fallback=False)  # every file matches its checksum
    assert not [p for p in kb.store.snapshots.iterdir() if p.name.startswith(".")]


# --- the tests ------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_reindex_on_one_worker_is_served_by_the_other_and_only_one_reindex_runs_at_a_time(
    shared: dict[str, Any], corpus: Path
) -> None:
    one, two = (Worker(_worker_config(shared, name, delay=0.01)) for name in ("one", "two"))
    try:
        for worker in (one, two):
            ready = worker.expect("ready", timeout=120)
            assert ready["snapshot"] == shared["first"]
            worker.id = ready["worker"]
        assert one.search("zorblax0 procedure")["doc"] != "en/zorblax.md"

        _big_document(corpus, "zorblax", 3)
        one.send("reindex en")
        assert one.expect("reindex")["reindex"].startswith(DONE)
        started = time.monotonic()
        while (found := two.search("zorblax0 procedure"))["doc"] != "en/zorblax.md":
            assert time.monotonic() - started < 10, "the other worker did not switch within 10 s"
            time.sleep(0.1)
        switched_after = time.monotonic() - started
        assert found["snapshot"] == shared["kb"].current_id() != shared["first"]
        assert two.process.poll() is None and switched_after < 10  # the same process, no restart

        # Two admins ask at once, on two workers: one reindex runs (~2 s of embedding), the other is told.
        _big_document(corpus, "quuxly", 150)
        one.send("reindex en")
        two.send("reindex es")
        replies = {w.id: w.expect("reindex") for w in (one, two)}
        done = [wid for wid, r in replies.items() if r["reindex"].startswith(DONE)]
        assert len(done) == 1, replies
        (told,) = [r for wid, r in replies.items() if wid not in done]
        running = {
            "en": f"A reindex is already running (on {done[0]}, since ",
            "es": f"Ya hay una reindexación en curso (en {done[0]}, desde las ",
        }
        assert told["reindex"].startswith(running[told["lang"]]), told
        for worker in (one, two):  # and both serve what it built
            deadline = time.monotonic() + 10
            while worker.search("quuxly7 procedure")["doc"] != "en/quuxly.md":
                assert time.monotonic() < deadline, f"{worker.id} did not switch within 10 s"
                time.sleep(0.1)
    finally:
        one.close()
        two.close()


@pytest.mark.postgres
def test_a_reindex_killed_mid_way_leaves_the_old_snapshot_serving_and_frees_the_lock(
    shared: dict[str, Any], corpus: Path
) -> None:
    kb: KnowledgeBase = shared["kb"]
    first = shared["first"]
    _big_document(corpus, "zorblax", 200)
    killed = _child(
        "cli", {"delay": 0.05}, env=_cli_env(shared), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    assert killed.stderr is not None
    for line in killed.stderr:  # "Embedding: 0/200 passages": the lock is held and embedding runs
        if line.startswith("Embedding: 0/"):
            break
    else:
        raise AssertionError(f"the reindex ended before embedding (exit {killed.wait()})")
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    killed.stderr.close()

    holding = Leases(shared["db"]).holding(REINDEX_LEASE)
    assert holding is not None and holding.holder.split(":")[1] == str(killed.pid)
    with pytest.raises(LeaseHeld) as told:  # until the lock runs out, another reindex is told
        kb.reindex()
    assert told.value.holding.holder == holding.holder
    _serving_is_intact(kb, first)
    assert kb.search("zorblax3 procedure", k=1)[0].chunk.doc_path != "en/zorblax.md"
    assert not kb.refresh()

    deadline = time.monotonic() + LEASE_S * 5
    while Leases(shared["db"]).holding(REINDEX_LEASE) is not None:
        assert time.monotonic() < deadline, "the killed reindex's lock never ran out"
        time.sleep(0.2)
    again = _child(
        "cli", {"delay": 0.0}, env=_cli_env(shared), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "Index " in out and kb.current_id() != first
    assert kb.refresh()
    assert kb.search("zorblax3 procedure", k=1)[0].chunk.doc_path == "en/zorblax.md"


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_read_only_or_full_disk_says_so_and_keeps_the_current_snapshot(
    shared: dict[str, Any], corpus: Path, fault: str
) -> None:
    kb: KnowledgeBase = shared["kb"]
    first = shared["first"]
    _big_document(corpus, "zorblax", 40)
    config: dict[str, Any] = {"delay": 0.0}
    prefix: list[str] = []
    snapshots = kb.store.snapshots
    if fault == "read-only":
        # We run as root, who writes anywhere: without the capabilities that override file modes, root
        # meets the modes like anyone else (and a 0555 folder is read-only to it).
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
        for folder in (snapshots, snapshots.parent):
            folder.chmod(0o555)
    else:
        config["max_file_bytes"] = 16_384  # a passage file larger than that cannot be written
    try:
        child = _child(
            "cli", config, prefix, env=_cli_env(shared), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = child.communicate(timeout=120)
    finally:
        for folder in (snapshots.parent, snapshots):
            folder.chmod(0o755)
    reason = "Permission denied" if fault == "read-only" else "File too large"
    assert child.returncode == 1, (out, err)
    flat = " ".join(err.split())
    assert f"The index could not be written in {snapshots.parent} ({reason}); the current snapshot" in flat
    assert "Traceback" not in err
    _serving_is_intact(kb, first)
    assert Leases(shared["db"]).holding(REINDEX_LEASE) is None  # released: the next reindex may run
    assert kb.reindex().snapshot_id is not None  # and, with room on the disk, it does


# --- the lease itself, on SQLite and PostgreSQL ---------------------------------------------------------


class Clock:
    """A clock the test moves: leases run out without waiting for them."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    db = Database(url or f"sqlite:///{tmp_path / 'leases.db'}")
    db.migrate()
    yield db
    db.dispose()


def test_a_lease_has_one_holder_until_it_is_released_or_runs_out(database: Database) -> None:
    clock, ttl = Clock(), timedelta(seconds=10)
    a, b = Leases(database, "worker-a", clock), Leases(database, "worker-b", clock)
    mine = a.acquire("reindex", ttl)
    with pytest.raises(LeaseHeld) as held:
        b.acquire("reindex", ttl)
    assert (held.value.holding.holder, held.value.holding.acquired_at) == ("worker-a", mine.acquired_at)
    assert "held by worker-a since" in str(held.value)

    clock.now += ttl + timedelta(seconds=1)  # worker-a stopped renewing (killed)
    theirs = b.acquire("reindex", ttl)
    with pytest.raises(LeaseLost):
        a.renew(mine, ttl)
    a.release(mine)  # too late: releasing must not free worker-b's lease
    assert a.holding("reindex") == theirs
    b.release(theirs)
    assert a.holding("reindex") is None
    assert a.acquire("reindex", ttl).holder == "worker-a"


def test_workers_racing_for_a_free_or_expired_lease_get_it_once(database: Database) -> None:
    ttl = timedelta(seconds=30)
    for round_ in ("missing row", "expired row"):
        barrier = threading.Barrier(6)
        won: list[str] = []
        told: list[str] = []

        def race(name: str, barrier: threading.Barrier, won: list[str], told: list[str]) -> None:
            barrier.wait()
            try:
                won.append(Leases(database, name).acquire("race", ttl).holder)
            except LeaseHeld as exc:
                told.append(exc.holding.holder)

        threads = [threading.Thread(target=race, args=(f"w{i}", barrier, won, told)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1 and len(told) == 5 and set(told) == set(won), (round_, won, told)
        # The winner stops renewing: the row stays, expired, for the next round to race for.
        Leases(database, won[0]).release(Leases(database).holding("race"))  # type: ignore[arg-type]


def test_a_long_reindex_keeps_its_lease_by_renewing_it(database: Database) -> None:
    ttl = timedelta(seconds=1)
    with Leases(database, "worker-a").hold("reindex", ttl):
        time.sleep(2.5)  # more than twice the lease: only the heartbeat keeps it
        with pytest.raises(LeaseHeld):
            Leases(database, "worker-b").acquire("reindex", ttl)
    assert Leases(database).holding("reindex") is None  # released at the end, not left to run out


def test_a_reindex_that_lost_its_lease_records_nothing_and_leaves_no_snapshot(
    database: Database, tmp_path: Path, corpus: Path
) -> None:
    clock, ttl = Clock(), timedelta(seconds=60)
    ledger = RecordedSnapshots(database, ttl, Leases(database, "slow-worker", clock))
    kb = KnowledgeBase(tmp_path / "home", KnowledgeSettings(source=corpus), HashingEmbedding, ledger)
    first = kb.reindex().snapshot_id
    assert ledger.current() == first == kb.store.current_id()

    class TakenOverWhileEmbedding:
        """The worker stalls past its lease while embedding, and another worker takes the lease."""

        def start(self, total_chunks: int) -> None:
            clock.now += ttl * 2
            Leases(database, "other-worker", clock).acquire(REINDEX_LEASE, ttl)

        def advance(self, n: int) -> None:
            pass

    _big_document(corpus, "zorblax", 3)
    with pytest.raises(LeaseLost):
        kb.reindex(progress=TakenOverWhileEmbedding())
    assert ledger.current() == first == kb.store.current_id()
    assert sorted(p.name for p in kb.store.snapshots.iterdir()) == [first]


# --- what an admin reads in chat ------------------------------------------------------------------------


async def test_an_admin_is_told_in_their_language_who_runs_the_reindex_or_why_it_failed(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zoneinfo import ZoneInfo

    from bot import Bot, messages
    from bot.conversation.commands import AdminCommands
    from bot.tools import ToolContext, ToolError
    from bot.tools.builtin.admin import reindex_norms

    from .conftest import make_settings

    settings = make_settings(tmp_path / "home", corpus)
    db = Database(settings.effective_database_url)
    db.migrate()
    ledger = RecordedSnapshots(db, timedelta(seconds=30))
    kb = KnowledgeBase(settings.home, settings.knowledge, HashingEmbedding, ledger)
    bot = Bot.from_settings(settings, knowledge=kb)
    try:
        theirs = Leases(db, "worker-b").acquire(REINDEX_LEASE, timedelta(seconds=30))
        zone = ZoneInfo(settings.agent.timezone)
        since = f"{theirs.acquired_at.astimezone(zone):%H:%M}"
        for lang in ("es", "en"):
            said = await AdminCommands(bot).run("console:root", "reindex", lang)
            assert said == messages.say("reindex_running", lang, worker="worker-b", since=since)
        now = theirs.acquired_at.astimezone(zone)
        ctx = ToolContext("console:root", frozenset({"admins"}), "es", now.date(), now, db, kb)
        with pytest.raises(ToolError, match="Ya hay una reindexación en curso \\(en worker-b"):
            await reindex_norms.fn(ctx)  # type: ignore[misc]
        Leases(db, "worker-b").release(theirs)

        # A full disk while the snapshot is written: said in the admin's language, the current one stays.
        first = kb.reindex().snapshot_id
        _big_document(corpus, "zorblax", 3)

        def full(*args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(np, "save", full)
        said = await AdminCommands(bot).run("console:root", "reindex", "es")
        assert said == messages.say(
            "index_write_failed", "es", path=kb.store.root, reason=os.strerror(errno.ENOSPC)
        )
        _serving_is_intact(kb, str(first))
        assert Leases(db).holding(REINDEX_LEASE) is None
    finally:
        await bot.aclose()
        db.dispose()


async def test_a_serve_worker_started_before_any_index_becomes_ready_when_one_is_recorded(
    tmp_path: Path, corpus: Path
) -> None:
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from adapters.server import Server
    from bot import Bot

    from .conftest import make_settings

    shared = {"source": corpus, "snapshot_dir": tmp_path / "shared", "snapshot_poll_s": 0.2}
    settings = make_settings(tmp_path / "home", corpus, knowledge=shared)
    db = Database(settings.effective_database_url)
    db.migrate()
    kb = KnowledgeBase(
        settings.home, settings.knowledge, HashingEmbedding, RecordedSnapshots(db, timedelta(30))
    )
    bot = Bot.from_settings(settings, knowledge=kb)
    server = Server(bot, settings)
    await server.open()
    try:
        async with TestClient(TestServer(server.web_app)) as client:
            await server.wait_ready()
            ready = await client.get("/readyz")
            assert ready.status == 503 and "IndexMissingError" in (await ready.json())["knowledge"]
            # Another worker (its own knowledge base over the same database and folder) builds the index.
            other = KnowledgeBase(
                tmp_path / "other", settings.knowledge, HashingEmbedding, RecordedSnapshots(db, timedelta(30))
            )
            built = await asyncio.to_thread(other.reindex)
            for _ in range(50):
                if (await client.get("/readyz")).status == 200:
                    break
                await asyncio.sleep(0.1)
            assert kb.serving_id() == built.snapshot_id
            assert (await client.get("/readyz")).status == 200
    finally:
        await server.close()
        await bot.aclose()
        db.dispose()


async def test_the_console_chat_serves_a_reindex_made_by_another_process(
    tmp_path: Path, corpus: Path
) -> None:
    """`backoffice chat` has no background task: it checks for a newer snapshot before each question."""
    import io

    from rich.console import Console

    from adapters.console import run_chat
    from tests.bot.conftest import bot_over, make_settings

    settings = make_settings(tmp_path / "home", corpus)
    chatting = bot_over(settings, HashingEmbedding())
    other = KnowledgeBase(settings.home, settings.knowledge, HashingEmbedding)
    other.ledger = chatting.knowledge.ledger if chatting.knowledge is not None else None
    seen: list[str | None] = []
    lines = iter(["how many vacation days do I get?", "REINDEX", "and the parking policy?"])

    async def read(_: str) -> str | None:
        line = next(lines, None)
        seen.append(chatting.knowledge.serving_id() if chatting.knowledge is not None else None)
        if line == "REINDEX":
            _big_document(corpus, "parking", 3)
            report = other.reindex()
            assert report.snapshot_id is not None
            return await read("> ")
        return line

    handled = await run_chat(chatting, "me", Console(file=io.StringIO()), read)
    assert handled == 2
    first, *_, last = [s for s in seen if s]
    assert first != last and last == other.current_id()
    await chatting.aclose()
