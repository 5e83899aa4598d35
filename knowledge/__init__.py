"""Documents in, answers' evidence out: loaders, chunking, embeddings, FAISS + BM25, retrieval, eval."""

from knowledge._base import KnowledgeBase, sample_corpus_path
from knowledge._documents import Chunk, Document, Hit
from knowledge._embeddings import EmbeddingModelError
from knowledge._evidence import Evidence, Window
from knowledge._index import KnowledgeIndex
from knowledge._loaders import DocumentError
from knowledge._multilingual import MultilingualEncoder, shared_encoder
from knowledge._reindex import Progress, ReindexReport
from knowledge._settings import KnowledgeSettings
from knowledge._store import (
    IndexCorruptError,
    IndexError_,
    IndexMissingError,
    IndexWriteError,
    Manifest,
    SnapshotLedger,
)
from knowledge._text import Language, detect_language, fold

__all__ = [
    "Chunk",
    "Document",
    "DocumentError",
    "EmbeddingModelError",
    "Evidence",
    "Hit",
    "IndexCorruptError",
    "IndexError_",
    "IndexMissingError",
    "IndexWriteError",
    "KnowledgeBase",
    "KnowledgeIndex",
    "KnowledgeSettings",
    "Language",
    "Manifest",
    "MultilingualEncoder",
    "Progress",
    "ReindexReport",
    "SnapshotLedger",
    "Window",
    "detect_language",
    "fold",
    "sample_corpus_path",
    "shared_encoder",
]
