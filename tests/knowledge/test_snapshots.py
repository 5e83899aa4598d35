"""Snapshots in a folder several processes share: the recorded one is current, a reader switches to it
only once it is loaded whole, a damaged or missing one leaves the serving one in place, and pruning
keeps the last few."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, KnowledgeSettings, Manifest
from knowledge._store import IndexStore
from knowledge.testing import HashingEmbedding


class Ledger:
    """The smallest `SnapshotLedger`: what the bot's database records, kept in memory."""

    def __init__(self) -> None:
        self.recorded: list[str] = []
        self._busy = threading.Lock()

    def current(self) -> str | None:
        return self.recorded[-1] if self.recorded else None

    def record(self, manifest: Manifest) -> None:
        self.recorded.append(manifest.snapshot_id)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("a reindex is running")
        try:
            yield
        finally:
            self._busy.release()


def _kb(home: Path, corpus: Path, shared: Path, ledger: Ledger, keep: int = 3) -> KnowledgeBase:
    settings = KnowledgeSettings(source=corpus, snapshot_dir=shared, keep_snapshots=keep)
    return KnowledgeBase(home, settings, HashingEmbedding, ledger)


def _change(corpus: Path, n: int) -> None:
    (corpus / "en" / "rota.md").write_text(f"# Rota\n\n## Rota\n\nThe night rota {n} pays a bonus.\n")


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


def test_the_snapshot_folder_defaults_to_the_data_directory_and_can_be_shared(
    tmp_path: Path, corpus: Path
) -> None:
    assert KnowledgeBase(tmp_path / "home", KnowledgeSettings()).store.root == tmp_path / "home" / "index"
    ledger = Ledger()
    writer = _kb(tmp_path / "a", corpus, tmp_path / "shared", ledger)
    reader = _kb(tmp_path / "b", corpus, tmp_path / "shared", ledger)
    snapshot = writer.reindex().snapshot_id
    assert ledger.recorded == [snapshot] and reader.current_id() == snapshot
    assert reader.search("night rota", k=1)  # built on one data directory, served from another
    assert not (tmp_path / "a" / "index").exists() and not (tmp_path / "b" / "index").exists()


def test_the_recorded_snapshot_wins_over_the_local_current_file(tmp_path: Path, corpus: Path) -> None:
    ledger = Ledger()
    kb = _kb(tmp_path / "home", corpus, tmp_path / "shared", ledger)
    first = kb.reindex().snapshot_id
    _change(corpus, 1)
    second = kb.reindex().snapshot_id
    assert first is not None and second is not None
    ledger.recorded.append(first)  # e.g. an operator records the previous one again to roll back
    reader = _kb(tmp_path / "reader", corpus, tmp_path / "shared", ledger)
    assert reader.store.current_id() == second and reader.current_id() == first
    assert reader.serving_id() is None and reader.index().snapshot.manifest.snapshot_id == first


def test_a_reader_keeps_serving_while_the_recorded_snapshot_is_missing_and_switches_once_it_appears(
    tmp_path: Path, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = Ledger()
    writer = _kb(tmp_path / "a", corpus, tmp_path / "shared", ledger)
    reader = _kb(tmp_path / "b", corpus, tmp_path / "shared", ledger)
    first = writer.reindex().snapshot_id
    assert reader.search("night rota", k=1)[0].chunk.doc_path != "en/rota.md"
    _change(corpus, 1)
    second = writer.reindex().snapshot_id
    folder = writer.store.snapshots / str(second)
    hidden = tmp_path / "not-yet-visible"
    shutil.move(folder, hidden)  # a shared volume can show a new folder late

    assert not reader.refresh() and not reader.refresh()
    assert reader.serving_id() == first
    assert reader.search("night rota", k=1)[0].chunk.doc_path != "en/rota.md"
    (line,) = _errors(caplog)  # said once, not at every look
    assert str(second) in line and "missing" in line and str(first) in line

    shutil.move(hidden, folder)
    assert reader.refresh() and reader.serving_id() == second
    assert reader.search("night rota", k=1)[0].chunk.doc_path == "en/rota.md"


def test_a_damaged_snapshot_is_never_switched_in_and_not_read_again_at_every_look(
    tmp_path: Path, corpus: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger()
    writer = _kb(tmp_path / "a", corpus, tmp_path / "shared", ledger)
    reader = _kb(tmp_path / "b", corpus, tmp_path / "shared", ledger)
    first = writer.reindex().snapshot_id
    reader.index()
    _change(corpus, 1)
    second = writer.reindex().snapshot_id
    victim = writer.store.snapshots / str(second) / "embeddings.npy"
    victim.write_bytes(victim.read_bytes()[:200])

    assert not reader.refresh()
    assert reader.serving_id() == first
    (line,) = _errors(caplog)
    assert str(second) in line and "checksum" in line
    reads: list[Path] = []
    real_open = open

    def counting_open(path: object, *args: object, **kwargs: object) -> object:
        reads.append(Path(str(path)))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", counting_open)
    assert not reader.refresh()
    assert not [p for p in reads if str(second) in str(p)]  # the damaged snapshot is not re-read
    monkeypatch.undo()

    _change(corpus, 2)
    third = writer.reindex().snapshot_id  # the next reindex repairs it for everybody
    assert reader.refresh() and reader.serving_id() == third


def test_pruning_keeps_the_last_few_and_never_a_protected_one(tmp_path: Path, corpus: Path) -> None:
    kb = _kb(tmp_path / "home", corpus, tmp_path / "shared", Ledger(), keep=2)
    made = []
    for n in range(4):
        _change(corpus, n)
        made.append(kb.reindex().snapshot_id)
    assert sorted(p.name for p in kb.store.snapshots.iterdir()) == sorted(made[-2:])
    # The current snapshot and one a worker is loading are protected even outside the newest few.
    tighter = IndexStore(kb.store.root, keep=1)
    assert tighter.prune(protect={str(made[-2])}) == []
    assert tighter.prune() == [made[-2]]
    assert [p.name for p in kb.store.snapshots.iterdir()] == [made[-1]]


def test_a_second_reindex_while_one_runs_is_refused_by_the_ledger(tmp_path: Path, corpus: Path) -> None:
    ledger = Ledger()
    kb = _kb(tmp_path / "home", corpus, tmp_path / "shared", ledger)
    with ledger.exclusive(), pytest.raises(RuntimeError, match="a reindex is running"):
        kb.reindex()
    assert ledger.recorded == [] and not kb.store.snapshots.exists()


def test_a_snapshot_that_cannot_be_recorded_is_removed_and_never_served(tmp_path: Path, corpus: Path) -> None:
    ledger = Ledger()
    kb = _kb(tmp_path / "home", corpus, tmp_path / "shared", ledger)
    first = kb.reindex().snapshot_id

    def refuse(manifest: Manifest) -> None:
        raise ConnectionError("database away")

    ledger.record = refuse  # type: ignore[method-assign]
    _change(corpus, 1)
    with pytest.raises(ConnectionError):
        kb.reindex()
    assert [p.name for p in kb.store.snapshots.iterdir()] == [first]
    assert kb.store.current_id() == first == kb.current_id()
