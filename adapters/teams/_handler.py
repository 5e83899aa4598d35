"""The Bot Framework `ActivityHandler`: Teams activities in, `Bot` calls, cards out."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from botbuilder.core import ActivityHandler, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse, ChannelAccount

from adapters.teams._cards import CARD_TYPE, attachment, text_card
from adapters.teams._translate import PLATFORM, readable, to_incoming
from bot import ButtonKind, messages

if TYPE_CHECKING:
    from adapters.teams._adapter import TeamsAdapter

log = logging.getLogger(__name__)
COMMAND_NAMES = ("help", "status", "reindex", "digest")


class BackofficeHandler(ActivityHandler):  # type: ignore[misc]
    def __init__(self, adapter: TeamsAdapter) -> None:
        self.teams = adapter

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        # Installed in a team or a chat: remember how to reach it for cases, relays and the digest.
        self.teams.remember(turn_context.activity)
        await super().on_conversation_update_activity(turn_context)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        return None

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        self.teams.remember(activity)
        TurnContext.remove_recipient_mention(activity)
        text = readable(activity.text or "")
        if isinstance(activity.value, dict):
            # A card button (messageBack / Action.Submit): the click is the message, not its display text.
            await turn_context.send_activity(
                MessageFactory.text(await self._button(activity, activity.value))
            )
            return
        if await self.teams.relay_if_in_case(activity, text):
            return
        if (text.split() or [""])[0].lower() in COMMAND_NAMES:
            await self._command(turn_context, text)
            return
        await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        message = to_incoming(activity, text)
        work = asyncio.ensure_future(self.teams.bot.ahandle(message))
        done, _ = await asyncio.wait({work}, timeout=self.teams.reply_deadline_s)
        if done:
            reply = work.result()
            if reply is not None:
                await self.teams.send_reply(turn_context, reply)
            return
        # Teams gives a bot 15 s: say it is on it, and deliver the answer proactively when it is ready.
        await turn_context.send_activity(
            MessageFactory.text(messages.say("working", message.lang_hint or self.teams.language))
        )
        reference = TurnContext.get_conversation_reference(activity)
        work.add_done_callback(lambda task: self.teams.later(reference, task))

    async def _command(self, turn_context: TurnContext, text: str) -> None:
        requester = f"{PLATFORM}:{turn_context.activity.from_property.id}"

        async def progress(line: str) -> None:
            await turn_context.send_activity(MessageFactory.text(line))

        answer = await self.teams.commands.run(requester, text, self.teams.language, progress)
        await turn_context.send_activity(MessageFactory.attachment(attachment(text_card(answer))))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # botbuilder 4.17.1's on_adaptive_card_invoke path serialises the response twice (HTTP 500);
        # answering the invoke here, with the InvokeResponse object, returns a proper 200.
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        action = (activity.value or {}).get("action") or {}
        result = await self._button(activity, {"verb": action.get("verb", ""), **(action.get("data") or {})})
        response = AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=text_card(result))
        return InvokeResponse(status=200, body=response)

    async def _button(self, activity: Activity, data: dict[str, Any]) -> str:
        verb, value = str(data.get("verb", "")), str(data.get("value", ""))
        user = activity.from_property.id
        lang = self.teams.language
        bot = self.teams.bot
        if verb in (ButtonKind.CONFIRM, ButtonKind.CANCEL):
            reply = await bot.aconfirm(PLATFORM, user, value, verb == ButtonKind.CONFIRM)
            return reply.text
        if verb in (ButtonKind.FEEDBACK_UP, ButtonKind.FEEDBACK_DOWN) and value.isdigit():
            await bot.afeedback(PLATFORM, user, int(value), 1 if verb == ButtonKind.FEEDBACK_UP else -1)
            return messages.say("thanks_feedback", lang)
        if verb == ButtonKind.HUMAN and value.isdigit():
            reply = await bot.arequest_human(PLATFORM, user, int(value))
            self.teams.wake_outbox()
            return reply.text
        if verb in ("case_claim", "case_resolve") and value.isdigit():
            return await self.teams.case_action(verb, int(value), user, activity.from_property.name or user)
        log.info("a card button with no action of ours was pressed: %s", data)
        return messages.say("button_unknown", lang)
