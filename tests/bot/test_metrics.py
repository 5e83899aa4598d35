"""What `/metrics` shows after real turns: the right counts, the outbox and index read at scrape time, and
never a user's words, id or a restricted document's text in a label."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from adapters.server import Server
from bot import Bot, IncomingMessage, Outcome
from bot.fleet.outbox import enqueue
from bot.store import IndexSnapshot, Outbox
from bot.types import utcnow

CANARY_USER = "U-canary-5521"
CANARY_TEXT = "zebracanary"


def _samples(bot: Bot) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = bot.metrics.exposition().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(bot: Bot, name: str, **labels: str) -> float:
    return _samples(bot).get((name, frozenset(labels.items())), 0.0)


async def _say(bot: Bot, text: str, user: str = CANARY_USER, **fields: Any) -> Outcome:
    reply = await bot.ahandle(IncomingMessage(platform="slack", user_id=user, text=text, **fields))
    assert reply is not None
    return reply.outcome


async def test_turns_are_counted_by_platform_and_outcome_and_nothing_said_reaches_a_label(bot: Bot) -> None:
    outcomes = Counter(
        [
            await _say(bot, f"How many vacation days do I get? {CANARY_TEXT}"),
            await _say(bot, "¿Cuántos días de vacaciones tengo al año?", thread_id="t2"),
            await _say(bot, f"Open a ticket for IT: my laptop {CANARY_TEXT} is broken", thread_id="t3"),
            await _say(bot, "¿La empresa me paga el gimnasio?", thread_id="t4"),
            # asked by someone outside HR: the confidential bands' text must not show up either
            await _say(bot, "¿Cuáles son las bandas salariales confidenciales?", thread_id="t5"),
        ]
    )
    assert outcomes[Outcome.ANSWERED] + outcomes[Outcome.SUGGESTED] == 2
    assert outcomes[Outcome.ACTION_PROPOSED] == 1
    assert outcomes[Outcome.ESCALATED] >= 1

    counted = {
        dict(labels)["outcome"]: value
        for (name, labels), value in _samples(bot).items()
        if name == "backoffice_requests_total"
    }
    assert counted == {str(outcome): float(n) for outcome, n in outcomes.items()}
    assert _value(bot, "backoffice_answer_latency_seconds_count", platform="slack") == 5
    assert _value(bot, "backoffice_escalations_total", platform="slack") == outcomes[Outcome.ESCALATED]
    assert _value(bot, "backoffice_tool_calls_total", tool="open_ticket", status="proposed") == 1
    text = bot.metrics.exposition().decode()
    for secret in (CANARY_USER, CANARY_TEXT, "laptop", "CONFIDENCIAL-BANDAS-7731", "gimnasio"):
        assert secret not in text


async def test_a_confirmed_action_a_retry_and_the_human_button_are_counted(bot: Bot) -> None:
    message = IncomingMessage(
        platform="teams", user_id="ana", text="Open a facilities ticket: the sink leaks", event_id="act-1"
    )
    proposal = await bot.ahandle(message)
    assert proposal is not None and await bot.ahandle(message) is None  # the platform's retry
    done = await bot.aconfirm("teams", "ana", proposal.actions[0].confirmation_id, True)
    assert done.outcome == Outcome.ACTION_DONE
    answered = await bot.ahandle(
        IncomingMessage(platform="teams", user_id="ana", text="How many vacation days do I get?")
    )
    assert answered is not None and answered.turn_id is not None
    await bot.arequest_human("teams", "ana", answered.turn_id)
    await bot.arequest_human("teams", "ana", answered.turn_id)  # pressed twice: one case

    assert _value(bot, "backoffice_requests_total", platform="teams", outcome="duplicate") == 1
    assert _value(bot, "backoffice_tool_calls_total", tool="open_ticket", status="succeeded") == 1
    assert _value(bot, "backoffice_escalations_total", platform="teams") == 1


async def test_outbox_and_index_gauges_are_read_when_scraped(bot: Bot) -> None:
    assert _value(bot, "backoffice_outbox_depth") == 0
    assert _value(bot, "backoffice_outbox_oldest_age_seconds") == 0
    chunks = _value(bot, "backoffice_index_chunks")
    assert chunks > 10  # the sample handbook, from the local snapshot while no worker recorded one

    first = enqueue(bot.db, "case", {"platform": "slack"})
    enqueue(bot.db, "case", {"platform": "teams"})
    with bot.db.session() as s:
        item = s.get(Outbox, first)
        assert item is not None
        item.created_at = utcnow() - timedelta(minutes=10)
        s.add(IndexSnapshot(snapshot_id="snap-x", recorded_at=utcnow() - timedelta(hours=2), chunks=1234))
    assert _value(bot, "backoffice_outbox_depth") == 2
    assert 600 <= _value(bot, "backoffice_outbox_oldest_age_seconds") < 700
    with bot.db.session() as s:
        sent = s.get(Outbox, first)
        assert sent is not None
        sent.delivered_at = utcnow()
    assert _value(bot, "backoffice_outbox_depth") == 1
    assert _value(bot, "backoffice_outbox_oldest_age_seconds") < 60
    assert _value(bot, "backoffice_index_chunks") == 1234
    assert 7200 <= _value(bot, "backoffice_index_snapshot_age_seconds") < 7300


async def test_the_server_exposes_metrics_for_prometheus(bot: Bot) -> None:
    await _say(bot, "How many vacation days do I get?")
    server = Server(bot, bot.settings)
    async with TestClient(TestServer(server.web_app)) as client:
        response = await client.get("/metrics")
        body = await response.text()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert 'backoffice_requests_total{outcome="answered",platform="slack"} 1.0' in body
    assert "backoffice_outbox_depth 0.0" in body
