"""Indexing speed and memory, each measure in a fresh process (so its peak RSS is its own):

- the combined corpus (272 documents): a full index on the ONNX fast path, on torch (the runtime before
  it), and LlamaIndex's default pipeline (`VectorStoreIndex.from_documents`, default splitter, the same
  bundled model through torch), one after the other in the same run;
- one 20 MB document (the combined corpus' text repeated), its time and peak memory;
- `ask` latency (search with evidence) on the shared informal questions, ONNX against torch;
- on the 18F handbook: a no-change reindex through the real CLI and a one-document change.

Usage: python -m benchmarks.indexing [--skip-torch] [--skip-llamaindex] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks._corpora import combined_corpus, require_shared  # noqa: E402
from knowledge import KnowledgeBase, KnowledgeSettings  # noqa: E402


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _full(corpus: Path, home: Path, runtime: str, max_mb: float = 5.0) -> dict[str, Any]:
    settings = KnowledgeSettings(source=corpus, embedding_runtime=runtime, max_document_mb=max_mb)  # type: ignore[arg-type]
    kb = KnowledgeBase(home, settings)
    started = time.perf_counter()
    kb.embedder()
    load_s = time.perf_counter() - started
    report = kb.reindex()
    calibrate = time.perf_counter()
    kb.index()  # the first load measures the index's baseline (pseudo-questions through both encoders)
    return {
        "documents": len(report.added),
        "chunks": report.chunks,
        "load_s": load_s,
        "index_s": report.seconds,
        "chunks_per_s": report.chunks / report.seconds,
        "calibration_s": time.perf_counter() - calibrate,
        "peak_rss_mib": _peak_mib(),
        "torch_loaded": "torch" in sys.modules,
    }


def _llamaindex_default(corpus: Path) -> dict[str, Any]:
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from knowledge._embeddings import resolve_model_path

    started = time.perf_counter()
    Settings.embed_model = HuggingFaceEmbedding(model_name=resolve_model_path("bundled"), device="cpu")
    Settings.llm = None
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    documents = SimpleDirectoryReader(str(corpus), recursive=True, required_exts=[".md"]).load_data()
    index = VectorStoreIndex.from_documents(documents)
    seconds = time.perf_counter() - started
    chunks = len(index.docstore.docs)
    return {
        "documents": len(documents),
        "chunks": chunks,
        "load_s": load_s,
        "index_s": seconds,
        "chunks_per_s": chunks / seconds,
        "peak_rss_mib": _peak_mib(),
    }


def _ask(corpus: Path, home: Path, runtime: str) -> dict[str, Any]:
    from knowledge._evaluation import load_qa

    settings = KnowledgeSettings(source=corpus, embedding_runtime=runtime)  # type: ignore[arg-type]
    kb = KnowledgeBase(home, settings)
    kb.index()
    questions = [q.question for q in load_qa(require_shared() / "qa" / "informal-qa.jsonl")]
    kb.search_with_evidence(questions[0])  # warm-up
    times = []
    for question in questions:
        started = time.perf_counter()
        kb.search_with_evidence(question)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "questions": len(times),
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
    }


def _big_document(work: Path, corpus: Path, megabytes: int = 20) -> Path:
    """One Markdown file of `megabytes` MB: the corpus' pages one after another, as often as it takes."""
    folder = work / "big"
    folder.mkdir(exist_ok=True)
    pages = [p.read_text(encoding="utf-8") for p in sorted(corpus.rglob("*.md"))]
    target = folder / "everything.md"
    size, round_ = 0, 0
    with target.open("w", encoding="utf-8") as out:
        while size < megabytes * 1_000_000:
            round_ += 1
            for page in pages:
                text = f"\n\n# Round {round_}\n\n{page}"
                out.write(text)
                size += len(text.encode())
    return folder


def _one(what: str, work: Path) -> dict[str, Any]:
    corpus = combined_corpus(work)
    if what == "onnx" or what == "torch":
        return _full(corpus, work / f"home-{what}", what)
    if what == "llamaindex":
        return _llamaindex_default(corpus)
    if what == "big":
        return _full(_big_document(work, corpus), work / "home-big", "onnx", max_mb=25)
    if what.startswith("ask-"):
        return _ask(corpus, work / f"home-{what.removeprefix('ask-')}", what.removeprefix("ask-"))
    raise SystemExit(f"unknown measure {what!r}")


