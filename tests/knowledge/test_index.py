from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import (
    IndexCorruptError,
    IndexMissingError,
    IndexWriteError,
    KnowledgeBase,
    KnowledgeSettings,
)
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
    embedded = embedder.calls - calls  # what the reindex embedded (loading then calibrates on queries)
    assert report.updated == ["es/teletrabajo.md"] and report.added == [] and report.removed == []
    doc_chunks = [c for c in kb.index().chunks if c.doc_path == "es/teletrabajo.md"]
    assert embedded == report.embedded_chunks == len(doc_chunks)
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
    with pytest.raises(IndexWriteError, match="disk full"):
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
    # Still the old snapshot: a new one is loaded off the request path, by `refresh`, then switched in.
    assert reader.search("guardias pagadas", k=1)[0].chunk.heading_path != ("Guardias",)
    assert reader.refresh() and not reader.refresh()
    assert reader.search("guardias pagadas", k=1)[0].chunk.doc_path == "es/guardias.md"


def test_empty_query_finds_nothing(kb: KnowledgeBase) -> None:
    kb.reindex()
    assert kb.search("   ") == []


def test_the_approximate_dense_index_finds_the_same_passage(tmp_path: Path, corpus: Path) -> None:
    embedder = HashingEmbedding()
    kb = KnowledgeBase(tmp_path / "home", KnowledgeSettings(source=corpus, ann="hnsw"), lambda: embedder)
    kb.reindex()
    assert kb.search("dieta diaria con pernocta", k=1)[0].chunk.heading_path == ("Dietas",)


# --- snapshots after a kill, and a corrupt current one --------------------------------------------------


def _touch_doc(corpus: Path, n: int) -> None:
    doc = corpus / "es" / "teletrabajo.md"
    doc.write_text(doc.read_text() + f"\n## Cambio {n}\n\nTexto nuevo {n}.\n")


def test_a_folder_left_by_a_killed_write_never_counts_as_a_kept_snapshot(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    kb = KnowledgeBase(
        tmp_path / "home", KnowledgeSettings(source=corpus, keep_snapshots=2), lambda: embedder
    )
    first = kb.reindex().snapshot_id
    _touch_doc(corpus, 1)
    second = kb.reindex().snapshot_id
    # What `kill -9` during the write phase leaves: a temporary folder of a process that no longer runs.
    orphan = kb.store.snapshots / ".tmp-999999999-abc"
    orphan.mkdir()
    (orphan / "chunks.jsonl").write_text("{}\n")
    _touch_doc(corpus, 2)
    third = kb.reindex().snapshot_id
    kept = sorted(p.name for p in kb.store.snapshots.iterdir())
    assert first not in kept and kept == sorted([second, third])
    assert not orphan.exists()


def test_a_corrupt_current_snapshot_falls_back_to_the_previous_good_one(
    tmp_path: Path,
    kb: KnowledgeBase,
    corpus: Path,
    embedder: HashingEmbedding,
    caplog: pytest.LogCaptureFixture,
) -> None:
    previous = kb.reindex().snapshot_id
    _touch_doc(corpus, 1)
    current = kb.reindex().snapshot_id
    victim = kb.store.snapshots / str(current) / "embeddings.npy"
    victim.write_bytes(victim.read_bytes()[:100])
    reader = KnowledgeBase(tmp_path / "home", kb.settings, lambda: embedder)
    hits = reader.search("teletrabajo voluntario", k=1)
    assert hits[0].chunk.doc_path == "es/teletrabajo.md"
    assert reader.index().snapshot.manifest.snapshot_id == previous
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert str(current) in line and str(previous) in line and "checksum" in line
    reader.search("vacaciones", k=1)  # the fallback is kept, not loaded (and logged) again per search
    assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1


def test_with_no_usable_snapshot_the_error_names_the_problem(kb: KnowledgeBase) -> None:
    current = kb.reindex().snapshot_id
    (kb.store.snapshots / str(current) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="manifest cannot be read"):
        kb.search("vacaciones")


# --- huge documents and bounded embedding ------------------------------------------------------------------


class _CountingEmbedding(HashingEmbedding):
    largest_batch: int = 0

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.largest_batch = max(self.largest_batch, len(texts))
        return super()._get_text_embeddings(texts)


def test_a_huge_document_is_skipped_and_embedding_runs_in_bounded_batches(
    tmp_path: Path, corpus: Path
) -> None:
    (corpus / "en" / "dump.txt").write_bytes(b"lorem ipsum dolor " * 70_000)  # 1.26 MB
    embedder = _CountingEmbedding()
    settings = KnowledgeSettings(source=corpus, max_document_mb=1.0, embed_batch_size=8)
    report = KnowledgeBase(tmp_path / "home", settings, lambda: embedder).reindex()
    assert "en/dump.txt" not in report.added and "larger than 1 MiB" in report.failed["en/dump.txt"]
    assert report.embedded_chunks > 8 and embedder.largest_batch == 8


def test_reindex_reports_a_broken_access_rule_and_hides_its_folder(tmp_path: Path, corpus: Path) -> None:
    (corpus / "hr" / ".access.yaml").write_text("audiences: [hr]\n")
    settings = KnowledgeSettings(source=corpus, access_groups=["hr", "managers"])
    kb = KnowledgeBase(tmp_path / "home", settings, HashingEmbedding)
    report = kb.reindex()
    assert (
        "hr/.access.yaml" in report.failed and "unknown key `audiences`" in report.failed["hr/.access.yaml"]
    )
    assert all(not c.doc_path.startswith("hr/") for c in kb.index().snapshot.chunks)
    assert not [h for h in kb.search(CANARY, k=20, groups=frozenset({"hr"})) if CANARY in h.chunk.text]
