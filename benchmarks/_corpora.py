"""The shared question sets, prepared the way the benchmarks measure them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from knowledge._evaluation import QAItem, load_qa

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "eval-data"


def require_shared() -> Path:
    if not SHARED.is_dir():
        sys.exit(
            f"shared evaluation data not found at {SHARED}: the benchmarks need ../shared beside the project"
        )
    return SHARED


def combined_corpus(work: Path) -> Path:
    """The combined corpus the informal sets name their gold documents in, laid out once per work folder."""
    target = work / "combined"
    if not target.exists():
        subprocess.run(
            ["bash", str(require_shared() / "combined-corpus.sh"), str(target)], check=True, stdout=2
        )
    return target


def convenio(work: Path) -> tuple[Path, list[QAItem]]:
    shared = require_shared()
    return shared / "convenio-tic-xix-es", load_qa(shared / "qa" / "convenio-tic-xix-es.jsonl")


def ultralytics(work: Path) -> tuple[Path, list[QAItem]]:
    """Only docs/ is indexed: the folder's qa/ holds the FAQ answers themselves."""
    shared = require_shared()
    target = work / "ultralytics"
    if not target.exists():
        shutil.copytree(shared / "ultralytics-handbook" / "docs", target / "docs")
    return target, load_qa(shared / "qa" / "ultralytics-handbook.jsonl")


def handbook_18f(work: Path) -> tuple[Path, list[QAItem]]:
    """The silver questions are literally headings of their gold page; each such heading line is removed
    from the indexed copy so the heading cannot give the answer away. Scored at document level, since
    the section it named no longer exists."""
    shared = require_shared()
    items = load_qa(shared / "qa" / "18f-handbook.silver.jsonl")
    target = work / "18f"
    if not target.exists():
        shutil.copytree(shared / "18f-handbook", target, ignore=shutil.ignore_patterns("qa"))
        for item in items:
            page = target / item.gold_docs[0]
            pattern = re.compile(r"^#{1,6}[ \t]+" + re.escape(item.gold_sections[0]) + r"[ \t]*$", re.M)
            page.write_text(pattern.sub("", page.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    return target, [replace(item, gold_sections=()) for item in items]


SETS = {
    "convenio-tic-xix-es": convenio,
    "ultralytics-handbook": ultralytics,
    "18f-handbook.silver": handbook_18f,
}
