"""The agent end to end on the shared question sets: answers, escalations, actions and per-question latency,
through `Bot.ahandle` with the offline model and the real embedding model (the path `backoffice eval` uses).

The informal sets run over the combined corpus (`combined-corpus.sh`): `informal` is the shared one
(questions and requests), `own-dev` the development half of ours, `own-holdout` the half kept aside
(run it only to report, never to tune: it is not in the default list). `handbook-dev` and
`handbook-holdout` are our informal questions over the bundled 13-page handbook, split the same way.

Usage: python -m benchmarks.agent [--only NAME] [--home DIR] [--json]   (--home reuses the indexes)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from benchmarks._corpora import SETS, SHARED, combined_corpus, require_shared  # noqa: E402
from bot import Bot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.evaluation import eval_groups, evaluate_answers  # noqa: E402
from knowledge import sample_corpus_path  # noqa: E402
from knowledge._evaluation import QAItem, load_qa  # noqa: E402

OWN = Path(__file__).resolve().parent / "questions"
INFORMAL = {
    "informal": [SHARED / "qa" / "informal-qa.jsonl", SHARED / "qa" / "informal-actions.jsonl"],
    "own-dev": [OWN / "own-informal-qa.dev.jsonl", OWN / "own-informal-actions.dev.jsonl"],
    "own-holdout": [OWN / "own-informal-qa.holdout.jsonl", OWN / "own-informal-actions.holdout.jsonl"],
}
# Our informal questions over the bundled 13-page handbook (not the combined corpus)
HANDBOOK = {
    "handbook-dev": OWN / "own-handbook-qa.dev.jsonl",
    "handbook-holdout": OWN / "own-handbook-qa.holdout.jsonl",
}
DEFAULT_SETS = (
    "convenio-tic-xix-es",
    "ultralytics-handbook",
    "actions",
    "handbook-dev",
    "informal",
    "own-dev",
)


def _prepare(name: str, work: Path) -> tuple[Path, list[QAItem]]:
    if name == "actions":
        return sample_corpus_path(), load_qa(require_shared() / "qa" / "actions.jsonl")
    if name in HANDBOOK:
        return sample_corpus_path(), load_qa(HANDBOOK[name])
    if name in INFORMAL:
        return combined_corpus(work), [item for path in INFORMAL[name] for item in load_qa(path)]
    return SETS[name](work)


async def _run(name: str, work: Path) -> dict[str, object]:
    corpus, items = _prepare(name, work)
    home = work / (
        "home-combined" if name in INFORMAL else "home-handbook" if name in HANDBOOK else f"home-{name}"
    )
    overrides = {
        "home": home,
        "knowledge": {"source": corpus},
        "groups": eval_groups(items),
        "rate_limit": {"per_minute": 0},  # a measurement asks far faster than a person
    }
    settings = load_settings(None, overrides)
    bot = Bot.from_settings(settings)
    assert bot.knowledge is not None
    bot.knowledge.reindex()
    bot.knowledge.search("warm-up")
    result = await evaluate_answers(bot, items)
    await bot.aclose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=[*sorted(SETS), "actions", *INFORMAL, *HANDBOOK])
    parser.add_argument("--home", type=Path, help="keep the indexes here between runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = [args.only] if args.only else list(DEFAULT_SETS)
    with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        work = args.home or Path(tmp)
        results = {name: asyncio.run(_run(name, work)) for name in names}
    if args.json:
        print(json.dumps(results, indent=1))
        return
    table = Table(
        "set",
        "resolved",
        "self-served",
        "wrong",
        "unans. answered",
        "suggested",
        "false esc.",
        "esc. recall",
        "first src gold",
        "tool / args",
        "p50 / p95 ms",
    )
    for name, r in results.items():
        a, t, lat = r["answers"], r["actions"], r["latency_ms"]  # type: ignore[index]
        table.add_row(
            name,
            f"{a['resolved_rate']:.3f} ({a['resolved']})",
            f"{a['self_served_rate']:.3f}",
            str(a["wrong_answers"]),
            str(a["unanswerable_answered"]),
            f"{a['suggested']} ({a['suggested_useful']} useful)",
            f"{a['false_escalation_rate']:.3f}",
            f"{a['escalation_recall']:.3f}",
            f"{a['first_source_gold_rate']:.3f}",
            f"{t['tool_accuracy']:.3f} / {t['args_accuracy']:.3f}",
            f"{lat['p50']:.0f} / {lat['p95']:.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
