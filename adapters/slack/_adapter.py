"""The Slack edge: Bolt's `AsyncApp` over HTTP (signed) or Socket Mode, wired to the shared `Bot`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters._outbox import OutboxWorker
from adapters._turns import TurnRunner
from adapters.slack._agent import AgentSurface
from adapters.slack._blocks import split_text
from adapters.slack._delivery import SlackPoster, retry_after
from adapters.slack._listeners import SlackListeners
from adapters.slack._translate import PLATFORM, shape_problem
from bot import Bot
from bot.config import SlackSettings
from bot.conversation.relay import Relay
from bot.store import Outbox

log = logging.getLogger(__name__)


class SlackAdapter:
    def __init__(self, bot: Bot, settings: SlackSettings, *, language: str = "en") -> None:
        self.bot, self.settings, self.language = bot, settings, language
        self.client = AsyncWebClient(
            token=settings.bot_token,
            base_url=settings.api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )
        # Socket Mode has no signing secret; `_signed` then refuses every HTTP request.
        self._verifier = SignatureVerifier(settings.signing_secret or "unused")
        # Signatures are checked in `handle_http` before the body is parsed (Bolt parses first, so a
        # malformed unsigned body would be a 500, and it logs rejected bodies at INFO).
        self.app = AsyncApp(
            signing_secret=settings.signing_secret or "checked-in-handle-http",
            client=self.client,
            request_verification_enabled=False,
            raise_error_for_unhandled_request=True,  # our handler logs it without the body
        )
        self.poster = SlackPoster(self.client, bot.db, settings.human_channel, settings.docs_url)
        # The agent surface has its own client, which retries nothing: when a status or a stream fails,
        # the reply goes out at once as a plain message (with its own rate limit) instead of waiting.
        agent_client = AsyncWebClient(token=settings.bot_token, base_url=settings.api_url, retry_handlers=[])
        self.agent = AgentSurface(agent_client, settings.agent_view, settings.docs_url)
        self.relay = Relay(bot, PLATFORM, settings.human_channel)
        self.outbox = OutboxWorker(bot.db, PLATFORM, self._send, retry_after)
        self.turns = TurnRunner("slack-turns", bot.settings.server.max_turns_in_flight)
        SlackListeners(
            bot, self.relay, self.poster, self.outbox.wake, self.turns, self.agent, language=language
        ).register(self.app)

    # --- transport ------------------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """The one HTTP endpoint for events, slash commands and interactivity: the signature first, then
        a body Bolt can read, else a 4xx (a malformed request is the sender's error, never a 500)."""
        raw = await request.read()
        if not self._signed(raw, request.headers):
            log.info("refused a Slack request with a bad or stale signature")
            log.debug("refused body: %r", raw[:2000])
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(
                body=raw.decode("utf-8"),
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
        # Bolt parses the body and reads its context (team, user, enterprise…) here, assuming a shape:
        # not UTF-8, not JSON, a list, a string where an object goes, nested beyond reason.
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError) as exc:
            log.warning("refused a signed Slack request whose body is unreadable (%s)", type(exc).__name__)
            return web.json_response({"error": "malformed body"}, status=400)
        problem = shape_problem(bolt_request.body)
        if problem:
            log.warning("refused a signed Slack request Bolt could not route: %s", problem)
            return web.json_response({"error": "malformed body"}, status=400)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    def _signed(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        if not self.settings.signing_secret:  # an empty secret would accept anyone's signature
            return False
        try:
            return self._verifier.is_valid(
                raw.decode("utf-8"),
                headers.get("X-Slack-Request-Timestamp"),
                headers.get("X-Slack-Signature"),
            )
        except ValueError:  # a timestamp that is not a number, a body that is not UTF-8
            return False

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_post(self.settings.path, self.handle_http)

    async def start_socket_mode(self) -> Any:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.app, self.settings.app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        return handler

    @property
    def in_flight(self) -> int:
        return self.turns.in_flight

    async def drain(self, timeout_s: float) -> int:
        """Let the answers already accepted be posted; how many were still unfinished after `timeout_s`."""
        return await self.turns.drain(timeout_s)

    def close(self) -> None:
        self.turns.close()

    async def _send(self, item: Outbox) -> None:
        await self.relay.deliver(item, self.poster)

    # --- the weekly digest --------------------------------------------------------------------------------

    async def post_digest(self, markdown: str, chart_png: bytes, week: str) -> None:
        channel = self.settings.digest_channel
        if not channel:
            raise RuntimeError("slack.digest_channel is not configured")
        await self.client.chat_postMessage(
            channel=channel,
            text=markdown[:3000],
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": part}}
                for part in split_text(markdown)[:45]
            ],
        )
        await self.client.files_upload_v2(
            channel=channel, content=chart_png, filename=f"digest-{week}.png", title=f"Digest {week}"
        )
