"""Each index measures what its own corpus offers a question it does not answer."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from pathlib import Path

from knowledge import KnowledgeBase
from knowledge._calibration import RELATIVE, baseline, pseudo_questions, relative, stored
from knowledge._documents import Chunk

LONG = (
    "Every employee gets twenty five working days of paid vacation per calendar year. Days not taken "
    "by the end of March of the following year are lost unless a manager agrees otherwise in writing."
)


def chunk(
    chunk_id: str,
    doc: str = "en/pto.md",
    heading: tuple[str, ...] = ("Vacation",),
    text: str = LONG,
    audience: frozenset[str] = frozenset(),
) -> Chunk:
    return Chunk(chunk_id, doc, "PTO", heading, text, 0, len(text), audience, "en")


def test_a_pseudo_question_is_the_heading_and_the_start_of_the_first_sentence() -> None:
    ((question, hidden),) = pseudo_questions([chunk("a")])
    assert (
        question
        == "Vacation Every employee gets twenty five working days of paid vacation per calendar year."
    )
    assert hidden == {"a"}
    ((untitled, _),) = pseudo_questions([chunk("b", heading=())])
    assert untitled == "Every employee gets twenty five working days of paid vacation per calendar year."


def test_the_same_corpus_always_gives_the_same_questions_whatever_the_order() -> None:
    chunks = [chunk(f"c{n}", doc=f"en/doc{n % 7}.md", heading=(f"Part {n % 3}",)) for n in range(90)]
    first = pseudo_questions(chunks)
    shuffled = chunks[:]
    random.Random(4).shuffle(shuffled)
    assert pseudo_questions(chunks) == first == pseudo_questions(shuffled)
    assert len(first) == 60  # a fixed sample, not the whole corpus


def test_restricted_and_short_chunks_ask_nothing_but_are_hidden_with_their_section() -> None:
    chunks = [
        chunk("public"),
        chunk("stub", text="See the table below."),  # same section: hidden along with it
        chunk("secret", doc="hr/bands.md", audience=frozenset({"hr"})),
        chunk("other-doc", doc="en/travel.md"),  # same heading, another document: another section
        chunk("other-heading", heading=("Vacation", "Carry-over")),  # a subsection is a section of its own
    ]
    asked = {hidden: question for question, hidden in pseudo_questions(chunks)}
    assert set(asked) == {
        frozenset({"public", "stub"}),
        frozenset({"other-doc"}),
        frozenset({"other-heading"}),
    }
    assert all("secret" not in hidden for hidden in asked)


def test_a_corpus_with_nothing_to_ask_has_no_baseline() -> None:
    def never(question: str, hidden: frozenset[str]) -> Mapping[str, float]:
        raise AssertionError("nothing to ask")

    assert baseline([], never) == {}
    assert baseline([chunk("stub", text="Too short."), chunk("s", audience=frozenset({"hr"}))], never) == {}


def test_the_baseline_is_the_mean_of_each_relative_feature_over_the_pseudo_questions() -> None:
    chunks = [chunk("a"), chunk("b", heading=("Sick days",))]
    asked: list[tuple[str, frozenset[str]]] = []

    def features(question: str, hidden: frozenset[str]) -> Mapping[str, float]:
        asked.append((question, hidden))
        coverage = 0.2 if len(asked) == 1 else 0.6
        return {"coverage_general": coverage, "dense_top": 0.5, "not_relative": 9.0}

    levels = baseline(chunks, features)
    assert asked == pseudo_questions(chunks)  # each question searched with its own section hidden
    assert set(levels) == set(RELATIVE)
    assert levels["coverage_general"] == 0.4 and levels["dense_top"] == 0.5
    assert all(levels[name] == 0.0 for name in RELATIVE if name not in ("coverage_general", "dense_top"))


def test_relative_features_are_read_above_the_corpus_baseline() -> None:
    got = relative({"coverage_general": 0.7, "meaning_best": 0.3, "rank": 1.0}, {"coverage_general": 0.5})
    assert set(got) == {f"{name}_rel" for name in RELATIVE}
    assert math.isclose(got["coverage_general_rel"], 0.2)
    assert got["meaning_best_rel"] == 0.3  # no baseline measured: read as it is
    assert got["dense_top_rel"] == 0.0


def test_an_index_calibrates_itself_once_on_its_own_public_sections(kb: KnowledgeBase) -> None:
    kb.reindex()
    index = kb.index()
    levels = index.baseline()
    assert set(levels) == set(RELATIVE)
    assert all(isinstance(v, float) and math.isfinite(v) for v in levels.values())
    assert index.baseline() is levels  # measured once, then kept
    restricted = {c.chunk_id for c in index.chunks if c.audience}
    asked = pseudo_questions(index.chunks)
    assert asked and all(not hidden & restricted for _, hidden in asked)


def test_a_baseline_is_kept_beside_its_snapshot_and_measured_again_only_when_stale(tmp_path: Path) -> None:
    measured: list[int] = []

    def measure() -> dict[str, float]:
        measured.append(1)
        return {name: 0.25 for name in RELATIVE}

    first = stored(tmp_path, measure)
    again = stored(tmp_path, measure)
    assert first == again == {name: 0.25 for name in RELATIVE} and len(measured) == 1
    kept = tmp_path / "calibration.json"
    kept.write_text(json.dumps({"version": -1, "levels": first}), encoding="utf-8")  # another version
    stored(tmp_path, measure)
    kept.write_text("{not json", encoding="utf-8")  # a damaged file
    stored(tmp_path, measure)
    assert len(measured) == 3 and json.loads(kept.read_text(encoding="utf-8"))["levels"] == first


def test_a_read_only_snapshot_folder_only_costs_measuring_again(tmp_path: Path) -> None:
    folder = tmp_path / "snapshot"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        levels = stored(folder, lambda: {name: 0.5 for name in RELATIVE})
    finally:
        folder.chmod(0o700)
    assert levels == {name: 0.5 for name in RELATIVE}
    if not (folder / "calibration.json").exists():  # root may write anyway: then it is simply kept
        assert list(folder.iterdir()) == []
