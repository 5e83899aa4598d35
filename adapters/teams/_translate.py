"""Teams activities in, our types out: which activities we can act on, and their text as people wrote it."""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pydantic
from microsoft_agents.activity import Activity, Mention

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
    problem = first_problem(_VALIDATOR, body, "activity")
    if problem:
        return problem
    try:
        Activity.model_validate(body)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        return f"{'/'.join(str(part) for part in error['loc']) or 'activity'}: {error['type']}"[:200]
    return ""


class _CallersMistake(logging.Filter):
    """The SDK logs an activity its model refuses at ERROR with a traceback; that is the caller's mistake,
    answered 400 and logged at INFO by the adapter."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Validation error for Activity")


logging.getLogger("microsoft_agents.activity.activity").addFilter(_CallersMistake())


def without_own_mention(activity: Activity) -> str:
    """The text without the bot's own `<at>` mention, removed literally (a name with a bracket is text,
    never a pattern)."""
    text = activity.text or ""
    for entity in activity.entities or []:
        if not isinstance(entity, Mention) or entity.mentioned is None:
            continue
        if activity.recipient is not None and entity.mentioned.id == activity.recipient.id:
            tag = entity.text or f"<at>{entity.mentioned.name or ''}</at>"
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
