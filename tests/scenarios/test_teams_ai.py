"""Teams' conventions for AI replies through the real endpoint: streaming in one-to-one chats (and only
there), and Teams' own 👍/👎 stored like the feedback buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.audit import entries
from bot.store import Feedback
from knowledge.testing import HashingEmbedding
from tests.fakes.bot_connector import Sent, card_of, card_text

from .test_teams import USER, TeamsEnv, _env, activity


@pytest.fixture
async def teams(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> AsyncIterator[TeamsEnv]:
    async for env in _env(tmp_path, corpus, embedder):
        yield env


def _stream_info(sent: Sent) -> dict[str, Any]:
    (info,) = [e for e in sent.body.get("entities") or [] if e.get("type") == "streaminfo"]
    return info


async def test_a_one_to_one_answer_is_streamed_informative_first_then_final_with_the_same_stream_id(
    teams: TeamsEnv,
) -> None:
    assert (await teams.post(teams.personal("How many vacation days do I get?", "s1"))).status == 202
    (final,) = await teams.fake.wait_for()
    stream = [s for s in teams.fake.sent if s.body.get("type") in ("typing", "message")]
    kinds = [(s.body["type"], _stream_info(s).get("streamType")) for s in stream]
    assert kinds[0] == ("typing", "informative") and kinds[-1] == ("message", "final")
    assert stream[0].body["text"] == "Searching the norms…"
    assert [kind for _, kind in kinds[1:-1]] in ([], ["streaming"])
    # The first send opens the stream (the connector's id for it names it); every later one carries it.
    stream_id = _stream_info(final)["streamId"]
    assert "streamId" not in _stream_info(stream[0])
    assert stream_id and all(_stream_info(s)["streamId"] == stream_id for s in stream[1:])
    assert "Here is what the norms say" in final.body["text"]
    # The words are the message's text, with [n] where each source is cited; the card lists the sources.
    assert "[1]" in final.body["text"] and "[1]" in card_text(card_of(final))
    assert {a["verb"] for a in card_of(final)["actions"]} == {"human"}
    assert final.body["channelData"]["feedbackLoop"] == {"type": "default"}
    (ai,) = [e for e in final.body["entities"] if e.get("@type") == "Message"]
    assert ai["additionalType"] == ["AIGeneratedContent"]
    positions = sorted(claim["position"] for claim in ai["citation"])  # the SDK lists them in any order
    assert positions == list(range(1, len(positions) + 1)) and f"[{positions[-1]}]" in final.body["text"]


async def test_the_informative_update_speaks_the_users_language(teams: TeamsEnv) -> None:
    body = teams.personal("¿Cuántos días de vacaciones tengo?", "s2")
    body["locale"] = "es-ES"
    await teams.post(body)
    await teams.fake.wait_for()
    informative = [s for s in teams.fake.sent if s.body.get("type") == "typing"][0]
    assert informative.body["text"] == "Buscando en la normativa…"


async def test_a_channel_gets_the_final_message_without_a_stream(teams: TeamsEnv) -> None:
    body = activity("message.channel-thread-mention.teams-net.json", teams.fake.url + "amer/tenant/")
    body["text"] = "<at>ridotest</at> How many vacation days do I get?"
    await teams.post(body)
    (reply,) = await teams.fake.wait_for()
    assert all(e.get("type") != "streaminfo" for s in teams.fake.sent for e in s.body.get("entities") or [])
    assert "Here is what the norms say" in card_text(card_of(reply))


async def test_teams_feedback_on_an_answer_is_stored_and_audited_like_the_buttons(teams: TeamsEnv) -> None:
    await teams.post(teams.personal("How many vacation days do I get?", "f1"))
    (answer,) = await teams.fake.wait_for()
    message_id = _stream_info(answer)["streamId"]
    for reaction in ("like", "dislike"):  # a second vote changes the first
        response = await teams.post(_feedback_invoke(teams, message_id, reaction))
        assert response.status == 200
    with teams.bot.db.session() as s:
        votes = s.exec(select(Feedback)).all()
    assert [(v.user_id, v.value) for v in votes] == [(f"teams:{USER}", -1)]
    assert sorted(e.arguments["value"] for e in entries(teams.bot.db) if e.event == "feedback") == [-1, 1]


async def test_feedback_on_a_message_that_is_not_ours_stores_nothing(teams: TeamsEnv) -> None:
    response = await teams.post(_feedback_invoke(teams, "1730000000000", "like"))
    assert response.status == 200
    with teams.bot.db.session() as s:
        assert s.exec(select(Feedback)).all() == []


def _feedback_invoke(teams: TeamsEnv, message_id: str, reaction: str) -> dict[str, Any]:
    """The invoke Teams sends when a user presses its 👍/👎 on a message with a feedback loop."""
    invoke = activity("invoke.adaptiveCard-action.execute.teams-net.json", teams.fake.url + "amer/")
    invoke["from"]["id"] = USER
    invoke.update(
        name="message/submitAction",
        replyToId=message_id,
        value={
            "actionName": "feedback",
            "actionValue": {"reaction": reaction, "feedback": '{"feedbackText":"ok"}'},
        },
    )
    return invoke
