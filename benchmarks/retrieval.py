"""Retrieval quality and search latency on the shared question sets (same path as `backoffice eval`).

Usage: python -m benchmarks.retrieval [--only NAME] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from benchmarks._corpora import SETS  # noqa: E402
from knowledge import KnowledgeBase, KnowledgeSettings  # noqa: E402
from knowledge._evaluation import evaluate_retrieval  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=sorted(SETS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    embedder = None
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        work = Path(tmp)
        for name, prepare in SETS.items():
            if args.only and name != args.only:
                continue
            corpus, items = prepare(work)
            kb = KnowledgeBase(
                work / f"home-{name}",
                KnowledgeSettings(source=corpus),
                (lambda e=embedder: e) if embedder else None,
            )
            report = kb.reindex()
            embedder = kb.embedder()
            kb.search("warm-up")
            result = evaluate_retrieval(lambda q, kb=kb: [h.chunk for h in kb.search(q, 10)], items)
            result["chunks"] = report.chunks
            results[name] = result
    if args.json:
        print(json.dumps(results, indent=1))
        return
    table = Table("set", "questions", "chunks", "hit@1", "hit@5", "MRR@10", "p50 ms", "p95 ms")
    for name, r in results.items():
        ret, lat = r["retrieval"], r["latency_ms"]
        table.add_row(
            name,
            str(r["answerable"]),
            str(r["chunks"]),
            f"{ret['hit@1']:.3f}",
            f"{ret['hit@5']:.3f}",
            f"{ret['mrr@10']:.3f}",
            f"{lat['p50']:.1f}",
            f"{lat['p95']:.1f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
