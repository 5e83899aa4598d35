"""The knowledge base as the rest of the product sees it: reindex, search, status."""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge._embeddings import Vectors
from knowledge._evidence import Evidence
from knowledge._index import Hit, KnowledgeIndex
from knowledge._query import QueryAnalyzer, bundled_abbreviations, bundled_thesaurus
from knowledge._reindex import Progress, ReindexReport, reindex
from knowledge._settings import KnowledgeSettings
from knowledge._store import IndexStore, Manifest
from knowledge._text import Analyzer

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding


def sample_corpus_path() -> Path:
    """The fictional company handbook that ships with the product for the demo."""
    return Path(str(resources.files("knowledge").joinpath("sample_corpus")))


class KnowledgeBase:
    """Owns the embedder and the serving snapshot; picks up a new snapshot as soon as one is switched in."""

    def __init__(
        self,
        home: Path,
        settings: KnowledgeSettings,
        embedder_factory: Callable[[], BaseEmbedding] | None = None,
    ) -> None:
        self.settings = settings
        self.store = IndexStore(home)
        self._embedder_factory = embedder_factory or self._default_embedder
        self._embedder: BaseEmbedding | None = None
        self._index: KnowledgeIndex | None = None
        self._loaded_for: str | None = None
        self._lock = threading.Lock()
        self.analyzer = Analyzer({**bundled_abbreviations(), **settings.abbreviations})
        self.queries = QueryAnalyzer(
            self.analyzer, bundled_thesaurus() + settings.thesaurus, settings.default_language
        )

    @property
    def source(self) -> Path:
        return self.settings.source or sample_corpus_path()

    def _default_embedder(self) -> BaseEmbedding:
        from knowledge._embeddings import load_embedder

        return load_embedder(self.settings.embedding_model, self.settings.embed_batch_size)

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

    def reindex(self, source: Path | None = None, progress: Progress | None = None) -> ReindexReport:
        return reindex(
            source or self.source, self.store, self.settings, self.embedder, self.analyzer, progress
        )

    def index(self) -> KnowledgeIndex:
        """The serving snapshot; reloaded when a reindex has switched CURRENT to a new one."""
        current = self.store.current_id()
        loaded = self._index
        # Compared with what CURRENT said at load time: a fallback snapshot has another id, and must not
        # be loaded again on every search.
        if loaded is None or self._loaded_for != current:
            loaded = KnowledgeIndex.from_store(self.store, self.embedder(), self.settings, self.queries)
            self._index, self._loaded_for = loaded, current
        return loaded

    def search(self, query: str, k: int | None = None, groups: frozenset[str] = frozenset()) -> list[Hit]:
        return self.index().search(query, k, groups)

    def search_with_evidence(
        self, query: str, k: int | None = None, groups: frozenset[str] = frozenset(), context: str = ""
    ) -> tuple[list[Hit], Evidence]:
        return self.index().search_with_evidence(query, k, groups, context=context)

    def manifest(self) -> Manifest:
        return self.store.load_manifest()
