"""Cases and buttons behave the same on both platforms, because the core decides once
(bot.conversation.relay): the adapters only translate. Also: the outbox never lets another platform's
items starve a platform's own."""

from __future__ import annotations

import ast
import asyncio
import json
import logging
from pathlib import Path

import pytest
from sqlmodel import select

from bot.conversation import escalation
from bot.store import Case, CaseMessage, Outbox

from .conftest import SlackEnv, payload
from .test_slack import _click
from .test_teams import HUMAN_CHANNEL, TeamsEnv, activity, card_text

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"


@pytest.fixture
async def teams(tmp_path: Path, corpus: Path, embedder: object) -> object:
    from .test_teams import _env

    async for env in _env(tmp_path, corpus, embedder):  # type: ignore[arg-type]
        yield env


async def test_claiming_a_case_that_is_not_open_gets_the_same_answer_on_both(
    slack: SlackEnv, teams: TeamsEnv
) -> None:
    await slack.interaction(_click("case_claim", "999", user="WHUMAN", channel="CHUMAN"))
    (private,) = await slack.fake.wait_for("chat.postEphemeral")
    assert private["text"] == "Case #999 does not exist or is already resolved."
    assert slack.fake.named("chat.postMessage") == []

    invoke = activity("invoke.adaptiveCard-action.execute.teams-net.json", teams.fake.url)
    invoke["value"]["action"] = {"type": "Action.Execute", "verb": "case_claim", "data": {"value": "999"}}
    response = await teams.post(invoke)
    assert card_text(json.loads(await response.text())["value"]) == private["text"]


async def test_a_thread_in_the_human_channel_that_is_no_case_is_ignored_on_both(
    slack: SlackEnv, teams: TeamsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.conversation.relay")
    chatter = payload("events", "message_im.bolt-python.json")
    chatter["event"].update(
        channel="CHUMAN",
        channel_type="channel",
        thread_ts="1700000000.000009",
        ts="1700000100.000002",
        user="WHUMAN",
        text="<@W23456789> how many vacation days do we get?",
    )
    chatter["event_id"] = "EvChat"
    mention = json.loads(json.dumps(chatter))
    mention["event"]["type"] = "app_mention"
    mention["event_id"] = "EvChatMention"
    assert (await slack.event(chatter)).status == 200
    assert (await slack.event(mention)).status == 200

    in_thread = activity("message.channel-thread-mention.teams-net.json", teams.fake.url + "amer/")
    in_thread["conversation"]["id"] = f"{HUMAN_CHANNEL};messageid=1700000000999"
    in_thread["text"] = "<at>ridotest</at> how many vacation days do we get?"
    assert (await teams.post(in_thread)).status == 202
    await asyncio.sleep(0.5)

    assert slack.fake.named("chat.postMessage") == [] and teams.fake.messages() == []
    ignored = [r for r in caplog.records if "no case" in r.getMessage()]
    assert len(ignored) == 2 and all(r.levelno == logging.DEBUG for r in ignored)  # one per platform
    for bot in (slack.bot, teams.bot):
        with bot.db.session() as s:
            assert s.exec(select(CaseMessage)).all() == []


async def test_a_slack_case_is_announced_while_another_platforms_items_fill_the_outbox(
    slack: SlackEnv,
) -> None:
    for n in range(60):  # undeliverable here: no running adapter owns them
        escalation.open_case(
            slack.bot.db, platform="teams", user_id=f"29:u{n}", question="q", summary="s", lang="en"
        )
    await slack.event(_mention_for_a_person())
    deadline = asyncio.get_running_loop().time() + 5
    while not [c for c in slack.fake.named("chat.postMessage") if c["channel"] == "CHUMAN"]:
        assert asyncio.get_running_loop().time() < deadline, "the Slack case was never announced"
        await asyncio.sleep(0.02)
    with slack.bot.db.session() as s:
        waiting = s.exec(select(Outbox).where(Outbox.delivered_at == None)).all()  # noqa: E711
        slack_case = s.exec(select(Case).where(Case.platform == "slack")).one()
    # the other platform's items sit untouched (the Slack side may still be posting its own reply)
    foreign = [item for item in waiting if item.payload.get("platform") == "teams"]
    assert len(foreign) == 60 and all(item.attempts == 0 for item in foreign)
    assert slack_case.announcement["channel"] == "CHUMAN"


def _mention_for_a_person() -> dict[str, object]:
    from .test_slack import _mention

    return _mention("I want to talk to a human about my parking spot", "EvPark")


def test_adapter_modules_import_no_module_that_imports_them_back() -> None:
    graph: dict[str, set[str]] = {}
    for path in ADAPTERS.rglob("*.py"):
        module = ".".join(path.relative_to(ADAPTERS.parent).with_suffix("").parts)
        graph[module] = {
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("adapters.")
        }
    cycles = sorted(
        (a, b) for a, imports in graph.items() for b in imports if a in graph.get(b, set()) and a < b
    )
    assert cycles == []
    assert "adapters.slack._adapter" not in graph["adapters.slack._listeners"]
    assert "adapters.teams._adapter" not in graph["adapters.teams._handler"]


async def test_items_queued_before_they_named_their_platform_are_still_delivered(slack: SlackEnv) -> None:
    db = slack.bot.db
    case_id = escalation.open_case(
        db, platform="slack", user_id="W222", question="q", summary="s", lang="en", channel_id="D1"
    )
    with db.session() as s:
        for item in s.exec(select(Outbox)).all():
            item.delivered_at = item.created_at  # announced long ago
        s.add(Outbox(kind="relay", payload={"case_id": case_id, "role": "human", "text": "old answer"}))
        s.add(Outbox(kind="slack_message", payload={"channel": "D2", "text": "old reply"}))
    worker = asyncio.create_task(slack.adapter.outbox.run(0.1))
    try:
        posts = await slack.fake.wait_for("chat.postMessage", 2)
    finally:
        await slack.adapter.outbox.stop(worker)
    assert {(p["channel"], p["text"]) for p in posts} >= {("D2", "old reply")}
    assert any(p["channel"] == "D1" and "old answer" in p["text"] for p in posts)
