"""The knowledge base as the rest of the product sees it: reindex, search, status."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge._documents import Hit
from knowledge._embeddings import Vectors
from knowledge._evidence import Evidence
from knowledge._index import KnowledgeIndex
from knowledge._query import QueryAnalyzer, bundled_abbreviations, bundled_thesaurus
from knowledge._reindex import Progress, ReindexReport, reindex
from knowledge._settings import KnowledgeSettings
from knowledge._store import IndexError_, IndexStore, Manifest, SnapshotLedger
from knowledge._text import Analyzer

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding


log = logging.getLogger(__name__)


def sample_corpus_path() -> Path:
    """The fictional company handbook that ships with the product for the demo."""
    return Path(str(resources.files("knowledge").joinpath("sample_corpus")))


class KnowledgeBase:
    """Owns the embedder and the serving snapshot. A new snapshot is loaded off the request path
    (`refresh`, which a serving process calls in a thread every few seconds) and switched in whole."""

    def __init__(
        self,
        home: Path,
        settings: KnowledgeSettings,
        embedder_factory: Callable[[], BaseEmbedding] | None = None,
        ledger: SnapshotLedger | None = None,
    ) -> None:
        self.settings = settings
        self.store = IndexStore(settings.snapshot_dir or home / "index", settings.keep_snapshots)
        # Without a ledger this process alone decides: CURRENT names the current snapshot.
        self.ledger = ledger
        self._embedder_factory = embedder_factory or self._default_embedder
        self._embedder: BaseEmbedding | None = None
        self._index: KnowledgeIndex | None = None
        self._loaded_for: str | None = None  # the current id when `_index` was loaded (maybe a fallback)
        self._loading: str | None = None
        self._refused: dict[str, bool] = {}  # snapshots that failed to load -> whether their folder existed
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self.analyzer = Analyzer({**bundled_abbreviations(), **settings.abbreviations})
        self.queries = QueryAnalyzer(
            self.analyzer, bundled_thesaurus() + settings.thesaurus, settings.default_language
        )

    @property
    def source(self) -> Path:
        return self.settings.source or sample_corpus_path()

    def _default_embedder(self) -> BaseEmbedding:
        from knowledge._embeddings import load_embedder

        settings = self.settings
        return load_embedder(
            settings.embedding_model,
            settings.embed_batch_size,
            settings.embedding_runtime,
            settings.model_cache,
        )

    def embedder(self) -> BaseEmbedding:
        with self._lock:
            if self._embedder is None:
                self._embedder = self._embedder_factory()
            return self._embedder

    def uses_bundled_model(self) -> bool:
        """Whether search runs on the bundled model, the one the fitted thresholds were measured on."""
        from knowledge._embeddings import EmbeddingModelError, is_bundled_model

        try:
            return is_bundled_model(self.embedder())
        except EmbeddingModelError:
            return False  # searching will say why; building the bot need not

    def embed(self, texts: list[str]) -> Vectors:
        """L2-normalised embeddings of `texts` with the index's model: what reading by meaning compares."""
        from knowledge._embeddings import embed_query, embed_texts

        if len(texts) == 1:  # a message: shared with the search that follows it
            return embed_query(self.embedder(), texts[0])
        return embed_texts(self.embedder(), texts, max(1, len(texts)))

    def current_id(self) -> str | None:
        """The snapshot every process should serve: the newest recorded one, else the one CURRENT names."""
        recorded = self.ledger.current() if self.ledger is not None else None
        return recorded or self.store.current_id()

    def serving_id(self) -> str | None:
        """The snapshot this process answers from now, None before the first load."""
        loaded = self._index
        return loaded.snapshot.manifest.snapshot_id if loaded is not None else None

    def reindex(self, source: Path | None = None, progress: Progress | None = None) -> ReindexReport:
        """Build a new snapshot (one reindex at a time across processes when a ledger is set) and publish
        it; this process serves it at once, the others switch to it at their next `refresh`."""
        guard = self.ledger.exclusive() if self.ledger is not None else nullcontext()
        with guard:
            current = self.current_id()
            report = reindex(
                source or self.source,
                self.store,
                self.settings,
                self.embedder,
                self.analyzer,
                self._publish,
                progress,
                current,
            )
            if report.snapshot_id is None and current is not None and self.ledger is not None:
                if self.ledger.current() is None:  # a snapshot from before the ledger: make it known
                    self.ledger.record(self.store.load_manifest(current))
        if report.snapshot_id is not None and self._index is not None:
            self.refresh()  # this process serves: the new snapshot is its own at once
        return report

    def _publish(self, manifest: Manifest) -> None:
        """Record a snapshot just written, switch CURRENT to it and prune old ones; a snapshot that could not
        be recorded is removed, so no process ever serves it."""
        if self.ledger is not None:
            try:
                self.ledger.record(manifest)
            except BaseException:
                self.store.discard(manifest.snapshot_id)
                raise
        self.store.switch(manifest.snapshot_id)
        protect = {manifest.snapshot_id, self._loaded_for, self._loading, self.serving_id()}
        removed = self.store.prune({p for p in protect if p})
        if removed:
            log.info("pruned index snapshots %s", ", ".join(removed))

    def index(self) -> KnowledgeIndex:
        """The serving snapshot. Only the first call loads one (with nothing to serve, a question waits);
        after that a new snapshot comes in through `refresh`, never on the request path."""
        loaded = self._index
        if loaded is not None:
            return loaded
        with self._load_lock:
            if self._index is None:
                current = self.current_id()
                index = self._load(current, fallback=True)
                self._calibrate(index)
                self._index, self._loaded_for = index, current
            return self._index

    def refresh(self) -> bool:
        """Load the current snapshot if it is not the one serving, then switch to it; True when it switched.
        Blocking: call it in a thread. A snapshot that cannot be loaded leaves the serving one in place, and
        the log says why (once per snapshot)."""
        current = self.current_id()
        if current is None or current == self._loaded_for or not self._worth_trying(current):
            return False
        with self._load_lock:
            if current == self._loaded_for:
                return False
            first = self._index is None
            self._loading = current
            try:
                index = self._load(current, fallback=first)
                self._calibrate(index)
            except IndexError_ as exc:
                self._refuse(current, exc)
                if first:
                    raise
                return False
            finally:
                self._loading = None
            self._index, self._loaded_for = index, current
            self._refused.pop(current, None)
        log.info("serving index snapshot %s", index.snapshot.manifest.snapshot_id)
        return True

    def _load(self, snapshot_id: str | None, fallback: bool) -> KnowledgeIndex:
        return KnowledgeIndex.from_store(
            self.store, self.embedder(), self.settings, self.queries, snapshot_id, fallback
        )

    def _calibrate(self, index: KnowledgeIndex) -> None:
        """Measure the new snapshot's baseline here, off the request path, before it serves; if that
        fails the first question measures it again and says why."""
        try:
            index.baseline()
        except Exception as exc:  # a snapshot built with another model fails its first search anyway
            log.warning("index snapshot %s could not be calibrated yet: %s", index.snapshot.path.name, exc)

    def _worth_trying(self, snapshot_id: str) -> bool:
        """A snapshot that failed to load is tried again only if its folder was missing and has appeared
        (a shared volume can show a folder late); a damaged one waits for the next reindex."""
        existed = self._refused.get(snapshot_id)
        return existed is None or (not existed and (self.store.snapshots / snapshot_id).is_dir())

    def _refuse(self, snapshot_id: str, exc: IndexError_) -> None:
        if snapshot_id not in self._refused:
            log.error(
                "index snapshot %s cannot be served (%s); still serving %s",
                snapshot_id,
                exc,
                self.serving_id() or "nothing",
            )
        self._refused[snapshot_id] = (self.store.snapshots / snapshot_id).is_dir()

    def search(self, query: str, k: int | None = None, groups: frozenset[str] = frozenset()) -> list[Hit]:
        return self.index().search(query, k, groups)

    def search_with_evidence(
        self, query: str, k: int | None = None, groups: frozenset[str] = frozenset(), context: str = ""
    ) -> tuple[list[Hit], Evidence]:
        return self.index().search_with_evidence(query, k, groups, context=context)

    def manifest(self) -> Manifest:
        """The manifest of the snapshot this process serves (else of the current one)."""
        loaded = self._index
        if loaded is not None:
            return loaded.snapshot.manifest
        return self.store.load_manifest(self.current_id())
