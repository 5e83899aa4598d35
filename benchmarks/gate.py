"""Fit the answer / suggest / hand-over gate on three corpora of different size and language, and check
that it transfers.

Every question is searched over its own corpus: the bundled 13-page handbook (our handbook set), the
Spanish labour agreement alone (one long document), the 272-document combined corpus (our informal set's
development half and the Ultralytics set). Its evidence features are recorded with two labels: `facts`
(the quotes an answer would show cite a gold section and hold every fact: answering resolves it) and
`gold` (they cite a gold section). Each answerable question is searched again with its gold section
hidden: a realistic near miss (the topic is there, the answer is not).

One logistic model over features that compare the question with the passages, not with the corpus's
vocabulary, is fitted on the pooled rows. Two thresholds are read off its out-of-fold estimates:
- answer from `answer_at`: the lowest threshold whose confident answers are right `PRECISION` of the time
  on each corpus on average;
- suggest from `suggest_floor`: at most `HANDOVER_SHARE` of answerable rows fall below it.
Transfer is checked by leaving each corpus out in turn: fitted on the other two, scored on it.
The shared informal set is fitting data (its figures are in-sample); our held-out halves are never read
here unless `--check` is given, and then only to report.

Usage: python -m benchmarks.gate [--home DIR] [--write] [--dump F | --rows F] [--check]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from benchmarks._corpora import combined_corpus, convenio, require_shared  # noqa: E402
from bot.agent._turn import _distinct  # noqa: E402
from bot.config import load_settings  # noqa: E402
from knowledge import KnowledgeBase, sample_corpus_path  # noqa: E402
from knowledge._calibration import RELATIVE  # noqa: E402
from knowledge._evaluation import QAItem, heading_matches, load_qa  # noqa: E402
from knowledge._gate import MEANING_FEATURES, WORD_FEATURES  # noqa: E402
from knowledge._index import KnowledgeIndex  # noqa: E402
from knowledge._text import fold  # noqa: E402

OWN = Path(__file__).resolve().parent / "questions"
GATE_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "gate.yaml"
PRECISION = 0.8  # of the answers given with confidence, at least four in five must be right
HANDOVER_SHARE = 0.05  # answerable questions we accept to hand over rather than suggest
CORPORA = ("handbook", "convenio", "combined")


@dataclass(frozen=True)
class Source:
    corpus: str
    qa: str  # file name under benchmarks/questions/, or "shared:NAME" under the shared qa folder
    prefix: str = ""  # what the gold paths are relative to inside the corpus
    check: bool = False  # kept aside: read only with --check, to report


SOURCES = (
    Source("handbook", "own-handbook-qa.dev.jsonl"),
    Source("convenio", "shared:convenio-tic-xix-es.jsonl"),
    Source("combined", "own-informal-qa.dev.jsonl"),
    Source("combined", "shared:ultralytics-handbook.jsonl", "ultralytics-handbook/"),
    Source("combined", "shared:informal-qa.jsonl"),
    Source("handbook", "own-handbook-qa.holdout.jsonl", check=True),
    Source("combined", "own-informal-qa.holdout.jsonl", check=True),
)


@dataclass(frozen=True)
class Row:
    group: str
    corpus: str
    kind: str  # "answerable", "unanswerable" or "hidden"
    facts: int  # answering resolves it
    gold: int  # the quotes cite a gold section
    x: dict[str, float] = field(default_factory=dict)
    check: bool = False


def _items(source: Source) -> list[QAItem]:
    name = source.qa.removeprefix("shared:")
    path = require_shared() / "qa" / name if source.qa.startswith("shared:") else OWN / name
    items = [i for i in load_qa(path) if not i.is_action]
    return [replace(i, gold_docs=tuple(source.prefix + d for d in i.gold_docs)) for i in items]


def _in_gold(chunk_doc: str, section: tuple[str, ...], item: QAItem) -> bool:
    return chunk_doc in item.gold_docs and (
        not item.gold_sections or any(heading_matches(h, g) for h in section for g in item.gold_sections)
    )


def rows_for(index: KnowledgeIndex, item: QAItem, source: Source) -> list[Row]:
    def row(kind: str, hidden: frozenset[str]) -> Row:
        _, evidence = index.search_with_evidence(item.question, 5, frozenset(), hidden)
        quotes = _distinct(evidence.windows)
        text = fold(" ".join(w.quote for w in quotes))
        gold = kind == "answerable" and any(
            _in_gold(w.hit.chunk.doc_path, w.hit.chunk.heading_path, item) for w in quotes
        )
        facts = gold and all(any(fold(a) in text for a in group) for group in item.facts)
        x = {f: float(v) for f, v in evidence.features.items()}
        group = f"{source.corpus}:{item.id}"
        return Row(group, source.corpus, kind, int(facts), int(gold), x, source.check)

    if not item.answerable:
        return [row("unanswerable", frozenset())]
    hidden = frozenset(c.chunk_id for c in index.chunks if _in_gold(c.doc_path, c.heading_path, item))
    return [row("answerable", frozenset()), row("hidden", hidden)]


def _corpus_path(name: str, work: Path) -> Path:
    if name == "handbook":
        return sample_corpus_path()
    if name == "convenio":
        return convenio(work)[0]
    return combined_corpus(work)


def _index(name: str, work: Path) -> KnowledgeIndex:
    home = work / f"home-{name}"
    settings = load_settings(None, {"home": home, "knowledge": {"source": _corpus_path(name, work)}})
    kb = KnowledgeBase(settings.home, settings.knowledge)
    if kb.current_id() is None:
        kb.reindex()
    return kb.index()


def collect(work: Path, check: bool) -> tuple[list[Row], dict[str, dict[str, float]]]:
    """Every row, and each corpus's own baseline."""
    rows: list[Row] = []
    baselines: dict[str, dict[str, float]] = {}
    for name in CORPORA:
        sources = [s for s in SOURCES if s.corpus == name and (check or not s.check)]
        index = _index(name, work)
        baselines[name] = index.baseline()
        for source in sources:
            rows += [r for item in _items(source) for r in rows_for(index, item, source)]
    return rows, baselines


