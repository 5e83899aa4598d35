"""Question sets (JSON Lines, see DESIGN.md) and the retrieval metrics computed over them."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge._documents import Chunk
from knowledge._text import fold


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    lang: str = "en"
    answerable: bool = True
    gold_docs: tuple[str, ...] = ()
    gold_sections: tuple[str, ...] = ()
    facts: tuple[tuple[str, ...], ...] = ()
    expected_tool: str | None = None
    expected_args: dict[str, Any] = field(default_factory=dict)
    now: str | None = None
    user_groups: tuple[str, ...] = ()
    is_action: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QAItem:
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            lang=str(data.get("lang", "en")),
            answerable=bool(data.get("answerable", True)),
            gold_docs=tuple(data.get("gold_docs") or ()),
            gold_sections=tuple(data.get("gold_sections") or ()),
            facts=tuple(tuple(group) for group in data.get("facts") or ()),
            expected_tool=data.get("expected_tool"),
            expected_args=dict(data.get("expected_args") or {}),
            now=data.get("now"),
            user_groups=tuple(data.get("user_groups") or ()),
            is_action="expected_tool" in data,
        )


def load_qa(path: Path) -> list[QAItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(QAItem.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a valid question item ({exc})") from exc
    return items


def heading_matches(heading: str, gold: str) -> bool:
    """ "Artículo 21. Vacaciones." matches gold "Artículo 21" but "Artículo 2" does not."""
    h, g = fold(heading).strip(), fold(gold).strip()
    return h == g or (h.startswith(g) and not re.match(r"[a-z0-9]", h[len(g) : len(g) + 1]))


def is_gold(chunk: Chunk, item: QAItem) -> bool:
    if chunk.doc_path not in item.gold_docs:
        return False
    if not item.gold_sections:
        return True
    return any(heading_matches(h, g) for h in chunk.heading_path for g in item.gold_sections)


def first_gold_rank(chunks: Sequence[Chunk], item: QAItem) -> int | None:
    """1-based rank of the first retrieved chunk that is gold, or None."""
    for rank, chunk in enumerate(chunks, 1):
        if is_gold(chunk, item):
            return rank
    return None


def retrieval_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4),
    }


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[pos], 2)


def evaluate_retrieval(search: Callable[[str], Sequence[Chunk]], items: Sequence[QAItem]) -> dict[str, Any]:
    """Ask every question item through `search` and compute the DESIGN.md retrieval block and latency."""
    questions = [i for i in items if not i.is_action]
    ranks: list[int | None] = []
    latencies: list[float] = []
    for item in questions:
        started = time.perf_counter()
        chunks = search(item.question)
        latencies.append((time.perf_counter() - started) * 1000)
        if item.answerable:
            ranks.append(first_gold_rank(chunks, item))
    return {
        "n": len(items),
        "answerable": sum(1 for i in questions if i.answerable),
        "unanswerable": sum(1 for i in questions if not i.answerable),
        "retrieval": retrieval_metrics(ranks),
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
    }
