"""The schema is kept by alembic, on SQLite (the default) and on the real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

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
    "alembic_version",
}
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_sqlite_schema_is_created_and_migrating_again_is_a_no_op(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'data' / 'bot.db'}")
    db.migrate()
    db.migrate()
    assert TABLES <= set(inspect(db.engine).get_table_names())
    db.dispose()


def test_an_unreachable_database_is_reported_not_crashed_on(tmp_path: Path) -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable, match="cannot prepare the database"):
        db.migrate()
    assert "nobody" in db.safe_url


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
