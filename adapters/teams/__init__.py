"""The Microsoft Teams adapter: the Microsoft 365 Agents SDK's CloudAdapter and an ActivityHandler around the
shared `Bot`. Everything Teams-specific lives here."""

from adapters.teams._adapter import TeamsAdapter
from adapters.teams._cards import MAX_BYTES, reply_card
from adapters.teams._handler import COMMAND_NAMES

__all__ = ["COMMAND_NAMES", "MAX_BYTES", "TeamsAdapter", "reply_card"]
