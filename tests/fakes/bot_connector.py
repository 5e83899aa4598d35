"""A local Bot Framework connector: the REST routes a bot calls on `serviceUrl`, recording each activity."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes._serve import serve_app

_ROUTE = re.compile(
    r"^(?:.*/)?v3/conversations(?:/(?P<conversation>[^/]+)/activities(?:/(?P<activity>[^/]+))?)?/?$"
)


@dataclass
class Sent:
    method: str  # send, reply, update, create
    conversation: str
    activity_id: str
    body: dict[str, Any]


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def handle(self, request: web.Request) -> web.Response:
        match = _ROUTE.match(request.path)
        if match is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        body = await request.json() if request.can_read_body else {}
        conversation = urllib.parse.unquote(match.group("conversation") or "")
        activity = urllib.parse.unquote(match.group("activity") or "")
        if request.method == "PUT":
            kind = "update"
        elif not conversation:
            kind = "create"
        else:
            kind = "reply" if activity else "send"
        self.sent.append(Sent(kind, conversation, activity, body))
        new_id = f"{int(time.time() * 1000)}{next(self._ids)}"
        if kind == "create":
            return web.json_response({"id": f"a:new-{new_id}", "activityId": new_id})
        return web.json_response({"id": activity if kind == "update" else new_id})

    def messages(self) -> list[Sent]:
        return [s for s in self.sent if s.body.get("type") == "message"]

    async def wait_for(self, count: int = 1, timeout: float = 10.0, match: Any = None) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while True:
            found = [s for s in self.messages() if match is None or match(s)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} message(s), got {self.sent}")
            await asyncio.sleep(0.02)


CARD = "application/vnd.microsoft.card.adaptive"


def card_of(sent: Sent) -> dict[str, Any]:
    (attachment,) = sent.body["attachments"]
    assert attachment["contentType"] == CARD
    return attachment["content"]


def card_text(card: dict[str, Any]) -> str:
    return "\n".join(block.get("text", "") for block in card["body"])


def said(sent: Sent) -> str:
    """What the user reads in a message: its text (a streamed answer's words), then its card's."""
    cards = [a["content"] for a in sent.body.get("attachments") or [] if a.get("contentType") == CARD]
    return "\n".join([sent.body.get("text") or "", *(card_text(card) for card in cards)]).strip()


@asynccontextmanager
async def fake_connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    async with serve_app(app) as url:
        fake.url = url
        yield fake