# --- fitting --------------------------------------------------------------------------------------------


def _matrix(rows: Sequence[Row], features: Sequence[str]) -> np.ndarray:
    return np.array([[r.x.get(f, 0.0) for f in features] for r in rows])


def _model(rows: Sequence[Row], features: Sequence[str]):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=2000).fit(_matrix(rows, features), [r.facts for r in rows])


def out_of_fold(rows: Sequence[Row], features: Sequence[str]) -> np.ndarray:
    """Grouped 5-fold estimates: a question and its hidden twin stay in one fold."""
    from sklearn.model_selection import GroupKFold

    x, groups = _matrix(rows, features), np.array([r.group for r in rows])
    y = np.array([r.facts for r in rows])
    p = np.zeros(len(rows))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        p[test] = _model([rows[i] for i in train], features).predict_proba(x[test])[:, 1]
    return p


def leave_corpus_out(rows: Sequence[Row], features: Sequence[str]) -> np.ndarray:
    """Each corpus scored by a model fitted on the others: what a new company's handbook would see."""
    p = np.zeros(len(rows))
    for name in CORPORA:
        test = [i for i, r in enumerate(rows) if r.corpus == name]
        train = [r for r in rows if r.corpus != name]
        if test and train:
            p[test] = _model(train, features).predict_proba(_matrix([rows[i] for i in test], features))[:, 1]
    return p


def thresholds(rows: Sequence[Row], p: np.ndarray) -> tuple[float, float]:
    """(answer_at, suggest_floor) read off out-of-fold estimates: answering starts at the lowest
    estimate whose answers are right at least `PRECISION` of the time, averaged over the corpora
    (answerable and unanswerable questions; near-miss twins are for fitting, not for counting);
    suggesting stops where no more than
    `HANDOVER_SHARE` of the answerable questions would be handed over instead."""
    grid = np.linspace(0.05, 0.95, 181)
    answer_at = next((float(t) for t in grid if _mean_precision(rows, p, t) >= PRECISION), 0.95)
    answerable = np.sort([p[i] for i, r in enumerate(rows) if r.kind == "answerable"])
    k = int(math.floor(HANDOVER_SHARE * len(answerable)))
    suggest_floor = float(answerable[k]) - 1e-3 if len(answerable) else 0.0
    return answer_at, min(suggest_floor, answer_at)


def _mean_precision(rows: Sequence[Row], p: np.ndarray, t: float) -> float:
    """Each corpus counts once, whatever its number of questions: the decision must hold on any of them.
    (On the combined corpus precision stays near 0.7 at every threshold; raising it only costs answers.)"""
    per_corpus = []
    for name in CORPORA:
        keep = [i for i, r in enumerate(rows) if r.corpus == name]
        if keep:
            per_corpus.append(_precision([rows[i] for i in keep], p[keep], t))
    return sum(per_corpus) / len(per_corpus) if per_corpus else 1.0


def _precision(rows: Sequence[Row], p: np.ndarray, t: float) -> float:
    m = figures(rows, p, t, 0.0)
    wrong = m["answered_wrong"] + m["unanswerable_answered"]
    answered = m["resolved"] + wrong
    return m["resolved"] / answered if answered else 1.0


