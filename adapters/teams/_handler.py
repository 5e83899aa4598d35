"""The Agents SDK's `ActivityHandler`: Teams activities in, the core's types through the `Bot` and the
relay, cards out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    InvokeResponse,
    TurnContextProtocol,
)
from microsoft_agents.hosting.core import ActivityHandler, MessageFactory, StreamingResponse, TurnContext

from adapters._turns import TurnRunner
from adapters.teams import _stream
from adapters.teams._cards import (
    CARD_TYPE,
    card_message,
    from_the_norms,
    reply_card,
    reply_message,
    text_card,
)
from adapters.teams._conversations import TeamsConversations
from adapters.teams._feedback import FeedbackTargets, vote
from adapters.teams._translate import PLATFORM, readable, to_incoming, without_own_mention
from bot import Bot, Reply, messages
from bot.conversation.commands import AdminCommands
from bot.conversation.relay import Press, Relay, Route, ThreadMessage

log = logging.getLogger(__name__)
COMMAND_NAMES = ("help", "status", "reindex", "digest")


class BackofficeHandler(ActivityHandler):
    def __init__(
        self,
        bot: Bot,
        relay: Relay,
        conversations: TeamsConversations,
        wake_outbox: Callable[[], None],
        *,
        language: str = "en",
        reply_deadline_s: float = 10.0,
    ) -> None:
        self.bot, self.relay, self.conversations, self.wake_outbox = bot, relay, conversations, wake_outbox
        self.commands = AdminCommands(bot)
        self.language, self.reply_deadline_s = language, reply_deadline_s
        self._background: set[asyncio.Future[Any]] = set()
        self.turns = TurnRunner("teams-turns", bot.settings.server.max_turns_in_flight)
        self.feedback_targets = FeedbackTargets()

    async def on_conversation_update_activity(self, turn_context: TurnContextProtocol[Any]) -> None:
        # Installed in a team or a chat: remember how to reach it for cases, relays and the digest.
        self.conversations.remember(turn_context.activity)
        await super().on_conversation_update_activity(turn_context)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContextProtocol[Any]
    ) -> None:
        return None

    async def on_message_activity(self, turn_context: TurnContextProtocol[Any]) -> None:
        activity = turn_context.activity
        self.conversations.remember(activity)
        text = readable(without_own_mention(activity))
        if isinstance(activity.value, dict):
            # A card button (messageBack / Action.Submit): the click is the message, not its display text.
            reply = await self._press(activity, activity.value)
            await turn_context.send_activity(MessageFactory.text(reply.text))
            return
        # The relay reads the database: off the loop, which must keep serving other requests.
        if await asyncio.to_thread(self.relay.route, _thread_message(activity, text)) != Route.ANSWER:
            self.wake_outbox()
            return
        context = cast(TurnContext, turn_context)  # what the adapter passes, with its send hooks
        if (text.split() or [""])[0].lower() in COMMAND_NAMES:
            await self._command(context, text)
            return
        await self._answer(context, text)

    async def _answer(self, turn_context: TurnContext, text: str) -> None:
        self.turns.hold()  # accepted: a stopping worker answers it before it exits
        message = to_incoming(turn_context.activity, text)
        lang = message.lang_hint or self.language
        stream = _stream.start(turn_context, lang) if message.is_direct else None
        if stream is None:
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        work = asyncio.ensure_future(self.turns.run(self.bot.ahandle(message)))
        done, _ = await asyncio.wait({work}, timeout=self.reply_deadline_s)
        if done:
            reply = work.result()
            if reply is not None:
                await self._send_reply(turn_context, reply, stream)
            return
        # Teams gives a bot 15 s: say it is on it, and deliver the answer proactively when it is ready.
        working = messages.say("working", lang)
        if stream is not None:
            await _stream.finish_with_text(stream, working)
        else:
            await turn_context.send_activity(MessageFactory.text(working))
        reference = turn_context.activity.get_conversation_reference()
        work.add_done_callback(lambda task: self._later(reference, task))

    async def _send_reply(
        self, turn_context: TurnContext, reply: Reply, stream: StreamingResponse | None
    ) -> None:
        if reply.turn_id is not None:
            turn_context.on_send_activities(self.feedback_targets.recorder(reply.turn_id))
        if stream is not None:
            await _stream.finish(stream, reply)
        else:
            await turn_context.send_activity(reply_message(reply))
        if reply.escalated:
            self.wake_outbox()

    @property
    def in_flight(self) -> int:
        return self.turns.in_flight + len(self._background)

    async def drain(self, timeout_s: float) -> int:
        """Let the answers already accepted be sent (inline or proactively, a slow one after its turn);
        how many were still unfinished after `timeout_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        left = await self.turns.drain(timeout_s)
        if self._background:
            _, sending = await asyncio.wait(set(self._background), timeout=max(0.0, deadline - loop.time()))
            left += len(sending)
        return left

    def _later(self, reference: Any, task: asyncio.Future[Reply | None]) -> None:
        """Deliver a slow answer proactively, once it is ready."""
        if task.cancelled() or task.exception() is not None or task.result() is None:
            return
        reply = task.result()
        assert reply is not None
        job = asyncio.ensure_future(self._send_later(reference, reply))
        self._background.add(job)
        job.add_done_callback(self._background.discard)
        if reply.escalated:
            self.wake_outbox()

    async def _send_later(self, reference: Any, reply: Reply) -> None:
        message_id = await self.conversations.send(reference, reply_message(reply))
        if message_id and reply.turn_id is not None and from_the_norms(reply):
            self.feedback_targets.add(message_id, reply.turn_id)

    async def _command(self, turn_context: TurnContext, text: str) -> None:
        requester = f"{PLATFORM}:{turn_context.activity.from_property.id}"

        async def progress(line: str) -> None:
            await turn_context.send_activity(MessageFactory.text(line))

        answer = await self.commands.run(requester, text, self.language, progress)
        await turn_context.send_activity(card_message(text_card(answer)))

    async def on_invoke_activity(self, turn_context: TurnContextProtocol[Any]) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name == "message/submitAction":
            return await self._feedback(activity)
        if activity.name != "adaptiveCard/action":
            # Sign-in and message extensions are not features of ours: the caller asked for something this
            # bot does not offer (the SDK would answer 501).
            log.info("refused an invoke this bot does not handle: %r", str(activity.name)[:60])
            return InvokeResponse(status=400)
        action = (activity.value if isinstance(activity.value, dict) else {}).get("action") or {}
        reply = await self._press(activity, {"verb": action.get("verb", ""), **(action.get("data") or {})})
        card = reply_card(Reply(text=reply.text, lang=reply.lang))
        response = AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=card)
        return InvokeResponse(status=200, body=response)

    async def _feedback(self, activity: Activity) -> InvokeResponse:
        """A vote with Teams' own 👍/👎: stored like the feedback buttons' (audited, in the digest)."""
        kind = vote(activity.value)
        turn_id = self.feedback_targets.turn_for(activity.reply_to_id or "")
        if kind is None or turn_id is None:
            # Not a vote, or on a message this worker did not send lately: nothing to attach it to.
            log.info("a Teams feedback invoke with no answer of ours to attach to: %r", activity.reply_to_id)
            return InvokeResponse(status=200)
        await self._press(activity, {"verb": kind, "value": str(turn_id)})
        return InvokeResponse(status=200)

    async def _press(self, activity: Activity, data: dict[str, Any]) -> Reply:
        """A card button: the core decides; in Teams every answer replaces the card for whoever pressed."""
        user = activity.from_property
        press = Press(
            platform=PLATFORM,
            user_id=user.id,
            kind=str(data.get("verb", "")),
            value=str(data.get("value", "")),
            user_label=user.name or user.id,
            lang=self.language,
        )
        answer = await self.relay.press(press)
        if answer.wake_outbox:
            self.wake_outbox()
        return answer.reply


def _thread_message(activity: Activity, text: str) -> ThreadMessage:
    channel, _, message = activity.conversation.id.partition(";messageid=")
    return ThreadMessage(
        platform=PLATFORM,
        user_id=activity.from_property.id,
        text=text,
        channel_id=channel,
        thread_id=message,
        conversation_id=activity.conversation.id,
    )
