"""Slack events in, our types out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot import IncomingMessage

PLATFORM = "slack"
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def to_incoming(event: dict[str, Any], body: dict[str, Any]) -> IncomingMessage:
    """An `app_mention` or `message` event as an `IncomingMessage`; replies go to the event's thread."""
    ts = str(event.get("ts", ""))
    return IncomingMessage(
        platform=PLATFORM,
        tenant_id=str(body.get("team_id") or event.get("team", "")),
        user_id=str(event.get("user", "")),
        channel_id=str(event.get("channel", "")),
        thread_id=str(event.get("thread_ts") or ts),
        text=_MENTION.sub("", str(event.get("text", ""))).strip(),
        is_direct=event.get("channel_type") == "im",
        event_id=str(body.get("event_id") or f"{event.get('channel')}:{ts}"),
        received_at=_time(ts),
    )


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
    except ValueError:
        return datetime.now(UTC)
