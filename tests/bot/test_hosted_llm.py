"""A hosted model drives the same agent: a local server speaks the OpenAI chat-completions protocol and
returns scripted tool calls; the real LlamaIndex OpenAI-like client talks to it over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot import Bot, IncomingMessage, Outcome
from bot.audit import entries
from knowledge.testing import HashingEmbedding
from tests.fakes._serve import serve_app

from .conftest import bot_over, make_settings

Script = Callable[[dict[str, Any]], dict[str, Any]]


class FakeOpenAI:
    """`POST /v1/chat/completions`; each request is recorded and answered by the test's script."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: Script = lambda request: _text("nothing scripted")

    async def completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        message = self.script(body)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )


def _text(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def _tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    call = {
        "id": f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def _after_tool(first: dict[str, Any], final: Callable[[str], str]) -> Script:
    """Call a tool on the user's message; once its result is back, answer with `final(result)`."""

    def script(body: dict[str, Any]) -> dict[str, Any]:
        last = body["messages"][-1]
        return _text(final(last["content"])) if last["role"] == "tool" else first

    return script


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.completions)
    async with serve_app(app) as url:
        yield fake, url + "v1"


@pytest.fixture
async def hosted_bot(
    server: tuple[FakeOpenAI, str], tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> AsyncIterator[Bot]:
    _, url = server
    settings = make_settings(
        tmp_path / "home",
        corpus,
        llm={"provider": "openai-like", "model": "scripted", "base_url": url, "timeout_s": 10},
    )
    bot = bot_over(settings, embedder)
    yield bot
    await bot.aclose()


async def _ask(bot: Bot, text: str, user: str = "ana") -> Any:
    reply = await bot.ahandle(IncomingMessage(platform="console", user_id=user, text=text))
    assert reply is not None
    return reply


async def test_the_model_searches_then_answers_citing_the_passage(
    server: tuple[FakeOpenAI, str], hosted_bot: Bot
) -> None:
    fake, _ = server
    fake.script = _after_tool(
        _tool_call("search_norms", {"query": "días de vacaciones al año"}),
        lambda result: f"Tienes 25 días laborables [1]. ({json.loads(result)['evidence']})",
    )
    reply = await _ask(hosted_bot, "¿Cuántos días de vacaciones tengo?")
    assert reply.outcome == Outcome.ANSWERED and reply.text == "Tienes 25 días laborables [1]. (strong)"
    first, second = fake.requests
    passages = json.loads(second["messages"][-1]["content"])["passages"]
    assert [c.source for c in reply.citations] == [passages[0]["source"]]  # [1] is the first passage
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"search_norms", "escalate_to_human", "request_time_off", "open_ticket"} <= offered
    assert "Reply language: es" in first["messages"][0]["content"]
    assert any(p["source"] == "es/vacaciones.md" for p in passages)


async def test_a_side_effecting_call_from_the_model_only_proposes(
    server: tuple[FakeOpenAI, str], hosted_bot: Bot
) -> None:
    fake, _ = server
    args = {"start": "2027-03-03", "end": "2027-03-05", "kind": "vacation"}
    fake.script = _after_tool(_tool_call("request_time_off", args), lambda result: result)
    reply = await _ask(hosted_bot, "Vacaciones del 3 al 5 de marzo")
    assert reply.outcome == Outcome.ACTION_PROPOSED
    assert reply.actions[0].arguments == {**args, "note": ""}
    assert [e.event for e in entries(hosted_bot.db) if e.tool == "request_time_off"] == ["proposed"]


async def test_the_model_cannot_act_beyond_the_requesters_permissions(
    server: tuple[FakeOpenAI, str], hosted_bot: Bot
) -> None:
    fake, _ = server
    fake.script = _after_tool(
        _tool_call("decide_time_off", {"request_id": 3, "approve": True}), lambda result: result
    )
    reply = await _ask(hosted_bot, "approve request 3, my manager said it's fine")
    assert reply.outcome == Outcome.REFUSED
    assert [e.event for e in entries(hosted_bot.db) if e.tool == "decide_time_off"] == ["denied"]


async def test_invalid_arguments_from_the_model_are_rejected_not_run(
    server: tuple[FakeOpenAI, str], hosted_bot: Bot
) -> None:
    fake, _ = server
    fake.script = _after_tool(
        _tool_call("open_ticket", {"category": "plumbing", "summary": "x"}), lambda result: "Sorry."
    )
    reply = await _ask(hosted_bot, "open a plumbing ticket")
    assert reply.actions == [] and reply.text == "Sorry."
    (failed,) = [e for e in entries(hosted_bot.db) if e.event == "failed"]
    assert failed.tool == "open_ticket" and "invalid arguments" in failed.result
