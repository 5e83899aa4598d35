"""What the Slack app listens to: each listener translates the event, asks the core, and posts the answer."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse

from adapters._turns import TurnRunner
from adapters.slack._agent import AgentSurface, StreamBroken
from adapters.slack._blocks import NATIVE_FEEDBACK, native_vote
from adapters.slack._delivery import SlackPoster
from adapters.slack._prompts import SuggestedPrompts
from adapters.slack._translate import PLATFORM, is_from_a_bot_or_an_edit, readable, to_incoming
from bot import Bot, ButtonKind, IncomingMessage, Reply, messages
from bot.conversation.commands import AdminCommands
from bot.conversation.relay import CaseAction, Press, Relay, Route, ThreadMessage, Visibility

log = logging.getLogger(__name__)
COMMAND = "/backoffice"
EVENTS = ("app_mention", "message", "app_home_opened")
# Sent to an app with the agent view whether or not it subscribes: acknowledged, nothing to do.
QUIET_EVENTS = ("app_context_changed",)
ACTIONS = (*(str(k) for k in ButtonKind), *(str(a) for a in CaseAction), NATIVE_FEEDBACK)
_VOTES = (str(ButtonKind.FEEDBACK_UP), str(ButtonKind.FEEDBACK_DOWN))


class _Working(Enum):
    """How the person sees that their question is being worked on."""

    NOTHING = "nothing"  # a retry: the first delivery shows it
    STATUS = "status"  # Slack's status line under the agent's conversation
    REACTION = "reaction"  # 👀 on their message


class SlackListeners:
    def __init__(
        self,
        bot: Bot,
        relay: Relay,
        poster: SlackPoster,
        wake_outbox: Callable[[], None],
        turns: TurnRunner,
        agent: AgentSurface,
        *,
        language: str = "en",
    ) -> None:
        self.bot, self.relay, self.poster, self.wake_outbox = bot, relay, poster, wake_outbox
        self.turns, self.agent = turns, agent
        self.prompts = SuggestedPrompts(bot)
        self.commands = AdminCommands(bot)
        self.language = language

    def register(self, app: AsyncApp) -> None:
        app.error(self.on_error)
        app.middleware(_ignore_bots_and_edits)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        for name in QUIET_EVENTS:
            app.event(name)(self.on_quiet_event)
        for action in ACTIONS:
            app.action(action)(self.on_action)
        app.command(COMMAND)(self.on_command)
        # Modals and shortcuts are not features of ours: acknowledge them so Slack neither shows an error
        # nor retries (an unacknowledged Socket Mode envelope is redelivered).
        app.view(re.compile(".+"))(self.on_unused)
        app.shortcut(re.compile(".+"))(self.on_unused)

    async def on_mention(
        self, event: dict[str, Any], body: dict[str, Any], context: Any, request: Any
    ) -> None:
        self.turns.hold()  # accepted: a stopping worker finishes it, even while the relay reads below
        # The same message also arrives as a `message` event, which relays it when it belongs to a case.
        # The relay reads the database: off the loop, which must keep acknowledging other requests.
        if await asyncio.to_thread(self.relay.peek, self._thread_message(event, context)) == Route.ANSWER:
            await self._answer(event, body, context, request)

    async def on_message(
        self, event: dict[str, Any], body: dict[str, Any], context: Any, request: Any
    ) -> None:
        self.turns.hold()  # accepted: a stopping worker finishes it, relayed or answered
        route = await asyncio.to_thread(self.relay.route, self._thread_message(event, context))
        if route == Route.RELAYED:
            self.wake_outbox()
        # In channels the bot answers mentions (the app_mention event); a direct message is always for it.
        elif route == Route.ANSWER and event.get("channel_type") == "im":
            await self._answer(event, body, context, request)

    @staticmethod
    def _thread_message(event: dict[str, Any], context: Any) -> ThreadMessage:
        thread = str(event.get("thread_ts") or "")
        return ThreadMessage(
            platform=PLATFORM,
            user_id=str(event.get("user", "")),
            text=readable(str(event.get("text", "")), context.bot_user_id or ""),
            channel_id=str(event.get("channel", "")),
            thread_id="" if thread == event.get("ts") else thread,
        )

    async def _answer(self, event: dict[str, Any], body: dict[str, Any], context: Any, request: Any) -> None:
        message = to_incoming(event, body, context.bot_user_id or "")
        ts = str(event.get("ts", ""))
        # The agent surface belongs to the app's own conversation; a mention in a channel gets a message.
        agent = message.is_direct and self.agent.offered(message.tenant_id)
        # Only the first delivery shows the indicator: a retry must not remove it while that one works.
        first = not request.headers.get("x-slack-retry-num")
        # The indicator is set while the turn already runs: the answer need not wait for that call.
        showing = asyncio.create_task(self._show_working(message, ts, agent)) if first else None
        reply: Reply | None = None
        try:
            reply = await self.turns.run(self.bot.ahandle(message))
        finally:
            working = await showing if showing else _Working.NOTHING
            await self._hide_working(message, ts, working, answered=reply is not None)
        if reply is None:
            return  # a retry of an event already answered: only the first delivery replies
        await self._send(message, reply, agent)
        if reply.escalated:
            self.wake_outbox()

    async def _show_working(self, message: IncomingMessage, ts: str, agent: bool) -> _Working:
        where = (message.tenant_id, message.channel_id, message.thread_id)
        if agent and await self.agent.show_status(*where, self.bot.language_of(message)):
            return _Working.STATUS
        await self.poster.react("reactions_add", message.channel_id, ts)
        return _Working.REACTION

    async def _hide_working(
        self, message: IncomingMessage, ts: str, working: _Working, answered: bool
    ) -> None:
        if working == _Working.REACTION:
            await self.poster.react("reactions_remove", message.channel_id, ts)
        elif working == _Working.STATUS and not answered:  # an answer clears the status by itself
            await self.agent.clear_status(message.tenant_id, message.channel_id, message.thread_id)

    async def _send(self, message: IncomingMessage, reply: Reply, agent: bool) -> None:
        """Streamed where the agent surface is offered; else, or if Slack will not stream it, one message."""
        channel, thread = message.channel_id, message.thread_id
        if agent:
            try:
                if await self.agent.stream(message.tenant_id, message.user_id, channel, thread, reply):
                    return
            except StreamBroken as broken:
                await self.poster.finish(channel, thread, broken.ts, reply)
                return
        await self.poster.deliver(channel, thread, reply)

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """The agent's conversation opened: suggest what colleagues ask most, in this person's language."""
        team = str(body.get("team_id") or "")
        if event.get("tab") != "messages" or not self.agent.offered(team):
            return
        title, prompts = await self.prompts.for_user(PLATFORM, str(event.get("user", "")))
        await self.agent.suggest(team, str(event.get("channel", "")), prompts, title)

    async def on_quiet_event(self, body: dict[str, Any]) -> None:
        """The agent answers from the norms whatever the person is looking at: nothing to do."""
        log.debug("acknowledged a Slack %s event", str((body.get("event") or {}).get("type"))[:40])

    async def on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") or {}
        kind, value = str(action.get("action_id", "")), str(action.get("value", ""))
        native = kind == NATIVE_FEEDBACK
        if native:  # Slack's own 👍/👎: the vote and the turn are in the button's value
            kind, value = native_vote(value)
        press = Press(
            platform=PLATFORM,
            user_id=user,
            kind=kind,
            value=value,
            user_label=f"<@{user}>",
            lang=self.language,
        )
        answer = await self.relay.press(press)
        ts = str(message.get("ts", ""))
        if native and kind in _VOTES and value.isdigit():
            return  # stored; Slack marks the chosen thumb itself
        if answer.show == Visibility.PRESSER:
            await self.poster.ephemeral(channel, user, answer.reply.text)
        elif answer.show == Visibility.REPLACE:
            await self.poster.replace(channel, ts, answer.reply)
        else:
            await self.poster.deliver(channel, str(message.get("thread_ts") or ts), answer.reply)
        if answer.wake_outbox:
            self.wake_outbox()

    async def on_unused(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        log.info("acknowledged an unused %s (%s)", body.get("type"), body.get("callback_id") or "")

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        """Bolt's default logs an unhandled request with (part of) its body at WARNING; ours names it."""
        if isinstance(error, BoltUnhandledRequestError):
            log.info("no listener of ours takes a Slack %r request (404)", str(body.get("type"))[:40])
            return
        log.error("a Slack listener failed on a %r request", str(body.get("type"))[:40], exc_info=error)

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


async def _ignore_bots_and_edits(body: dict[str, Any], next: Any) -> Any:
    event = body.get("event")
    if body.get("type") == "event_callback" and isinstance(event, dict) and is_from_a_bot_or_an_edit(event):
        return BoltResponse(status=200, body="")  # acknowledged, and nothing else runs
    return await next()
