"""Each index calibrates the answer gate on its own documents.

How much of a question the best passage covers depends on the corpus as much as on the question: among
3,000 passages one nearly always shares most of a question's words, among 40 it rarely does, so the
same evidence means "on topic" on a small handbook and "nothing special" on a large one. An index
therefore measures its own baseline, once per snapshot on first use (kept in the snapshot's folder):
pseudo-questions written from its own sections (the heading and the start of the first sentence) are
searched with their section hidden, and the mean of each gate feature over them is what this corpus
offers a question it does not answer. The gate reads features relative to
that baseline (`_rel`), which is what lets one fitted gate hold on a 13-page handbook, one long labour
agreement and a 272-document corpus alike (measured in `benchmarks/gate.py`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from knowledge._documents import Chunk

__all__ = ["RELATIVE", "baseline", "pseudo_questions", "relative", "stored"]

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
_SAMPLE = 60  # pseudo-questions: a stable mean, measured in 3 s (13 pages) to 6 s (272 documents)
_MIN_WORDS = 20  # a chunk shorter than this is a heading or a list stub: no sentence to ask from
_QUESTION_WORDS = 14
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

Features = Callable[[str, frozenset[str]], Mapping[str, float]]  # question, hidden chunk ids -> features
# Bump when the features or the pseudo-questions change: a baseline kept beside a snapshot is then
# measured again rather than read.
VERSION = 1
_FILE = "calibration.json"

log = logging.getLogger(__name__)


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


def stored(folder: Path, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
    """The baseline kept in a snapshot's folder, or measured and kept there for the next process (a
    read-only or full volume only costs measuring again)."""
    path = folder / _FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == VERSION and set(data.get("levels", {})) == set(RELATIVE):
            return {str(k): float(v) for k, v in data["levels"].items()}
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    levels = measure()
    if levels:
        try:
            with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as tmp:
                json.dump({"version": VERSION, "levels": levels}, tmp)
            os.replace(tmp.name, path)
        except OSError as exc:
            log.info("the calibration of %s is not kept (%s); measured again next time", folder.name, exc)
    return levels
