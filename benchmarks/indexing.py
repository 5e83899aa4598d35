"""Indexing speed on the 18F handbook: full build, no-change reindex (the real CLI, a fresh process),
a one-document change, and peak memory.

Usage: python -m benchmarks.indexing
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks._corpora import require_shared  # noqa: E402
from knowledge import KnowledgeBase, KnowledgeSettings  # noqa: E402


def _cli_reindex(home: Path, source: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "reindex", "--source", str(source)],
        env={**os.environ, "BACKOFFICE_HOME": str(home)},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    shared = require_shared()
    with tempfile.TemporaryDirectory(prefix="bench-indexing-") as tmp:
        corpus = Path(tmp) / "18f"
        shutil.copytree(shared / "18f-handbook", corpus, ignore=shutil.ignore_patterns("qa"))
        home = Path(tmp) / "home"
        kb = KnowledgeBase(home, KnowledgeSettings(source=corpus))
        started = time.perf_counter()
        kb.embedder()
        load_s = time.perf_counter() - started
        full = kb.reindex()
        print(f"model load: {load_s:.1f} s")
        print(
            f"full index: {len(full.added)} documents, {full.chunks} chunks in {full.seconds:.1f} s "
            f"({full.chunks / full.seconds:.1f} chunks/s)"
        )
        print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

        again = kb.reindex()
        print(f"no-change reindex, in process: {again.seconds * 1000:.0f} ms, changed={again.changed}")
        print(
            f"no-change reindex, `backoffice reindex` in a fresh process: {_cli_reindex(home, corpus):.2f} s"
        )

        page = corpus / "pages" / "travel-and-leave" / "leave.md"
        if not page.exists():
            page = next(iter(sorted(corpus.rglob("*.md"))))
        page.write_text(page.read_text(encoding="utf-8") + "\n\n## Added section\n\nA new paragraph.\n")
        one = kb.reindex()
        own = sum(1 for c in kb.index().chunks if c.doc_path == one.updated[0])
        print(
            f"one-document change: updated={one.updated}, re-embedded {one.embedded_chunks} chunks "
            f"(the document has {own}) of {one.chunks}, {one.seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
