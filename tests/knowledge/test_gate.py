from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge._calibration import RELATIVE
from knowledge._gate import FEATURES, MEANING_FEATURES, WORD_FEATURES, Gate, is_general_word
from knowledge._settings import KnowledgeSettings
from knowledge.testing import HashingEmbedding


def test_the_bundled_gates_read_only_features_the_judge_computes() -> None:
    computed = set(FEATURES) | {f"{name}_rel" for name in RELATIVE}
    for gate, allowed in ((Gate.bundled(), MEANING_FEATURES), (Gate.bundled(False), WORD_FEATURES)):
        assert set(gate.weights) == set(allowed) and set(allowed) <= computed
        assert 0.0 <= gate.probability({}) <= 1.0
        # suggesting starts below answering, and a corpus too small to calibrate has a baseline
        assert 0.0 < gate.suggest_floor < 0.5
        assert set(gate.default_baseline) == set(RELATIVE)


def test_more_evidence_never_lowers_the_probability_along_a_positive_weight() -> None:
    gate = Gate({"coverage": 3.0, "unknown_words": -1.0}, bias=-1.0)
    assert gate.probability({"coverage": 0.9}) > gate.probability({"coverage": 0.2})
    assert gate.probability({"coverage": 0.9, "unknown_words": 2}) < gate.probability({"coverage": 0.9})
    assert gate.probability({"coverage": 1e9}) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "word", ["toronto", "severance", "vesting", "gafas", "nocturnidad", "parking", "gym", "car"]
)
def test_real_words_are_told_from_noise_by_their_general_frequency(word: str) -> None:
    assert is_general_word(word)


@pytest.mark.parametrize("word", ["thatll", "xq", "q", "asdfgh", "2025", "tdy", "pto"])
def test_typos_short_shorthand_and_numbers_are_noise(word: str) -> None:
    assert not is_general_word(word)


def test_every_search_reports_the_features_the_gate_reads(tmp_path: Path) -> None:
    corpus = tmp_path / "norms"
    corpus.mkdir()
    (corpus / "travel.md").write_text(
        "# Travel\n\n## Per diem\n\nThe per diem for a trip within the country is 50 euros a day.\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase(tmp_path / "home", KnowledgeSettings(source=corpus), HashingEmbedding)
    kb.reindex()
    _, answered = kb.search_with_evidence("how much is the per diem for a trip?")
    _, named = kb.search_with_evidence("how much is the per diem in toronto?")
    assert set(answered.features) == set(FEATURES) | {f"{name}_rel" for name in RELATIVE}
    # "toronto" is a real word no passage has: the rare words missing weigh on the named question only
    assert named.features["rare_missing_share"] > 0.2 and answered.features["rare_missing_share"] == 0.0
    assert answered.features["coverage"] > 0.5 and answered.confidence > named.confidence
