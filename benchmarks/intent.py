"""Choose the router's thresholds on data, and report them.

Development data: the shared `actions.jsonl` requests, the development half of our own informal requests
(`benchmarks/questions/own-informal-actions.dev.jsonl`) and every norms question of the shared convenio,
Ultralytics and 18F sets and of our own development questions over the combined corpus and the bundled
handbook (all must go to the search, never to a tool instead of it).
Every message is read once by the real `Router` (the multilingual encoder's meaning, the tools' own
words, the arguments); each combination of thresholds then decides every message, and the one kept
routes the most messages right among those that send no norms question to a tool. A hesitant route
searches the norms and offers the action beside the answer: for a question it counts as the search, for
a request as the tool. The shared informal set and our holdout halves are not used here: they measure
the result.

Usage: python -m benchmarks.intent [--write] [--encoder multilingual|bundled]
"""

from __future__ import annotations

import argparse
import itertools
import os
from datetime import date, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from benchmarks._corpora import require_shared  # noqa: E402
from bot.agent._intent import HUMAN, IntentReader, Thresholds  # noqa: E402
from bot.agent._router import Reading, Router, ToolSpec  # noqa: E402
from bot.config import DEFAULT_PERMISSIONS  # noqa: E402
from bot.tools import ToolRegistry  # noqa: E402
from knowledge import KnowledgeBase, detect_language  # noqa: E402
from knowledge._evaluation import QAItem, load_qa  # noqa: E402
from knowledge._multilingual import shared_encoder  # noqa: E402
from knowledge._settings import KnowledgeSettings  # noqa: E402

OWN = Path(__file__).resolve().parent / "questions"
INTENTS = Path(__file__).resolve().parents[1] / "bot" / "agent" / "data" / "intents.yaml"
NOW = "2026-11-24T10:00:00+01:00"


def development_items() -> list[QAItem]:
    qa = require_shared() / "qa"
    items = load_qa(qa / "actions.jsonl")
    for name in ("own-informal-actions.dev.jsonl", "own-informal-qa.dev.jsonl", "own-handbook-qa.dev.jsonl"):
        items += load_qa(OWN / name)
    for name in ("convenio-tic-xix-es.jsonl", "ultralytics-handbook.jsonl", "18f-handbook.silver.jsonl"):
        items += load_qa(qa / name)
    return items


def _today(item: QAItem) -> date:
    return datetime.fromisoformat(item.now or NOW).date()


def correct(item: QAItem, routed: str | None, wants_human: bool) -> bool:
    if not item.is_action or item.expected_tool == "search_norms":
        return routed is None and not wants_human
    if item.expected_tool == HUMAN:
        return routed == HUMAN or wants_human
    if item.expected_tool is None:  # a refusal is offered under the tool's name; nothing runs
        return True
    return routed == item.expected_tool


def score(
    router: Router, readings: list[tuple[QAItem, Reading | None]], t: Thresholds | None
) -> tuple[int, int]:
    right = questions_routed = 0
    for item, reading in readings:
        route = router.decide(reading, item.question, t) if reading is not None else None
        routed = route.tool if route is not None and not route.missing else None
        # a hesitant route searches the norms too and only offers the action beside the answer: for a
        # question that is an answer (plus an offer), for a request the action proposed
        hesitant = route is not None and route.hesitant
        if item.is_action:
            right += correct(item, routed, router.wants_human(item.question))
        else:
            right += correct(item, None if hesitant else routed, router.wants_human(item.question))
        questions_routed += (not item.is_action) and routed is not None and not hesitant
    return right, questions_routed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help=f"write the thresholds to {INTENTS}")
    parser.add_argument("--encoder", choices=("multilingual", "bundled"), default="multilingual")
    args = parser.parse_args()
    kb = KnowledgeBase(Path("/nonexistent"), KnowledgeSettings())
    registry = ToolRegistry.load([], DEFAULT_PERMISSIONS, discover=False)
    specs = [ToolSpec(t.name, t.args.model_json_schema()) for t in registry]
    items = development_items()
    embed = shared_encoder().encode if args.encoder == "multilingual" else kb.embed
    router = Router(kb.analyzer, IntentReader(embed))
    readings = [(i, router.read(i.question, specs, _today(i))) for i in items]
    chosen: dict[str, Thresholds] = {}
    for lang in ("en", "es"):
        mine = [(i, r) for i, r in readings if detect_language(i.question) == lang]
        chosen[lang] = _best(router, mine, lang)
    words = Router(kb.analyzer)
    lexical, lexical_routed = score(
        words, [(i, words.read(i.question, specs, _today(i))) for i in items], None
    )
    right = routed = 0
    for lang, t in chosen.items():
        mine = [(i, r) for i, r in readings if detect_language(i.question) == lang]
        r_right, r_routed = score(router, mine, t)
        right, routed = right + r_right, routed + r_routed
    print(
        f"{len(items)} messages: {right} routed right ({routed} questions sent to a tool) with {chosen}; "
        f"the tools' words alone: {lexical} ({lexical_routed})"
    )
    if args.write:
        text = INTENTS.read_text(encoding="utf-8")
        block = "thresholds:\n" + "".join(
            f"  {lang}: {{{', '.join(f'{k}: {v}' for k, v in t.__dict__.items())}}}\n"
            for lang, t in chosen.items()
        )
        start = text.index("thresholds:\n")
        end = text.index("questions:\n")
        INTENTS.write_text(text[:start] + block + text[end:], encoding="utf-8")
        print(f"wrote {INTENTS}")


def _best(router: Router, readings: list[tuple[QAItem, Reading | None]], lang: str) -> Thresholds:
    results = []
    for floor, margin, filled, word in itertools.product(
        np.arange(0.30, 0.81, 0.05),
        np.arange(-0.05, 0.31, 0.025),
        (0.0, 0.05, 0.1, 0.15, 0.2),
        (0.0, 0.1, 0.2),
    ):
        t = Thresholds(*(round(float(v), 3) for v in (floor, margin, filled, word)))
        right, routed = score(router, readings, t)
        results.append((right, t.filled_bonus, routed, t))
    # a norms question must never reach a tool: only combinations that send none compete; among equals,
    # the one that trusts most what the user wrote (a ticket number, a date) wins
    return max((r for r in results if r[2] == 0), key=lambda r: r[:2])[3]


if __name__ == "__main__":
    main()
