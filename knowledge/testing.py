"""Fakes that ship beside the abstraction: a deterministic embedder for fast unit tests."""

from __future__ import annotations

import hashlib

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from knowledge._text import fold, words

__all__ = ["HashingEmbedding"]


class HashingEmbedding(BaseEmbedding):
    """Bag of hashed, accent-folded words: similar wording gives similar vectors, no model needed."""

    dim: int = 256
    _calls: int = PrivateAttr(default=0)

    def __init__(self, dim: int = 256, **kwargs: object) -> None:
        super().__init__(model_name=f"hashing-{dim}", dim=dim, **kwargs)  # type: ignore[call-arg,arg-type]

    @property
    def calls(self) -> int:
        """How many texts were embedded: tests use it to prove that unchanged text is not re-embedded."""
        return self._calls

    def _vector(self, text: str) -> list[float]:
        self._calls += 1
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in words(fold(text)):
            h = int.from_bytes(hashlib.blake2b(word[:6].encode(), digest_size=4).digest(), "little")
            vec[h % self.dim] += 1.0
        norm = float(np.linalg.norm(vec)) or 1.0
        return [float(x) for x in vec / norm]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)
