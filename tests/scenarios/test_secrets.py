"""No configured token or secret ever reaches a log: a full run of what `serve` composes (both adapters
with their credentials, a Slack turn, a Teams turn, an admin's reindex, a case, the outbox), with every
logger of every library captured at DEBUG, is searched for each secret."""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from pathlib import Path

import aiohttp
import pytest

from adapters.teams._auth import PUBLIC_KEYS_URLS, use_signing_keys
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import make_settings
from tests.fakes.bot_connector import fake_connector
from tests.fakes.openid_issuer import fake_issuer
from tests.fakes.slack_api import fake_slack

from .conftest import SlackEnv, payload
from .test_server import served
from .test_slack import _mention
from .test_teams import USER, activity

APP_ID = "00000000-0000-0000-0000-0000000000d7"
SECRETS = {
    "slack.bot_token": "xoxb-1111-2222-SECRETbottoken",
    "slack.signing_secret": "8f14e45fceea167a5a36dSECRETsigning",
    "teams.app_password": "Teams~SECRET.password_value",
}
SIGNING = SECRETS["slack.signing_secret"]


async def test_no_token_or_secret_appears_in_the_logs_of_a_full_run(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # stricter than `serve`, which logs at INFO
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake, fake_connector() as connector:
        settings = make_settings(
            tmp_path / "home",
            corpus,
            groups={"admins": ["slack:WADMIN"]},
            slack={
                "bot_token": SECRETS["slack.bot_token"],
                "signing_secret": SECRETS["slack.signing_secret"],
                "api_url": fake.url + "api/",
                "human_channel": "CHUMAN",
            },
            teams={"enabled": True, "app_id": APP_ID, "app_password": SECRETS["teams.app_password"]},
        )
        async with (
            fake_issuer() as issuer,
            served(settings, embedder) as (_, base),
            aiohttp.ClientSession() as session,
        ):
            use_signing_keys(5, {PUBLIC_KEYS_URLS[0]: issuer.keys_url})
            slack = SlackEnv(fake, None, None, base + "slack/events", session)  # type: ignore[arg-type]
            assert (
                await slack.event(_mention("How many vacation days do I get?", "EvSecret1"), secret=SIGNING)
            ).status == 200
            assert (
                await slack.event(_mention("I need a human, please", "EvSecret2"), secret=SIGNING)
            ).status == 200
            command = {
                "command": "/backoffice",
                "text": "reindex",
                "user_id": "WADMIN",
                "channel_id": "C111",
                "team_id": "T111",
                "response_url": fake.url + "respond/r1",
                "trigger_id": "1.2.3",
            }
            assert (await slack.form(command, secret=SIGNING)).status == 200
            await fake.wait_for("response_url", timeout=20)
            body = activity("message.channel-thread-mention.teams-net.json", connector.url + "amer/")
            body["from"]["id"] = USER
            token = issuer.token(APP_ID, body["serviceUrl"])
            response = await session.post(
                base + "api/messages", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status in (200, 201, 202)
            await fake.wait_for("chat.postMessage", 2, timeout=20)
            await asyncio.sleep(1.0)  # let the Teams turn, the outbox and the case announcement finish
    logged = caplog.text + "\n".join(_everything(r) for r in caplog.records)
    assert len(caplog.records) > 20  # the run did log: the search below is not over an empty text
    for name, value in SECRETS.items():
        for form in (value, urllib.parse.quote(value), value[: len(value) // 2 + 4]):
            assert form not in logged, f"{name} appears in the logs"


def _everything(record: logging.LogRecord) -> str:
    """The record's message, its raw arguments and any attached exception, however a handler prints it."""
    parts = [record.getMessage(), repr(record.args), repr(record.__dict__)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)
