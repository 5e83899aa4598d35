"""Index snapshots on disk, in one folder that several workers may share. Each reindex writes a new
snapshot folder and renames it into place whole, has it recorded (the bot's database, when several
workers share the folder), then switches `CURRENT` to it: a crash part-way leaves the previous snapshot
serving."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from knowledge._documents import Chunk
from knowledge._embeddings import Vectors

FORMAT_VERSION = 1
_TMP_PREFIX = ".tmp-"

log = logging.getLogger(__name__)


class IndexError_(Exception):
    """Base for index problems; the message tells the reader what to run."""


class IndexMissingError(IndexError_):
    pass


class IndexCorruptError(IndexError_):
    pass


class IndexWriteError(IndexError_):
    """A snapshot could not be written (a read-only or full disk): nothing was switched in."""

    def __init__(self, where: Path, reason: str) -> None:
        super().__init__(f"cannot write the index in {where} ({reason}); the current snapshot keeps serving")
        self.where, self.reason = where, reason


@dataclass
class DocRecord:
    content_hash: str
    title: str
    audience: list[str]
    chunks: int


@dataclass
class Manifest:
    snapshot_id: str
    created_at: float
    model: str
    dim: int
    chunker: dict[str, Any]
    source: str
    docs: dict[str, DocRecord]
    failed: dict[str, str] = field(default_factory=dict)
    failed_hashes: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    version: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        docs = {path: DocRecord(**rec) for path, rec in data.pop("docs").items()}
        return cls(docs=docs, **data)


@dataclass
class Snapshot:
    manifest: Manifest
    chunks: list[Chunk]
    embeddings: Vectors
    path: Path


class SnapshotLedger(Protocol):
    """Where the processes sharing one snapshot folder agree on which snapshot is current and take turns
    to write one. The bot keeps it in its database; the knowledge base needs only these three things."""

    def current(self) -> str | None:
        """The newest recorded snapshot, or None when none is recorded yet."""
        ...

    def record(self, manifest: Manifest) -> None:
        """Make the snapshot just written the current one for every process."""
        ...

    def exclusive(self) -> AbstractContextManager[object]:
        """Held while a reindex runs; raises (the caller's exception) when another one already runs."""
        ...


class IndexStore:
    """`<root>/snapshots/<id>/` plus a `CURRENT` file naming the newest switched in; `root` may be shared."""

    def __init__(self, root: Path, keep: int = 3) -> None:
        self.root = root
        self.snapshots = root / "snapshots"
        self.keep = keep

    @property
    def _current_file(self) -> Path:
        return self.root / "CURRENT"

    def current_id(self) -> str | None:
        try:
            value = self._current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def current_path(self) -> Path:
        snapshot_id = self.current_id()
        if snapshot_id is None:
            raise IndexMissingError("there is no index yet: run `backoffice reindex`")
        path = self.snapshots / snapshot_id
        if not path.is_dir():
            raise IndexCorruptError(
                f"the index names snapshot {snapshot_id}, which is missing: run `backoffice reindex`"
            )
        return path

    def load_manifest(self, snapshot_id: str | None = None) -> Manifest:
        if snapshot_id is None:
            return _read_manifest(self.current_path())
        return _read_manifest(self.snapshots / snapshot_id)

    def load(self, snapshot_id: str | None = None, fallback: bool = True) -> Snapshot:
        """Snapshot `snapshot_id` (default: the one CURRENT names). When it is unusable and `fallback`
        holds, the newest older one that is whole, said in the log."""
        snapshot_id = snapshot_id or self.current_id()
        if snapshot_id is None:
            raise IndexMissingError("there is no index yet: run `backoffice reindex`")
        try:
            return _load_snapshot(self.snapshots / snapshot_id)
        except IndexCorruptError as exc:
            if not fallback:
                raise
            for older in self._snapshot_folders(exclude=snapshot_id):
                try:
                    snapshot = _load_snapshot(older)
                except IndexCorruptError:
                    continue
                log.error(
                    "index snapshot %s is unusable (%s); serving the previous snapshot %s until a reindex",
                    snapshot_id,
                    exc,
                    older.name,
                )
                return snapshot
            raise

    def _snapshot_folders(self, exclude: str = "") -> list[Path]:
        """Finished snapshots, newest first; temporary folders of an unfinished write are not snapshots."""
        if not self.snapshots.is_dir():
            return []
        found = [p for p in self.snapshots.iterdir() if p.is_dir() and p.name not in (exclude, "")]
        found = [p for p in found if not p.name.startswith(".")]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)

    def write(
        self,
        manifest: Manifest,
        chunks: list[Chunk],
        embeddings: Vectors,
        extra_writers: Sequence[Callable[[Path], None]] = (),
    ) -> Path:
        """Write everything into a temporary folder, then rename it into place. Nobody serves it until it is
        recorded and switched in."""
        try:
            self.snapshots.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-", dir=self.snapshots))
        except OSError as exc:
            raise self._cannot_write(exc) from exc
        try:
            with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
                for chunk in chunks:
                    fh.write(json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n")
            np.save(tmp / "embeddings.npy", embeddings, allow_pickle=False)
            for writer in extra_writers:
                writer(tmp)
            manifest.files = {
                p.relative_to(tmp).as_posix(): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
            }
            (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=1))
            _fsync_dir(tmp)
            final = self.snapshots / manifest.snapshot_id
            os.replace(tmp, final)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise self._cannot_write(exc) from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def _cannot_write(self, exc: OSError) -> IndexWriteError:
        return IndexWriteError(self.root, exc.strerror or str(exc))

    def discard(self, snapshot_id: str) -> None:
        """Remove a snapshot that was written but never switched in (recording it failed)."""
        shutil.rmtree(self.snapshots / snapshot_id, ignore_errors=True)

    def switch(self, snapshot_id: str) -> None:
        """Point CURRENT at `snapshot_id` with an atomic rename."""
        tmp = self.root / f".CURRENT.{os.getpid()}"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(snapshot_id)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._current_file)
            _fsync_dir(self.root)
        except OSError as exc:
            raise self._cannot_write(exc) from exc

    def prune(self, protect: Collection[str] = ()) -> list[str]:
        """Keep the newest `keep` snapshots (so a worker still loading an older one can finish) and every
        one in `protect` (the current one, one being loaded); clear the temporary folders of writes that were
        killed (never counted as snapshots). Returns the removed ids."""
        removed = []
        for stale in self._snapshot_folders()[self.keep :]:
            if stale.name not in protect:
                shutil.rmtree(stale, ignore_errors=True)
                removed.append(stale.name)
        for tmp in self.snapshots.glob(f"{_TMP_PREFIX}*"):
            if not _writer_alive(tmp.name):
                shutil.rmtree(tmp, ignore_errors=True)
        return removed


