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
from knowledge._onnx import OnnxEmbedding, OnnxExportError, exported_model

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


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export for this file's tests, away from the user's own cache."""
    return tmp_path_factory.mktemp("models")


@pytest.mark.model
def test_the_fast_path_gives_the_torch_models_vectors_row_by_row(cache: Path) -> None:
    texts = _sample_texts()
    fast = load_embedder("bundled", 16, "onnx", cache)
    slow = load_embedder("bundled", 16, "torch")
    assert isinstance(fast, OnnxEmbedding)
    ours = embed_texts(fast, texts, 16)
    theirs = embed_texts(slow, texts, 16)
    cosines = (ours * theirs).sum(axis=1)
    # Row by row: the rows come back in the caller's order although the cores take them in turns.
    assert cosines.mean() >= 0.99, cosines.mean()
    assert cosines.min() >= 0.95, (cosines.min(), texts[int(cosines.argmin())])
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_progress_hears_every_text_once(cache: Path) -> None:
    texts = _sample_texts()
    heard: list[int] = []
    embedder = load_embedder("bundled", 8, "onnx", cache)
    embed_texts(embedder, texts, 8, heard.append)
    assert sum(heard) == len(texts)
    assert max(heard) <= 8


@pytest.mark.model
def test_a_serving_process_never_loads_torch(tmp_path: Path, cache: Path) -> None:
    exported_model(Path(resolve_model_path("bundled")), cache)  # here, the one step that loads torch
    script = """
import sys
from pathlib import Path
from knowledge import KnowledgeBase, KnowledgeSettings
kb = KnowledgeBase(Path(sys.argv[1]), KnowledgeSettings(model_cache=Path(sys.argv[2])))
kb.reindex()
hits = kb.search("vacaciones")
print(len(hits), "torch" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "home"), str(cache)],
        capture_output=True,
        text=True,
        check=True,
    )
    found, torch_loaded = done.stdout.split()
    assert int(found) > 0
    assert torch_loaded == "False"


@pytest.mark.model
def test_workers_starting_together_export_once_and_share_the_file(tmp_path: Path) -> None:
    """Two processes ask for the export into an empty cache at the same moment: one exports, the other
    waits on the lock and takes the same file; a stale file of an earlier export is cleared."""
    cache = tmp_path / "cache"
    model = resolve_model_path("bundled")
    cache.mkdir()
    stale = cache / f"{Path(model).parent.name}-{Path(model).name}-{'0' * 8}-{'0' * 16}.onnx"
    killed = cache / "left-by-a-killed-export.123.partial"
    unrelated = cache / "another-model-0123456789abcdef.onnx"
    for path in (killed, unrelated):
        path.write_bytes(b"x")
    script = """
import logging, sys
from pathlib import Path
from knowledge._onnx import exported_model
logging.basicConfig(level=logging.INFO, format="%(message)s")
print(exported_model(Path(sys.argv[1]), Path(sys.argv[2])))
"""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, model, str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1
    assert sum(err.count("exporting") for _, err in outputs) == 1
    target = Path(paths.pop())
    made = target.stat().st_mtime_ns
    assert exported_model(Path(model), cache) == target and target.stat().st_mtime_ns == made
    assert sorted(p.name for p in cache.iterdir()) == sorted([".export.lock", target.name, unrelated.name])
    assert not stale.exists() and not killed.exists()


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


def test_a_model_with_mean_and_max_pooling_is_refused(tmp_path: Path) -> None:
    model = _copy_model(tmp_path)
    config = model / "1_Pooling" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "pooling_mode_max_tokens": True}))
    with pytest.raises(OnnxExportError, match="mean alone"):
        exported_model(model, tmp_path / "cache")


def test_a_model_with_a_dense_layer_is_refused(tmp_path: Path) -> None:
    """A Dense layer after pooling would change every vector; the export reproduces none."""
    model = _copy_model(tmp_path)
    modules = json.loads((model / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (model / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(OnnxExportError, match="Dense"):
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
