"""Fail closed through the adapters: a restricted document's text never reaches the human channel, the
digest, the audit or the logs; a group change applies to a running server; and no input, however
malformed, gets anything but a reply."""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from adapters.console import run_chat
from adapters.slack import SlackAdapter
from adapters.teams import TeamsAdapter
from bot import Bot, IncomingMessage, Outcome
from bot.audit import entries
from bot.config import load_settings
from bot.conversation._live_policy import LivePolicy
from bot.digest import compute_digest, to_markdown
from knowledge import KnowledgeBase
from knowledge.testing import HashingEmbedding
from tests.fakes._serve import serve_adapter
from tests.fakes.bot_connector import fake_connector
from tests.fakes.slack_api import fake_slack
from tests.scenarios.conftest import SECRET, SlackEnv, payload
from tests.scenarios.test_teams import TeamsEnv

CANARY = "CONFIDENCIAL-BANDAS-7731"
QUESTION = "clave de control interna de la revisión salarial"
HR_USER = "WHR"
TEAMS_HR = "29:hr-person"
MADRID = ZoneInfo("Europe/Madrid")
_events = iter(range(10**9))


def _config(path: Path, home: Path, corpus: Path, hr: list[str], **extra: Any) -> Path:
    data = {
        "home": str(home),
        "knowledge": {"source": str(corpus)},
        "groups": {"hr": hr, "admins": ["slack:WADMIN"], "managers": ["slack:WBOSS"]},
        **extra,
    }
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


def _bot(config: Path, embedder: HashingEmbedding, interval_s: float = 2.0) -> Bot:
    settings = load_settings(config)
    kb = KnowledgeBase(settings.home, settings.knowledge, lambda: embedder)
    kb.reindex()
    return Bot.from_settings(settings, knowledge=kb, live_policy=LivePolicy(settings, config, interval_s))


def _dm(text: str, user: str = HR_USER) -> dict[str, Any]:
    body = payload("events", "message_im.bolt-python.json")
    body["event"].update(text=text, user=user, ts=f"1726133700.{next(_events):06d}")
    body["event_id"] = f"EvFail{next(_events)}"
    return body


def _click(action_id: str, value: str, user: str = HR_USER) -> dict[str, Any]:
    body = payload("interactivity", "block_actions_button.bolt-python.json")
    body["user"]["id"] = user
    body["channel"]["id"] = "D111"
    body["container"].update(channel_id="D111", message_ts="1700000000.000001", is_ephemeral=False)
    body["message"] = {
        "ts": "1700000000.000001",
        "thread_ts": "1700000000.000001",
        "text": "",
        "type": "message",
    }
    body["actions"][0].update(action_id=action_id, value=value)
    return body


def _slack_settings(fake_url: str) -> dict[str, Any]:
    return {
        "slack": {
            "bot_token": "xoxb-test",
            "signing_secret": SECRET,
            "api_url": fake_url + "api/",
            "human_channel": "CHUMAN",
            "digest_channel": "CMANAGERS",
        }
    }


async def _slack_env(tmp_path: Path, corpus: Path, interval_s: float = 2.0) -> AsyncIterator[SlackEnv]:
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        config = _config(
            tmp_path / "backoffice.yaml",
            tmp_path / "home",
            corpus,
            [f"slack:{HR_USER}", f"teams:{TEAMS_HR}"],
            **_slack_settings(fake.url),
        )
        bot = _bot(config, HashingEmbedding(), interval_s)
        adapter = SlackAdapter(bot, bot.settings.slack, language="en")
        async with serve_adapter(adapter) as base, aiohttp.ClientSession() as session:
            yield SlackEnv(fake, bot, adapter, base + "slack/events", session)
        await bot.aclose()


async def _answer_in(
    slack: SlackEnv, text: str, user: str = HR_USER, channel: str = "D111"
) -> dict[str, Any]:
    """The bot's first post in `channel` after this message (other channels' posts may come meanwhile)."""
    before = len(slack.fake.named("chat.postMessage"))
    body = _dm(text, user)
    body["event"]["channel"] = channel
    assert (await slack.event(body)).status == 200
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        posted = [c for c in slack.fake.named("chat.postMessage")[before:] if c["channel"] == channel]
        if posted:
            return posted[0]
        assert asyncio.get_running_loop().time() < deadline, f"no answer in {channel}"
        await asyncio.sleep(0.05)