def _writer_alive(tmp_name: str) -> bool:
    """Whether the process that names this temporary folder still runs (it may be writing it now)."""
    pid = tmp_name.removeprefix(_TMP_PREFIX).split("-", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _load_snapshot(path: Path) -> Snapshot:
    if not path.is_dir():
        raise IndexCorruptError(
            f"the index names snapshot {path.name}, which is missing: run `backoffice reindex`"
        )
    manifest = _read_manifest(path)
    try:
        for name, digest in manifest.files.items():
            if _sha256(path / name) != digest:
                raise IndexCorruptError(f"index file {name} does not match its checksum")
        chunks = [_chunk_from_json(json.loads(line)) for line in _lines(path / "chunks.jsonl")]
        embeddings = np.load(path / "embeddings.npy", allow_pickle=False)
    except IndexCorruptError as exc:
        raise IndexCorruptError(f"{exc}: run `backoffice reindex`") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"the index cannot be read ({exc}): run `backoffice reindex`") from exc
    if len(chunks) != embeddings.shape[0] or (chunks and embeddings.shape[1] != manifest.dim):
        raise IndexCorruptError("the index is inconsistent (chunks vs vectors): run `backoffice reindex`")
    return Snapshot(manifest, chunks, embeddings.astype(np.float32, copy=False), path)


def new_snapshot_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"


def _read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        manifest = Manifest.from_json(data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(
            f"the index manifest cannot be read ({exc}): run `backoffice reindex`"
        ) from exc
    if manifest.version != FORMAT_VERSION:
        raise IndexCorruptError(
            f"the index was written by another version (format {manifest.version}): run `backoffice reindex`"
        )
    return manifest


def _chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    data = asdict(chunk)
    data["heading_path"] = list(chunk.heading_path)
    data["audience"] = sorted(chunk.audience)
    return data


def _chunk_from_json(data: dict[str, Any]) -> Chunk:
    data["heading_path"] = tuple(data["heading_path"])
    data["audience"] = frozenset(data["audience"])
    return Chunk(**data)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
