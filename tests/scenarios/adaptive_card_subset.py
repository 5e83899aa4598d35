"""The part of the Adaptive Card 1.5 schema our cards use, written from the published element reference:
the elements and properties we emit, with their allowed values. Anything else fails validation."""

from __future__ import annotations

from typing import Any

TEXT_BLOCK = {
    "type": "object",
    "required": ["type", "text"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "TextBlock"},
        "text": {"type": "string"},
        "wrap": {"type": "boolean"},
        "isSubtle": {"type": "boolean"},
        "separator": {"type": "boolean"},
        "size": {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]},
        "weight": {"enum": ["Default", "Lighter", "Bolder"]},
    },
}
IMAGE = {
    "type": "object",
    "required": ["type", "url"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "Image"},
        "url": {"type": "string", "pattern": "^(https://|data:image/png;base64,)"},
        "altText": {"type": "string"},
    },
}
ACTION_EXECUTE = {
    "type": "object",
    "required": ["type", "title", "verb"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "Action.Execute"},
        "title": {"type": "string"},
        "verb": {"type": "string"},
        "data": {"type": "object"},
        "style": {"enum": ["default", "positive", "destructive"]},
    },
}
CARD_1_5: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["type", "version", "body"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"const": "http://adaptivecards.io/schemas/adaptive-card.json"},
        "type": {"const": "AdaptiveCard"},
        "version": {"const": "1.5"},
        "body": {"type": "array", "items": {"oneOf": [TEXT_BLOCK, IMAGE]}},
        "actions": {"type": "array", "maxItems": 6, "items": ACTION_EXECUTE},
    },
    # Something to show: blocks, or only buttons (under a streamed answer, whose words are the message's
    # text; the Adaptive Card schema itself makes `body` optional).
    "anyOf": [
        {"properties": {"body": {"minItems": 1}}},
        {"required": ["actions"], "properties": {"actions": {"minItems": 1}}},
    ],
}
