"""Slack events in, our types out."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import jsonschema

from adapters._shapes import first_problem
from bot import IncomingMessage

PLATFORM = "slack"
# Slack's markup for mentions, channels, special mentions and links; text the user typed as "<" or ">"
# arrives as &lt; / &gt;, so every literal angle bracket is markup.
# https://docs.slack.dev/messaging/formatting-message-text#retrieving-messages
_MARKUP = re.compile(r"<([^<>]*)>")
_LEADING_MENTION = re.compile(r"^\s*<@([^|>]+)")


_TEXT = {"type": ["string", "null"]}
_ID_HOLDER = {"type": ["string", "object", "null"], "properties": {"id": _TEXT}}  # "U1" or {"id": "U1"}
_NESTED = {"$ref": "#/$defs/payload"}
# The parts of a body Bolt reads while routing it (ids, types, the event, the message), with the types
# Bolt assumes; a body that breaks them would crash Bolt's middleware (a 500 with a traceback).
BODY_SHAPE: dict[str, Any] = {
    "$defs": {
        "payload": {
            "type": "object",
            "properties": {
                **{key: _TEXT for key in ("type", "subtype", "text", "team_id", "enterprise_id", "user_id")},
                **{key: _TEXT for key in ("channel_id", "bot_id", "ts", "thread_ts", "callback_id")},
                **{key: _TEXT for key in ("user_team", "context_team_id", "context_enterprise_id")},
                **{key: _ID_HOLDER for key in ("team", "user", "enterprise", "channel")},
                **{key: _NESTED for key in ("event", "message", "previous_message", "view")},
                "authorizations": {"type": ["array", "null"], "items": _NESTED},
                "actions": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                **{key: {"type": ["object", "null"]} for key in ("container", "item", "assistant_thread")},
                **{key: {"type": ["object", "null"]} for key in ("function", "function_data", "inputs")},
            },
            # a button press is routed by its first action
            "if": {
                "properties": {"type": {"enum": ["block_actions", "interactive_message"]}},
                "required": ["type"],
            },
            "then": {"required": ["actions"]},
        }
    },
    **_NESTED,
}
_BODY = jsonschema.Draft202012Validator(BODY_SHAPE)


def shape_problem(body: Any) -> str:
    """Why Bolt could not route `body`, or "" when it can (the first problem, for the log)."""
    return first_problem(_BODY, body, "body")


def to_incoming(event: dict[str, Any], body: dict[str, Any], bot_user_id: str = "") -> IncomingMessage:
    """An `app_mention` or `message` event as an `IncomingMessage`; replies go to the event's thread."""
    ts, text = str(event.get("ts", "")), str(event.get("text", ""))
    if not bot_user_id and event.get("type") == "app_mention":  # an app_mention starts with ours
        bot_user_id = (_LEADING_MENTION.findall(text) or [""])[0]
    return IncomingMessage(
        platform=PLATFORM,
        tenant_id=str(body.get("team_id") or event.get("team", "")),
        user_id=str(event.get("user", "")),
        channel_id=str(event.get("channel", "")),
        thread_id=str(event.get("thread_ts") or ts),
        text=readable(text, bot_user_id),
        is_direct=event.get("channel_type") == "im",
        event_id=str(body.get("event_id") or f"{event.get('channel')}:{ts}"),
        received_at=_time(ts),
    )


def readable(text: str, bot_user_id: str = "") -> str:
    """Slack's wire text as the person wrote it: markup decoded and entities unescaped, the bot's own
    mention removed (other mentions become names, or ids when Slack sent no name)."""

    def decode(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "" if target[1:] == bot_user_id else "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            name = target[1:].split("^")[0]
            return label or ("@" + name if name in {"here", "channel", "everyone"} else "")
        url = target.removeprefix("mailto:")
        return url if not label or label in (url, target) else f"{label} ({url})"

    return html.unescape(_MARKUP.sub(decode, text)).strip()


def is_from_a_bot_or_an_edit(event: dict[str, Any]) -> bool:
    """Bots (ours included) and edits or deletions of earlier messages get no reply."""
    return bool(event.get("bot_id")) or event.get("subtype") in {
        "bot_message",
        "message_changed",
        "message_deleted",
        "channel_join",
        "channel_leave",
    }


def _time(ts: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.now(UTC)
