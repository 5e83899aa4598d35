from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge._documents import Chunk
from knowledge._evaluation import QAItem, evaluate_retrieval, heading_matches, load_qa, retrieval_metrics
from knowledge._query import SYNONYM_WEIGHT, QueryAnalyzer, Vocabulary, bundled_thesaurus
from knowledge._text import Analyzer


@pytest.fixture(scope="module")
def queries() -> QueryAnalyzer:
    return QueryAnalyzer(Analyzer(), bundled_thesaurus(), "en")


def test_everyday_spanish_reaches_the_formal_term(queries: QueryAnalyzer) -> None:
    analyzed = queries.analyze("me caso en junio, cuántos días tengo")
    assert analyzed.lang == "es"
    wedding = next(s for s in analyzed.slots if ("matrimoni",) in s.alternatives)
    assert wedding.alternatives[("matrimoni",)] == SYNONYM_WEIGHT
    assert max(wedding.alternatives.values()) == 1.0  # the user's own words weigh most


def test_multiword_phrases_match_before_single_words(queries: QueryAnalyzer) -> None:
    analyzed = queries.analyze("estoy de baja, me pagan igual?")
    sick = next(s for s in analyzed.slots if ("incapac", "temporal") in s.alternatives)
    assert ("baj",) in sick.alternatives


def test_typos_are_corrected_against_the_index_vocabulary(queries: QueryAnalyzer) -> None:
    vocabulary = Vocabulary(["vacacion", "permis", "dieta"], min_score=80)
    analyzed = queries.analyze("permissos", vocabulary.correct)
    assert any(("permis",) in s.alternatives for s in analyzed.slots)
    assert vocabulary.correct("zzzz") is None


def test_gold_section_matching_respects_article_numbers() -> None:
    assert heading_matches("Artículo 21. Vacaciones.", "Artículo 21")
    assert heading_matches("artículo 21", "Artículo 21")
    assert not heading_matches("Artículo 2. Ámbito territorial.", "Artículo 21")
    assert not heading_matches("Artículo 21. Vacaciones.", "Artículo 2")


def test_metrics_count_hits_and_reciprocal_ranks() -> None:
    assert retrieval_metrics([1, 3, None, 7]) == {
        "hit@1": 0.25,
        "hit@5": 0.5,
        "mrr@10": round((1 + 1 / 3 + 1 / 7) / 4, 4),
    }


def _chunk(doc: str, *path: str) -> Chunk:
    return Chunk(f"{doc}:{path}", doc, "T", path, "text", 0, 4, frozenset(), "en")


def test_evaluate_retrieval_uses_sections_when_given(tmp_path: Path) -> None:
    lines = [
        {"id": "1", "question": "q1", "answerable": True, "gold_docs": ["a.md"], "gold_sections": ["Art 2"]},
        {"id": "2", "question": "q2", "answerable": False, "gold_docs": [], "gold_sections": []},
        {"id": "3", "question": "q3", "expected_tool": "my_tickets", "expected_args": {}},
    ]
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(line) for line in lines))
    items = load_qa(qa)
    assert items[2].is_action and not items[0].is_action
    ranked = {"q1": [_chunk("a.md", "Art 1"), _chunk("a.md", "Art 2. Title")], "q2": []}
    result = evaluate_retrieval(lambda q: ranked[q], items)
    assert result["n"] == 3 and result["answerable"] == 1 and result["unanswerable"] == 1
    assert result["retrieval"] == {"hit@1": 0.0, "hit@5": 1.0, "mrr@10": 0.5}


def test_a_malformed_question_file_names_the_line(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "1", "question": "ok"}\n{"id": "2"}\n')
    with pytest.raises(ValueError, match="qa.jsonl:2"):
        load_qa(qa)


def test_item_defaults() -> None:
    item = QAItem.from_json({"id": "x", "question": "q"})
    assert item.answerable and item.gold_docs == () and not item.is_action
