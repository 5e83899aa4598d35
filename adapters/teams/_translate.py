"""Teams activities in, our types out: which activities we can act on, and their text as people wrote it."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import jsonschema
from botbuilder.schema import Activity

from adapters._shapes import first_problem
from bot import IncomingMessage

PLATFORM = "teams"

# Ids travel back to the connector in URLs and headers: printable, or the reply itself would fail.
_ID = {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f]+$"}
# What the handler reads from an activity; anything else is the SDK's business. An activity without a
# serviceUrl cannot be answered (the SDK would try a public default for ~10 s), one without a conversation or
# a sender cannot be attributed, and a card action whose value is not an object carries no button.
ACTIVITY_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["type", "serviceUrl", "conversation", "from", "recipient"],
    "properties": {
        "type": _ID,
        "id": {"type": "string"},
        "name": {"type": "string"},
        "text": {"type": ["string", "null"]},
        "locale": {"type": ["string", "null"]},
        "serviceUrl": {"type": "string", "pattern": "^https?://[^/]"},
        "conversation": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": _ID, "name": {"type": ["string", "null"]}},
        },
        "from": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": _ID, "name": {"type": ["string", "null"]}},
        },
        "recipient": {"type": "object", "required": ["id"], "properties": {"id": _ID}},
        "entities": {"type": ["array", "null"], "items": {"type": "object"}},
        "value": {"type": ["object", "string", "null"]},
    },
    "if": {"properties": {"type": {"const": "invoke"}}, "required": ["type"]},
    "then": {
        "properties": {
            "value": {
                "type": "object",
                "properties": {
                    "action": {
                        "type": "object",
                        "properties": {"verb": {"type": "string"}, "data": {"type": "object"}},
                    }
                },
            }
        }
    },
}
_VALIDATOR = jsonschema.Draft7Validator(ACTIVITY_SHAPE)


def shape_problem(body: Any) -> str:
    """Why the handler could not act on `body`, or "" when it can (the first problem, for the log)."""
    return first_problem(_VALIDATOR, body, "activity")


def without_own_mention(activity: Activity) -> str:
    """The text without the bot's own `<at>` mention, removed literally (the SDK's helper compiles the
    mention's text as a regular expression, so a name with a bracket crashes the turn)."""
    text = activity.text or ""
    for entity in activity.entities or []:
        extra = getattr(entity, "additional_properties", None) or {}
        mentioned = extra.get("mentioned")
        if str(getattr(entity, "type", "") or "").lower() != "mention" or not isinstance(mentioned, dict):
            continue
        if mentioned.get("id") == activity.recipient.id:
            tag = extra.get("text") or f"<at>{mentioned.get('name') or ''}</at>"
            text = text.replace(str(tag), "")
    return text


def readable(text: str) -> str:
    """Teams' text (HTML when a message has formatting) as people wrote it: tags dropped, entities
    unescaped, a mention of someone else kept as @name (the bot's own is removed before, by the SDK)."""
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line).strip()


class _Text(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "at":
            self.parts.append("@")
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def to_incoming(activity: Activity, text: str) -> IncomingMessage:
    conversation = activity.conversation
    thread = conversation.id.split(";messageid=")[-1] if ";messageid=" in conversation.id else ""
    locale = (activity.locale or "")[:2]
    return IncomingMessage(
        platform=PLATFORM,
        tenant_id=str(getattr(conversation, "tenant_id", "") or ""),
        user_id=activity.from_property.id,
        user_name=activity.from_property.name or "",
        channel_id=conversation.id,
        thread_id=thread,
        text=text,
        is_direct=conversation.conversation_type == "personal",
        event_id=activity.id or "",
        lang_hint=locale,
    )
