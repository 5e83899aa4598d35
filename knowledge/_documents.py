from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One source file, parsed to Markdown-ish text with `#` headings."""

    path: str  # relative to the corpus root, with forward slashes
    title: str
    text: str
    content_hash: str  # of the raw bytes and the access rule: a change to either re-indexes
    audience: frozenset[str] = field(default_factory=frozenset)  # empty: every employee


@dataclass(frozen=True)
class Chunk:
    """A passage of a document with the heading path it sits under and its place in the text."""

    chunk_id: str
    doc_path: str
    doc_title: str
    heading_path: tuple[str, ...]
    text: str
    start: int
    end: int
    audience: frozenset[str]
    lang: str
    # The header row of the table the chunk starts inside, when its own text lacks it: a salary row
    # means nothing without "Área | Grupo | Nivel | Salario base".
    table_header: str = ""

    @property
    def citation(self) -> str:
        return " › ".join((self.doc_title, *self.heading_path)) if self.heading_path else self.doc_title

    def search_text(self) -> str:
        """What the index sees: the heading path (and a table's header) give short passages context."""
        header = f"{self.table_header}\n" if self.table_header else ""
        return f"{self.citation}\n{header}{self.text}"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense: float  # cosine similarity of query and passage
    lexical: float  # BM25 score normalised by the best passage for this query
