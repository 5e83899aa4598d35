"""Fit the answer/escalate gate on data and report it under cross-validation.

Every question is searched over the combined corpus; its evidence features are recorded with a label:
1 when the passages the answer would quote include a gold section (the gate judges whether the evidence
is about the question; which sentences to quote is the composer's job), else 0. Each answerable question
is searched a second time with its gold section hidden, which gives a realistic near-miss (the topic is
there, the answer is not) labelled 0. A logistic regression is fitted under grouped 5-fold
cross-validation (a question and its hidden twin stay in one fold); the decision threshold minimises the
expected cost on the out-of-fold predictions at the informal sets' mix (see `_cost`); the final weights
are refitted on everything, with the bias shifted so the threshold sits at 0.5.

Usage: python -m benchmarks.gate [--home DIR] [--write]   (--home reuses an index between runs)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from benchmarks._corpora import require_shared  # noqa: E402
from bot.agent._turn import _distinct  # noqa: E402
from bot.config import load_settings  # noqa: E402
from knowledge import KnowledgeBase  # noqa: E402
from knowledge._evaluation import QAItem, heading_matches, load_qa  # noqa: E402
from knowledge._gate import FEATURES, WORD_FEATURES  # noqa: E402
from knowledge._index import KnowledgeIndex  # noqa: E402
from knowledge._text import fold  # noqa: E402

OWN = Path(__file__).resolve().parent / "questions"
# set file -> the folder its gold paths are relative to, inside the combined corpus
SETS = {
    "informal-qa.jsonl": "",
    "convenio-tic-xix-es.jsonl": "convenio-tic-xix-es/",
    "ultralytics-handbook.jsonl": "ultralytics-handbook/",
}
GATE_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "gate.yaml"
WRONG_COST = 2.0
ANSWERABLE_SHARE = 5 / 7  # 50 answerable to 20 unanswerable in the informal sets


@dataclass(frozen=True)
class Row:
    group: str
    kind: str  # "answerable", "unanswerable" or "hidden"
    label: int
    x: tuple[float, ...]
    facts: bool = False  # the quotes also hold every fact: the answer would be resolved


def questions() -> list[QAItem]:
    shared = require_shared() / "qa"
    items = []
    for name, prefix in SETS.items():
        for item in load_qa(shared / name):
            if not item.is_action:
                items.append(replace(item, gold_docs=tuple(prefix + d for d in item.gold_docs)))
    own = OWN / "own-informal-qa.dev.jsonl"
    if own.exists():
        items += [i for i in load_qa(own) if not i.is_action]
    return items


def _in_gold(chunk_doc: str, section: tuple[str, ...], item: QAItem) -> bool:
    return chunk_doc in item.gold_docs and (
        not item.gold_sections or any(heading_matches(h, g) for h in section for g in item.gold_sections)
    )


def rows_for(index: KnowledgeIndex, item: QAItem) -> list[Row]:
    def row(kind: str, hidden: frozenset[str]) -> Row:
        _, evidence = index.search_with_evidence(item.question, 5, frozenset(), hidden)
        quotes = _distinct(evidence.windows)
        text = fold(" ".join(w.quote for w in quotes))
        gold = any(_in_gold(w.hit.chunk.doc_path, w.hit.chunk.heading_path, item) for w in quotes)
        facts = all(any(fold(a) in text for a in group) for group in item.facts)
        label = int(kind == "answerable" and gold)
        x = tuple(float(evidence.features.get(f, 0.0)) for f in FEATURES)
        return Row(item.id, kind, label, x, bool(label) and facts)

    if not item.answerable:
        return [row("unanswerable", frozenset())]
    hidden = frozenset(c.chunk_id for c in index.chunks if _in_gold(c.doc_path, c.heading_path, item))
    return [row("answerable", frozenset()), row("hidden", hidden)]


def _columns(rows: list[Row], features: tuple[str, ...]) -> np.ndarray:
    keep = [FEATURES.index(f) for f in features]
    return np.array([r.x for r in rows])[:, keep]


def cross_validate(rows: list[Row], features: tuple[str, ...]) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    x = _columns(rows, features)
    y = np.array([r.label for r in rows])
    groups = np.array([r.group for r in rows])
    out = np.zeros(len(rows))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        model = LogisticRegression(C=1.0, max_iter=1000).fit(x[train], y[train])
        out[test] = model.predict_proba(x[test])[:, 1]
    thresholds = np.linspace(0.05, 0.95, 181)
    costs = [_cost(rows, out, t) for t in thresholds]
    return out, float(thresholds[int(np.argmin(costs))])


def _cost(rows: list[Row], p: np.ndarray, t: float) -> float:
    """Expected cost at the mix of the informal sets (5 answerable to 2 unanswerable): a wrong answer to
    an unanswerable question costs 2, an escalated or off-topic answerable one 1. Hidden-gold twins join
    the unanswerable side at half the weight of a real unanswerable question."""
    m = figures(rows, p, t)
    answerable = max(1, m["answerable"])
    missed = (m["false_escalations"] + m["answered_off_topic"]) / answerable
    unanswerable = m["unanswerable"] + 0.5 * m["hidden"]
    answered_wrongly = (m["unanswerable_answered"] + 0.5 * m["hidden_answered"]) / max(1.0, unanswerable)
    return ANSWERABLE_SHARE * missed + (1 - ANSWERABLE_SHARE) * WRONG_COST * answered_wrongly


def figures(rows: list[Row], p: np.ndarray, t: float) -> dict[str, float]:
    answered = p >= t
    ans = [i for i, r in enumerate(rows) if r.kind == "answerable"]
    una = [i for i, r in enumerate(rows) if r.kind == "unanswerable"]
    hid = [i for i, r in enumerate(rows) if r.kind == "hidden"]
    resolved = sum(1 for i in ans if answered[i] and rows[i].facts)
    return {
        "answerable": len(ans),
        "resolved": resolved,
        "resolved_rate": round(resolved / max(1, len(ans)), 3),
        "on_topic": sum(rows[i].label for i in ans),
        "false_escalations": sum(1 for i in ans if not answered[i]),
        "answered_off_topic": sum(1 for i in ans if answered[i] and not rows[i].label),
        "unanswerable_answered": sum(1 for i in una if answered[i]),
        "wrong": sum(1 for i in ans if answered[i] and not rows[i].facts)
        + sum(1 for i in una if answered[i]),
        "unanswerable": len(una),
        "escalation_recall": round(sum(1 for i in una if not answered[i]) / max(1, len(una)), 3),
        "hidden_answered": sum(1 for i in hid if answered[i]),
        "hidden": len(hid),
    }


def fit(
    rows: list[Row], features: tuple[str, ...], threshold: float, cv: dict[str, float]
) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=1000).fit(_columns(rows, features), [r.label for r in rows])
    shift = math.log(threshold / (1 - threshold))
    return {
        "bias": round(float(model.intercept_[0]) - shift, 4),
        "weights": {f: round(float(w), 4) for f, w in zip(features, model.coef_[0], strict=True)},
        "cross_validated": cv,
    }


def _index(home: Path | None) -> KnowledgeIndex:
    home = home or Path(tempfile.mkdtemp(prefix="bench-gate-"))
    corpus = home / "corpus"
    if not corpus.exists():
        subprocess.run(["bash", str(require_shared() / "combined-corpus.sh"), str(corpus)], check=True)
    settings = load_settings(None, {"home": home, "knowledge": {"source": corpus}})
    kb = KnowledgeBase(settings.home, settings.knowledge)
    kb.reindex()
    return kb.index()


def _row(data: dict[str, object]) -> Row:
    return Row(
        str(data["group"]), str(data["kind"]), int(str(data["label"])), tuple(data["x"]), bool(data["facts"])
    )  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path)
    parser.add_argument("--write", action="store_true", help=f"write the fitted gate to {GATE_FILE}")
    parser.add_argument("--dump", type=Path, help="write every row (features, label) as JSON Lines")
    parser.add_argument("--rows", type=Path, help="fit on rows written by --dump instead of searching again")
    args = parser.parse_args()
    items = questions()
    if args.rows:
        rows = [_row(json.loads(line)) for line in args.rows.read_text(encoding="utf-8").splitlines()]
    else:
        index = _index(args.home)
        rows = [r for item in items for r in rows_for(index, item)]
    if args.dump:
        args.dump.write_text("".join(json.dumps(r.__dict__) + "\n" for r in rows), encoding="utf-8")
    gate: dict[str, object] = {
        "fitted": {"on": str(date.today()), "questions": len(items), "rows": len(rows)}
    }
    for kind, features in (("meaning", FEATURES), ("words", WORD_FEATURES)):
        p, threshold = cross_validate(rows, features)
        cv = figures(rows, p, threshold)
        print(json.dumps({"gate": kind, "threshold": round(threshold, 3), "cv": cv}))
        gate[kind] = fit(rows, features, threshold, cv)
    if args.write:
        header = "# Written by `python -m benchmarks.gate --write`; do not edit by hand.\n"
        GATE_FILE.write_text(header + yaml.safe_dump(gate, sort_keys=False), encoding="utf-8")
        print(f"wrote {GATE_FILE}")


if __name__ == "__main__":
    main()
