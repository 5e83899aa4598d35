"""The agent end to end on the shared question sets: answers, escalations, actions and per-question latency,
through `Bot.ahandle` with the offline model and the real embedding model (the path `backoffice eval` uses).

Usage: python -m benchmarks.agent [--only NAME] [--json]
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

from benchmarks._corpora import SETS, require_shared  # noqa: E402
from bot import Bot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.evaluation import eval_groups, evaluate_answers  # noqa: E402
from knowledge import sample_corpus_path  # noqa: E402
from knowledge._evaluation import QAItem, load_qa  # noqa: E402

DEFAULT_SETS = ("convenio-tic-xix-es", "ultralytics-handbook", "actions")


def _prepare(name: str, work: Path) -> tuple[Path, list[QAItem]]:
    if name == "actions":
        return sample_corpus_path(), load_qa(require_shared() / "qa" / "actions.jsonl")
    return SETS[name](work)


async def _run(name: str, work: Path) -> dict[str, object]:
    corpus, items = _prepare(name, work)
    settings = load_settings(
        None, {"home": work / f"home-{name}", "knowledge": {"source": corpus}, "groups": eval_groups(items)}
    )
    bot = Bot.from_settings(settings)
    assert bot.knowledge is not None
    bot.knowledge.reindex()
    bot.knowledge.search("warm-up")
    result = await evaluate_answers(bot, items)
    await bot.aclose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=[*sorted(SETS), "actions"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = [args.only] if args.only else list(DEFAULT_SETS)
    with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        results = {name: asyncio.run(_run(name, Path(tmp))) for name in names}
    if args.json:
        print(json.dumps(results, indent=1))
        return
    table = Table(
        "set",
        "resolved",
        "resolved rate",
        "wrong",
        "false esc.",
        "esc. recall",
        "tool acc.",
        "args acc.",
        "p50 ms",
        "p95 ms",
    )
    for name, r in results.items():
        a, t, lat = r["answers"], r["actions"], r["latency_ms"]  # type: ignore[index]
        table.add_row(
            name,
            str(a["resolved"]),
            f"{a['resolved_rate']:.3f}",
            str(a["wrong_answers"]),
            f"{a['false_escalation_rate']:.3f}",
            f"{a['escalation_recall']:.3f}",
            f"{t['tool_accuracy']:.3f}",
            f"{t['args_accuracy']:.3f}",
            f"{lat['p50']:.1f}",
            f"{lat['p95']:.1f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
