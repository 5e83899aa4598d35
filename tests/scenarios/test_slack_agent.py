"""Slack's AI surface on the fake Web API: suggested prompts when the agent opens, a status while a turn
runs, the answer streamed with Slack's own feedback buttons, and a plain message whenever Slack will not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from adapters.slack._blocks import final_blocks, stream_parts
from bot import Button, ButtonKind, Citation, Outcome, Reply
from bot.audit import entries
from bot.digest import compute_digest, iso_week
from bot.store import Feedback
from knowledge.testing import HashingEmbedding
from tests.fakes.slack_api import fake_slack

from .conftest import SlackEnv, payload, slack_env, socket_mode
from .test_slack import _click, _dm, _mention

PAYLOADS = Path(__file__).parent / "payloads"
THREAD = "1726133698.626339"  # the shared DM payload's thread
AGENT_CALLS = ("assistant.threads.setStatus", "chat.startStream", "chat.appendStream", "chat.stopStream")


def _local(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


@pytest.fixture
async def agent(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> AsyncIterator[SlackEnv]:
    """A workspace with Slack's AI surface, the bot on `slack.agent_view: auto` (the default)."""
    async with slack_env(tmp_path / "home", corpus, embedder, agent=True) as env:
        yield env


def _order(slack: SlackEnv) -> list[str]:
    wanted = {*AGENT_CALLS, "assistant.threads.setSuggestedPrompts", "chat.postMessage"}
    return [c.method for c in slack.fake.calls if c.method in wanted]


async def _feedback_click(slack: SlackEnv, value: str) -> None:
    click = _local("block_actions.feedback_buttons.slack-docs.json")
    click["actions"][0]["value"] = value
    assert (await slack.interaction(click)).status == 200


