"""Slack requests that must be refused with a 4xx, retries that must not repeat side effects, and waits the
platform asks for that must be honoured."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from .conftest import SlackEnv, payload
from .test_slack import _dm, _mention


@pytest.fixture(autouse=True)
def _verbose_logs(caplog: pytest.LogCaptureFixture) -> None:
    """As `serve` runs (INFO), set before the app exists: Bolt's logger takes the root level at creation."""
    caplog.set_level(logging.DEBUG)


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


MALFORMED = [
    ('{"type": "event_callback", "event": {"type": "app_mention", "text": "hi', "application/json"),
    ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    ("not json at all", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ("payload=%5B%5D", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_a_malformed_body_is_a_4xx_signed_or_not(
    slack: SlackEnv, body: str, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await slack.post(body, content_type)).status == 400
    assert (await slack.post(body, content_type, secret="not-slack")).status == 401
    bare = await slack.session.post(slack.url, data=body.encode(), headers={"Content-Type": content_type})
    assert bare.status == 401
    assert slack.fake.named("chat.postMessage") == []
    _no_traceback(caplog)


async def test_the_body_of_a_refused_request_is_never_logged_above_debug(
    slack: SlackEnv, caplog: pytest.LogCaptureFixture
) -> None:
    body = _mention("my salary is SECRET-MARKER-42", "EvSecret")
    assert (await slack.event(body, secret="wrong-secret")).status == 401
    loud = [r for r in caplog.records if r.levelno > logging.DEBUG and "SECRET-MARKER" in r.getMessage()]
    assert loud == []


async def test_a_retry_leaves_the_working_indicator_to_the_first_delivery(slack: SlackEnv) -> None:
    body = _mention("", "EvEyes")  # answered without the agent: one reply, whatever the norms say
    first = asyncio.create_task(slack.event(body))
    await slack.fake.wait_for("reactions.add")
    retry = await slack.event(body, retry=1)
    assert retry.status == 200 and (await first).status == 200
    await slack.fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.3)
    assert len(slack.fake.named("reactions.add")) == 1
    assert len(slack.fake.named("reactions.remove")) == 1
    assert len(slack.fake.named("chat.postMessage")) == 1


async def test_the_outbox_retry_waits_for_the_retry_after_of_the_last_429(slack: SlackEnv) -> None:
    limited = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    last = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
    slack.fake.failures["chat.postMessage"] = [limited, limited, last]  # the client retries twice itself
    await slack.event(_dm("", "EvRA"))  # answered without the agent: one reply, whatever the norms say
    await slack.fake.wait_for("chat.postMessage", 4, timeout=15)
    posts = [c for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert posts[3].at - posts[2].at >= 1.9  # after the last 429 asked for 2 s, not at once
    assert posts[3].args == posts[0].args


async def test_chat_markup_is_decoded_before_the_bot_reads_it(slack: SlackEnv) -> None:
    text = (
        "is the per diem &amp; hotel covered? see <https://intra.example/travel|travel page> cc <@U777|ana>"
    )
    await slack.event(_mention(text, "EvAmp"))
    await slack.fake.wait_for("chat.postMessage")
    from sqlmodel import select

    from bot.store import Turn

    with slack.bot.db.session() as s:
        (turn,) = s.exec(select(Turn)).all()
    assert turn.question == (
        "is the per diem & hotel covered? see travel page (https://intra.example/travel) cc @ana"
    )


def _body(**event: Any) -> dict[str, Any]:
    body = payload("events", "app_mention.bolt-python.json")
    body["event"].update(event)
    return body


@pytest.mark.parametrize("text", ["", "word " * 2000])
async def test_a_retried_empty_or_too_long_mention_is_answered_once(slack: SlackEnv, text: str) -> None:
    body = _mention(text, "EvShort" if not text else "EvLong")
    assert (await slack.event(body)).status == 200
    assert (await slack.event(body, retry=1)).status == 200
    await slack.fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.4)
    assert len(slack.fake.named("chat.postMessage")) == 1


async def test_a_signed_request_no_listener_takes_is_a_404_without_its_body_in_the_log(
    slack: SlackEnv, caplog: pytest.LogCaptureFixture
) -> None:
    response = await slack.form({"command": "/SECRET-MARKER-7", "text": "SECRET-MARKER-7", "user_id": "W1"})
    assert response.status == 404
    loud = [r for r in caplog.records if r.levelno > logging.DEBUG and "SECRET-MARKER" in r.getMessage()]
    assert loud == []
    _no_traceback(caplog)
