"""Teams requests that must be refused with a 4xx (or a 503 while tokens cannot be checked), fast, with the
real SDK validating real RS256 tokens against a local OpenID issuer."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.teams._auth import PUBLIC_KEYS_URLS
from knowledge.testing import HashingEmbedding
from tests.fakes.egress_proxy import EgressProxy, egress_proxy, private_ca
from tests.fakes.openid_issuer import FakeIssuer, closed_endpoint, fake_issuer, other_key

from .test_teams import TeamsEnv, _env, activity

APP_ID = "00000000-0000-0000-0000-0000000000b1"
CHANNEL_KEYS = PUBLIC_KEYS_URLS[0]


@pytest.fixture
async def teams(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> AsyncIterator[TeamsEnv]:
    async for env in _env(tmp_path, corpus, embedder):
        yield env


async def _authenticated(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, keys_url: str
) -> AsyncIterator[TeamsEnv]:
    options = {"signing_keys_from": {CHANNEL_KEYS: keys_url}, "signing_keys_timeout_s": 1.5}
    async for env in _env(tmp_path, corpus, embedder, options, app_id=APP_ID, app_password="secret"):
        yield env


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("missing", ["serviceUrl", "conversation", "from"])
async def test_an_activity_that_cannot_be_answered_gets_400_at_once(
    teams: TeamsEnv, missing: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = teams.personal("How many vacation days do I get?", "x1")
    del body[missing]
    started = time.perf_counter()
    response = await teams.post(body)
    assert response.status == 400 and time.perf_counter() - started < 1.0
    await asyncio.sleep(0.2)
    assert teams.fake.sent == []
    _no_traceback(caplog)


async def test_a_card_action_whose_value_is_a_string_gets_400_and_no_message(
    teams: TeamsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    invoke = activity("invoke.adaptiveCard-action.execute.teams-net.json", teams.fake.url)
    invoke["value"] = "confirm"
    response = await teams.post(invoke)
    assert response.status == 400
    await asyncio.sleep(0.2)
    assert teams.fake.sent == []
    _no_traceback(caplog)


async def test_html_entities_and_other_mentions_are_read_as_written(teams: TeamsEnv) -> None:
    body = activity("message.channel-thread-mention.teams-net.json", teams.fake.url + "amer/tenant/")
    body["text"] = "<at>ridotest</at> <p>Is the per diem &amp; hotel covered? cc <at>Ana</at></p>"
    await teams.post(body)
    await teams.fake.wait_for()
    with teams.bot.db.session() as s:
        from sqlmodel import select

        from bot.store import Turn

        (turn,) = s.exec(select(Turn)).all()
    assert turn.question == "Is the per diem & hotel covered? cc @Ana"


async def test_forged_and_unknown_key_tokens_get_401_and_a_valid_one_is_accepted(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake_issuer() as issuer:
        async for env in _authenticated(tmp_path, corpus, embedder, issuer.keys_url):
            body = env.personal("How many vacation days do I get?", "t1")
            service = body["serviceUrl"]
            forged = issuer.token(APP_ID, service, key=other_key())
            unknown = issuer.token(APP_ID, service, kid="not-published")
            other_bot = issuer.token("someone-else", service)
            for token in (forged, unknown, other_bot):
                response = await env.post(body, headers={"Authorization": f"Bearer {token}"})
                assert response.status == 401, token
            invoke = _claim_invoke(env, issuer)
            accepted = await env.post(invoke[0], headers=invoke[1])
            assert accepted.status == 200
            assert issuer.requests == 1  # the keys were fetched once and cached
            assert [s for s in env.fake.sent if s.body.get("type") == "message"] == []
    _no_traceback(caplog)


def _claim_invoke(env: TeamsEnv, issuer: FakeIssuer) -> tuple[dict[str, Any], dict[str, str]]:
    """A well-signed card action (answered in the HTTP response, so no outgoing call needs a token)."""
    invoke = activity("invoke.adaptiveCard-action.execute.teams-net.json", env.fake.url)
    invoke["value"]["action"] = {"type": "Action.Execute", "verb": "feedback_up", "data": {"value": "1"}}
    token = issuer.token(APP_ID, invoke["serviceUrl"])
    return invoke, {"Authorization": f"Bearer {token}"}


async def test_keys_that_cannot_be_fetched_mean_503_not_500(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake_issuer() as issuer:  # signs the token; its keys are looked for where nothing listens
        async for env in _authenticated(tmp_path, corpus, embedder, closed_endpoint()):
            body = env.personal("hi", "u1")
            token = issuer.token(APP_ID, body["serviceUrl"])
            response = await env.post(body, headers={"Authorization": f"Bearer {token}"})
            assert response.status == 503
            assert json.loads(await response.text()) == {"error": "authentication unavailable"}
            assert env.fake.sent == []
    _no_traceback(caplog)


async def test_a_bot_name_with_brackets_is_removed_from_the_text_not_taken_for_a_pattern(
    teams: TeamsEnv, caplog: pytest.LogCaptureFixture
) -> None:
    body = activity("message.channel-thread-mention.teams-net.json", teams.fake.url + "amer/tenant/")
    name = "<at>Back[office (HR</at>"  # the SDK's helper compiled this as a regular expression and crashed
    body["entities"][0]["text"] = name
    body["text"] = f"{name} How many vacation days do I get?"
    response = await teams.post(body)
    assert response.status == 202
    await teams.fake.wait_for()
    with teams.bot.db.session() as s:
        from sqlmodel import select

        from bot.store import Turn

        (turn,) = s.exec(select(Turn)).all()
    assert turn.question == "How many vacation days do I get?"
    _no_traceback(caplog)


KEYS_HOST = "login.botframework.com"  # where the SDK fetches the Bot Framework signing keys


@asynccontextmanager
async def _keys_behind_a_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FakeIssuer, EgressProxy]]:
    """The issuer standing in for the keys' public host, reachable only through a local egress proxy, over
    TLS signed by a private CA that `SSL_CERT_FILE` names; no proxy variable is set yet."""
    ca_file, tls = private_ca(tmp_path, KEYS_HOST)
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    async with fake_issuer(tls) as issuer:
        stand_in = ("127.0.0.1", int(issuer.url.rstrip("/").rsplit(":", 1)[1]))
        async with egress_proxy({f"{KEYS_HOST}:443": stand_in}) as proxy:
            yield issuer, proxy


@pytest.mark.parametrize("no_proxy", ["127.0.0.1,localhost", ""])
async def test_signing_keys_come_through_the_egress_proxy_trusting_its_private_ca(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, monkeypatch: pytest.MonkeyPatch, no_proxy: str
) -> None:
    assert CHANNEL_KEYS == f"https://{KEYS_HOST}/v1/.well-known/keys"
    async with _keys_behind_a_proxy(tmp_path, monkeypatch) as (issuer, proxy):
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", no_proxy)
        async for env in _env(tmp_path, corpus, embedder, app_id=APP_ID, app_password="secret"):
            invoke, headers = _claim_invoke(env, issuer)
            assert (await env.post(invoke, headers=headers)).status == 200
    # The public name resolves only at the proxy: the keys can have come through it alone.
    assert proxy.asked == [f"CONNECT {KEYS_HOST}:443"] and issuer.requests == 1


@pytest.mark.parametrize("bypass", ["", KEYS_HOST])
async def test_without_the_proxy_the_stand_in_is_never_reached_and_nothing_is_accepted(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding, monkeypatch: pytest.MonkeyPatch, bypass: str
) -> None:
    async with _keys_behind_a_proxy(tmp_path, monkeypatch) as (issuer, proxy):
        if bypass:  # a proxy configured, and the keys' host listed as one to reach directly
            monkeypatch.setenv("HTTPS_PROXY", proxy.url)
            monkeypatch.setenv("NO_PROXY", bypass)
        async for env in _env(tmp_path, corpus, embedder, app_id=APP_ID, app_password="secret"):
            invoke, headers = _claim_invoke(env, issuer)
            assert (await env.post(invoke, headers=headers)).status in (401, 503)
    assert proxy.asked == [] and issuer.requests == 0
