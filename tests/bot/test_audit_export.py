"""`backoffice audit export` for compliance, and an audit trail that PostgreSQL itself keeps append-only."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner, Result

from bot import audit
from bot.audit import AuditEvent, ExportFormat
from bot.cli import app
from bot.store import AuditEntry, Database

runner = CliRunner()
TRICKY = {"summary": 'Laptop, "broken" screen\nsecond line', "días": 3}


def _seed(db: Database) -> None:
    with db.session() as s:
        # Recorded at known instants: one before the export's start, three after.
        s.add(
            AuditEntry(at=datetime(2026, 10, 31, 22, 59, tzinfo=UTC), actor="slack:U1", tool="t", event="x")
        )
        s.add(
            AuditEntry(
                at=datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
                actor="slack:U1",
                tool="open_ticket",
                event=str(AuditEvent.PROPOSED),
                arguments=TRICKY,
                turn_id=7,
                correlation_id="c-1",
            )
        )
    audit.record(
        db, "teams:29:abc", "open_ticket", AuditEvent.SUCCEEDED, TRICKY, result="Ticket #4", turn_id=7
    )
    audit.record(db, "slack:U2", "case", AuditEvent.OPENED, {"case_id": 1})


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'home' / 'backoffice.db'}")
    database.migrate()
    _seed(database)
    return database


def test_jsonl_holds_every_entry_since_the_instant_oldest_first(db: Database) -> None:
    out = io.StringIO()
    count = audit.export(db, datetime(2026, 10, 31, 23, 0, tzinfo=UTC), out, ExportFormat.JSONL)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(rows) == 3
    assert [r["event"] for r in rows] == ["proposed", "succeeded", "opened"]
    first = rows[0]
    assert first == {
        "id": 2,
        "at": "2026-10-31T23:00:00+00:00",
        "actor": "slack:U1",
        "tool": "open_ticket",
        "event": "proposed",
        "arguments": TRICKY,
        "result": "",
        "turn_id": 7,
        "correlation_id": "c-1",
    }
    assert rows[1]["actor"] == "teams:29:abc" and rows[1]["result"] == "Ticket #4"


def test_csv_round_trips_commas_quotes_newlines_and_accents(db: Database) -> None:
    out = io.StringIO()
    count = audit.export(db, datetime(2026, 1, 1, tzinfo=UTC), out, ExportFormat.CSV)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == len(rows) == 4
    assert list(rows[0]) == [
        "id",
        "at",
        "actor",
        "tool",
        "event",
        "arguments",
        "result",
        "turn_id",
        "correlation_id",
    ]
    assert json.loads(rows[1]["arguments"]) == TRICKY and rows[1]["turn_id"] == "7"
    assert rows[0]["turn_id"] == "" and rows[3]["tool"] == "case"


def test_a_long_trail_is_read_in_batches_without_losing_or_repeating_a_row(db: Database) -> None:
    for n in range(7):
        audit.record(db, f"slack:U{n}", "t", AuditEvent.OFFERED)
    out = io.StringIO()
    count = audit.export(db, datetime(2026, 1, 1, tzinfo=UTC), out, ExportFormat.JSONL, batch=2)
    ids = [json.loads(line)["id"] for line in out.getvalue().splitlines()]
    assert count == 11 and ids == list(range(1, 12))


def _cli(home: Path, *args: str) -> Result:
    env = {"BACKOFFICE_HOME": str(home), "BACKOFFICE_AGENT__TIMEZONE": "Europe/Madrid"}
    return runner.invoke(app, ["audit", "export", *args], env=env)


def test_the_command_reads_a_bare_date_as_midnight_on_the_company_clock(tmp_path: Path, db: Database) -> None:
    target = tmp_path / "audit.jsonl"
    # Midnight of 1 November in Madrid is 23:00 UTC on 31 October: the first seeded entry is before it.
    result = _cli(tmp_path / "home", "--since", "2026-11-01", "--output", str(target))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [2, 3, 4]
    assert "3 audit entries since 2026-11-01T00:00:00+01:00 written to" in result.stderr
    assert not list(tmp_path.glob("*.partial"))


def test_the_command_writes_csv_to_stdout_from_an_instant_with_an_offset(
    tmp_path: Path, db: Database
) -> None:
    result = _cli(tmp_path / "home", "--since", "2026-11-01T00:00+00:00", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["event"] for r in rows] == ["succeeded", "opened"]  # recorded now, after that instant


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "last tuesday"], "'last tuesday' is not a date: use YYYY-MM-DD"),
        (["--since", "2026-13-01"], "'2026-13-01' is not a date"),
        (["--since", "2026-11-01", "--format", "xml"], "'xml' is not one of 'jsonl', 'csv'"),
        (["--format", "csv"], "Missing option '--since'"),
    ],
)
def test_a_bad_date_or_format_is_a_clear_usage_error(tmp_path: Path, args: list[str], expected: str) -> None:
    result = _cli(tmp_path / "home", *args)
    assert result.exit_code == 2
    assert expected in " ".join(result.stderr.replace("│", " ").split())
    assert not (tmp_path / "home").exists()  # refused before the database was touched


def test_an_unwritable_output_is_a_clear_error_and_leaves_no_file(tmp_path: Path, db: Database) -> None:
    target = tmp_path / "missing-folder" / "audit.csv"
    result = _cli(tmp_path / "home", "--since", "2026-11-01", "--output", str(target))
    assert result.exit_code == 1
    assert f"Cannot write the audit export to {target}: No such file or directory" in " ".join(
        result.stderr.split()
    )
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_postgresql_refuses_to_update_delete_or_truncate_audit_entries(postgres_url: str) -> None:
    db = Database(postgres_url)
    db.migrate()
    try:
        _seed(db)  # inserts work, through the application and through SQL
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO auditentry (at, actor, tool, event, arguments, result, correlation_id) "
                    "VALUES (now(), 'sql:dba', 'manual', 'note', '{}', '', '')"
                )
            )
        for statement in (
            "UPDATE auditentry SET result = 'rewritten' WHERE actor = 'slack:U2'",
            "DELETE FROM auditentry WHERE actor = 'slack:U1'",
            "TRUNCATE auditentry",
        ):
            with (
                pytest.raises(ProgrammingError, match="the audit trail is append-only"),
                db.engine.begin() as c,
            ):
                c.execute(text(statement))
        with db.engine.connect() as c:
            kept = c.execute(text("SELECT actor, result FROM auditentry ORDER BY id")).all()
        assert [tuple(r) for r in kept] == [
            ("slack:U1", ""),
            ("slack:U1", ""),
            ("teams:29:abc", "Ticket #4"),
            ("slack:U2", ""),
            ("sql:dba", ""),
        ]
        out = io.StringIO()
        count = audit.export(db, datetime(2026, 10, 31, 23, 0, tzinfo=UTC), out, ExportFormat.JSONL)
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
        assert count == 4 and rows[0]["arguments"] == TRICKY and rows[-1]["actor"] == "sql:dba"
    finally:
        db.dispose()
