"""`backoffice db current|upgrade`, and `serve` refusing a schema that is missing, older or newer than the
code's: a shared database changes only by the explicit upgrade, never because a worker started."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import app
from bot.store import Database
from bot.store._database import _alembic_config

runner = CliRunner()
NEWEST = "0004"


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """`serve` sets up logging on the stderr the runner lends it and closes afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def _revision(url: str) -> str | None:
    db = Database(url)
    try:
        return db.schema_state().current
    finally:
        db.dispose()


def _env(home: Path, database_url: str = "") -> dict[str, str]:
    env = {"BACKOFFICE_HOME": str(home)}
    if database_url:
        env["BACKOFFICE_DATABASE_URL"] = database_url
    return env


def _serve_env(home: Path, database_url: str = "") -> dict[str, str]:
    # Slack over HTTP, so that `serve` gets past its settings check to the database.
    return {
        **_env(home, database_url),
        "BACKOFFICE_SLACK__BOT_TOKEN": "xoxb-test",
        "BACKOFFICE_SLACK__SIGNING_SECRET": "s3cr3t",
        "BACKOFFICE_SERVER__PORT": "1",
    }


def _migrate_to(url: str, revision: str) -> None:
    db = Database(url)
    cfg = _alembic_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    db.dispose()


def _stamp(url: str, revision: str) -> None:
    db = Database(url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.dispose()


def _one_line(output: str) -> str:
    return " ".join(output.split())


def _check_upgrade_cycle(home: Path, url: str, shown_url: str) -> None:
    missing = runner.invoke(app, ["db", "current"], env=_env(home, url))
    assert missing.exit_code == 1
    assert _one_line(missing.stdout) == (
        f"The database at {shown_url} holds no schema yet: run `backoffice db upgrade` first."
    )
    upgraded = runner.invoke(app, ["db", "upgrade"], env=_env(home, url))
    assert upgraded.exit_code == 0, upgraded.output
    assert f"now holds schema revision {NEWEST} (it held none)" in _one_line(upgraded.stdout)
    current = runner.invoke(app, ["db", "current"], env=_env(home, url))
    assert current.exit_code == 0
    assert (
        _one_line(current.stdout)
        == f"The database at {shown_url} holds schema revision {NEWEST}, the newest."
    )
    again = runner.invoke(app, ["db", "upgrade"], env=_env(home, url))
    assert again.exit_code == 0 and f"revision {NEWEST}, the newest" in _one_line(again.stdout)


def test_db_current_and_upgrade_on_the_default_sqlite_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'backoffice.db'}"
    _check_upgrade_cycle(home, "", url)
    assert _revision(url) == NEWEST


@pytest.mark.postgres
def test_db_current_and_upgrade_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    shown = Database(postgres_url).safe_url
    _check_upgrade_cycle(tmp_path / "home", postgres_url, shown)
    db = Database(postgres_url)
    with db.engine.connect() as connection:
        tables = set(
            connection.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
            ).scalars()
        )
    db.dispose()
    assert {"auditentry", "outbox", "lease", "indexsnapshot", "ratehit"} <= tables


def test_db_upgrade_brings_an_older_schema_to_the_newest(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'backoffice.db'}"
    home.mkdir()
    _migrate_to(url, "0003")
    older = runner.invoke(app, ["db", "current"], env=_env(home))
    assert older.exit_code == 1
    assert "holds schema revision 0003; this version needs 0004: run `backoffice db upgrade`" in _one_line(
        older.stdout
    )
    upgraded = runner.invoke(app, ["db", "upgrade"], env=_env(home))
    assert upgraded.exit_code == 0
    assert "now holds schema revision 0004 (it held 0003)" in _one_line(upgraded.stdout)


@pytest.mark.parametrize("revision", [None, "0003"], ids=["no schema", "older schema"])
def test_serve_refuses_a_missing_or_older_schema_naming_the_command(
    tmp_path: Path, revision: str | None
) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'backoffice.db'}"
    home.mkdir()
    if revision:
        _migrate_to(url, revision)
    result = runner.invoke(app, ["serve"], env=_serve_env(home))
    assert result.exit_code == 1
    assert "run `backoffice db upgrade` first" in _one_line(result.stderr)
    assert "Traceback" not in result.output
    # Refusing changed nothing: the schema is where it was.
    assert _revision(url) == revision


@pytest.mark.postgres
def test_serve_refuses_an_older_schema_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    _migrate_to(postgres_url, "0003")
    result = runner.invoke(app, ["serve"], env=_serve_env(tmp_path / "home", postgres_url))
    assert result.exit_code == 1
    assert "holds schema revision 0003; this version needs 0004" in _one_line(result.stderr)
    assert _revision(postgres_url) == "0003"


def test_a_schema_newer_than_the_code_is_refused_and_never_downgraded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'backoffice.db'}"
    home.mkdir()
    _migrate_to(url, "head")
    _stamp(url, "0099")
    current = runner.invoke(app, ["db", "current"], env=_env(home))
    assert current.exit_code == 1
    assert "holds schema revision 0099, which this version does not know" in _one_line(current.stdout)
    upgrade = runner.invoke(app, ["db", "upgrade"], env=_env(home))
    assert upgrade.exit_code == 1 and "a newer Backoffice Bot upgraded it" in _one_line(upgrade.stderr)
    serve = runner.invoke(app, ["serve"], env=_serve_env(home))
    assert serve.exit_code == 1 and "which this version does not know" in _one_line(serve.stderr)
    assert _revision(url) == "0099"


def test_console_commands_migrate_the_default_home_but_not_a_configured_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    since = ["audit", "export", "--since", "2026-01-01"]
    # The embedded default just works, as the demo needs.
    default = runner.invoke(app, since, env=_env(home))
    assert default.exit_code == 0, default.output
    assert _revision(f"sqlite:///{home / 'backoffice.db'}") == NEWEST
    # A configured database is the operator's: it changes by `db upgrade` alone.
    configured = f"sqlite:///{tmp_path / 'shared.db'}"
    refused = runner.invoke(app, since, env=_env(home, configured))
    assert refused.exit_code == 1
    assert "holds no schema yet: run `backoffice db upgrade` first" in _one_line(refused.stderr)
    assert _revision(configured) is None


@pytest.mark.postgres
def test_upgrades_started_together_on_postgresql_all_succeed(tmp_path: Path, postgres_url: str) -> None:
    # Several pods may each run `db upgrade` as they start: one migrates, the others find it done.
    env = {**os.environ, **_env(tmp_path / "home", postgres_url)}
    command = [sys.executable, "-m", "bot", "db", "upgrade"]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    said = sorted(" ".join(output.split()) for output in outputs)
    assert sum("(it held none)" in line for line in said) == 1, said
    assert _revision(postgres_url) == NEWEST
