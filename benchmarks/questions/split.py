"""The seeded, stratified split of our own informal sets into a dev half and a holdout half.

The split is a pure function of the items and the seed, so the halves on disk can be checked against it
(tests/knowledge/test_question_sets.py): nobody can move an item between halves by hand without the test
noticing. `python -m benchmarks.questions.split` pools both halves of each set and writes them again;
on an untouched checkout it changes nothing.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20261130
SETS = ("own-informal-qa", "own-informal-actions", "own-handbook-qa")

Item = dict[str, Any]


def stratum(item: Item) -> str:
    """Questions balance language and answerability; requests balance tool, language and permission."""
    if "expected_tool" in item:
        groups = "+".join(item.get("user_groups") or ["employee"])
        return f"{item['expected_tool'] or 'none'}/{item['lang']}/{groups}"
    return f"{item['lang']}/{'answerable' if item['answerable'] else 'unanswerable'}"


def split(items: Iterable[Item], seed: int = SEED) -> tuple[list[Item], list[Item]]:
    """Shuffle each stratum with one seeded generator and deal its items alternately to dev and holdout.

    The turn carries over from one stratum to the next, so an odd stratum's extra item goes to the other
    half next time and the two halves never differ by more than one item overall.
    """
    rng = random.Random(seed)
    strata: dict[str, list[Item]] = defaultdict(list)
    for item in sorted(items, key=lambda i: str(i["id"])):
        strata[stratum(item)].append(item)
    halves: tuple[list[Item], list[Item]] = ([], [])
    turn = 0
    for name in sorted(strata):
        members = strata[name]
        rng.shuffle(members)
        for item in members:
            halves[turn % 2].append(item)
            turn += 1
    dev, holdout = (sorted(half, key=lambda i: str(i["id"])) for half in halves)
    return dev, holdout


def half_paths(name: str, folder: Path = HERE) -> tuple[Path, Path]:
    return folder / f"{name}.dev.jsonl", folder / f"{name}.holdout.jsonl"


def read_jsonl(path: Path) -> list[Item]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, items: Iterable[Item]) -> None:
    lines = [json.dumps(item, ensure_ascii=False) for item in items]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def main() -> None:
    for name in SETS:
        dev_path, holdout_path = half_paths(name)
        dev, holdout = split(read_jsonl(dev_path) + read_jsonl(holdout_path))
        write_jsonl(dev_path, dev)
        write_jsonl(holdout_path, holdout)
        print(f"{name}: {len(dev)} dev, {len(holdout)} holdout")


if __name__ == "__main__":
    main()