async def _posted_in(slack: SlackEnv, channel: str, containing: str, after: int = 0) -> None:
    deadline = asyncio.get_running_loop().time() + 20
    while not [
        c
        for c in slack.fake.named("chat.postMessage")[after:]
        if c["channel"] == channel and containing in json.dumps(c, ensure_ascii=False)
    ]:
        assert asyncio.get_running_loop().time() < deadline, f"nothing with {containing!r} in {channel}"
        await asyncio.sleep(0.05)


# --- 10.4: a running server follows group changes ----------------------------------------------------------


async def test_removing_someone_from_a_group_applies_to_a_running_server(
    tmp_path: Path, corpus: Path
) -> None:
    async for slack in _slack_env(tmp_path, corpus, interval_s=0.05):
        assert CANARY in (await _answer_in(slack, QUESTION))["text"]
        config = tmp_path / "backoffice.yaml"
        data = json.loads(config.read_text())
        data["groups"]["hr"] = []
        config.write_text(json.dumps(data))
        await asyncio.sleep(0.2)
        assert CANARY not in json.dumps(await _answer_in(slack, QUESTION))


# --- 10.3: the canary through Slack and Teams ----------------------------------------------------------


async def test_a_restricted_answer_stays_with_its_audience_through_slack(
    tmp_path: Path, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what `serve` logs; SDKs dump bodies at DEBUG
    async for slack in _slack_env(tmp_path, corpus):
        await _answer_in(slack, QUESTION, "WOUTSIDE", "D999")
        await asyncio.sleep(0.3)  # the escalation notice follows the answer
        calls = [c.args for c in slack.fake.calls]
        outsider = json.dumps([c for c in calls if "D999" in json.dumps(c)], ensure_ascii=False)
        assert CANARY not in outsider and "bandas-salariales" not in outsider  # not in text nor citations
        answer = await _answer_in(slack, QUESTION)
        assert CANARY in answer["text"]
        buttons = {e["action_id"]: e["value"] for e in answer["blocks"][-1]["elements"]}
        await slack.interaction(_click("feedback_down", buttons["feedback_down"]))
        await slack.interaction(_click("human", buttons["human"]))
        # the case announcement goes out from the outbox, after the replies in the user's thread
        await _posted_in(slack, "CHUMAN", HR_USER)
        before = len(slack.fake.named("chat.postMessage"))
        body = _dm("sigo sin saber la clave, ¿me ayudáis?")
        assert (await slack.event(body)).status == 200
        await _posted_in(slack, "CHUMAN", "sigo sin saber", after=before)  # relayed to the case thread
        outside = [c for c in slack.fake.named("chat.postMessage") if c["channel"] != "D111"]
        _assert_no_canary(slack.bot, outside, caplog)


async def test_a_restricted_answer_stays_with_its_audience_through_teams(
    tmp_path: Path, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what `serve` logs; SDKs dump bodies at DEBUG
    human_channel = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"
    async with fake_connector() as fake:
        teams_settings = {"teams": {"enabled": True, "human_team_channel": human_channel}}
        config = _config(
            tmp_path / "backoffice.yaml", tmp_path / "home", corpus, [f"teams:{TEAMS_HR}"], **teams_settings
        )
        bot = _bot(config, HashingEmbedding())
        adapter = TeamsAdapter(bot, bot.settings.teams, language="en", reply_deadline_s=5)
        async with serve_adapter(adapter) as base, aiohttp.ClientSession() as session:
            teams = TeamsEnv(fake, bot, adapter, base + "api/messages", session)
            from tests.scenarios.test_teams import activity

            install = activity("conversationUpdate.bot-added-to-team.msteams-docs.json", fake.url + "amer/")
            await teams.post(install)
            elsewhere = teams.personal(QUESTION, "r0", user="29:outsider")
            elsewhere["conversation"]["id"] = "a:another-personal-chat"
            await teams.post(elsewhere)
            await fake.wait_for(match=lambda s: s.body.get("attachments"), timeout=20)
            await asyncio.sleep(0.3)
            seen = json.dumps([s.body for s in fake.messages() if "another" in s.conversation])
            assert "attachments" in seen  # the outsider was answered (by an escalation notice)
            assert CANARY not in seen and "bandas-salariales" not in seen  # not in text nor citations
            await teams.post(teams.personal(QUESTION, "r1", user=TEAMS_HR))
            (answer,) = await fake.wait_for(match=lambda s: CANARY in json.dumps(s.body), timeout=20)
            turn = _last_turn(bot)
            press = activity("invoke.adaptiveCard-action.execute.teams-net.json", fake.url + "amer/")
            press["from"]["id"] = TEAMS_HR
            press["value"]["action"] = {
                "type": "Action.Execute",
                "verb": "human",
                "data": {"value": str(turn)},
            }
            await teams.post(press)
            await fake.wait_for(match=lambda s: s.conversation == human_channel, timeout=20)
            outside = [s.body for s in fake.messages() if s.conversation == human_channel]
            _assert_no_canary(bot, outside, caplog)
        await bot.aclose()


def _last_turn(bot: Bot) -> int:
    from sqlmodel import col, select

    from bot.store import Turn

    with bot.db.session() as s:
        turn = s.exec(select(Turn).order_by(col(Turn.id).desc())).first()
    assert turn is not None and turn.id is not None
    return turn.id


def _assert_no_canary(bot: Bot, posts: list[dict[str, Any]], caplog: pytest.LogCaptureFixture) -> None:
    from sqlmodel import select

    from bot.store import Case, CaseMessage, Outbox

    assert posts and CANARY not in json.dumps(posts, ensure_ascii=False)
    with bot.db.session() as s:
        stored = [
            *s.exec(select(Case)).all(),
            *s.exec(select(CaseMessage)).all(),
            *s.exec(select(Outbox)).all(),
        ]
    assert stored and CANARY not in json.dumps(
        [r.model_dump(mode="json") for r in stored], ensure_ascii=False
    )
    assert all(CANARY not in e.result and CANARY not in json.dumps(e.arguments) for e in entries(bot.db))
    year, week, _ = datetime.now(MADRID).isocalendar()
    digest = compute_digest(bot.db, f"{year}-W{week:02d}", MADRID, now=datetime.now(UTC))
    shown = to_markdown(digest, "en", 3) + json.dumps(
        digest.worst_rated + digest.by_topic, ensure_ascii=False
    )
    assert CANARY not in shown and "bandas-salariales" not in shown
    assert CANARY not in caplog.text
    scraped = bot.metrics.exposition().decode()
    assert "backoffice_requests_total" in scraped  # the turns were counted ...
    assert CANARY not in scraped and "bandas-salariales" not in scraped  # ... and labelled by kind only


# --- property-based: whatever arrives gets a reply, never a traceback --------------------------------------

_TEXT = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=5),
    st.sampled_from(["", " ", "😀", "SELECT 1;", "¿vacaciones?\x00", "\ud800", "\r\n\t"]),
)
# One bot serves every example (a function-scoped fixture is what is meant); a busy machine is not a bug.
_FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def fuzz_bot(tmp_path: Path, corpus: Path) -> AsyncIterator[Bot]:
    config = _config(tmp_path / "backoffice.yaml", tmp_path / "home", corpus, [])
    bot = _bot(config, HashingEmbedding())
    yield bot
    await bot.aclose()


