from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_digest_for_a_week_writes_json_and_the_chart(tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    result = runner.invoke(
        app,
        ["digest", "--week", "2026-W47", "--format", "json", "--chart", str(chart)],
        env={"BACKOFFICE_HOME": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["week"] == "2026-W47" and data["empty"] is True and data["chart"] == str(chart)
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_a_malformed_week_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["digest", "--week", "47"], env={"BACKOFFICE_HOME": str(tmp_path)})
    assert result.exit_code == 2 and "ISO week" in result.stderr
