"""Each index calibrates the answer gate on its own documents.

How much of a question the best passage covers depends on the corpus as much as on the question: among
3,000 passages one nearly always shares most of a question's words, among 40 it rarely does, so the
same evidence means "on topic" on a small handbook and "nothing special" on a large one. An index
therefore measures its own baseline: pseudo-questions written from its own sections (the heading and the
start of the first sentence) are searched with their section hidden, and the mean of each gate feature
over them is what this corpus offers a question it does not answer. The gate reads features relative to
that baseline (`_rel`), which is what lets one fitted gate hold on a 13-page handbook, one long labour
agreement and a 272-document corpus alike (measured in `benchmarks/gate.py`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence

from knowledge._documents import Chunk

__all__ = ["RELATIVE", "baseline", "pseudo_questions", "relative"]

# The features read relative to the corpus's baseline: those whose level moves with the corpus's size.
RELATIVE = (
    "coverage_general",
    "coverage_shown",
    "rare_missing_share",
    "rare_missing_best",
    "cross_best",
    "cross_max",
    "meaning_best",
    "dense_top",
)
_SAMPLE = 60  # pseudo-questions: enough for a stable mean (±0.02 between seeds), ~1–3 s at load
_MIN_WORDS = 20  # a chunk shorter than this is a heading or a list stub: no sentence to ask from
_QUESTION_WORDS = 14
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

Features = Callable[[str, frozenset[str]], Mapping[str, float]]  # question, hidden chunk ids -> features


def pseudo_questions(chunks: Sequence[Chunk]) -> list[tuple[str, frozenset[str]]]:
    """(question, the chunk ids of its section) for a fixed sample of public chunks: the same corpus
    always gives the same sample, so every worker serving a snapshot calibrates alike."""
    public = [c for c in chunks if not c.audience and len(c.text.split()) >= _MIN_WORDS]
    public.sort(key=lambda c: hashlib.sha1(c.chunk_id.encode()).hexdigest())
    sections: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for c in chunks:
        sections.setdefault((c.doc_path, c.heading_path), set()).add(c.chunk_id)
    out = []
    for c in public[:_SAMPLE]:
        first = _SENTENCE.split(" ".join(c.text.split()), maxsplit=1)[0]
        words = " ".join(first.split()[:_QUESTION_WORDS])
        question = f"{c.heading_path[-1]} {words}" if c.heading_path else words
        out.append((question, frozenset(sections[(c.doc_path, c.heading_path)])))
    return out


def baseline(chunks: Sequence[Chunk], features: Features) -> dict[str, float]:
    """The mean of each relative feature over the corpus's pseudo-questions with their section hidden;
    empty when the corpus is too small to ask anything of it."""
    rows = [features(q, hidden) for q, hidden in pseudo_questions(chunks)]
    if not rows:
        return {}
    return {name: round(sum(r.get(name, 0.0) for r in rows) / len(rows), 4) for name in RELATIVE}


def relative(features: Mapping[str, float], levels: Mapping[str, float]) -> dict[str, float]:
    """`name_rel` for each relative feature: its value above what the corpus gives anything."""
    return {f"{name}_rel": features.get(name, 0.0) - levels.get(name, 0.0) for name in RELATIVE}
