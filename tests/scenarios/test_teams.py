"""Real Teams activities POSTed to the running aiohttp endpoint; a local connector records the replies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from adapters.teams import MAX_BYTES, TeamsAdapter, reply_card
from bot import Bot, Reply
from bot.audit import entries
from bot.store import Case, Ticket
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import bot_over, make_settings
from tests.conftest import shared_or_skip
from tests.fakes._serve import serve_adapter
from tests.fakes.bot_connector import FakeConnector, card_of, card_text, fake_connector

USER = "29:1uMVvhoAyfTqdMsyvHL0qlJTTfQF9MOUSI8_cQts2kdSWEZVDyJO2jz-CsNOhQcdYq1Bw4cHT0__O6XDj4AZ-Jw"
HUMAN_CHANNEL = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"


def activity(name: str, service_url: str) -> dict[str, Any]:
    body = json.loads(shared_or_skip("teams-activities", name).read_text(encoding="utf-8"))
    body["serviceUrl"] = service_url
    return body


@dataclass
class TeamsEnv:
    fake: FakeConnector
    bot: Bot
    adapter: TeamsAdapter
    url: str
    session: aiohttp.ClientSession

    async def post(
        self, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        response = await self.session.post(self.url, json=body, headers=headers or {})
        await response.read()
        return response

    def personal(self, text: str, activity_id: str, user: str = USER) -> dict[str, Any]:
        """A personal-chat message, built from the captured invoke's personal conversation."""
        body = activity("invoke.adaptiveCard-action.execute.teams-net.json", self.fake.url + "amer/")
        for key in ("name", "value", "replyToId"):
            body.pop(key, None)
        body.update(type="message", text=text, id=activity_id)
        body["from"]["id"] = user
        return body


async def _env(
    tmp_path: Path,
    corpus: Path,
    embedder: HashingEmbedding,
    adapter_options: dict[str, Any] | None = None,
    **teams: Any,
) -> AsyncIterator[TeamsEnv]:
    async with fake_connector() as fake:
        settings = make_settings(
            tmp_path / "home",
            corpus,
            groups={"admins": [f"teams:{USER}"]},
            teams={
                "enabled": True,
                "human_team_channel": HUMAN_CHANNEL,
                "digest_channel": HUMAN_CHANNEL,
                **teams,
            },
        )
        bot = bot_over(settings, embedder)
        adapter = TeamsAdapter(
            bot, settings.teams, language="en", reply_deadline_s=5, **(adapter_options or {})
        )
        async with serve_adapter(adapter) as base, aiohttp.ClientSession() as session:
            yield TeamsEnv(fake, bot, adapter, base + "api/messages", session)
        await bot.aclose()


