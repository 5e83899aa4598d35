"""The database schema: which revision it holds, upgrades."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot import messages
from bot.cli._common import (
    ConfigOption,
    database_problems_end_the_command,
    describe_schema,
    err,
    out,
    read_settings,
)

if TYPE_CHECKING:
    from bot.store import Database, SchemaState


db_app = typer.Typer(no_args_is_help=True, help="The database schema: which revision it holds, upgrades.")


def _schema_state(config: Path | None) -> tuple[Database, SchemaState]:
    from bot.store import Database

    db = Database(read_settings(config).effective_database_url)
    with database_problems_end_the_command():
        return db, db.schema_state()


@db_app.command("current")
def db_current(config: ConfigOption = None) -> None:
    """Which schema revision the database holds and whether it is the newest (exit 1 when it is not)."""
    db, state = _schema_state(config)
    db.dispose()
    out.print(describe_schema(state, db.safe_url), highlight=False, soft_wrap=True)
    if not state.is_newest:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Bring the schema to the newest revision; run it once before starting (or after updating) workers."""
    from dataclasses import replace

    db, before = _schema_state(config)
    if not before.known:
        db.dispose()
        err.print(describe_schema(before, db.safe_url), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    try:
        with database_problems_end_the_command():
            held = db.migrate()  # what it held once this upgrade's turn came: another may have done it
    finally:
        db.dispose()
    if held == before.newest:
        out.print(
            describe_schema(replace(before, current=held), db.safe_url), highlight=False, soft_wrap=True
        )
    else:
        out.print(
            messages.SCHEMA_UPGRADED.format(url=db.safe_url, newest=before.newest, before=held or "none"),
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
