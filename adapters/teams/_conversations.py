"""Where the Teams bot can write: conversation references kept from incoming activities, proactive
messages through them, and the relay's posts (cases in the human channel, relays, resolutions)."""

from __future__ import annotations

import logging
from typing import Any

from microsoft_agents.activity import Activity, ConversationReference
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import MessageFactory, TurnContext

from adapters.teams._cards import card_message, case_card, reply_message
from adapters.teams._translate import PLATFORM
from bot import Reply, messages
from bot.store import ConversationRef, Database
from bot.types import utcnow

log = logging.getLogger(__name__)


class TeamsConversations:
    def __init__(self, cloud: CloudAdapter, db: Database, app_id: str, human_channel: str) -> None:
        self.cloud, self.db, self.app_id, self.human_channel = cloud, db, app_id, human_channel

    def remember(self, activity: Activity) -> None:
        reference = activity.get_conversation_reference()
        with self.db.session() as s:
            key = (PLATFORM, activity.conversation.id)
            stored = s.get(ConversationRef, key)
            data = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
            if stored is None:
                s.add(
                    ConversationRef(
                        platform=PLATFORM, conversation_id=activity.conversation.id, reference=data
                    )
                )
                # Admins copy channel ids from this line into teams.human_team_channel / digest_channel.
                log.info(
                    "new Teams conversation %s (%s)",
                    activity.conversation.id,
                    activity.conversation.name or "",
                )
            else:
                stored.reference, stored.updated_at = data, utcnow()

    def reference_for(self, conversation_id: str) -> ConversationReference | None:
        """A stored reference, or one derived from the channel's (a thread in a channel we know)."""
        base = conversation_id.split(";messageid=")[0]
        with self.db.session() as s:
            stored = s.get(ConversationRef, (PLATFORM, conversation_id)) or s.get(
                ConversationRef, (PLATFORM, base)
            )
        if stored is None:
            return None
        reference = ConversationReference.model_validate(stored.reference)
        reference.conversation.id = conversation_id
        reference.activity_id = None
        return reference

    async def send(self, reference: ConversationReference, activity: Activity) -> str:
        sent: dict[str, str] = {}

        async def callback(turn_context: TurnContext) -> None:
            # A new message in the conversation, not a reply to the synthetic continuation event.
            turn_context.activity.id = None
            response = await turn_context.send_activity(activity)
            sent["id"] = response.id if response is not None else ""

        await self.cloud.continue_conversation(self.app_id, reference.get_continuation_activity(), callback)
        return sent.get("id", "")

    async def proactive(self, conversation_id: str, activity: Activity) -> str:
        reference = self.reference_for(conversation_id)
        if reference is None:
            raise LookupError(f"no conversation reference for {conversation_id}: install the app there first")
        return await self.send(reference, activity)

    # --- the relay's port (bot.conversation.relay.CasePort) ----------------------------------------------

    def mention(self, user_id: str) -> str:
        return user_id

    async def announce(self, case_id: int, text: str, lang: str) -> dict[str, str]:
        if not self.human_channel:
            raise RuntimeError("teams.human_team_channel is not configured")
        card = case_card(
            case_id, text, messages.say("claim_button", lang), messages.say("resolve_button", lang)
        )
        message_id = await self.proactive(self.human_channel, card_message(card))
        return {"channel": self.human_channel, "message": message_id}

    async def to_humans(self, where: dict[str, str], text: str) -> None:
        await self.proactive(f"{where['channel']};messageid={where['message']}", MessageFactory.text(text))

    async def to_employee(self, channel_id: str, thread_id: str, reply: Reply) -> None:
        # A reply with buttons is a card; plain words (the team's answer) read better as a message.
        activity = (
            reply_message(reply) if reply.buttons or reply.citations else MessageFactory.text(reply.text)
        )
        await self.proactive(channel_id, activity)

    async def send_native(self, payload: dict[str, Any]) -> None:
        raise RuntimeError(f"Teams keeps no platform posts in the outbox: {sorted(payload)}")