@pytest.fixture
async def teams(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> AsyncIterator[TeamsEnv]:
    async for env in _env(tmp_path, corpus, embedder):
        yield env


async def test_a_channel_mention_is_answered_with_an_adaptive_card(teams: TeamsEnv) -> None:
    body = activity("message.channel-thread-mention.teams-net.json", teams.fake.url + "amer/tenant/")
    body["text"] = "<at>ridotest</at> How many vacation days do I get?"
    response = await teams.post(body)
    assert response.status == 202
    typing = [s for s in teams.fake.sent if s.body.get("type") == "typing"]
    assert typing, "a typing indicator while it works"
    (reply,) = await teams.fake.wait_for()
    assert (
        reply.method == "reply"
        and reply.conversation == body["conversation"]["id"]
        and reply.activity_id == body["id"]
    )
    card = card_of(reply)
    assert card["version"] == "1.5" and "Here is what the norms say" in card_text(card)
    assert "ridotest" not in card_text(card)
    # Teams' own 👍/👎 (the feedback loop) replace the vote buttons; "talk to a human" stays on the card.
    assert {a["verb"] for a in card["actions"]} == {"human"}
    assert all(a["type"] == "Action.Execute" for a in card["actions"])
    assert reply.body["channelData"]["feedbackLoop"] == {"type": "default"}
    assert "feedbackLoopEnabled" not in reply.body["channelData"]
    (ai,) = [e for e in reply.body["entities"] if e.get("@type") == "Message"]
    assert ai["type"] == "https://schema.org/Message" and ai["@context"] == "https://schema.org"
    assert ai["additionalType"] == ["AIGeneratedContent"]
    assert ai["citation"], "an answer from the norms cites them"
    for n, claim in enumerate(ai["citation"], 1):
        assert claim["@type"] == "Claim" and claim["position"] == n and f"[{n}]" in card_text(card)
        appearance = claim["appearance"]
        assert appearance["@type"] == "DigitalDocument" and appearance["name"]
        assert 0 < len(appearance["abstract"]) <= 160


async def test_the_captured_invoke_returns_200_with_a_card(teams: TeamsEnv) -> None:
    response = await teams.post(activity("invoke.adaptiveCard-action.execute.teams-net.json", teams.fake.url))
    assert response.status == 200
    body = json.loads(await response.text())
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["type"] == "AdaptiveCard"


async def test_confirming_through_action_execute_runs_the_action_and_updates_the_card(
    teams: TeamsEnv,
) -> None:
    await teams.post(teams.personal("Open an IT ticket: my laptop does not boot", "m1"))
    (proposal,) = await teams.fake.wait_for()
    actions = {a["verb"]: a["data"]["value"] for a in card_of(proposal)["actions"]}
    assert set(actions) == {"confirm", "cancel"}
    invoke = activity("invoke.adaptiveCard-action.execute.teams-net.json", teams.fake.url)
    invoke["value"]["action"] = {
        "type": "Action.Execute",
        "verb": "confirm",
        "data": {"value": actions["confirm"]},
    }
    response = await teams.post(invoke)
    assert response.status == 200
    updated = json.loads(await response.text())["value"]
    assert "Ticket #1 opened with it" in card_text(updated)
    with teams.bot.db.session() as s:
        assert [t.requester for t in s.exec(select(Ticket)).all()] == [f"teams:{USER}"]


async def test_escalation_posts_a_case_to_the_human_channel_and_relays_both_ways(teams: TeamsEnv) -> None:
    install = activity("conversationUpdate.bot-added-to-team.msteams-docs.json", teams.fake.url + "amer/")
    assert (await teams.post(install)).status == 202  # the reference to the human channel is stored
    await teams.post(teams.personal("I want to talk to a human about my gym membership", "m2"))
    case_post = (await teams.fake.wait_for(match=lambda s: s.conversation == HUMAN_CHANNEL))[0]
    assert case_post.method == "send" and {a["verb"] for a in card_of(case_post)["actions"]} == {
        "case_claim",
        "case_resolve",
    }
    with teams.bot.db.session() as s:
        (case,) = s.exec(select(Case)).all()
    thread = f"{HUMAN_CHANNEL};messageid={case.announcement['message']}"

    human = activity("message.channel-thread-mention.teams-net.json", teams.fake.url + "amer/")
    human["conversation"]["id"] = thread
    human["text"] = "<at>ridotest</at> Not covered; ask about the wellness budget."
    await teams.post(human)
    employee_conversation = teams.personal("x", "m3")["conversation"]["id"]
    relayed = await teams.fake.wait_for(
        match=lambda s: s.conversation == employee_conversation and "wellness" in s.body.get("text", "")
    )
    assert relayed

    resolve = activity("invoke.adaptiveCard-action.execute.teams-net.json", teams.fake.url)
    resolve["value"]["action"] = {
        "type": "Action.Execute",
        "verb": "case_resolve",
        "data": {"value": str(case.id)},
    }
    response = await teams.post(resolve)
    assert "resolved" in card_text(json.loads(await response.text())["value"])
    await teams.fake.wait_for(
        match=lambda s: s.conversation == employee_conversation and "attachments" in s.body
    )


async def test_commands_respect_permissions(teams: TeamsEnv) -> None:
    await teams.post(teams.personal("help", "c1", user="29:someone-else"))
    (plain,) = await teams.fake.wait_for()
    assert "reindex" not in card_text(card_of(plain))
    await teams.post(teams.personal("reindex", "c2", user="29:someone-else"))
    await teams.fake.wait_for(2)
    assert [e.event for e in entries(teams.bot.db, "teams:29:someone-else") if e.tool == "/reindex"] == [
        "denied"
    ]
    await teams.post(teams.personal("reindex", "c3"))
    done = await teams.fake.wait_for(match=lambda s: "unchanged" in json.dumps(s.body))
    assert done


async def test_a_slow_answer_is_acknowledged_and_sent_proactively(teams: TeamsEnv) -> None:
    teams.adapter.handler.reply_deadline_s = (
        0.0  # the agent is "slow": past the deadline before it can answer
    )
    response = await teams.post(teams.personal("How many vacation days do I get?", "s1"))
    assert response.status == 202
    first, second = await teams.fake.wait_for(2)
    assert "on it" in first.body["text"]
    assert second.method == "send" and "Here is what the norms say" in card_text(card_of(second))


async def test_malformed_requests_are_rejected_cleanly(teams: TeamsEnv) -> None:
    broken = await teams.session.post(
        teams.url, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400
    assert teams.fake.sent == []


async def test_with_an_app_id_a_request_without_a_token_gets_401(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    async for env in _env(
        tmp_path, corpus, embedder, app_id="00000000-0000-0000-0000-000000000001", app_password="x"
    ):
        response = await env.post(env.personal("How many vacation days do I get?", "j1"))
        assert response.status == 401
        forged = await env.post(env.personal("hi", "j2"), headers={"Authorization": "Bearer not-a-jwt"})
        assert forged.status == 401
        await asyncio.sleep(0.3)
        assert env.fake.sent == []


def test_long_answers_stay_under_the_teams_message_size() -> None:
    long = "\n\n".join(f"Paragraph {n}. " + "palabra " * 800 for n in range(40))
    card = reply_card(Reply(text=long))
    assert len(json.dumps({"type": "message", "attachments": [card]}).encode()) < MAX_BYTES
    assert card_text(card).endswith("…")


async def test_every_card_we_send_follows_the_adaptive_card_rules_and_the_digest_carries_its_chart(
    teams: TeamsEnv,
) -> None:
    import jsonschema

    from bot.digest import compute_digest, render_chart, to_markdown
    from tests.scenarios.adaptive_card_subset import CARD_1_5

    await teams.post(
        activity("conversationUpdate.bot-added-to-team.msteams-docs.json", teams.fake.url + "amer/")
    )
    await teams.post(teams.personal("How many vacation days do I get?", "v1"))
    await teams.post(teams.personal("Open an IT ticket: the printer jams", "v2"))
    await teams.post(teams.personal("Can I talk to a human about my gym?", "v3"))
    await teams.fake.wait_for(4)  # answer, proposal, escalation notice, case post
    from zoneinfo import ZoneInfo

    digest = compute_digest(teams.bot.db, "2026-W48", ZoneInfo("Europe/Madrid"))
    await teams.adapter.post_digest(to_markdown(digest, "en", 3), render_chart(digest), "2026-W48")
    posted = [s for s in teams.fake.messages() if s.body.get("attachments")]
    assert len(posted) >= 4  # answer, proposal, case post, digest (the escalation notice is plain text)
    for sent in posted:
        jsonschema.Draft7Validator(CARD_1_5).validate(card_of(sent))
        assert len(json.dumps(sent.body).encode()) < MAX_BYTES
    digest_card = card_of(posted[-1])
    assert posted[-1].conversation == HUMAN_CHANNEL and "2026-W48" in card_text(digest_card)
    (image,) = [b for b in digest_card["body"] if b["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,iVBORw0KGgo")  # a PNG


async def test_a_certificate_can_replace_the_app_password(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from adapters.teams._egress import app_tokens, certificate_credential
    from bot.config import TeamsSettings

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "bot.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    app_id = "00000000-0000-0000-0000-000000000002"
    settings = TeamsSettings(
        enabled=True, app_id=app_id, certificate_thumbprint="AB" * 20, certificate_key_file=str(pem)
    )
    credential = certificate_credential(settings.certificate_thumbprint, settings.certificate_key_file)
    assert credential is not None and credential["thumbprint"] == "AB" * 20
    loaded = serialization.load_pem_private_key(credential["private_key"].encode(), password=None)
    assert loaded.public_key().public_numbers() == key.public_key().public_numbers()
    tokens = app_tokens(settings)
    assert tokens is not None and tokens.configuration.CLIENT_ID == app_id
    assert certificate_credential("", "") is None  # the password path
    assert app_tokens(TeamsSettings()) is None  # no app id: replies go without a token


async def test_a_message_back_click_is_a_button_not_a_question(teams: TeamsEnv) -> None:
    body = activity("message.messageBack.msteams-docs.json", teams.fake.url + "amer/")
    response = await teams.post(body)
    assert response.status == 202
    (reply,) = await teams.fake.wait_for()
    assert "button" in reply.body["text"]
    with teams.bot.db.session() as s:
        assert s.exec(select(Case)).all() == []  # "User just clicked…" was not taken for a question


async def test_a_conversation_reference_stored_by_the_botbuilder_version_still_reaches_its_channel(
    teams: TeamsEnv,
) -> None:
    from adapters.teams._cards import card_message, text_card
    from bot.store import ConversationRef

    stored_by_botbuilder = {  # ConversationReference.serialize() of botbuilder 4.17, as kept in the table
        "activityId": "1730000000000",
        "user": {"id": USER, "name": "Ana", "aadObjectId": "0b6f"},
        "bot": {"id": "28:0b6fe6d1-fece-44f7-9a48-56465e2d5ab8", "name": "ridotest"},
        "conversation": {
            "isGroup": True,
            "conversationType": "channel",
            "id": HUMAN_CHANNEL,
            "tenantId": "t",
        },
        "channelId": "msteams",
        "locale": "en-US",
        "serviceUrl": teams.fake.url + "emea/",
    }
    with teams.bot.db.session() as s:
        s.add(
            ConversationRef(platform="teams", conversation_id=HUMAN_CHANNEL, reference=stored_by_botbuilder)
        )
    await teams.adapter.conversations.proactive(HUMAN_CHANNEL, card_message(text_card("Case #1")))
    (posted,) = await teams.fake.wait_for()
    assert posted.conversation == HUMAN_CHANNEL and card_text(card_of(posted)) == "Case #1"