def _measure(what: str, work: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.indexing", "--one", what, "--work", str(work)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _handbook_reindexes(work: Path) -> dict[str, Any]:
    """No-change reindex through the CLI in a fresh process, and a one-document change, on the 18F pages."""
    corpus = work / "18f"
    shutil.copytree(require_shared() / "18f-handbook", corpus, ignore=shutil.ignore_patterns("qa"))
    home = work / "home-18f"
    kb = KnowledgeBase(home, KnowledgeSettings(source=corpus))
    full = kb.reindex()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "reindex", "--source", str(corpus)],
        env={**os.environ, "BACKOFFICE_HOME": str(home)},
        check=True,
        capture_output=True,
    )
    cli_s = time.perf_counter() - started
    page = corpus / "pages" / "travel-and-leave" / "leave.md"
    if not page.exists():
        page = next(iter(sorted(corpus.rglob("*.md"))))
    page.write_text(page.read_text(encoding="utf-8") + "\n\n## Added section\n\nA new paragraph.\n")
    one = kb.reindex()
    own = sum(1 for c in kb.index().chunks if c.doc_path == one.updated[0])
    return {
        "handbook_chunks": full.chunks,
        "handbook_index_s": full.seconds,
        "no_change_cli_s": cli_s,
        "one_document_embedded": one.embedded_chunks,
        "one_document_own_chunks": own,
        "one_document_s": one.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip-torch", action="store_true", help="do not index on torch (3 minutes)")
    parser.add_argument("--skip-llamaindex", action="store_true", help="do not run LlamaIndex's default")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.work)))
        return
    require_shared()
    with tempfile.TemporaryDirectory(prefix="bench-indexing-") as tmp:
        work = Path(tmp)
        combined_corpus(work)
        measures = ["onnx", "ask-onnx"]
        measures += [] if args.skip_llamaindex else ["llamaindex"]
        measures += [] if args.skip_torch else ["torch", "ask-torch"]
        results = {what: _measure(what, work) for what in [*measures, "big"]}
        results["handbook"] = _handbook_reindexes(work)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    _print(results)


def _print(results: dict[str, Any]) -> None:
    header = ["chunks", "index s", "chunks/s", "peak MiB", "load s"]
    print(f"{'combined corpus':<28}" + "".join(f"{h:>10}" for h in header))
    labels = {"onnx": "ONNX int8", "torch": "torch fp32 (before)", "llamaindex": "LlamaIndex default"}
    for name, label in labels.items():
        if name in results:
            r = results[name]
            print(
                f"{label:<28}{r['chunks']:>10}{r['index_s']:>10.1f}{r['chunks_per_s']:>10.1f}"
                f"{r['peak_rss_mib']:>10.0f}{r['load_s']:>10.1f}"
            )
    onnx = results["onnx"]
    print(
        f"ONNX: first load's calibration {onnx['calibration_s']:.1f} s; torch loaded: {onnx['torch_loaded']}"
    )
    if "torch" in results:
        print(f"fast path chunks/s vs torch: {onnx['chunks_per_s'] / results['torch']['chunks_per_s']:.1f}x")
    big = results["big"]
    print(
        f"20 MB document: {big['chunks']} chunks in {big['index_s']:.1f} s "
        f"({big['chunks_per_s']:.1f} chunks/s), peak RSS {big['peak_rss_mib']:.0f} MiB"
    )
    for name in ("ask-onnx", "ask-torch"):
        if name in results:
            r = results[name]
            print(f"{name}: {r['questions']} questions, p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms")
    hb = results["handbook"]
    print(
        f"18F: {hb['handbook_chunks']} chunks in {hb['handbook_index_s']:.1f} s; "
        f"no-change `backoffice reindex` {hb['no_change_cli_s']:.2f} s; "
        f"one-document change re-embedded {hb['one_document_embedded']} chunks "
        f"(the document has {hb['one_document_own_chunks']}) in {hb['one_document_s']:.1f} s"
    )


if __name__ == "__main__":
    main()
