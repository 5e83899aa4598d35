"""The command line when its input or its database misbehaves: a clear reply and an honest exit code.

The index is built beforehand with the fast deterministic embedder, so none of these loads the real model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.store import Database
from knowledge import KnowledgeBase, KnowledgeSettings
from knowledge.testing import HashingEmbedding

runner = CliRunner()


def _indexed_home(tmp_path: Path, corpus: Path) -> Path:
    home = tmp_path / "home"
    KnowledgeBase(home, KnowledgeSettings(source=corpus), HashingEmbedding).reindex()
    return home


def test_ask_exits_non_zero_when_the_database_refuses_writes(tmp_path: Path, corpus: Path) -> None:
    from bot.cli import app

    home = _indexed_home(tmp_path, corpus)
    path = home / "backoffice.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    env = {"BACKOFFICE_HOME": str(home), "BACKOFFICE_DATABASE_URL": read_only}
    result = runner.invoke(app, ["ask", "How many PTO days do I get?", "--json"], env=env)
    assert result.exit_code == 1, result.output
    reply = json.loads(result.stdout)
    assert reply["outcome"] == "error" and "can't reach my records" in reply["text"]
    assert reply["turn_id"] is None and not reply["actions"] and not reply["citations"]


def test_chat_answers_every_line_of_a_pipe_holding_invalid_utf8(tmp_path: Path, corpus: Path) -> None:
    home = _indexed_home(tmp_path, corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    env.update(BACKOFFICE_HOME=str(home), PYTHONIOENCODING="utf-8", HF_HUB_OFFLINE="1")
    lines = b"\xff\xfe\x80\n\xf0\x9f\x98\x80\n;;; --\n"
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli import app; app()", "chat"],
        input=lines,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    stdout, stderr = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert "Traceback" not in stderr + stdout
    assert stdout.count("Could you say it in words?") == 3


@pytest.mark.model
def test_ask_with_undecodable_bytes_in_argv_answers_without_a_traceback(tmp_path: Path) -> None:
    from bot.cli import app

    # What the shell hands Python for `ask $'vacaciones \xff\xfe cuántos días'`: surrogate escapes.
    question = b"vacaciones \xff\xfe cu\xc3\xa1ntos d\xc3\xadas".decode("utf-8", "surrogateescape")
    result = runner.invoke(app, ["ask", question, "--json"], env={"BACKOFFICE_HOME": str(tmp_path / "h")})
    assert result.exit_code == 0, result.output
    reply = json.loads(result.stdout)
    # answered from the norms, or read as a look at the vacation balance: either way, answered once
    assert reply["outcome"] in ("answered", "suggested", "escalated", "action_done")
    assert reply["turn_id"] is not None
    assert "Traceback" not in result.output
