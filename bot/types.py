"""The two types that cross the line between adapters and the core: what came in, what goes out."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

__all__ = [
    "Action",
    "Button",
    "ButtonKind",
    "Citation",
    "IncomingMessage",
    "Outcome",
    "Reply",
    "clean_text",
    "new_correlation_id",
    "utcnow",
]

# Control characters other than tab and newline: PostgreSQL refuses NUL, terminals act on the rest.
_CONTROL = dict.fromkeys([*range(0, 9), *range(11, 32), 127])
_SURROGATE = re.compile("[\ud800-\udfff]")


def utcnow() -> datetime:
    """Aware UTC, what every table stores; local time exists only at the edges (dates users type, digests)."""
    return datetime.now(UTC)


def new_correlation_id() -> str:
    """An id for work that no platform event names (a console line, a button press)."""
    return uuid.uuid4().hex


def clean_text(text: str) -> str:
    """`text` as valid Unicode without control characters: what the store, the index and a terminal accept.

    Lone surrogates arrive from argv and pipes (undecodable bytes, via surrogateescape) and from JSON
    (`"\\ud800"`); each becomes U+FFFD, so the turn is answered and stored instead of failing on encode.
    """
    return _SURROGATE.sub("\ufffd", text).replace("\r\n", "\n").translate(_CONTROL)


class IncomingMessage(BaseModel):
    """One message from a person, as any adapter sees it."""

    platform: str  # "slack", "teams", "console"
    user_id: str
    text: str
    tenant_id: str = ""
    user_name: str = ""
    channel_id: str = ""
    thread_id: str = ""
    is_direct: bool = True
    event_id: str = ""  # the platform's id for this delivery, for de-duplication
    received_at: datetime = Field(default_factory=utcnow)
    lang_hint: str = ""  # the platform's locale for this user, when it tells
    # Follows the turn through the logs, the Turn row, the audit trail and the reply: the platform's
    # event id when there is one (an operator can look the event up there), a fresh id otherwise.
    correlation_id: str = ""

    @field_validator("text", "user_name", "user_id", "channel_id", "thread_id", "event_id")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean_text(value)

    @model_validator(mode="after")
    def _correlated(self) -> IncomingMessage:
        if not self.correlation_id:
            self.correlation_id = self.event_id[:100] or new_correlation_id()
        return self

    @property
    def requester(self) -> str:
        """The identity groups and permissions are keyed on: `platform:user_id`."""
        return f"{self.platform}:{self.user_id}"

    @property
    def conversation_key(self) -> str:
        return ":".join((self.platform, self.tenant_id, self.channel_id or self.user_id, self.thread_id))


class Citation(BaseModel):
    title: str
    section: list[str] = Field(default_factory=list)
    source: str  # path relative to the norms folder, or a URL
    snippet: str
    # From a document with an audience: never shown beyond the asker (case posts, digest, audit, logs).
    restricted: bool = False


class Outcome(StrEnum):
    ANSWERED = "answered"  # a confident, cited answer from the norms
    SUGGESTED = "suggested"  # the closest passages, flagged as unsure, with "this helps" / "a person, please"
    ACTION_PROPOSED = "action_proposed"  # waiting for the user's confirmation
    ACTION_DONE = "action_done"  # a tool ran (read-only, or confirmed)
    ACTION_FAILED = "action_failed"  # a tool was run and failed: nothing was done
    ESCALATED = "escalated"  # a human case was opened
    REFUSED = "refused"  # the requester may not do that
    CLARIFY = "clarify"  # the bot asked for something it needs
    CANCELLED = "cancelled"
    RATE_LIMITED = "rate_limited"  # the user sent more than the per-minute limit: asked to wait
    ERROR = "error"


class Action(BaseModel):
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    status: str  # proposed, denied, succeeded, failed, cancelled, expired
    confirmation_id: str = ""
    result: str = ""


class ButtonKind(StrEnum):
    FEEDBACK_UP = "feedback_up"
    FEEDBACK_DOWN = "feedback_down"
    HUMAN = "human"
    CONFIRM = "confirm"
    CANCEL = "cancel"


class Button(BaseModel):
    kind: ButtonKind
    label: str
    value: str  # what comes back when pressed: a turn id or a confirmation id


class Reply(BaseModel):
    """What the bot says; the adapter decides how it looks."""

    text: str
    lang: str = "en"
    outcome: Outcome = Outcome.ANSWERED
    citations: list[Citation] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    escalated: bool = False
    case_id: int | None = None
    confidence: float = 0.0
    buttons: list[Button] = Field(default_factory=list)
    turn_id: int | None = None
    correlation_id: str = ""  # the turn's, so an adapter's log lines about delivering it can name it
