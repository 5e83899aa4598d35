"""Incremental reindex: unchanged documents keep their vectors, changed ones are re-embedded, deleted
ones disappear, and the result becomes a new snapshot, written whole and then handed to `publish`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from knowledge._chunking import chunk_document
from knowledge._documents import Chunk
from knowledge._embeddings import Vectors, embed_texts, model_identity
from knowledge._loaders import CorpusRules, DocumentError, load_document, scan_corpus
from knowledge._settings import KnowledgeSettings
from knowledge._store import DocRecord, IndexError_, IndexStore, Manifest, Snapshot, new_snapshot_id
from knowledge._text import Analyzer

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

log = logging.getLogger(__name__)


class Progress(Protocol):
    """What reindex reports to whoever shows progress (a rich bar in the CLI, a chat message in Slack)."""

    def start(self, total_chunks: int) -> None: ...
    def advance(self, n: int) -> None: ...


@dataclass
class ReindexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    chunks: int = 0
    embedded_chunks: int = 0
    snapshot_id: str | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
            "chunks": self.chunks,
            "embedded_chunks": self.embedded_chunks,
        }


def reindex(
    source: Path,
    store: IndexStore,
    settings: KnowledgeSettings,
    embedder_factory: Callable[[], BaseEmbedding],
    analyzer: Analyzer,
    publish: Callable[[Manifest], None],
    progress: Progress | None = None,
    over: str | None = None,
) -> ReindexReport:
    """Build a new snapshot from `source` over snapshot `over` (default: the one CURRENT names) and
    call `publish` once it is whole on disk; nothing is written when nothing changed."""
    started = time.perf_counter()
    report = ReindexReport()
    known = settings.access_groups
    rules = CorpusRules(
        frozenset(g.lower() for g in known) if known is not None else None, settings.max_document_mb
    )
    files, problems = scan_corpus(source, settings.exclude, rules)
    report.failed.update(problems)
    previous = _previous(store, over)
    chunker = _chunker_params(settings)
    reusable = previous is not None and previous.manifest.chunker == chunker
    old_docs = previous.manifest.docs if previous and reusable else {}

    current = {f.path: f for f in files}
    report.removed = sorted(set(previous.manifest.docs if previous else {}) - set(current))
    failed_before = previous.manifest.failed_hashes if previous and reusable else {}
    for path, f in current.items():
        old = old_docs.get(path)
        if failed_before.get(path) == f.content_hash:
            report.failed[path] = previous.manifest.failed[path] if previous else ""
        elif old is None:
            (report.updated if previous and path in previous.manifest.docs else report.added).append(path)
        elif old.content_hash == f.content_hash:
            report.unchanged.append(path)
        else:
            report.updated.append(path)
    if previous is not None and reusable and not report.changed:
        report.chunks = len(previous.chunks)
        report.seconds = time.perf_counter() - started
        return report  # nothing to do: the serving snapshot stays, the model is never loaded

    embedder = embedder_factory()
    model = model_identity(embedder)
    if previous is not None and previous.manifest.model != model:
        report.updated.extend(report.unchanged)
        report.unchanged = []
        old_docs = {}

    keep = list(report.unchanged)  # documents whose previous chunks and vectors carry over
    docs: dict[str, DocRecord] = {}
    fresh: list[Chunk] = []
    for path in [*report.added, *report.updated]:
        try:
            doc = load_document(current[path], rules)
        except (DocumentError, OSError, UnicodeDecodeError) as exc:
            report.failed[path] = str(exc)
            log.warning("skipping %s: %s", path, exc)
            for bucket in (report.added, report.updated):
                if path in bucket:
                    bucket.remove(path)
            if path in old_docs:
                keep.append(path)  # a broken edit keeps serving its last good version until fixed
            continue
        doc_chunks = chunk_document(
            doc, settings.chunk_words, settings.chunk_overlap_words, settings.default_language
        )
        fresh.extend(doc_chunks)
        docs[path] = DocRecord(doc.content_hash, doc.title, sorted(doc.audience), len(doc_chunks))

    kept: list[Chunk] = []
    kept_vectors: list[Vectors] = []
    if previous is not None and keep:
        by_doc = _rows_by_doc(previous)
        rows = [r for path in keep for r in by_doc.get(path, [])]
        kept = [previous.chunks[r] for r in rows]
        kept_vectors = [previous.embeddings[rows]]
        docs.update({path: old_docs[path] for path in keep})
    if progress is not None:
        progress.start(len(fresh))
    fresh_vectors = embed_texts(
        embedder,
        [c.search_text() for c in fresh],
        settings.embed_batch_size,
        progress.advance if progress else None,
    )
    chunks = kept + fresh
    parts = [v for v in [*kept_vectors, fresh_vectors] if v.size]
    embeddings = np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 1), dtype=np.float32)

    from knowledge._index import index_writers

    manifest = Manifest(
        snapshot_id=new_snapshot_id(),
        created_at=time.time(),
        model=model,
        dim=int(embeddings.shape[1]),
        chunker=chunker,
        source=str(source),
        docs=docs,
        failed=dict(report.failed),
        failed_hashes={p: current[p].content_hash for p in report.failed if p in current},
    )
    store.write(manifest, chunks, embeddings, index_writers(chunks, embeddings, settings, analyzer))
    publish(manifest)
    report.chunks = len(chunks)
    report.embedded_chunks = len(fresh)
    report.snapshot_id = manifest.snapshot_id
    report.seconds = time.perf_counter() - started
    return report


def _previous(store: IndexStore, snapshot_id: str | None) -> Snapshot | None:
    try:
        return store.load(snapshot_id)
    except IndexError_ as exc:
        if (snapshot_id or store.current_id()) is not None:
            log.warning("previous index unusable, rebuilding from scratch: %s", exc)
        return None


def _chunker_params(settings: KnowledgeSettings) -> dict[str, object]:
    return {
        "chunk_words": settings.chunk_words,
        "overlap": settings.chunk_overlap_words,
        "ann": settings.ann,
        "language": settings.default_language,
        "table_headers": 1,  # chunks inside a table carry its header row (older snapshots re-chunk)
        # Vectors from another model or runtime are not comparable with this one's queries: a change
        # rebuilds at the next reindex even when no document changed.
        "embedding": f"{settings.embedding_model}|{settings.embedding_runtime}",
    }


def _rows_by_doc(snapshot: Snapshot) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for i, chunk in enumerate(snapshot.chunks):
        rows.setdefault(chunk.doc_path, []).append(i)
    return rows
