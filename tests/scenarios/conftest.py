from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.slack import SlackAdapter
from bot import Bot
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import bot_over, make_settings
from tests.conftest import shared_or_skip
from tests.fakes._serve import serve_adapter
from tests.fakes.slack_api import FakeSlack, fake_slack

SECRET = "test-signing-secret"
GROUPS = {"admins": ["slack:WADMIN"], "managers": ["slack:WBOSS"]}


def payload(*parts: str) -> dict[str, Any]:
    return json.loads(shared_or_skip("slack-payloads", *parts).read_text(encoding="utf-8"))


@dataclass
class SlackEnv:
    fake: FakeSlack
    bot: Bot
    adapter: SlackAdapter
    url: str
    session: aiohttp.ClientSession

    async def post(
        self, body: str, content_type: str, *, retry: int | None = None, secret: str = SECRET, age_s: int = 0
    ) -> aiohttp.ClientResponse:
        timestamp = str(int(time.time()) - age_s)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body),
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        response = await self.session.post(self.url, data=body.encode(), headers=headers)
        await response.read()
        return response

    async def event(self, body: dict[str, Any], **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.post(json.dumps(body), "application/json", **kwargs)

    async def form(self, fields: dict[str, str], **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    async def interaction(self, body: dict[str, Any], **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.form({"payload": json.dumps(body)}, **kwargs)


@asynccontextmanager
async def slack_env(
    home: Path, corpus: Path, embedder: HashingEmbedding, *, agent: bool = False, **slack: Any
) -> AsyncIterator[SlackEnv]:
    """The adapter over HTTP against the fake Web API; `agent`: whether the workspace offers Slack's AI
    surface (status, streaming, suggested prompts)."""
    async with fake_slack(payload("web_api", "auth.test.bot.json"), agent=agent) as fake:
        settings = make_settings(
            home,
            corpus,
            groups=GROUPS,
            slack={
                "bot_token": "xoxb-test",
                "signing_secret": SECRET,
                "api_url": fake.url + "api/",
                "human_channel": "CHUMAN",
                "digest_channel": "CMANAGERS",
                **slack,
            },
        )
        bot = bot_over(settings, embedder)
        adapter = SlackAdapter(bot, settings.slack, language="en")
        async with serve_adapter(adapter) as base, aiohttp.ClientSession() as session:
            yield SlackEnv(fake, bot, adapter, base + "slack/events", session)
        await bot.aclose()


@asynccontextmanager
async def socket_mode(
    fake: FakeSlack, home: Path, corpus: Path, embedder: HashingEmbedding
) -> AsyncIterator[Bot]:
    """The adapter connected over Socket Mode to `fake` until the block ends."""
    slack = {"mode": "socket", "bot_token": "xoxb", "app_token": "xapp-1", "api_url": fake.url + "api/"}
    settings = make_settings(home, corpus, slack=slack)
    bot = bot_over(settings, embedder)
    handler = await SlackAdapter(bot, settings.slack).start_socket_mode()
    try:
        yield bot
    finally:
        await handler.close_async()
        await bot.aclose()


@pytest.fixture
async def slack(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> AsyncIterator[SlackEnv]:
    """A workspace without the AI surface: every reply is a plain message."""
    async with slack_env(tmp_path / "home", corpus, embedder) as env:
        yield env
