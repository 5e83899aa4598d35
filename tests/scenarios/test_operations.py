"""Operations through the real adapters: the platform's event id becomes the turn's correlation id (log
line, Turn row, audit), the metrics count the turn under its platform, and a user over the rate limit
gets a polite reply in the chat rather than silence."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot import messages
from bot.fleet.ratelimit import DatabaseRateLimit
from bot.store import AuditEntry, Turn
from knowledge.testing import HashingEmbedding
from tests.conftest import json_log
from tests.fakes.bot_connector import said
from tests.scenarios.conftest import SlackEnv, payload
from tests.scenarios.test_teams import _env


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    with json_log(logging.INFO) as sink:
        yield sink


def _turn_lines(sink: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "bot.turns"]


def _dm(text: str, event_id: str, ts: str) -> dict[str, Any]:
    body = payload("events", "message_im.bolt-python.json")
    body["event"].update(text=text, user="W222", ts=ts)
    body["event_id"] = event_id
    return body


async def test_a_slack_events_id_follows_the_turn_to_the_log_the_turn_row_and_the_audit(
    slack: SlackEnv, log_lines: io.StringIO
) -> None:
    body = _dm("How many vacation days do I get?", "EvOPS1", "1726133700.000100")
    assert (await slack.event(body)).status == 200
    (posted,) = await slack.fake.wait_for("chat.postMessage", timeout=20)
    assert "Here is what the norms say" in posted["text"]

    (line,) = _turn_lines(log_lines)
    assert line["correlation_id"] == "EvOPS1" and line["platform"] == "slack"
    with slack.bot.db.session() as s:
        (turn,) = s.exec(select(Turn)).all()
        audited = s.exec(select(AuditEntry).where(AuditEntry.actor == "slack:W222")).all()
    assert turn.correlation_id == "EvOPS1" and line["turn_id"] == turn.id
    assert audited and {e.correlation_id for e in audited} == {"EvOPS1"}
    assert "vacation" not in log_lines.getvalue()
    metrics = slack.bot.metrics.exposition().decode()
    assert 'backoffice_requests_total{outcome="answered",platform="slack"} 1.0' in metrics


async def test_over_the_limit_slack_says_so_in_the_chat(slack: SlackEnv) -> None:
    slack.bot.rate_limit = DatabaseRateLimit(slack.bot.db, 1)  # a worker configured with one a minute
    assert (
        await slack.event(_dm("How many vacation days do I get?", "EvR1", "1726133700.000201"))
    ).status == 200
    await slack.fake.wait_for("chat.postMessage", timeout=20)
    assert (await slack.event(_dm("¿Y cuántos días de permiso?", "EvR2", "1726133700.000202"))).status == 200
    _, second = await slack.fake.wait_for("chat.postMessage", 2, timeout=20)
    assert second["text"].startswith(messages.say("rate_limited", "es", limit=1)[:40])
    assert "blocks" not in second or "feedback" not in json.dumps(second["blocks"])


async def test_a_teams_activitys_id_is_the_turns_correlation_id(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, log_lines: io.StringIO
) -> None:
    async for teams in _env(tmp_path, corpus, embedder):
        response = await teams.post(teams.personal("How many vacation days do I get?", "1730000000001"))
        assert response.status in (200, 202)
        (reply,) = await teams.fake.wait_for()
        assert "Here is what the norms say" in said(reply)
        (line,) = _turn_lines(log_lines)
        with teams.bot.db.session() as s:
            (turn,) = s.exec(select(Turn)).all()
        assert line["correlation_id"] == turn.correlation_id == "1730000000001"
        assert line["platform"] == "teams"
