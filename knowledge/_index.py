"""The searchable index: FAISS for meaning, BM25 for words, fused; access filtering inside the search."""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import faiss
import numpy as np
import numpy.typing as npt

from knowledge import _calibration as calibration
from knowledge._documents import Chunk, Hit
from knowledge._embeddings import Vectors, embed_query, embed_texts, is_bundled_model
from knowledge._evidence import Evidence, EvidenceJudge
from knowledge._gate import Gate
from knowledge._multilingual import shared_encoder
from knowledge._query import AnalyzedQuery, QueryAnalyzer, Vocabulary
from knowledge._settings import KnowledgeSettings
from knowledge._store import IndexCorruptError, IndexStore, Snapshot
from knowledge._text import Analyzer, Language

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding


Scores = npt.NDArray[np.float32]
_CANDIDATES = 50
_BM25_DIR = "bm25"
_FAISS_FILE = "dense.faiss"


@dataclass(frozen=True)
class _Ranked:
    """What one search computed, kept for the evidence step."""

    analyzed: AnalyzedQuery
    q: Vectors
    lexical: Scores
    mask: npt.NDArray[np.bool_]
    top_lex: float
    weight: float


_LINK = re.compile(r"\]\(\s*(?!https?:|mailto:|#)([^)\s#?]+)")
_LINK_FOLLOW_DEPTH = 5
_POINTER_WINDOWS = 8


def linked_documents(chunk: Chunk, text: str | None = None) -> list[str]:
    """Corpus paths of the documents a passage (or `text` from it) links to, resolved from its document."""
    base = posixpath.dirname(chunk.doc_path)
    found = []
    for part in (*chunk.heading_path, chunk.text) if text is None else (text,):
        for m in _LINK.finditer(part):
            target = posixpath.normpath(posixpath.join(base, m.group(1)))
            if not target.startswith("..") and target not in found:
                found.append(target)
    return found


# One query at a time gains nothing from FAISS's OpenMP threads; they only contend with torch's.
faiss.omp_set_num_threads(1)


def build_bm25(chunks: Sequence[Chunk], analyzer: Analyzer) -> bm25s.BM25:
    corpus = [analyzer.terms(c.search_text(), _lang(c.lang)) or ["\u2205"] for c in chunks]
    bm25 = bm25s.BM25()
    with contextlib.redirect_stderr(io.StringIO()):
        bm25.index(corpus, show_progress=False)
    return bm25


def _lang(value: str) -> Language:
    return "es" if value == "es" else "en"


def build_faiss(embeddings: Vectors, kind: str) -> faiss.Index:
    dim = embeddings.shape[1] if embeddings.size else 1
    index: faiss.Index
    if kind == "hnsw":
        # L2 on unit vectors ranks exactly as cosine; only candidate ids are taken from FAISS.
        index = faiss.IndexHNSWFlat(dim, 32)
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(dim)
    if embeddings.size:
        index.add(embeddings)
    return index


def index_writers(
    chunks: Sequence[Chunk], embeddings: Vectors, settings: KnowledgeSettings, analyzer: Analyzer
) -> list[Callable[[Path], None]]:
    """Writers that put the BM25 and FAISS structures into a snapshot folder."""
    bm25 = build_bm25(chunks, analyzer)
    dense = build_faiss(embeddings, settings.ann)

    def write_bm25(folder: Path) -> None:
        bm25.save(str(folder / _BM25_DIR))

    def write_faiss(folder: Path) -> None:
        faiss.write_index(dense, str(folder / _FAISS_FILE))

    return [write_bm25, write_faiss]