def figures(rows: Sequence[Row], p: np.ndarray, answer_at: float, floor: float) -> dict[str, float]:
    def idx(kind: str) -> list[int]:
        return [i for i, r in enumerate(rows) if r.kind == kind]

    ans, una, hid = idx("answerable"), idx("unanswerable"), idx("hidden")
    answered = p >= answer_at
    handed = p < floor
    resolved = sum(1 for i in ans if answered[i] and rows[i].facts)
    useful = sum(1 for i in ans if not answered[i] and not handed[i] and rows[i].facts)
    n = max(1, len(ans))
    return {
        "answerable": len(ans),
        "resolved": resolved,
        "resolved_rate": round(resolved / n, 3),
        "self_served_rate": round((resolved + useful) / n, 3),
        "answered_wrong": sum(1 for i in ans if answered[i] and not rows[i].facts),
        "handed_over": sum(1 for i in ans if handed[i]),
        "unanswerable": len(una),
        "unanswerable_answered": sum(1 for i in una if answered[i]),
        "unanswerable_handed_over": sum(1 for i in una if handed[i]),
        "hidden": len(hid),
        "hidden_answered": sum(1 for i in hid if answered[i]),
        "ceiling": round(sum(rows[i].facts for i in ans) / n, 3),
    }


def report(rows: Sequence[Row], p: np.ndarray, answer_at: float, floor: float) -> dict[str, object]:
    out: dict[str, object] = {"all": figures(rows, p, answer_at, floor)}
    for name in CORPORA:
        keep = [i for i, r in enumerate(rows) if r.corpus == name]
        if keep:
            out[name] = figures([rows[i] for i in keep], p[keep], answer_at, floor)
    return out


def fit(rows: Sequence[Row], features: Sequence[str]) -> tuple[dict[str, object], tuple[float, float]]:
    """The gate as gate.yaml holds it, and the (answer_at, suggest_floor) it was cut at."""
    p = out_of_fold(rows, features)
    answer_at, floor = thresholds(rows, p)
    loco = leave_corpus_out(rows, features)
    model = _model(rows, features)
    shift = _logit(answer_at)
    return {
        # the bias moves so that answering starts at 0.5; the floor moves with it
        "bias": round(float(model.intercept_[0]) - shift, 4),
        "weights": {f: round(float(w), 4) for f, w in zip(features, model.coef_[0], strict=True)},
        "suggest_floor": round(1 / (1 + math.exp(shift - _logit(floor))), 4),
        "cross_validated": report(rows, p, answer_at, floor),
        "leave_one_corpus_out": report(rows, loco, answer_at, floor),
    }, (answer_at, floor)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _load_rows(path: Path) -> list[Row]:
    return [Row(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, help="keep the three indexes here between runs")
    parser.add_argument("--write", action="store_true", help=f"write the fitted gate to {GATE_FILE}")
    parser.add_argument("--dump", type=Path, help="write every row (features, labels) as JSON Lines")
    parser.add_argument("--rows", type=Path, help="fit on rows written by --dump instead of searching again")
    parser.add_argument("--check", action="store_true", help="also score the held-out sets (report only)")
    args = parser.parse_args()
    if args.rows:
        rows = _load_rows(args.rows)
        baselines = json.loads(args.rows.with_suffix(".baselines.json").read_text(encoding="utf-8"))
    else:
        rows, baselines = collect(args.home or Path(tempfile.mkdtemp(prefix="bench-gate-")), args.check)
    if args.dump:
        args.dump.write_text("".join(json.dumps(r.__dict__) + "\n" for r in rows), encoding="utf-8")
        args.dump.with_suffix(".baselines.json").write_text(json.dumps(baselines), encoding="utf-8")
    fitted = [r for r in rows if not r.check]
    checked = [r for r in rows if r.check]
    default = {f: round(sum(b.get(f, 0.0) for b in baselines.values()) / len(baselines), 4) for f in RELATIVE}
    gate: dict[str, object] = {
        "fitted": {"on": str(date.today()), "rows": len(fitted), "baselines": baselines},
    }
    for kind, features in (("meaning", MEANING_FEATURES), ("words", WORD_FEATURES)):
        fitted_gate, (answer_at, floor) = fit(fitted, features)
        fitted_gate["default_baseline"] = default
        gate[kind] = fitted_gate
        print(kind, json.dumps({k: fitted_gate[k] for k in ("cross_validated", "leave_one_corpus_out")}))
        if checked:  # report only: nothing above read these rows
            p = _model(fitted, features).predict_proba(_matrix(checked, features))[:, 1]
            print(kind, json.dumps({"held_out": report(checked, p, answer_at, floor)}))
    if args.write:
        header = "# Written by `python -m benchmarks.gate --write`; do not edit by hand.\n"
        GATE_FILE.write_text(header + yaml.safe_dump(gate, sort_keys=False), encoding="utf-8")
        print(f"wrote {GATE_FILE}")


if __name__ == "__main__":
    main()
