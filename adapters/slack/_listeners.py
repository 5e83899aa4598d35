"""What the Slack app listens to, registered on an `AsyncApp` by `register`."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from adapters.slack._translate import PLATFORM, is_from_a_bot_or_an_edit
from bot import ButtonKind, escalation, messages

if TYPE_CHECKING:
    from adapters.slack._adapter import SlackAdapter

log = logging.getLogger(__name__)
COMMAND = "/backoffice"
EVENTS = ("app_mention", "message")
ACTIONS = (*(str(k) for k in ButtonKind), "case_claim", "case_resolve")


def register(app: AsyncApp, adapter: SlackAdapter) -> None:
    app.middleware(_ignore_bots_and_edits)
    app.event("app_mention")(adapter.on_mention)
    app.event("message")(adapter.on_message)
    for action in ACTIONS:
        app.action(action)(adapter.on_action)
    app.command(COMMAND)(adapter.on_command)
    # Modals and shortcuts are not features of ours: acknowledge them so Slack neither shows an error nor
    # retries (an unacknowledged Socket Mode envelope is redelivered).
    app.view(re.compile(".+"))(adapter.on_unused)
    app.shortcut(re.compile(".+"))(adapter.on_unused)


async def _ignore_bots_and_edits(body: dict[str, Any], next: Any) -> Any:
    event = body.get("event") or {}
    if body.get("type") == "event_callback" and is_from_a_bot_or_an_edit(event):
        return BoltResponse(status=200, body="")  # acknowledged, and nothing else runs
    return await next()


async def relay_if_in_case(adapter: SlackAdapter, event: dict[str, Any]) -> bool:
    """Messages in a case's human thread go to the employee; an employee's follow-ups in a thread with an
    open case go to the humans. True when the message was relayed (the bot does not answer it)."""
    db = adapter.bot.db
    channel, thread = str(event.get("channel", "")), str(event.get("thread_ts", ""))
    user = str(event.get("user", ""))
    text = str(event.get("text", ""))
    if channel == adapter.settings.human_channel and thread:
        case = escalation.case_announced_at(db, PLATFORM, channel, thread)
        if case is not None and case.id is not None:
            escalation.add_message(db, case.id, f"{PLATFORM}:{user}", "human", text)
            adapter.wake_outbox()
            return True
        return channel == adapter.settings.human_channel
    case = escalation.case_in_thread(db, PLATFORM, channel, thread or str(event.get("ts", "")))
    if case is not None and case.id is not None and thread:
        escalation.add_message(db, case.id, f"{PLATFORM}:{user}", "employee", text)
        adapter.wake_outbox()
        return True
    return False


def case_blocks(case_id: int, text: str, lang: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}},
        {
            "type": "actions",
            "block_id": f"case_{case_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": "case_claim",
                    "text": {"type": "plain_text", "text": messages.say("claim_button", lang)},
                    "value": str(case_id),
                },
                {
                    "type": "button",
                    "action_id": "case_resolve",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": messages.say("resolve_button", lang)},
                    "value": str(case_id),
                },
            ],
        },
    ]
