"""The audit trail's export."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bot import messages
from bot.audit import ExportFormat
from bot.cli._common import (
    ConfigOption,
    database_problems_end_the_command,
    err,
    open_database,
    read_settings,
)

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: every tool call, case and vote.")


def _since(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(messages.AUDIT_BAD_SINCE.format(value=value)) from exc


@audit_app.command("export")
def audit_export(
    since: Annotated[
        datetime,
        typer.Option(
            "--since",
            parser=_since,
            metavar="DATE",
            help="From this day (midnight in agent.timezone) or instant: YYYY-MM-DD[THH:MM[+HH:MM]]",
        ),
    ],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv")] = ExportFormat.JSONL,
    output: Annotated[Path | None, typer.Option("--output", help="Write here (default: stdout)")] = None,
    config: ConfigOption = None,
) -> None:
    """Every audit entry since DATE, oldest first, as JSON lines or CSV for compliance."""
    from zoneinfo import ZoneInfo

    from bot.audit import export

    settings = read_settings(config)
    start = since if since.tzinfo else since.replace(tzinfo=ZoneInfo(settings.agent.timezone))
    db = open_database(settings)
    try:
        with database_problems_end_the_command():
            if output is None:
                count = export(db, start, sys.stdout, fmt)
            else:
                # Written aside and renamed: a failed export never leaves a file that looks complete.
                partial = output.with_name(output.name + ".partial")
                try:
                    with partial.open("w", encoding="utf-8", newline="") as target:
                        count = export(db, start, target, fmt)
                    partial.replace(output)
                finally:
                    partial.unlink(missing_ok=True)
    except OSError as exc:
        err.print(
            messages.AUDIT_WRITE_ERROR.format(path=output, error=exc.strerror or exc),
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    where = str(output) if output else "stdout"
    err.print(
        messages.AUDIT_EXPORTED.format(count=count, since=start.isoformat(), target=where),
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
