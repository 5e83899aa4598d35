"""JSON log lines a log store can read: one per turn with the platform event's correlation id, the same id
on the Turn row, the audit trail and the reply, on every line the turn emits, and never what was said."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot import Bot, IncomingMessage, Outcome
from bot.fleet._logging import configure_logging, correlated
from bot.store import AuditEntry, Turn
from knowledge.testing import HashingEmbedding
from tests.conftest import json_log

from .conftest import bot_over, make_settings

CANARY = "ornitorrinco-4471"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG and above, as the JSON handler of `serve` writes it."""
    with json_log(logging.DEBUG) as sink:
        yield sink


def _parsed(sink: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def _turn_lines(sink: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in _parsed(sink) if r["logger"] == "bot.turns"]


async def test_a_turn_logs_one_json_line_with_the_events_id_as_its_turn_row_and_audit_entries_do(
    bot: Bot, json_lines: io.StringIO
) -> None:
    message = IncomingMessage(
        platform="slack",
        user_id="U1",
        text=f"Open a ticket for IT: my laptop {CANARY} is broken",
        event_id="Ev0123ABC",
    )
    reply = await bot.ahandle(message)
    assert reply is not None and reply.outcome == Outcome.ACTION_PROPOSED
    assert reply.correlation_id == "Ev0123ABC"

    (line,) = _turn_lines(json_lines)
    assert line["correlation_id"] == "Ev0123ABC" and line["level"] == "INFO"
    assert line["platform"] == "slack" and line["outcome"] == "action_proposed"
    assert line["tool"] == "open_ticket" and line["turn_id"] == reply.turn_id
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] > 0
    assert line["time"].endswith("+00:00")
    with bot.db.session() as s:
        turn = s.get(Turn, reply.turn_id)
        audited = s.exec(select(AuditEntry).where(AuditEntry.actor == "slack:U1")).all()
    assert turn is not None and turn.correlation_id == "Ev0123ABC"
    assert {e.event for e in audited} == {"offered", "proposed"}
    assert {e.correlation_id for e in audited} == {"Ev0123ABC"}
    assert {r["correlation_id"] for r in _parsed(json_lines)} == {"Ev0123ABC"}
    assert CANARY not in json_lines.getvalue() and "laptop" not in json_lines.getvalue()


async def test_a_tools_failure_logged_inside_the_turn_carries_the_turns_id(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, json_lines: io.StringIO
) -> None:
    settings = make_settings(tmp_path / "home", corpus, plugins=["tests.bot.plugins_for_tests"])
    bot = bot_over(settings, embedder)
    try:
        reply = await bot.ahandle(
            IncomingMessage(
                platform="teams",
                user_id="ana",
                text=f"Run the broken diagnostics tool {CANARY}",
                event_id="f:1",
            )
        )
    finally:
        await bot.aclose()
    assert reply is not None and reply.outcome == Outcome.ACTION_FAILED
    records = _parsed(json_lines)
    (failure,) = [r for r in records if r["level"] == "ERROR"]
    assert "broken_diagnostics" in failure["message"] and "exploded" in failure["exc_info"]
    (turn,) = _turn_lines(json_lines)
    assert failure["correlation_id"] == turn["correlation_id"] == "f:1"
    assert turn["outcome"] == "action_failed" and turn["tool"] == "broken_diagnostics"
    assert CANARY not in json_lines.getvalue()


async def test_without_a_platform_event_each_turn_gets_a_fresh_id(bot: Bot, json_lines: io.StringIO) -> None:
    first = await bot.ahandle(IncomingMessage(platform="console", user_id="ana", text="hola"))
    second = await bot.ahandle(IncomingMessage(platform="console", user_id="ana", text="😀"))
    assert first is not None and second is not None
    assert len(first.correlation_id) == 32 and first.correlation_id != second.correlation_id
    ids = [line["correlation_id"] for line in _turn_lines(json_lines)]
    assert ids == [first.correlation_id, second.correlation_id]
    with bot.db.session() as s:
        stored = [t.correlation_id for t in s.exec(select(Turn).order_by(col(Turn.id))).all()]
    assert stored == ids


async def test_turns_running_side_by_side_keep_their_own_ids(bot: Bot, json_lines: io.StringIO) -> None:
    replies = await asyncio.gather(
        *(
            bot.ahandle(
                IncomingMessage(
                    platform="teams",
                    user_id=f"u{n}",
                    text="How many vacation days do I get?",
                    event_id=f"act-{n}",
                )
            )
            for n in range(3)
        )
    )
    by_turn = {line["turn_id"]: line["correlation_id"] for line in _turn_lines(json_lines)}
    with bot.db.session() as s:
        for n, reply in enumerate(replies):
            assert reply is not None and by_turn[reply.turn_id] == f"act-{n}"
            offered = s.exec(select(AuditEntry).where(AuditEntry.actor == f"teams:u{n}")).one()
            assert offered.correlation_id == f"act-{n}"


async def test_the_human_button_audits_the_case_under_the_turns_id(bot: Bot) -> None:
    message = IncomingMessage(
        platform="slack", user_id="U2", text="How many vacation days do I get?", event_id="EvHUMAN"
    )
    reply = await bot.ahandle(message)
    assert reply is not None and reply.turn_id is not None
    await bot.arequest_human("slack", "U2", reply.turn_id)
    with bot.db.session() as s:
        opened = s.exec(select(AuditEntry).where(AuditEntry.event == "opened")).one()
    assert opened.correlation_id == "EvHUMAN"


def test_serve_writes_json_and_the_console_readable_text() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        sink = io.StringIO()
        configure_logging("json", stream=sink)
        with correlated("Ev9"):
            logging.getLogger("adapters.slack").info("posted %s", "a reply")
        logging.getLogger("adapters.server").warning("outside any turn")
        inside, outside = _parsed(sink)
        assert inside["message"] == "posted a reply" and inside["correlation_id"] == "Ev9"
        assert outside["level"] == "WARNING" and outside["correlation_id"] == ""

        text = io.StringIO()
        configure_logging("text", stream=text)
        with correlated("Ev9"):
            logging.getLogger("bot").info("one")
        logging.getLogger("bot").info("two")
        one, two = text.getvalue().splitlines()
        assert one.endswith("INFO bot [Ev9]: one") and two.endswith("INFO bot: two")
        assert len(root.handlers) == 1  # configured again, not stacked
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
