"""Retrieval quality and search latency on the shared question sets (same path as `backoffice eval`).

The shared informal questions are searched over the combined corpus they were written for.

Usage: python -m benchmarks.retrieval [--only NAME] [--runtime onnx|torch] [--json]
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

from benchmarks._corpora import SETS, combined_corpus, require_shared  # noqa: E402
from knowledge import KnowledgeBase, KnowledgeSettings  # noqa: E402
from knowledge._evaluation import QAItem, evaluate_retrieval, load_qa  # noqa: E402


def informal(work: Path) -> tuple[Path, list[QAItem]]:
    return combined_corpus(work), load_qa(require_shared() / "qa" / "informal-qa.jsonl")


RETRIEVAL_SETS = {**SETS, "informal-qa (combined corpus)": informal}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=sorted(RETRIEVAL_SETS))
    parser.add_argument("--runtime", choices=["onnx", "torch"], default="onnx", help="how the model runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    embedder = None
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        work = Path(tmp)
        for name, prepare in RETRIEVAL_SETS.items():
            if args.only and name != args.only:
                continue
            corpus, items = prepare(work)
            kb = KnowledgeBase(
                work / f"home-{name}",
                KnowledgeSettings(source=corpus, embedding_runtime=args.runtime),
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
