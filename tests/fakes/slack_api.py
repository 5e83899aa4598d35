"""A local Slack Web API: the real HTTP protocol (form or JSON in, `{"ok": …}` out), recording every call.

The AI surface (status, suggested prompts, streamed messages) answers as a workspace that has it when
`agent` is true, and as one without it otherwise (the app lacks `assistant:write`, streaming is denied)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes._serve import serve_app


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeSlack:
    auth_test: dict[str, Any]
    calls: list[Call] = field(default_factory=list)
    # method -> queued failures, each (HTTP status, JSON body or an HTML page, headers); one per call
    failures: dict[str, list[tuple[int, dict[str, Any] | str, dict[str, str]]]] = field(default_factory=dict)
    url: str = ""
    socket_envelopes: list[dict[str, Any]] = field(default_factory=list)  # sent to a Socket Mode client
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    agent: bool = False  # whether the workspace offers the AI surface
    streams: dict[str, list[str]] = field(default_factory=dict)  # ts -> the markdown each call carried
    streaming: set[str] = field(default_factory=set)  # started and not stopped
    _ts: int = 0

    def refuse(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls get Slack's refusal: HTTP 200, `ok: false` and the reason."""
        self.failures.setdefault(method, []).extend([(200, {"ok": False, "error": error}, {})] * times)

    def rate_limit(self, method: str, retry_after_s: int = 1, times: int = 1) -> None:
        limited = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after_s)})
        self.failures.setdefault(method, []).extend([limited] * times)

    def break_down(self, method: str, status: int = 503, times: int = 1, page: str = "") -> None:
        """Slack's own trouble: a 5xx, with Slack's error or (`page`) a gateway's HTML page."""
        body: dict[str, Any] | str = page or {"ok": False, "error": "service_unavailable"}
        self.failures.setdefault(method, []).extend([(status, body, {})] * times)

    def named(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.named(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s), got {self.calls}")
            await asyncio.sleep(0.02)
        return self.named(method)

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(await request.post())
            for key in ("blocks", "attachments", "files"):
                if isinstance(args.get(key), str):
                    args[key] = json.loads(args[key])
        args = {**dict(request.query), **args}  # some methods send their arguments in the query string
        self.calls.append(Call(method, args))
        queued = self.failures.get(method)
        if queued:
            status, body, headers = queued.pop(0)
            if isinstance(body, str):  # what a proxy in front of Slack answers: not JSON at all
                return web.Response(text=body, status=status, headers=headers, content_type="text/html")
            return web.json_response(body, status=status, headers=headers)
        return web.json_response(self._answer(method, args))

    def streamed(self, ts: str) -> str:
        """The markdown a stream carried, start to stop."""
        return "".join(self.streams.get(ts, []))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return self.auth_test
        if method in ("chat.postMessage", "chat.update"):
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts") or self._next_ts()}
        if method in _AGENT_METHODS:
            return self._agent_answer(method, args)
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "socket"}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.url}upload/F1", "file_id": "F1"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F1", "title": args.get("files")}]}
        return {"ok": True}

    def _agent_answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if not self.agent:
            if method.startswith("assistant."):
                return {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": "assistant:write",
                    "provided": "chat:write",
                }
            return {"ok": False, "error": "access_denied"}
        if method == "chat.startStream":
            if not args.get("channel") or not args.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            ts = self._next_ts()
            self.streams[ts] = _markdown(args)
            self.streaming.add(ts)
            return {"ok": True, "channel": args["channel"], "ts": ts}
        if method in ("chat.appendStream", "chat.stopStream"):
            ts = str(args.get("ts", ""))
            if ts not in self.streaming:
                return {"ok": False, "error": "message_not_in_streaming_state"}
            self.streams[ts] += _markdown(args)
            if method == "chat.stopStream":
                self.streaming.discard(ts)
            return {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "assistant.threads.setSuggestedPrompts" and len(args.get("prompts") or []) > 4:
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1700000000.{self._ts:06d}"

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, send the queued envelopes, record the client's acknowledgements."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A111"}})
        for envelope in self.socket_envelopes:
            await ws.send_json(envelope)
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return ws

    async def upload(self, request: web.Request) -> web.Response:
        self.calls.append(Call("upload", {"bytes": len(await request.read())}))
        return web.Response(text="OK")

    async def respond(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", await request.json()))
        return web.json_response({"ok": True})


_AGENT_METHODS = frozenset(
    {
        "assistant.threads.setStatus",
        "assistant.threads.setSuggestedPrompts",
        "chat.startStream",
        "chat.appendStream",
        "chat.stopStream",
    }
)


def _markdown(args: dict[str, Any]) -> list[str]:
    """The text a streaming call carries: `markdown_text` and the chunks' markdown."""
    texts = [str(args["markdown_text"])] if args.get("markdown_text") else []
    for chunk in args.get("chunks") or []:
        if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
            texts.append(str(chunk.get("text", "")))
    return texts


@asynccontextmanager
async def fake_slack(auth_test: dict[str, Any], *, agent: bool = False) -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(auth_test, agent=agent)
    app = web.Application()
    app.router.add_post("/api/{method}", fake.api)
    app.router.add_post("/upload/{file}", fake.upload)
    app.router.add_post("/respond/{hook}", fake.respond)
    app.router.add_get("/socket", fake.socket)
    async with serve_app(app) as url:
        fake.url = url
        yield fake
