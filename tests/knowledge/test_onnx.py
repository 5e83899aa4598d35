"""The ONNX fast path: the same vectors as the torch model, exported once, never torch in the server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge import sample_corpus_path
from knowledge._embeddings import embed_texts, load_embedder, resolve_model_path
from knowledge._onnx import OnnxEmbedding, OnnxExportError, exported_model, model_cache_dir

QUESTIONS = [
    "¿cuántos días de vacaciones tengo?",
    "how do I report a lost laptop",
    "me caso el mes que viene, ¿me dan días?",
    "gym",
    "¿Puedo teletrabajar desde otro país durante un mes?",
]


def _sample_texts() -> list[str]:
    """Every paragraph of the bundled handbook, short and long, Spanish and English, plus questions."""
    paragraphs = [
        p.strip()
        for page in sorted(sample_corpus_path().rglob("*.md"))
        for p in page.read_text(encoding="utf-8").split("\n\n")
        if p.strip()
    ]
    return paragraphs + QUESTIONS


@pytest.mark.model
def test_the_fast_path_gives_the_torch_models_vectors_row_by_row() -> None:
    texts = _sample_texts()
    fast = load_embedder("bundled", 16, "onnx")
    slow = load_embedder("bundled", 16, "torch")
    assert isinstance(fast, OnnxEmbedding)
    ours = embed_texts(fast, texts, 16)
    theirs = embed_texts(slow, texts, 16)
    cosines = (ours * theirs).sum(axis=1)
    # Rows come back in the caller's order although they are encoded shortest first.
    assert cosines.mean() >= 0.99, cosines.mean()
    assert cosines.min() >= 0.95, (cosines.min(), texts[int(cosines.argmin())])
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # A question alone gets the vector it gets inside a batch.
    alone = np.asarray([fast.get_query_embedding(QUESTIONS[1])], dtype=np.float32)
    assert float((alone @ ours[len(texts) - 4]).item()) > 0.999


@pytest.mark.model
def test_progress_hears_every_text_once() -> None:
    texts = _sample_texts()
    heard: list[int] = []
    embedder = load_embedder("bundled", 8, "onnx")
    embed_texts(embedder, texts, 8, heard.append)
    assert sum(heard) == len(texts)
    assert max(heard) <= 8


@pytest.mark.model
def test_a_serving_process_never_loads_torch(tmp_path: Path) -> None:
    script = """
import sys
from pathlib import Path
from knowledge import KnowledgeBase, KnowledgeSettings
kb = KnowledgeBase(Path(sys.argv[1]), KnowledgeSettings())
kb.reindex()
hits = kb.search("vacaciones")
print(len(hits), "torch" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "home")], capture_output=True, text=True, check=True
    )
    found, torch_loaded = done.stdout.split()
    assert int(found) > 0
    assert torch_loaded == "False"


@pytest.mark.model
def test_the_export_is_made_once_and_reused(tmp_path: Path) -> None:
    model = Path(resolve_model_path("bundled"))
    cache = model_cache_dir(None)
    first = exported_model(model, cache)
    made = first.stat().st_mtime_ns
    assert exported_model(model, cache) == first
    assert first.stat().st_mtime_ns == made
    assert not list(cache.glob("*.partial"))


def _copy_model(tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(resolve_model_path("bundled"), copy)
    return copy


def test_a_model_that_does_not_pool_by_mean_is_refused_with_the_setting_to_change(tmp_path: Path) -> None:
    model = _copy_model(tmp_path)
    (model / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    with pytest.raises(OnnxExportError, match="embedding_runtime to torch"):
        exported_model(model, tmp_path / "cache")


def test_a_folder_without_a_tokenizer_is_refused(tmp_path: Path) -> None:
    model = _copy_model(tmp_path)
    (model / "tokenizer.json").unlink()
    with pytest.raises(OnnxExportError, match="tokenizer.json"):
        exported_model(model, tmp_path / "cache")


def test_broken_weights_fail_the_export_and_leave_nothing_half_written(tmp_path: Path) -> None:
    model = _copy_model(tmp_path)
    (model / "model.safetensors").write_bytes(b"not a tensor file")
    cache = tmp_path / "cache"
    with pytest.raises(OnnxExportError, match="cannot export"):
        exported_model(model, cache)
    assert [p.name for p in cache.iterdir()] == [".export.lock"]
