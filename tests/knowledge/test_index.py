from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import IndexCorruptError, IndexMissingError, KnowledgeBase, KnowledgeSettings
from knowledge.testing import HashingEmbedding

CANARY = "CONFIDENCIAL-BANDAS-7731"


def test_search_cites_the_right_passage(kb: KnowledgeBase) -> None:
    kb.reindex()
    hits = kb.search("cuantos dias me dan si me caso?", k=3)
    assert hits[0].chunk.doc_path == "es/permisos.md"
    assert hits[0].chunk.heading_path == ("Matrimonio o pareja de hecho",)
    assert "Quince días" in hits[0].chunk.text
    assert hits[0].score >= hits[-1].score


def test_thesaurus_bridges_everyday_words(kb: KnowledgeBase) -> None:
    kb.reindex()
    top = kb.search("se murio mi padre, que dias tengo", k=1)[0]
    assert top.chunk.heading_path == ("Fallecimiento de un familiar",)


def test_misspelt_words_still_match(kb: KnowledgeBase) -> None:
    kb.reindex()
    top = kb.search("kilometrage del coche propio", k=1)[0]
    assert "0,26 euros por kilómetro" in top.chunk.text


def test_restricted_text_never_reaches_an_unauthorised_search(kb: KnowledgeBase) -> None:
    kb.reindex()
    queries = [CANARY, "bandas salariales ingeniería", "revisión salarial abril", "salary bands", "nivel 3"]
    for query in queries:
        for groups in (frozenset(), frozenset({"managers"}), frozenset({"engineering"})):
            for hit in kb.search(query, k=50, groups=groups):
                assert CANARY not in hit.chunk.text
                assert hit.chunk.doc_path != "hr/bandas-salariales.md"
    allowed = kb.search(CANARY, k=3, groups=frozenset({"hr"}))
    assert any(CANARY in h.chunk.text for h in allowed)


def test_front_matter_audience_limits_to_managers(kb: KnowledgeBase) -> None:
    kb.reindex()
    query = "what to check before approving time off requests"
    assert all(h.chunk.doc_path != "managers/approving-time-off.md" for h in kb.search(query, k=50))
    top = kb.search(query, k=1, groups=frozenset({"managers"}))[0]
    assert top.chunk.doc_path == "managers/approving-time-off.md"


def test_unchanged_reindex_embeds_nothing_and_keeps_the_snapshot(
    kb: KnowledgeBase, embedder: HashingEmbedding
) -> None:
    first = kb.reindex()
    assert len(first.added) == 13 and first.embedded_chunks == first.chunks > 0
    calls = embedder.calls
    second = kb.reindex()
    assert not second.changed and len(second.unchanged) == 13
    assert second.snapshot_id is None and kb.store.current_id() == first.snapshot_id
    assert embedder.calls == calls


def test_one_changed_document_reembeds_only_its_chunks(
    kb: KnowledgeBase, corpus: Path, embedder: HashingEmbedding
) -> None:
    kb.reindex()
    doc = corpus / "es" / "teletrabajo.md"
    doc.write_text(doc.read_text() + "\n## Guardias\n\nLas guardias se pagan a 50 euros por semana.\n")
    calls = embedder.calls
    report = kb.reindex()
    assert report.updated == ["es/teletrabajo.md"] and report.added == [] and report.removed == []
    doc_chunks = [c for c in kb.index().chunks if c.doc_path == "es/teletrabajo.md"]
    assert embedder.calls - calls == report.embedded_chunks == len(doc_chunks)
    assert kb.search("guardias 50 euros semana", k=1)[0].chunk.heading_path == ("Guardias",)


def test_deleted_documents_disappear(kb: KnowledgeBase, corpus: Path) -> None:
    kb.reindex()
    (corpus / "en" / "security.md").unlink()
    report = kb.reindex()
    assert report.removed == ["en/security.md"]
    assert all(c.doc_path != "en/security.md" for c in kb.index().chunks)


def test_a_broken_document_is_skipped_and_the_rest_indexes(kb: KnowledgeBase, corpus: Path) -> None:
    (corpus / "es" / "roto.docx").write_bytes(b"not a docx")
    report = kb.reindex()
    assert "es/roto.docx" in report.failed and len(report.added) == 13
    assert kb.search("dieta diaria viaje", k=1)[0].chunk.doc_path == "es/gastos-y-viajes.md"
    # Still broken and unchanged: nothing to do next time.
    assert not kb.reindex().changed


