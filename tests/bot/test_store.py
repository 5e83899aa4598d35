"""The schema is kept by alembic, on SQLite (the default) and on the real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from bot import Bot, IncomingMessage, Outcome
from bot.store import Database, DatabaseUnavailable
from knowledge import KnowledgeBase
from knowledge.testing import HashingEmbedding

from .conftest import make_settings

TABLES = {
    "conversation",
    "turn",
    "processedevent",
    "case",
    "casemessage",
    "auditentry",
    "feedback",
    "pendingconfirmation",
    "ticket",
    "ticketcomment",
    "timeoffrequest",
    "outbox",
    "digestrun",
    "lease",
    "indexsnapshot",
    "ratehit",
    "alembic_version",
}


def test_sqlite_schema_is_created_and_migrating_again_is_a_no_op(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'data' / 'bot.db'}")
    db.migrate()
    db.migrate()
    assert TABLES <= set(inspect(db.engine).get_table_names())
    db.dispose()


def test_the_migrations_build_exactly_the_tables_the_models_describe(tmp_path: Path) -> None:
    """A column added to a model without a migration (or the reverse) is a schema no worker agrees on."""
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    db.migrate()
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    db.dispose()
    assert differences == []


def test_an_unreachable_database_is_reported_not_crashed_on(tmp_path: Path) -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable, match="cannot prepare the database"):
        db.migrate()
    assert "nobody" in db.safe_url


@pytest.mark.postgres
async def test_the_bot_runs_on_postgresql_and_two_workers_reply_to_an_event_once(
    postgres_url: str, tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    settings = make_settings(tmp_path / "home", corpus, database_url=postgres_url)
    kb = KnowledgeBase(settings.home, settings.knowledge, lambda: embedder)
    kb.reindex()
    first, second = Bot.from_settings(settings, knowledge=kb), Bot.from_settings(settings, knowledge=kb)
    assert TABLES <= set(inspect(first.db.engine).get_table_names())
    event = IncomingMessage(
        platform="slack", user_id="U1", text="How many vacation days do I get?", event_id="Ev42"
    )
    replies = [await first.ahandle(event), await second.ahandle(event)]
    assert [r is not None for r in replies] == [True, False]
    proposal = await second.ahandle(
        IncomingMessage(platform="slack", user_id="U1", text="Open an IT ticket: no VPN")
    )
    assert proposal is not None and proposal.outcome == Outcome.ACTION_PROPOSED
    done = await first.aconfirm("slack", "U1", proposal.actions[0].confirmation_id, True)
    assert done.outcome == Outcome.ACTION_DONE and "#1" in done.text
    await first.aclose()
    await second.aclose()
