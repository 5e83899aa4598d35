"""The server as `backoffice serve` composes it (both adapters, /healthz, outboxes, digest schedule), served
on loopback in-process."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.server import Server
from adapters.teams._auth import PUBLIC_KEYS_URLS, use_signing_keys
from bot.config import Settings
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import bot_over, make_settings
from tests.fakes._serve import serve_app
from tests.fakes.bot_connector import fake_connector
from tests.fakes.openid_issuer import fake_issuer, stalled_endpoint
from tests.fakes.slack_api import FakeSlack, fake_slack

from .conftest import SECRET, SlackEnv, payload
from .test_slack import _mention
from .test_teams import USER, activity

APP_ID = "00000000-0000-0000-0000-0000000000c1"


def _settings(tmp_path: Path, corpus: Path, fake: FakeSlack, **overrides: Any) -> Settings:
    slack = {
        "bot_token": "xoxb-test",
        "signing_secret": SECRET,
        "api_url": fake.url + "api/",
        "human_channel": "CHUMAN",
        **overrides.pop("slack", {}),
    }
    return make_settings(tmp_path / "home", corpus, slack=slack, **overrides)


@asynccontextmanager
async def served(settings: Settings, embedder: HashingEmbedding) -> AsyncIterator[tuple[Server, str]]:
    bot = bot_over(settings, embedder)
    server = Server(bot, settings)
    await server.open()
    try:
        async with serve_app(server.web_app) as base:
            yield server, base
    finally:
        await server.close()
        await bot.aclose()


async def test_a_stalled_network_delays_only_the_teams_request_it_belongs_to(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake, fake_connector() as connector:
        settings = _settings(
            tmp_path, corpus, fake, teams={"enabled": True, "app_id": APP_ID, "app_password": "x"}
        )
        async with (
            fake_issuer() as issuer,
            served(settings, embedder) as (_, base),
            aiohttp.ClientSession() as session,
        ):
            with stalled_endpoint() as stalled:
                use_signing_keys(3, {PUBLIC_KEYS_URLS[0]: stalled})
                body = activity("message.channel-thread-mention.teams-net.json", connector.url + "amer/")
                body["from"]["id"] = USER
                token = issuer.token(APP_ID, body["serviceUrl"])
                teams = asyncio.create_task(
                    session.post(
                        base + "api/messages", json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                )
                await asyncio.sleep(0.3)  # the Teams request is now waiting on the stalled key fetch
                async with session.get(base + "healthz") as health:
                    assert health.status == 200
                slack = SlackEnv(fake, None, None, base + "slack/events", session)  # type: ignore[arg-type]
                assert (
                    await slack.event(_mention("How many vacation days do I get?", "EvStall"))
                ).status == 200
                await fake.wait_for("chat.postMessage")
                assert not teams.done()  # Slack was answered while the Teams request still waits
                refused = await teams
                assert refused.status == 503
                assert connector.sent == []


async def test_without_a_digest_channel_the_digest_is_off_and_says_so_once(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        async with served(_settings(tmp_path, corpus, fake), embedder) as (server, _):
            await asyncio.sleep(0.2)
            assert server.scheduler.get_jobs() == []
    off = [r for r in caplog.records if "weekly digest" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in off] == [
        (logging.INFO, "weekly digest: off (no slack.digest_channel or teams.digest_channel is configured)")
    ]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


@pytest.mark.parametrize(
    ("slack", "expected"),
    [
        ({"app_token": "xapp-1"}, "socket"),  # the README's path: manifest with Socket Mode, two tokens
        ({"signing_secret": "s"}, "http"),
        ({"app_token": "xapp-1", "signing_secret": "s", "mode": "http"}, "http"),
        ({"app_token": "xapp-1", "signing_secret": "s", "mode": "socket"}, "socket"),
        ({"app_token": "xapp-1", "signing_secret": "s"}, "both slack.app_token"),
        ({}, "set slack.app_token"),
        ({"signing_secret": "s", "mode": "socket"}, "slack.mode is 'socket' but slack.app_token"),
        ({"app_token": "xapp-1", "mode": "http"}, "slack.mode is 'http' but slack.signing_secret"),
    ],
)
def test_the_slack_mode_follows_what_is_configured(slack: dict[str, str], expected: str) -> None:
    from adapters.slack._mode import slack_mode
    from bot.config import ConfigError, SlackSettings

    settings = SlackSettings(bot_token="xoxb", **slack)  # type: ignore[arg-type]
    if expected in ("socket", "http"):
        assert slack_mode(settings) == expected
    else:
        with pytest.raises(ConfigError, match=expected.replace("(", r"\(")):
            slack_mode(settings)


async def test_app_and_bot_tokens_alone_serve_socket_mode(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        settings = make_settings(
            tmp_path / "home",
            corpus,
            slack={"bot_token": "xoxb", "app_token": "xapp-1", "api_url": fake.url + "api/"},
        )
        async with served(settings, embedder) as (server, base), aiohttp.ClientSession() as session:
            assert fake.named("apps.connections.open")
            async with session.post(base + "slack/events", data=b"{}") as response:
                assert response.status == 404  # no HTTP endpoint in Socket Mode
    lines = [r.getMessage() for r in caplog.records if r.name == "adapters.server"]
    assert any(line.startswith("slack: on, Socket Mode") for line in lines)
    assert "teams: off (teams.enabled is false)" in lines


async def test_ready_only_once_the_model_and_index_are_loaded_and_the_database_answers(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    from sqlalchemy import create_engine

    from knowledge import KnowledgeBase

    loads: list[float] = []

    def slow_model() -> HashingEmbedding:
        time.sleep(0.8)  # the real model takes seconds: loading it must not wait for the first question
        loads.append(time.monotonic())
        return embedder

    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        settings = _settings(tmp_path, corpus, fake)
        KnowledgeBase(settings.home, settings.knowledge, lambda: embedder).reindex()
        from bot import Bot

        bot = Bot.from_settings(
            settings, knowledge=KnowledgeBase(settings.home, settings.knowledge, slow_model)
        )
        server = Server(bot, settings)
        await server.open()
        try:
            async with serve_app(server.web_app) as base, aiohttp.ClientSession() as session:
                async with session.get(base + "healthz") as alive, session.get(base + "readyz") as ready:
                    assert alive.status == 200 and ready.status == 503
                    assert (await ready.json())["knowledge"] == "loading"
                await server.wait_ready()
                assert len(loads) == 1
                async with session.get(base + "readyz") as ready:
                    assert ready.status == 200 and await ready.json() == {
                        "ready": True,
                        "knowledge": "loaded",
                        "database": "reachable",
                    }
                slack = SlackEnv(fake, bot, None, base + "slack/events", session)  # type: ignore[arg-type]
                await slack.event(_mention("How many vacation days do I get?", "EvFirst"))
                await fake.wait_for("chat.postMessage")
                assert len(loads) == 1  # loaded once, before ready; how fast is the Slack benchmark's figure
                bot.db.engine = create_engine("sqlite:////nonexistent-dir/x.db")
                async with session.get(base + "readyz") as ready:
                    assert ready.status == 503 and (await ready.json())["database"].startswith("unreachable")
        finally:
            await server.close()
            await bot.aclose()


async def test_a_turn_that_hogs_its_loop_delays_no_acknowledgement_nor_healthz(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        async with served(_settings(tmp_path, corpus, fake), embedder) as (server, base):
            bot = server.bot
            original = bot.ahandle

            async def hogging(message: Any) -> Any:
                time.sleep(3.0)  # CPU-bound work inside a turn (embedding, ranking) holds its loop
                return await original(message)

            bot.ahandle = hogging  # type: ignore[method-assign]
            async with aiohttp.ClientSession() as session:
                slack = SlackEnv(fake, bot, None, base + "slack/events", session)  # type: ignore[arg-type]
                assert (
                    await slack.event(_mention("How many vacation days do I get?", "EvHog1"))
                ).status == 200
                started = time.perf_counter()
                await asyncio.sleep(0.2)  # the first turn is now hogging (on the server's loop, this too)
                async with session.get(base + "healthz") as health:
                    assert health.status == 200
                assert (await slack.event(_mention("And sick days?", "EvHog2"))).status == 200
                assert time.perf_counter() - started < 2.0  # well inside the 3 s the turn holds its loop
                await fake.wait_for("chat.postMessage", 2, timeout=15)