async def test_prompts_status_stream_and_native_feedback_in_order(agent: SlackEnv) -> None:
    opened = await agent.event(_local("app_home_opened.messages.slack-docs.json"))
    assert opened.status == 200
    (prompts,) = await agent.fake.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts["channel_id"] == "D111" and "thread_ts" not in prompts
    assert prompts["title"] == "How can I help?" and 1 <= len(prompts["prompts"]) <= 4
    assert {"title": "Vacation", "message": "How many vacation days do I get?"} in prompts["prompts"]

    await agent.event(_dm("How many vacation days do I get?", "EvA1"))
    (stop,) = await agent.fake.wait_for("chat.stopStream")
    assert _order(agent) == [
        "assistant.threads.setSuggestedPrompts",
        "assistant.threads.setStatus",
        "chat.startStream",
        *["chat.appendStream"] * len(agent.fake.named("chat.appendStream")),
        "chat.stopStream",
    ]
    (status,) = agent.fake.named("assistant.threads.setStatus")
    assert status["channel_id"] == "D111" and status["thread_ts"] == THREAD
    assert status["status"] == "Searching the norms…" and len(status["loading_messages"]) == 3
    (start,) = agent.fake.named("chat.startStream")
    assert start["thread_ts"] == THREAD and start["recipient_user_id"] == "W222"
    assert start["recipient_team_id"] == "T111"
    streamed = agent.fake.streamed(stop["ts"])
    assert streamed.startswith("Here is what the norms say:\n\n> ")  # the quote comes first
    assert "25 working days" in streamed and streamed.index("25 working days") < streamed.index(
        "**Sources:**"
    )
    assert streamed.rstrip().endswith("`en/pto-policy.md`")  # the sources close it
    feedback = next(b for b in stop["blocks"] if b["type"] == "context_actions")
    (buttons,) = feedback["elements"]
    assert buttons["type"] == "feedback_buttons"
    up = buttons["positive_button"]["value"]
    assert up.startswith("feedback_up:")
    # our own 👍/👎 give way to Slack's; the way to a person stays
    actions = next(b for b in stop["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["human"]
    assert agent.fake.named("chat.postMessage") == [] and agent.fake.named("reactions.add") == []

    await _feedback_click(agent, up)
    turn_id = int(up.split(":")[1])
    for _ in range(100):
        with agent.bot.db.session() as s:
            votes = s.exec(select(Feedback)).all()
        if votes:
            break
        await asyncio.sleep(0.05)
    assert [(v.turn_id, v.user_id, v.value) for v in votes] == [(turn_id, "slack:W222", 1)]
    audited = [e for e in entries(agent.bot.db, "slack:W222") if e.event == "feedback"]
    assert [e.arguments for e in audited] == [{"turn_id": turn_id, "value": 1}]
    assert agent.fake.named("chat.postEphemeral") == []  # Slack marks the chosen thumb itself
    zone = ZoneInfo("UTC")
    digest = compute_digest(agent.bot.db, iso_week(datetime.now(zone).date()), zone)
    assert (digest.now.thumbs_up, digest.now.confirmed) == (1, 1)  # the weekly digest counts it


async def test_spanish_status_and_prompts_from_what_was_asked(agent: SlackEnv) -> None:
    await agent.event(_dm("¿Cuántos días de vacaciones tengo?", "EvEs1"))
    await agent.fake.wait_for("chat.stopStream")
    (status,) = agent.fake.named("assistant.threads.setStatus")
    assert status["status"] == "Buscando en la normativa…"
    assert "Preparando la respuesta…" in status["loading_messages"]
    await agent.event(_local("app_home_opened.messages.slack-docs.json"))
    (prompts,) = await agent.fake.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts["title"] == "¿En qué te ayudo?" and len(prompts["prompts"]) == 4
    first = prompts["prompts"][0]  # the area that question was answered from leads
    assert (
        first["message"].startswith("¿Qué dice la normativa sobre «") and first["title"] in first["message"]
    )
    assert {"title": "Vacaciones", "message": "¿Cuántos días de vacaciones tengo?"} in prompts["prompts"]


@pytest.mark.parametrize(
    "refusal",
    ["rate_limited", "server_error", "messages_tab_disabled"],
)
async def test_a_refused_stream_goes_out_as_one_message(agent: SlackEnv, refusal: str) -> None:
    if refusal == "rate_limited":
        agent.fake.rate_limit("chat.startStream", retry_after_s=30)
    elif refusal == "server_error":
        agent.fake.break_down("chat.startStream", 503)
    else:
        agent.fake.refuse("chat.startStream", refusal)
    await agent.event(_dm("How many vacation days do I get?", "EvR1"))
    (posted,) = await agent.fake.wait_for("chat.postMessage")
    assert posted["thread_ts"] == THREAD and "25 working days" in posted["text"]
    assert "pto-policy.md" in json.dumps(posted["blocks"])
    assert len(agent.fake.named("chat.startStream")) == 1  # not retried: the plain message went at once
    assert agent.fake.named("chat.appendStream") == [] and agent.fake.named("chat.stopStream") == []
    await asyncio.sleep(0.3)
    assert len(agent.fake.named("chat.postMessage")) == 1

    # a passing failure costs one reply its stream; a refusal means plain messages for the workspace
    refused = refusal == "messages_tab_disabled"
    await agent.event(_dm("Can I work from abroad?", "EvR2", ts="1726133800.000001"))
    await agent.fake.wait_for("chat.postMessage" if refused else "chat.stopStream", 2 if refused else 1)
    assert len(agent.fake.named("chat.startStream")) == (1 if refused else 2)


async def test_a_stream_that_breaks_half_way_is_completed_in_place(agent: SlackEnv) -> None:
    agent.fake.break_down("chat.appendStream", 500)
    await agent.event(_dm("How many vacation days do I get?", "EvB1"))
    (update,) = await agent.fake.wait_for("chat.update")
    (start,) = agent.fake.named("chat.startStream")
    streamed_ts = next(c for c in agent.fake.calls if c.method == "chat.appendStream").args["ts"]
    assert update["ts"] == streamed_ts and update["channel"] == start["channel"]
    assert "25 working days" in update["text"] and "pto-policy.md" in json.dumps(update["blocks"])
    await asyncio.sleep(0.3)
    assert agent.fake.named("chat.postMessage") == [] and agent.fake.named("chat.stopStream") == []


async def test_a_retried_event_never_starts_a_second_stream(agent: SlackEnv) -> None:
    body = _dm("How many vacation days do I get?", "EvRetry")
    first = asyncio.create_task(agent.event(body))
    await agent.fake.wait_for("assistant.threads.setStatus")
    retries = await asyncio.gather(agent.event(body, retry=1), agent.event(body, retry=2))
    assert [r.status for r in retries] == [200, 200] and (await first).status == 200
    await agent.fake.wait_for("chat.stopStream")
    await asyncio.sleep(0.5)
    assert [len(agent.fake.named(m)) for m in ("assistant.threads.setStatus", "chat.startStream")] == [1, 1]
    assert len(agent.fake.named("chat.stopStream")) == 1 and agent.fake.named("chat.postMessage") == []


async def test_without_a_status_the_reaction_shows_and_the_answer_still_streams(agent: SlackEnv) -> None:
    agent.fake.rate_limit("assistant.threads.setStatus", retry_after_s=5)
    await agent.event(_dm("How many vacation days do I get?", "EvS1"))
    await agent.fake.wait_for("chat.stopStream")
    assert len(agent.fake.named("reactions.add")) == 1 and len(agent.fake.named("reactions.remove")) == 1


async def test_a_gateway_page_instead_of_slacks_answer_costs_the_surface_not_the_reply(
    agent: SlackEnv,
) -> None:
    page = "<html><body>502 Bad Gateway</body></html>"
    for method in ("assistant.threads.setStatus", "chat.startStream"):
        agent.fake.break_down(method, 502, page=page)
    await agent.event(_dm("How many vacation days do I get?", "EvGw"))
    (posted,) = await agent.fake.wait_for("chat.postMessage")
    assert "25 working days" in posted["text"] and len(agent.fake.named("reactions.add")) == 1
    assert agent.adapter.agent.offered("T111")  # a passing failure: the next turn tries again


async def test_a_suggestion_and_a_proposal_bring_their_buttons_with_the_last_chunk(agent: SlackEnv) -> None:
    await agent.event(_dm("Open an IT ticket: the VPN drops every hour", "EvT1"))
    (stop,) = await agent.fake.wait_for("chat.stopStream")
    (actions,) = [b for b in stop["blocks"] if b["type"] == "actions"]
    buttons = {e["action_id"]: e["value"] for e in actions["elements"]}
    assert set(buttons) == {"confirm", "cancel"}
    assert not [b for b in stop["blocks"] if b["type"] == "context_actions"]  # nothing to rate yet
    await agent.interaction(_click("confirm", buttons["confirm"], ts=stop["ts"]))
    (update,) = await agent.fake.wait_for("chat.update")
    assert update["ts"] == stop["ts"] and "Ticket #1 opened with it" in update["text"]


async def test_a_hand_over_streams_without_buttons_and_the_case_is_announced(agent: SlackEnv) -> None:
    await agent.event(_dm("I want to talk to a human about my gym membership", "EvH1"))
    (stop,) = await agent.fake.wait_for("chat.stopStream")
    assert "blocks" not in stop and "case #1" in agent.fake.streamed(stop["ts"])
    announced = await agent.fake.wait_for("chat.postMessage")
    assert [c["channel"] for c in announced] == ["CHUMAN"]


async def test_the_context_changing_is_acknowledged_and_nothing_is_sent(agent: SlackEnv) -> None:
    assert (await agent.event(_local("app_context_changed.slack-docs.json"))).status == 200
    await asyncio.sleep(0.2)
    assert [c.method for c in agent.fake.calls if c.method != "auth.test"] == []


async def test_a_mention_in_a_channel_keeps_the_plain_message(agent: SlackEnv) -> None:
    await agent.event(_mention("How many vacation days do I get?", "EvM1"))
    (posted,) = await agent.fake.wait_for("chat.postMessage")
    assert posted["channel"] == "C111" and "Here is what the norms say" in posted["text"]
    assert not [c for c in agent.fake.calls if c.method in AGENT_CALLS]


@pytest.mark.parametrize("mode", ["off", "on"])
async def test_agent_view_off_never_asks_and_on_keeps_asking(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, mode: str
) -> None:
    async with slack_env(tmp_path / "home", corpus, embedder, agent=True, agent_view=mode) as env:
        env.fake.refuse("chat.startStream", "messages_tab_disabled")
        await env.event(_local("app_home_opened.messages.slack-docs.json"))
        await env.event(_dm("How many vacation days do I get?", "EvMode0", ts="1726133800.000001"))
        await env.fake.wait_for("chat.postMessage")
        await env.event(_dm("How many vacation days do I get?", "EvMode1", ts="1726133800.000002"))
        await env.fake.wait_for(
            "chat.postMessage" if mode == "off" else "chat.stopStream", 2 if mode == "off" else 1
        )
        asked = [c.method for c in env.fake.calls if c.method.startswith(("assistant.", "chat.startStream"))]
    if mode == "off":
        assert asked == []
    else:  # refused once, asked again on the next turn
        assert asked.count("chat.startStream") == 2 and len(env.fake.named("chat.postMessage")) == 1
        assert "assistant.threads.setSuggestedPrompts" in asked


async def test_a_workspace_without_the_surface_is_asked_once_then_gets_plain_messages(
    slack: SlackEnv,
) -> None:
    for n in range(2):
        await slack.event(_dm("How many vacation days do I get?", f"EvPlain{n}", ts=f"1726133800.00000{n}"))
        await slack.fake.wait_for("chat.postMessage", n + 1)
    assert [c.method for c in slack.fake.calls if c.method.startswith("assistant.")] == [
        "assistant.threads.setStatus"
    ]
    assert len(slack.fake.named("reactions.add")) == 2  # the 👀 stands in for the status


async def test_socket_mode_streams_the_answer(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    event = payload("socket_mode", "envelopes.bolt-python.json")[2]
    event["payload"]["event"].update(
        text="How many vacation days do I get?", channel="D777", channel_type="im"
    )
    async with fake_slack(payload("web_api", "auth.test.bot.json"), agent=True) as fake:
        fake.socket_envelopes = [event]
        async with socket_mode(fake, tmp_path / "home", corpus, embedder):
            (stop,) = await fake.wait_for("chat.stopStream")
    assert stop["channel"] == "D777" and "25 working days" in fake.streamed(stop["ts"])
    assert fake.named("chat.postMessage") == []
    assert [a["envelope_id"] for a in fake.socket_acks] == [event["envelope_id"]]


def _reply(**fields: Any) -> Reply:
    cite = Citation(title="Travel", section=["Per diem"], source="travel.md", snippet="60 euros")
    return Reply(text="Intro:\n\n> 60 euros a day [1]\n\n> More [1]", citations=[cite], turn_id=7, **fields)


def test_a_streamed_answer_leads_with_the_quote_and_ends_with_linked_sources() -> None:
    parts = stream_parts(_reply(lang="es"), "https://norms.example/")
    assert parts == [
        "Intro:\n\n> 60 euros a day [1]",
        "\n\n> More [1]",
        "\n\n**Fuentes:**\n[1] Travel › Per diem — [travel.md](https://norms.example/travel.md)",
    ]
    long = stream_parts(Reply(text="word " * 5000))
    assert len(long) == 3 and all(len(p) <= 12_000 for p in long)
    assert stream_parts(Reply(text="")) == []  # nothing to stream: the reply goes as a message


def test_a_suggestion_keeps_its_two_buttons_beside_slacks_feedback() -> None:
    yes = Button(kind=ButtonKind.FEEDBACK_UP, label="Yes, that helps", value="7")
    person = Button(kind=ButtonKind.HUMAN, label="No, a person", value="7")
    blocks = final_blocks(_reply(outcome=Outcome.SUGGESTED, buttons=[yes, person]))
    assert [b["type"] for b in blocks] == ["actions", "context_actions"]
    assert [e["action_id"] for e in blocks[0]["elements"]] == ["feedback_up", "human"]
    votes = blocks[1]["elements"][0]
    assert (votes["positive_button"]["value"], votes["negative_button"]["value"]) == (
        "feedback_up:7",
        "feedback_down:7",
    )


@pytest.mark.parametrize("value", ["feedback_up:not-a-turn", "confirm:1", ""])
async def test_a_malformed_native_vote_is_told_and_stores_nothing(agent: SlackEnv, value: str) -> None:
    await _feedback_click(agent, value)
    (told,) = await agent.fake.wait_for("chat.postEphemeral")
    assert told["user"] == "W222" and "no longer does anything" in told["text"]
    with agent.bot.db.session() as s:
        assert s.exec(select(Feedback)).all() == []
