"""Real Slack payloads, signed, over HTTP into the Bolt app; a local Slack Web API records the replies."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from adapters.slack import reply_blocks, split_text
from bot import Reply
from bot.audit import entries
from bot.store import Case, Ticket
from knowledge.testing import HashingEmbedding
from tests.conftest import shared_or_skip
from tests.fakes.slack_api import fake_slack

from .conftest import SlackEnv, payload, socket_mode


def _mention(
    text: str, event_id: str = "EvM1", user: str = "W222", ts: str = "1595926230.009600"
) -> dict[str, Any]:
    body = payload("events", "app_mention.bolt-python.json")
    body["event"].update(text=f"<@W23456789> {text}", user=user, ts=ts, event_ts=ts)
    body["event_id"] = event_id
    return body


def _dm(text: str, event_id: str, user: str = "W222", ts: str = "1726133700.887259") -> dict[str, Any]:
    body = payload("events", "message_im.bolt-python.json")
    body["event"].update(text=text, user=user, ts=ts)
    body["event_id"] = event_id
    return body


def _click(
    action_id: str, value: str, user: str = "W222", channel: str = "D111", ts: str = "1700000000.000001"
) -> dict[str, Any]:
    body = payload("interactivity", "block_actions_button.bolt-python.json")
    body["user"]["id"] = user
    body["channel"]["id"] = channel
    body["container"].update(channel_id=channel, message_ts=ts, is_ephemeral=False)
    body["message"] = {"ts": ts, "thread_ts": ts, "text": "", "type": "message"}
    body["actions"][0].update(action_id=action_id, value=value)
    return body


async def test_url_verification_echoes_the_challenge(slack: SlackEnv) -> None:
    body = payload("events", "url_verification.bolt-python.json")
    response = await slack.session.post(
        slack.url,
        data=json.dumps(body),
        headers=_signed(json.dumps(body)),
    )
    assert response.status == 200 and (await response.json()) == {"challenge": body["challenge"]}


def _signed(body: str) -> dict[str, str]:
    import time

    ts = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier("test-signing-secret").generate_signature(
            timestamp=ts, body=body
        ),
    }


async def test_slacks_own_signing_vector_verifies() -> None:
    vector = json.loads(shared_or_skip("slack-payloads", "commands", "signing-vector.json").read_text())
    body = shared_or_skip("slack-payloads", "commands", vector["body_file"]).read_text()
    verifier = SignatureVerifier(
        vector["signing_secret"], clock=_FixedClock(int(vector["x_slack_request_timestamp"]))
    )
    assert (
        verifier.generate_signature(timestamp=vector["x_slack_request_timestamp"], body=body)
        == vector["expected_x_slack_signature"]
    )
    assert verifier.is_valid(body, vector["x_slack_request_timestamp"], vector["expected_x_slack_signature"])


class _FixedClock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


async def test_a_mention_is_answered_in_its_thread_with_citations_and_buttons(slack: SlackEnv) -> None:
    response = await slack.event(_mention("How many vacation days do I get?"))
    assert response.status == 200
    (posted,) = await slack.fake.wait_for("chat.postMessage")
    assert posted["channel"] == "C111" and posted["thread_ts"] == "1595926230.009600"
    assert "Here is what the norms say" in posted["text"]
    kinds = [b["type"] for b in posted["blocks"]]
    assert kinds[-2:] == ["context", "actions"] and "pto-policy.md" in json.dumps(posted["blocks"])
    actions = {e["action_id"] for e in posted["blocks"][-1]["elements"]}
    assert actions == {"feedback_up", "feedback_down", "human"}
    added, removed = slack.fake.named("reactions.add"), slack.fake.named("reactions.remove")
    assert added and removed and added[0]["timestamp"] == "1595926230.009600"


async def test_the_real_im_payload_gets_exactly_one_reply_despite_retries(slack: SlackEnv) -> None:
    body = payload("events", "message_im.bolt-python.json")
    responses = [await slack.event(body), await slack.event(body, retry=1), await slack.event(body, retry=2)]
    assert [r.status for r in responses] == [200, 200, 200]
    await slack.fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.5)
    replies = [c for c in slack.fake.named("chat.postMessage") if c["channel"] == "D111"]
    assert len(replies) == 1 and replies[0]["thread_ts"] == "1726133698.626339"


async def test_bad_or_stale_signatures_get_401_and_nothing_runs(slack: SlackEnv) -> None:
    assert (await slack.event(_mention("hola", "EvBad"), secret="wrong-secret")).status == 401
    assert (await slack.event(_mention("hola", "EvOld"), age_s=600)).status == 401
    await asyncio.sleep(0.3)
    assert slack.fake.named("chat.postMessage") == []


async def test_bots_and_edits_get_no_reply(slack: SlackEnv) -> None:
    from_bot = _dm("How many vacation days do I get?", "EvBot")
    from_bot["event"]["bot_id"] = "B999"
    edited = _dm("How many vacation days do I get?", "EvEdit")
    edited["event"]["subtype"] = "message_changed"
    for body in (from_bot, edited):
        assert (await slack.event(body)).status == 200
    await asyncio.sleep(0.4)
    assert slack.fake.named("chat.postMessage") == []


async def test_an_action_is_confirmed_with_a_button_and_the_result_replaces_it(slack: SlackEnv) -> None:
    await slack.event(_dm("Open an IT ticket: the VPN drops every hour", "EvT1"))
    (proposal,) = await slack.fake.wait_for("chat.postMessage")
    buttons = {e["action_id"]: e["value"] for e in proposal["blocks"][-1]["elements"]}
    assert set(buttons) == {"confirm", "cancel"}
    stranger = await slack.interaction(_click("confirm", buttons["confirm"], user="W999"))
    assert stranger.status == 200
    await slack.fake.wait_for("chat.postEphemeral")
    click = await slack.interaction(_click("confirm", buttons["confirm"]))
    assert click.status == 200
    (update,) = await slack.fake.wait_for("chat.update")
    assert "Ticket #1 opened with it" in update["text"] and update["ts"] == "1700000000.000001"
    with slack.bot.db.session() as s:
        assert [t.requester for t in s.exec(select(Ticket)).all()] == ["slack:W222"]


async def test_escalation_posts_a_case_and_relays_both_ways_until_resolved(slack: SlackEnv) -> None:
    await slack.event(_mention("I want to talk to a human about my gym membership", "EvE1"))
    announcement = next(
        c for c in await slack.fake.wait_for("chat.postMessage", 2) if c["channel"] == "CHUMAN"
    )
    assert "gym" in announcement["text"] and "<@W222>" in announcement["text"]
    case_buttons = {e["action_id"] for e in announcement["blocks"][-1]["elements"]}
    assert case_buttons == {"case_claim", "case_resolve"}
    with slack.bot.db.session() as s:
        (case,) = s.exec(select(Case)).all()
    case_ts = case.announcement["message"]

    human = payload("events", "message_im.bolt-python.json")
    human["event"].update(
        channel="CHUMAN",
        channel_type="channel",
        thread_ts=case_ts,
        ts="1700000100.000001",
        user="WHUMAN",
        text="Not covered, but ask about the wellness budget.",
    )
    human["event_id"] = "EvH1"
    await slack.event(human)
    relayed = await _wait_post(slack, lambda c: c["channel"] == "C111" and "wellness" in c["text"])
    assert relayed["thread_ts"] == "1595926230.009600"

    follow_up = _mention("thanks, who approves it?", "EvE2", ts="1595926300.000100")
    follow_up["event"].update(type="message", channel_type="channel", thread_ts="1595926230.009600")
    await slack.event(follow_up)
    await _wait_post(slack, lambda c: c["channel"] == "CHUMAN" and "who approves" in c["text"])

    await slack.interaction(_click("case_claim", str(case.id), user="WHUMAN", channel="CHUMAN", ts=case_ts))
    await slack.interaction(_click("case_resolve", str(case.id), user="WHUMAN", channel="CHUMAN", ts=case_ts))
    closing = await _wait_post(slack, lambda c: c["channel"] == "C111" and "resolved" in c["text"])
    assert {e["action_id"] for e in closing["blocks"][-1]["elements"]} == {"feedback_up", "feedback_down"}
    with slack.bot.db.session() as s:
        resolved = s.get(Case, case.id)
    assert resolved is not None and resolved.status == "resolved" and resolved.claimed_by == "slack:WHUMAN"
    assert (slack.bot.settings.home / "proposed-norms" / f"case-{case.id}.md").read_text().count(
        "wellness"
    ) == 1


async def _wait_post(slack: SlackEnv, match: Any, timeout: float = 10.0) -> dict[str, Any]:
    for _ in range(int(timeout / 0.05)):
        found = [c for c in slack.fake.named("chat.postMessage") if match(c)]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no matching post in {slack.fake.calls}")


async def test_slash_commands_respect_permissions_and_reindex_reports_progress(slack: SlackEnv) -> None:
    command = dict(_form("commands", "slash_command.bolt-python.form.txt"))
    command.update(
        command="/backoffice", text="help", user_id="W222", response_url=slack.fake.url + "respond/h1"
    )
    help_response = await slack.form(command)
    assert help_response.status == 200
    text = await help_response.text()
    assert "`help`" in text and "reindex" not in text

    command["text"] = "reindex"
    refused = await slack.form(command)
    assert "permission" in await refused.text()
    assert [e.event for e in entries(slack.bot.db, "slack:W222") if e.tool == "/reindex"] == ["denied"]

    command["user_id"] = "WADMIN"
    started = await slack.form(command)
    assert "Reindexing" in await started.text()
    done = await slack.fake.wait_for("response_url")
    assert any("unchanged" in d["text"] for d in done)

    command.update(text="digest", user_id="W222")
    assert "permission" in await (await slack.form(command)).text()
    command["user_id"] = "WBOSS"
    digest = await (await slack.form(command)).text()
    assert "weekly digest" in digest and "No activity this week." in digest

    command["text"] = "frobnicate"
    unknown = await slack.form(command)
    assert "frobnicate" in await unknown.text()


def _form(*parts: str) -> list[tuple[str, str]]:
    import urllib.parse

    return urllib.parse.parse_qsl(shared_or_skip("slack-payloads", *parts).read_text().strip())


async def test_a_rate_limited_post_is_retried_after_the_wait_slack_asks_for(slack: SlackEnv) -> None:
    slack.fake.failures["chat.postMessage"] = [
        (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    ]
    await slack.event(_dm("How many vacation days do I get?", "EvR1"))
    posts = await slack.fake.wait_for("chat.postMessage", 2)
    assert posts[0] == posts[1]  # the same message, sent again after the wait


async def test_an_undeliverable_reply_is_kept_and_delivered_later(slack: SlackEnv) -> None:
    slack.fake.failures["chat.postMessage"] = [(200, {"ok": False, "error": "channel_not_found"}, {})]
    await slack.event(_dm("How many vacation days do I get?", "EvN1"))
    posts = await slack.fake.wait_for("chat.postMessage", 2, timeout=15)
    assert posts[0]["text"] == posts[1]["text"]


def test_long_answers_stay_within_block_kit_limits() -> None:
    long = "\n\n".join(f"Paragraph {n}. " + "word " * 700 for n in range(30))
    blocks = reply_blocks(Reply(text=long))
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    parts = split_text("x" * 7000)
    assert [len(p) for p in parts] == [2900, 2900, 1200]


async def test_the_digest_posts_its_text_and_uploads_the_chart(slack: SlackEnv) -> None:
    await slack.adapter.post_digest("*Digest 2026-W47*\nNo activity this week.", b"\x89PNG fake", "2026-W47")
    (message,) = slack.fake.named("chat.postMessage")
    assert message["channel"] == "CMANAGERS" and "Digest 2026-W47" in message["text"]
    assert slack.fake.named("files.getUploadURLExternal")[0]["filename"] == "digest-2026-W47.png"
    assert slack.fake.named("upload") == [{"bytes": len(b"\x89PNG fake")}]
    complete = slack.fake.named("files.completeUploadExternal")[0]
    assert complete["channel_id"] == "CMANAGERS"


def _copy(body: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(body)


async def test_the_weekly_digest_is_posted_once_and_retried_after_a_failure(slack: SlackEnv) -> None:
    from adapters.server import digest_publisher

    first = digest_publisher(slack.bot, slack.bot.settings, [slack.adapter.post_digest])
    second = digest_publisher(slack.bot, slack.bot.settings, [slack.adapter.post_digest])  # another worker
    slack.fake.failures["chat.postMessage"] = [(200, {"ok": False, "error": "channel_not_found"}, {})]
    assert await first.publish("2026-W47") is False  # failed: the week is given back
    assert await second.publish("2026-W47") is True
    assert await first.publish("2026-W47") is False  # already posted
    posted = [c for c in slack.fake.named("chat.postMessage") if c["channel"] == "CMANAGERS"]
    assert len(posted) == 2 and "2026-W47" in posted[1]["text"]  # the failed attempt, then the one post
    assert len(slack.fake.named("files.completeUploadExternal")) == 1


async def test_a_modal_submission_is_acknowledged(slack: SlackEnv) -> None:
    response = await slack.interaction(payload("interactivity", "view_submission.bolt-python.json"))
    assert response.status == 200


async def test_socket_mode_acknowledges_every_envelope_and_answers_the_event(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    envelopes = payload("socket_mode", "envelopes.bolt-python.json")
    shortcut, command, event = envelopes
    command["payload"].update(command="/backoffice", text="help")
    event["payload"]["event"].update(
        text="How many vacation days do I get?", channel="D777", channel_type="im"
    )
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        fake.socket_envelopes = [shortcut, command, event]
        async with socket_mode(fake, tmp_path / "home", corpus, embedder):
            (posted,) = await fake.wait_for("chat.postMessage")
            for _ in range(100):
                if len(fake.socket_acks) == 3:
                    break
                await asyncio.sleep(0.05)
    assert posted["channel"] == "D777" and "Here is what the norms say" in posted["text"]
    acks = {a["envelope_id"]: a for a in fake.socket_acks}
    assert set(acks) == {e["envelope_id"] for e in envelopes}
    assert "`help`" in json.dumps(acks[command["envelope_id"]].get("payload", {}))
