"""Property-based fuzzing of both endpoints on one running server (as `backoffice serve` composes it):
malformed, truncated, wrongly typed and oversized bodies, signed and unsigned. Whatever arrives: never a
5xx, never a traceback or an ERROR in the log, and /healthz answering throughout."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import logging
import shutil
import threading
import time
import urllib.parse
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.server import Server
from knowledge import sample_corpus_path
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import bot_over, make_settings
from tests.conftest import shared_or_skip
from tests.fakes._serve import serve_app
from tests.fakes.bot_connector import fake_connector
from tests.fakes.slack_api import fake_slack

from .conftest import SECRET

T = TypeVar("T")
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
)


class _Troubles(logging.Handler):
    """Every record a fuzzed request must never cause: a traceback, or anything at ERROR or above."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


def _describe(record: logging.LogRecord) -> str:
    error = record.exc_info[1] if record.exc_info else None
    return f"{record.name}: {record.getMessage()} {error!r}"


@dataclass
class Live:
    host: str
    port: int
    connector_url: str
    troubles: _Troubles = field(default_factory=_Troubles)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> int:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def check(self, status: int, *, fuzzed: bool = True) -> None:
        if fuzzed:
            event(f"HTTP {status}")  # the spread of answers, in --hypothesis-show-statistics
        assert status < 500, status
        assert self.troubles.records == [], [_describe(r) for r in self.troubles.records[:3]]
        assert self.request("GET", "/healthz") == 200


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    auth_test = json.loads(shared_or_skip("slack-payloads", "web_api", "auth.test.bot.json").read_text())
    root = tmp_path_factory.mktemp("fuzz")
    corpus = root / "corpus"
    shutil.copytree(sample_corpus_path(), corpus)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    stack = AsyncExitStack()
    fake = run(stack.enter_async_context(fake_slack(auth_test)))
    connector = run(stack.enter_async_context(fake_connector()))
    config = make_settings(
        root / "home",
        corpus,
        slack={"bot_token": "xoxb", "signing_secret": SECRET, "api_url": fake.url + "api/"},
        teams={"enabled": True},
        server={"outbox_interval_s": 60},
    )
    bot = bot_over(config, HashingEmbedding())
    server = Server(bot, config)
    run(server.open())
    base = run(stack.enter_async_context(serve_app(server.web_app)))
    address = urllib.parse.urlsplit(base)
    env = Live(address.hostname or "127.0.0.1", address.port or 80, connector.url)
    logging.getLogger().addHandler(env.troubles)
    try:
        yield env
    finally:
        logging.getLogger().removeHandler(env.troubles)
        run(server.close())
        run(stack.aclose())
        run(bot.aclose())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- what arrives --------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _shaped(
    keys: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """An object as the platform sends it (the `required` keys, some of the others), or the same with one
    key's value replaced by any JSON at all: mostly well-formed, so requests get past the first check."""
    right = st.fixed_dictionaries(
        {k: keys[k] for k in required}, optional={k: v for k, v in keys.items() if k not in required}
    )
    broken = st.tuples(right, st.sampled_from(sorted(keys)), JSON).map(lambda t: {**t[0], t[1]: t[2]})
    return st.one_of(right, right, broken)


SLACK_EVENT = _shaped(
    {
        "type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]),
        "team_id": st.just("T111"),
        "event_id": st.text(max_size=12),
        "challenge": st.text(max_size=12),
        "authorizations": st.just([{"team_id": "T111", "user_id": "W23456789", "is_bot": True}]),
        "event": _shaped(
            {
                "type": st.sampled_from(["app_mention", "message", "reaction_added"]),
                "text": st.text(max_size=60),
                "user": st.sampled_from(["W222", "U1"]),
                "channel": st.sampled_from(["C111", "D111"]),
                "channel_type": st.sampled_from(["im", "channel"]),
                "ts": st.sampled_from(["1595926230.009600", "x"]),
                "thread_ts": st.sampled_from(["1595926230.009600", ""]),
                "bot_id": st.text(max_size=4),
                "subtype": st.sampled_from(["message_changed", "bot_message"]),
            },
            required=("type", "text", "user", "channel", "ts"),
        ),
    },
    required=("type", "team_id", "event_id", "event"),
)
SLACK_INTERACTION = _shaped(
    {
        "type": st.sampled_from(["block_actions", "view_submission", "shortcut", "message_action"]),
        "user": _shaped({"id": st.sampled_from(["W222", "WHUMAN"])}),
        "team": _shaped({"id": st.just("T111")}),
        "channel": _shaped({"id": st.just("D111")}),
        "message": _shaped({"ts": st.just("1.2"), "thread_ts": st.just("1.2")}),
        "actions": st.lists(
            _shaped(
                {
                    "action_id": st.sampled_from(["confirm", "cancel", "human", "feedback_up", "case_claim"]),
                    "value": st.text(max_size=8),
                    "type": st.just("button"),
                },
                required=("action_id", "value"),
            ),
            min_size=1,
            max_size=2,
        ),
        "view": _shaped({"callback_id": st.text(max_size=8), "id": st.text(max_size=8)}),
        "callback_id": st.text(max_size=8),
    },
    required=("type", "user", "team", "actions"),
)
SLACK_COMMAND = st.dictionaries(
    st.sampled_from(["command", "text", "user_id", "team_id", "channel_id", "response_url", "trigger_id"]),
    st.text(max_size=20),
)


def _truncated(document: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    return st.tuples(document.map(json.dumps), st.floats(0, 1)).map(lambda p: p[0][: int(len(p[0]) * p[1])])


SLACK_BODIES = st.one_of(
    st.tuples(SLACK_EVENT.map(json.dumps), st.just("application/json")),
    st.tuples(SLACK_EVENT.map(json.dumps), st.just("application/json")),
    st.tuples(_truncated(SLACK_EVENT), st.just("application/json")),
    st.tuples(
        JSON.map(json.dumps), st.sampled_from(["application/json", "application/x-www-form-urlencoded"])
    ),
    st.tuples(
        SLACK_INTERACTION.map(lambda p: urllib.parse.urlencode({"payload": json.dumps(p)})),
        st.just("application/x-www-form-urlencoded"),
    ),
    st.tuples(
        _truncated(SLACK_INTERACTION).map(lambda p: urllib.parse.urlencode({"payload": p})),
        st.just("application/x-www-form-urlencoded"),
    ),
    st.tuples(SLACK_COMMAND.map(urllib.parse.urlencode), st.just("application/x-www-form-urlencoded")),
    st.tuples(st.text(max_size=200), st.sampled_from(["application/json", "text/plain", ""])),
).map(lambda pair: (pair[0].encode("utf-8", "surrogatepass"), pair[1]))


def _slack_headers(body: bytes, content_type: str, signing: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    headers = {"Content-Type": content_type} if content_type else {}
    if signing == "unsigned":
        return headers
    secret = SECRET if signing == "signed" else "someone-else"
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {**headers, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


@FUZZ
@given(body=SLACK_BODIES, signing=st.sampled_from(["signed", "signed", "wrong secret", "unsigned"]))
def test_slack_never_answers_5xx_nor_logs_a_traceback(
    live: Live, body: tuple[bytes, str], signing: str
) -> None:
    raw, content_type = body
    live.check(live.request("POST", "/slack/events", raw, _slack_headers(raw, content_type, signing)))


@FUZZ
@given(raw=st.binary(max_size=3000), signing=st.sampled_from(["signed", "unsigned"]))
def test_slack_survives_arbitrary_bytes(live: Live, raw: bytes, signing: str) -> None:
    live.check(live.request("POST", "/slack/events", raw, _slack_headers(raw, "application/json", signing)))


def _activities(service_url: str) -> st.SearchStrategy[dict[str, Any]]:
    account = _shaped(
        {"id": st.sampled_from(["29:user", "28:bot"]), "name": st.text(max_size=10)}, required=("id",)
    )
    return _shaped(
        {
            "type": st.sampled_from(["message", "invoke", "conversationUpdate", "typing", "event"]),
            "id": st.text(max_size=10),
            "name": st.sampled_from(["adaptiveCard/action", "composeExtension/query"]),
            "text": st.text(max_size=80),
            "locale": st.sampled_from(["en-US", "es-ES", ""]),
            "channelId": st.just("msteams"),
            "serviceUrl": st.just(service_url),
            "from": account,
            "recipient": account,
            "conversation": _shaped(
                {
                    "id": st.sampled_from(["a:personal", "19:team@thread.tacv2;messageid=17"]),
                    "conversationType": st.sampled_from(["personal", "channel"]),
                },
                required=("id",),
            ),
            "entities": st.lists(_shaped({"type": st.just("mention"), "mentioned": account}), max_size=2),
            "value": _shaped(
                {
                    "action": _shaped(
                        {
                            "verb": st.sampled_from(["confirm", "feedback_up", "case_resolve", "human"]),
                            "data": _shaped({"value": st.text(max_size=6)}),
                        }
                    ),
                    "verb": st.sampled_from(["confirm", "feedback_up"]),
                }
            ),
            "membersAdded": st.lists(account, max_size=2),
        },
        required=("type", "id", "serviceUrl", "from", "recipient", "conversation", "channelId"),
    )


@FUZZ
@given(data=st.data())
def test_teams_never_answers_5xx_nor_logs_a_traceback(live: Live, data: st.DataObject) -> None:
    activities = _activities(live.connector_url + "amer/")
    raw = data.draw(
        st.one_of(
            activities.map(json.dumps),
            activities.map(json.dumps),
            activities.map(json.dumps),
            _truncated(activities),
            JSON.map(json.dumps),
            st.text(max_size=200),
        ).map(lambda text: text.encode("utf-8", "surrogatepass"))
    )
    content_type = data.draw(st.sampled_from(["application/json", "application/json", "text/plain"]))
    live.check(live.request("POST", "/api/messages", raw, {"Content-Type": content_type}))


@pytest.mark.parametrize("path", ["/slack/events", "/api/messages"])
def test_an_oversized_body_is_refused_with_a_4xx(live: Live, path: str) -> None:
    body = b'{"type": "' + b"x" * 3_000_000 + b'"}'
    live.check(live.request("POST", path, body, {"Content-Type": "application/json"}), fuzzed=False)


@pytest.mark.parametrize("path", ["/slack/events", "/api/messages"])
def test_a_deeply_nested_body_is_refused_with_a_4xx(live: Live, path: str) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    headers = _slack_headers(body, "application/json", "signed")
    live.check(live.request("POST", path, body, headers), fuzzed=False)


def test_nothing_failed_in_the_background_after_the_last_request(live: Live) -> None:
    """Bolt acknowledges first and runs listeners after: their failures surface here at the latest."""
    time.sleep(1.0)
    live.check(200, fuzzed=False)
