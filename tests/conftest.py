from __future__ import annotations

import io
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from knowledge import KnowledgeBase, KnowledgeSettings, sample_corpus_path
from knowledge.testing import HashingEmbedding

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "eval-data"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from a clean environment: no BACKOFFICE_* leaks in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("BACKOFFICE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private, writable copy of the bundled sample handbook."""
    target = tmp_path / "corpus"
    shutil.copytree(sample_corpus_path(), target)
    return target


@pytest.fixture
def embedder() -> HashingEmbedding:
    return HashingEmbedding()


@pytest.fixture
def kb(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> Iterator[KnowledgeBase]:
    settings = KnowledgeSettings(source=corpus)
    yield KnowledgeBase(tmp_path / "home", settings, lambda: embedder)


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared evaluation data not found at {path} (needs ../shared beside the project)")
    return path


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A private schema on the real server, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc.orig})")
    yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def json_log(level: int) -> Iterator[io.StringIO]:
    """Everything logged at `level` and above, as the JSON handler of `serve` writes it."""
    from bot.fleet._logging import log_handler

    sink = io.StringIO()
    handler = log_handler("json", sink)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield sink
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