@_FUZZ
@given(text=_TEXT)
async def test_ask_always_replies(fuzz_bot: Bot, text: str) -> None:
    reply = await fuzz_bot.ahandle(IncomingMessage(platform="cli", user_id="cli", text=text))
    assert reply is not None and reply.text.strip() and reply.outcome != Outcome.ERROR
    json.dumps(reply.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


@_FUZZ
@given(lines=st.lists(_TEXT, min_size=1, max_size=4))
async def test_the_console_answers_every_line(fuzz_bot: Bot, lines: list[str]) -> None:
    queue: list[str | None] = [*lines, None]

    async def read(prompt: str) -> str | None:
        return queue.pop(0) if queue else None

    shown = io.StringIO()
    handled = await run_chat(fuzz_bot, "me", Console(file=shown, width=120), read)
    expected = 0
    for line in lines:
        if line.strip().lower() in {"exit", "quit", "salir", ":q"}:
            break
        expected += bool(line.strip())
    assert handled == expected and "Traceback" not in shown.getvalue()


async def _fuzz(round_: Callable[[str], Awaitable[None]]) -> None:
    """Hypothesis drives the examples from a thread; each round runs on the server's own loop."""
    loop = asyncio.get_running_loop()

    @_FUZZ
    @given(text=_TEXT)
    def one(text: str) -> None:
        asyncio.run_coroutine_threadsafe(round_(text), loop).result(timeout=30)

    await asyncio.to_thread(one)


async def test_slack_answers_arbitrary_text_and_keeps_serving(tmp_path: Path, corpus: Path) -> None:
    async for slack in _slack_env(tmp_path, corpus):
        await _fuzz(functools.partial(_slack_round, slack))
        async with slack.session.get(slack.url.replace("slack/events", "healthz")) as health:
            assert health.status in (200, 404)  # the server still answers


async def _slack_round(slack: SlackEnv, text: str) -> None:
    body = _dm(text)
    channel = body["event"]["channel"] = f"DFUZZ{next(_events)}"  # a fresh chat: no open case to relay to
    response = await slack.post(json.dumps(body), "application/json")
    assert response.status < 500
    if text.strip():
        for _ in range(200):
            if any(c["channel"] == channel for c in slack.fake.named("chat.postMessage")):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no reply to {text!r}")


async def test_text_relayed_to_a_case_is_cleaned_like_a_question(tmp_path: Path, corpus: Path) -> None:
    async for slack in _slack_env(tmp_path, corpus):
        answer = await _answer_in(slack, "😀")  # a clarifying reply: stored, with the human button
        buttons = {e["action_id"]: e["value"] for e in answer["blocks"][-1]["elements"]}
        await slack.interaction(_click("human", buttons["human"]))
        await slack.fake.wait_for("chat.postMessage", 3, timeout=20)
        body = _dm("still \ud800 waiting\x00 \udcff")
        body["event"]["thread_ts"] = answer.get("thread_ts") or body["event"]["ts"]
        assert (await slack.event(body)).status == 200
        for _ in range(100):
            relayed = [c for c in slack.fake.named("chat.postMessage") if "waiting" in c["text"]]
            if relayed:
                break
            await asyncio.sleep(0.05)
        assert relayed and relayed[0]["channel"] == "CHUMAN"
        assert "\x00" not in relayed[0]["text"] and "\ufffd" in relayed[0]["text"]


async def test_teams_answers_arbitrary_text_and_keeps_serving(tmp_path: Path, corpus: Path) -> None:
    async with fake_connector() as fake:
        config = _config(tmp_path / "backoffice.yaml", tmp_path / "home", corpus, [], teams={"enabled": True})
        bot = _bot(config, HashingEmbedding())
        adapter = TeamsAdapter(bot, bot.settings.teams, language="en", reply_deadline_s=5)
        async with serve_adapter(adapter) as base, aiohttp.ClientSession() as session:
            teams = TeamsEnv(fake, bot, adapter, base + "api/messages", session)
            await _fuzz(functools.partial(_teams_round, teams))
        await bot.aclose()


async def _teams_round(teams: TeamsEnv, text: str) -> None:
    activity_id = f"fz{next(_events)}"
    body = teams.personal(text, activity_id)
    body["conversation"]["id"] = f"a:fuzz-{activity_id}"  # a fresh chat: no open case to relay to
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    response = await teams.session.post(teams.url, data=raw, headers={"Content-Type": "application/json"})
    await response.read()
    assert response.status < 500
    if response.status < 300:
        await teams.fake.wait_for(
            match=lambda s: s.activity_id == activity_id and s.body.get("type") == "message", timeout=20
        )