class KnowledgeIndex:
    """One loaded snapshot, ready to search. Readers hold it; a reindex builds a new one."""

    def __init__(
        self,
        snapshot: Snapshot,
        bm25: bm25s.BM25,
        dense: faiss.Index,
        embedder: BaseEmbedding,
        settings: KnowledgeSettings,
        query_analyzer: QueryAnalyzer,
    ) -> None:
        self.snapshot = snapshot
        self.chunks = snapshot.chunks
        self._bm25 = bm25
        self._dense = dense
        self._embedder = embedder
        self._settings = settings
        self._queries = query_analyzer
        self._vocabulary = Vocabulary(bm25.vocab_dict.keys(), settings.fuzzy_min_score)
        self._audiences = [c.audience for c in self.chunks]
        self._doc_chunks: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            self._doc_chunks.setdefault(c.doc_path, []).append(i)
        self._masks: dict[frozenset[str], npt.NDArray[np.bool_]] = {}
        postings = np.diff(np.asarray(bm25.scores["indptr"]))
        df = {term: int(postings[i]) for term, i in bm25.vocab_dict.items() if i < len(postings)}
        gate = Gate.bundled(is_bundled_model(embedder))
        self._judge = EvidenceJudge(query_analyzer.analyzer, df, len(self.chunks), gate)
        self._calibrated = threading.Lock()
        self._baseline: dict[str, float] | None = None

    def baseline(self) -> dict[str, float]:
        """What this corpus offers a question it does not answer (see `knowledge._calibration`),
        measured once per snapshot (a few seconds) and kept beside it for the next process."""
        if self._baseline is None:
            with self._calibrated:
                if self._baseline is None:
                    self._baseline = calibration.stored(self.snapshot.path, self._measure_baseline)
        return self._baseline

    def _measure_baseline(self) -> dict[str, float]:
        def features(question: str, hidden: frozenset[str]) -> Mapping[str, float]:
            return self._evidence(question, frozenset(), hidden, "", None)[1].features

        return calibration.baseline(self.chunks, features)

    @classmethod
    def from_store(
        cls,
        store: IndexStore,
        embedder: BaseEmbedding,
        settings: KnowledgeSettings,
        query_analyzer: QueryAnalyzer,
        snapshot_id: str | None = None,
        fallback: bool = True,
    ) -> KnowledgeIndex:
        """Snapshot `snapshot_id` (default: the one CURRENT names) read whole into memory."""
        snapshot = store.load(snapshot_id, fallback)
        try:
            bm25 = bm25s.BM25.load(str(snapshot.path / _BM25_DIR))
            dense = faiss.read_index(str(snapshot.path / _FAISS_FILE))
        except Exception as exc:  # bm25s and faiss raise assorted types on damaged files
            raise IndexCorruptError(f"the index cannot be read ({exc}): run `backoffice reindex`") from exc
        if dense.ntotal != len(snapshot.chunks):
            raise IndexCorruptError("the index is inconsistent (vectors): run `backoffice reindex`")
        return cls(snapshot, bm25, dense, embedder, settings, query_analyzer)

    def __len__(self) -> int:
        return len(self.chunks)

    def allowed(self, groups: frozenset[str]) -> npt.NDArray[np.bool_]:
        """Which chunks a requester in `groups` may read: public ones and those shared with a group."""
        key = frozenset(g.lower() for g in groups)
        mask = self._masks.get(key)
        if mask is None:
            mask = np.fromiter(
                (not aud or bool(aud & key) for aud in self._audiences), bool, len(self.chunks)
            )
            self._masks[key] = mask
        return mask

    def search(self, query: str, k: int | None = None, groups: frozenset[str] = frozenset()) -> list[Hit]:
        return self._search(query, k, groups)[0]

    def search_with_evidence(
        self,
        query: str,
        k: int | None = None,
        groups: frozenset[str] = frozenset(),
        hidden: frozenset[str] = frozenset(),
        context: str = "",
    ) -> tuple[list[Hit], Evidence]:
        """The ranked passages and how well they answer the question (see `knowledge._evidence`).

        An overview passage that links to another document of the corpus ("[Travel Policy](travel.md)")
        brings that document's best passage along, and yields to it: the details live there. `hidden`
        chunk ids are searched as if absent: the answer gate is fitted on questions whose answer is gone.
        `context` (the question a follow-up continues) helps find the passages; the evidence is judged
        on `query` alone, since that is what the user now asks."""
        return self._evidence(query, groups, hidden, context, self.baseline(), k)

    def _evidence(
        self,
        query: str,
        groups: frozenset[str],
        hidden: frozenset[str],
        context: str,
        levels: Mapping[str, float] | None,
        k: int | None = 5,
    ) -> tuple[list[Hit], Evidence]:
        hits, ranked = self._search(f"{context} {query}".strip(), k, groups, hidden)
        if ranked is None:
            return hits, Evidence(0.0, (), ())
        hits, overviews = self._follow_links(hits, ranked)

        def similarity(texts: list[str]) -> list[float]:
            vectors = embed_texts(self._embedder, texts, len(texts))
            return [float(c) for c in vectors @ ranked.q[0]]

        def across_languages(texts: list[str]) -> list[float]:
            return shared_encoder().cosines(query, texts)

        analyzed = self._queries.analyze(query, self._vocabulary.correct) if context else ranked.analyzed
        evidence = self._judge.judge(query, analyzed, hits, overviews, similarity, across_languages, levels)
        return hits, self._with_pointers(evidence, ranked.mask)

    def _with_pointers(self, evidence: Evidence, mask: npt.NDArray[np.bool_]) -> Evidence:
        """A window that links to another document ("see [Travel Policy](travel.md)") also cites it."""
        windows = list(evidence.windows)
        for i, window in enumerate(windows[:_POINTER_WINDOWS]):
            targets = []
            for path in linked_documents(window.hit.chunk, window.quote):
                ids = [j for j in self._doc_chunks.get(path, ()) if mask[j]]
                if ids and path != window.hit.chunk.doc_path:
                    targets.append(self.chunks[ids[0]])
            if targets:
                windows[i] = replace(window, points_to=tuple(targets))
        return replace(evidence, windows=tuple(windows))

    def _follow_links(self, hits: list[Hit], ranked: _Ranked) -> tuple[list[Hit], frozenset[str]]:
        present = {h.chunk.doc_path for h in hits}
        out: list[Hit] = []
        overviews: set[str] = set()
        for rank, hit in enumerate(hits):
            out.append(hit)
            if rank >= _LINK_FOLLOW_DEPTH:
                continue
            for target in linked_documents(hit.chunk):
                ids = [i for i in self._doc_chunks.get(target, ()) if ranked.mask[i]]
                if not ids or target == hit.chunk.doc_path:
                    continue
                overviews.add(hit.chunk.chunk_id)
                if target in present:
                    continue
                present.add(target)
                dense = self.snapshot.embeddings[ids] @ ranked.q[0]
                fused = ranked.weight * dense + (1 - ranked.weight) * ranked.lexical[ids] / ranked.top_lex
                best = int(np.argmax(fused))
                chunk = self.chunks[ids[best]]
                out.append(
                    Hit(
                        chunk,
                        float(fused[best]),
                        float(dense[best]),
                        float(ranked.lexical[ids[best]]) / ranked.top_lex,
                    )
                )
        return out, frozenset(overviews)

    def _search(
        self, query: str, k: int | None, groups: frozenset[str], hidden: frozenset[str] = frozenset()
    ) -> tuple[list[Hit], _Ranked | None]:
        k = k or self._settings.top_k
        if not self.chunks or not query.strip():
            return [], None
        mask = self.allowed(groups)
        if hidden:
            mask = mask & np.fromiter((c.chunk_id not in hidden for c in self.chunks), bool, len(self.chunks))
        if not mask.any():
            return [], None
        analyzed = self._queries.analyze(query, self._vocabulary.correct)
        lexical = self._lexical_scores(analyzed, mask)
        # The raw question embeds better than one padded with synonyms (measured on all three sets).
        q = embed_query(self._embedder, query)
        candidates = self._candidates(q, lexical, mask)
        # Only the candidates' cosines: a full matrix product wakes BLAS threads that then fight
        # torch's for the next query's embedding (p95 went from 12 to 90 ms on two cores).
        dense = np.einsum("ij,j->i", self.snapshot.embeddings[candidates], q[0])
        top_lex = float(lexical.max()) or 1.0
        w = self._settings.dense_weight
        fused = w * dense + (1 - w) * lexical[candidates] / top_lex
        order = np.argsort(-fused, kind="stable")[:k]
        hits = [
            Hit(
                self.chunks[candidates[j]],
                float(fused[j]),
                float(dense[j]),
                float(lexical[candidates[j]]) / top_lex,
            )
            for j in order
        ]
        return hits, _Ranked(analyzed, q, lexical, mask, top_lex, w)

    def _candidates(self, q: Vectors, lexical: Scores, mask: npt.NDArray[np.bool_]) -> list[int]:
        n_hidden = int((~mask).sum())
        want = min(len(self.chunks), _CANDIDATES + n_hidden)
        _, ids = self._dense.search(q, want)
        dense_ids = [int(i) for i in ids[0] if i >= 0 and mask[i]][:_CANDIDATES]
        lex_ids = [int(i) for i in np.argsort(-lexical)[:_CANDIDATES] if lexical[i] > 0 and mask[i]]
        return list(dict.fromkeys(dense_ids + lex_ids))

    def _lexical_scores(self, query: AnalyzedQuery, mask: npt.NDArray[np.bool_]) -> Scores:
        """Sum over slots of each slot's best alternative; a term's BM25 column is computed once."""
        n = len(self.chunks)
        vocab = self._bm25.vocab_dict
        cache: dict[str, Scores] = {}

        def term_scores(term: str) -> Scores:
            if term not in cache:
                cache[term] = self._bm25.get_scores_from_ids([vocab[term]]).astype(np.float32)
            return cache[term]

        total = np.zeros(n, dtype=np.float32)
        for slot in query.slots:
            best = np.zeros(n, dtype=np.float32)
            for terms, weight in slot.alternatives.items():
                known = [t for t in terms if t in vocab]
                if known:
                    np.maximum(best, weight * np.sum([term_scores(t) for t in known], axis=0), out=best)
            total += best
        total[~mask] = 0.0
        return total
