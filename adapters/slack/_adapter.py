"""The Slack edge: Bolt's `AsyncApp` wired to the shared `Bot`. It translates; the core decides."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters._outbox import OutboxWorker
from adapters.slack._blocks import fallback_text, reply_blocks, split_text
from adapters.slack._listeners import case_blocks, register, relay_if_in_case
from adapters.slack._translate import PLATFORM, to_incoming
from bot import Bot, ButtonKind, Reply, escalation, messages
from bot import outbox as queue
from bot.commands import AdminCommands
from bot.config import SlackSettings
from bot.store import Outbox
from bot.types import Outcome

log = logging.getLogger(__name__)
_WORKING = "eyes"


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
        )
        self.commands = AdminCommands(bot)
        self.outbox = OutboxWorker(bot.db, self._mine, self._send, _retry_after)
        self._tasks: set[asyncio.Task[Any]] = set()
        register(self.app, self)

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

    # --- listeners ------------------------------------------------------------------------------------

    async def on_mention(
        self, event: dict[str, Any], body: dict[str, Any], context: Any, request: Any
    ) -> None:
        await self._answer(event, body, context, request)

    async def on_message(
        self, event: dict[str, Any], body: dict[str, Any], context: Any, request: Any
    ) -> None:
        if await relay_if_in_case(self, event):
            return
        if event.get("channel_type") == "im":
            await self._answer(event, body, context, request)

    async def _answer(self, event: dict[str, Any], body: dict[str, Any], context: Any, request: Any) -> None:
        message = to_incoming(event, body, context.bot_user_id or "")
        channel, ts = message.channel_id, str(event.get("ts", ""))
        # Only the first delivery shows the indicator: a retry must not remove it while that one works.
        first = not request.headers.get("x-slack-retry-num")
        if first:
            await self._react("reactions_add", channel, ts)
        try:
            reply = await self.bot.ahandle(message)
        finally:
            if first:
                await self._react("reactions_remove", channel, ts)
        if reply is None:
            return  # a retry of an event already answered
        await self.deliver(channel, message.thread_id, reply)
        if reply.escalated:
            self.wake_outbox()

    async def on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = str(body.get("user", {}).get("id", ""))
        kind, value = str(action.get("action_id", "")), str(action.get("value", ""))
        channel = str(body.get("channel", {}).get("id", ""))
        message = body.get("message") or {}
        if kind in (ButtonKind.CONFIRM, ButtonKind.CANCEL):
            reply = await self.bot.aconfirm(PLATFORM, user, value, kind == ButtonKind.CONFIRM)
            if reply.outcome == Outcome.REFUSED:  # someone else pressed it: leave the buttons for the owner
                await self._ephemeral(channel, user, reply.text)
                return
            await self._replace(channel, str(message.get("ts", "")), reply.text)
        elif kind in (ButtonKind.FEEDBACK_UP, ButtonKind.FEEDBACK_DOWN) and value.isdigit():
            await self.bot.afeedback(PLATFORM, user, int(value), 1 if kind == ButtonKind.FEEDBACK_UP else -1)
            await self._ephemeral(channel, user, messages.say("thanks_feedback", self.language))
        elif kind == ButtonKind.HUMAN and value.isdigit():
            reply = await self.bot.arequest_human(PLATFORM, user, int(value))
            thread = str(message.get("thread_ts") or message.get("ts", ""))
            await self.deliver(channel, thread, reply)
            self.wake_outbox()
        elif kind in ("case_claim", "case_resolve") and value.isdigit():
            await self._case_action(kind, int(value), user, channel, str(message.get("ts", "")))

    async def _case_action(self, kind: str, case_id: int, user: str, channel: str, ts: str) -> None:
        human = f"{PLATFORM}:{user}"
        if kind == "case_claim":
            case = escalation.claim(self.bot.db, case_id, human)
            if case is not None:
                await self._post(
                    channel, ts, messages.say("case_claimed", case.lang, human=f"<@{user}>", case_id=case_id)
                )
            return
        closed = self.bot.close_case(human, case_id)
        if closed is None:
            return
        case, proposal = closed
        await self._post(
            channel, ts, messages.say("case_resolved_team", case.lang, case_id=case_id, human=f"<@{user}>")
        )
        if proposal is not None:
            await self._post(
                channel, ts, messages.say("norm_proposed", case.lang, case_id=case_id, path=proposal)
            )
        self.wake_outbox()

    async def on_unused(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        log.info(
            "acknowledged an unused %s (%s)",
            body.get("type"),
            body.get("callback_id") or body.get("view", {}),
        )

    async def on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        requester = f"{PLATFORM}:{command.get('user_id', '')}"
        text = str(command.get("text", "")).strip()
        name = (text.split() or ["help"])[0].lower()
        if name == "reindex" and self.commands.allowed(requester, name):
            await ack(messages.say("reindex_started", self.language))

            async def progress(line: str) -> None:
                await respond(line)

            await respond(
                await self.commands.run(requester, text, self.language, progress), response_type="in_channel"
            )
            return
        await ack(await self.commands.run(requester, text, self.language))

    # --- delivery ------------------------------------------------------------------------------------

    async def deliver(self, channel: str, thread_ts: str, reply: Reply) -> None:
        """Post the reply in the thread; if Slack cannot take it now, keep it in the outbox."""
        payload: dict[str, Any] = {
            "channel": channel,
            "thread_ts": thread_ts,
            "text": fallback_text(reply),
            "blocks": reply_blocks(reply, self.settings.docs_url),
        }
        try:
            await self.client.chat_postMessage(**payload)
        except Exception as exc:  # network, rate limit past retries, channel_not_found…
            log.warning("reply to %s kept for retry: %s", channel, exc)
            queue.enqueue(self.bot.db, "slack_message", payload, delay_s=_retry_after(exc))

    async def _post(self, channel: str, thread_ts: str, text: str) -> None:
        await self.deliver(channel, thread_ts, Reply(text=text))

    async def _replace(self, channel: str, ts: str, text: str) -> None:
        blocks = reply_blocks(Reply(text=text))
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not update %s/%s: %s", channel, ts, exc)
            queue.enqueue(self.bot.db, "slack_message", {"channel": channel, "text": text, "blocks": blocks})

    async def _ephemeral(self, channel: str, user: str, text: str) -> None:
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as exc:
            log.warning("ephemeral message to %s failed: %s", user, exc)

    async def _react(self, method: str, channel: str, ts: str) -> None:
        try:
            await getattr(self.client, method)(channel=channel, timestamp=ts, name=_WORKING)
        except SlackApiError as exc:  # the indicator is a courtesy; the answer must not depend on it
            log.debug("%s failed: %s", method, exc)

    # --- the outbox: case announcements, relays, undelivered replies ------------------------------------

    def wake_outbox(self) -> None:
        self.outbox.wake()

    def _mine(self, item: Outbox) -> bool:
        if item.kind == "slack_message":
            return True
        case_id = item.payload.get("case_id")
        case = escalation.get_case(self.bot.db, int(case_id)) if case_id else None
        return case is not None and case.platform == PLATFORM

    async def _send(self, item: Outbox) -> None:
        if item.kind == "slack_message":
            await self.client.chat_postMessage(**item.payload)
            return
        case = escalation.get_case(self.bot.db, int(item.payload["case_id"]))
        assert case is not None and case.id is not None
        lang = case.lang
        if item.kind == "case_opened":
            if not self.settings.human_channel:
                raise RuntimeError("slack.human_channel is not configured")
            text = messages.say(
                "case_announcement",
                lang,
                case_id=case.id,
                user=f"<@{case.user_id}>",
                question=case.question,
                summary=case.summary,
            )
            posted = await self.client.chat_postMessage(
                channel=self.settings.human_channel, text=text, blocks=case_blocks(case.id, text, lang)
            )
            escalation.announce(
                self.bot.db, case.id, {"channel": self.settings.human_channel, "message": posted["ts"]}
            )
        elif item.kind == "relay" and item.payload.get("role") == "human":
            text = messages.say("human_says", lang, text=item.payload["text"])
            await self.client.chat_postMessage(channel=case.channel_id, thread_ts=case.thread_id, text=text)
        elif item.kind == "relay":
            where = case.announcement
            author = str(item.payload.get("author", "")).removeprefix(f"{PLATFORM}:")
            text = messages.say("employee_says", lang, user=f"<@{author}>", text=item.payload["text"])
            await self.client.chat_postMessage(
                channel=where["channel"], thread_ts=where["message"], text=text
            )
        elif item.kind == "case_resolved":
            reply = escalation.resolved_notice(case)
            await self.client.chat_postMessage(
                channel=case.channel_id, thread_ts=case.thread_id, text=reply.text, blocks=reply_blocks(reply)
            )

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


def _retry_after(exc: Exception) -> float | None:
    """Slack's `Retry-After`, when a rate-limited call says how long to wait."""
    response = getattr(exc, "response", None)
    value = (
        response.headers.get("Retry-After")
        if isinstance(exc, SlackApiError) and response is not None
        else None
    )
    return float(value) if value else None