def test_a_document_broken_by_an_edit_keeps_its_last_good_version(kb: KnowledgeBase, corpus: Path) -> None:
    kb.reindex()
    (corpus / "es" / "teletrabajo.md").write_text("---\ntitle: [unclosed\n---\nTexto nuevo")
    report = kb.reindex()
    assert "front matter" in report.failed["es/teletrabajo.md"]
    assert kb.search("teletrabajo voluntario reversible", k=1)[0].chunk.doc_path == "es/teletrabajo.md"


class _FailingEmbedding(HashingEmbedding):
    def _get_text_embedding(self, text: str) -> list[float]:
        if "Guardias" in text:
            raise RuntimeError("power cut")
        return super()._get_text_embedding(text)


def test_a_crash_mid_reindex_leaves_the_previous_snapshot_serving(tmp_path: Path, corpus: Path) -> None:
    settings = KnowledgeSettings(source=corpus)
    embedder = _FailingEmbedding()
    kb = KnowledgeBase(tmp_path / "home", settings, lambda: embedder)
    before = kb.reindex().snapshot_id
    doc = corpus / "es" / "teletrabajo.md"
    doc.write_text(doc.read_text() + "\n## Guardias\n\nSe pagan aparte.\n")
    with pytest.raises(RuntimeError, match="power cut"):
        kb.reindex()
    assert kb.store.current_id() == before
    assert not [p for p in kb.store.snapshots.iterdir() if p.name.startswith(".tmp")]
    assert kb.search("teletrabajo voluntario", k=1)[0].chunk.doc_path == "es/teletrabajo.md"


def test_a_crash_while_writing_files_leaves_no_partial_snapshot(
    kb: KnowledgeBase, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = kb.reindex().snapshot_id
    (corpus / "en" / "new.md").write_text("# New\n\nA new norm.")

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", explode)
    with pytest.raises(OSError, match="disk full"):
        kb.reindex()
    assert kb.store.current_id() == before
    assert sorted(p.name for p in kb.store.snapshots.iterdir()) == [before]


def test_missing_index_says_to_reindex(kb: KnowledgeBase) -> None:
    with pytest.raises(IndexMissingError, match="backoffice reindex"):
        kb.search("vacaciones")


@pytest.mark.parametrize("victim", ["embeddings.npy", "chunks.jsonl", "manifest.json", "dense.faiss"])
def test_corrupt_index_says_to_reindex(
    tmp_path: Path, kb: KnowledgeBase, embedder: HashingEmbedding, victim: str
) -> None:
    kb.reindex()
    path = kb.store.current_path() / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    fresh = KnowledgeBase(tmp_path / "home", kb.settings, lambda: embedder)
    with pytest.raises(IndexCorruptError, match="backoffice reindex"):
        fresh.search("vacaciones")
    # ...and a reindex repairs it.
    report = fresh.reindex()
    assert report.changed and fresh.search("vacaciones", k=1)


def test_readers_switch_to_a_new_snapshot(kb: KnowledgeBase, corpus: Path) -> None:
    kb.reindex()
    reader = KnowledgeBase(kb.store.root.parent, kb.settings, kb.embedder)
    assert reader.search("guardias pagadas", k=1)[0].chunk.heading_path != ("Guardias",)
    (corpus / "es" / "guardias.md").write_text(
        "# Guardias\n\n## Guardias\n\nLas guardias pagadas se cobran a parte."
    )
    kb.reindex()
    assert reader.search("guardias pagadas", k=1)[0].chunk.doc_path == "es/guardias.md"


def test_empty_query_finds_nothing(kb: KnowledgeBase) -> None:
    kb.reindex()
    assert kb.search("   ") == []


def test_the_approximate_dense_index_finds_the_same_passage(tmp_path: Path, corpus: Path) -> None:
    embedder = HashingEmbedding()
    kb = KnowledgeBase(tmp_path / "home", KnowledgeSettings(source=corpus, ann="hnsw"), lambda: embedder)
    kb.reindex()
    assert kb.search("dieta diaria con pernocta", k=1)[0].chunk.heading_path == ("Dietas",)
