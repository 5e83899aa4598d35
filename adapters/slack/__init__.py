"""The Slack adapter: slack-bolt's AsyncApp over HTTP or Socket Mode, translating to and from the `Bot`."""

from adapters.slack._adapter import SlackAdapter
from adapters.slack._blocks import reply_blocks, split_text
from adapters.slack._listeners import ACTIONS, COMMAND, EVENTS

__all__ = ["ACTIONS", "COMMAND", "EVENTS", "SlackAdapter", "reply_blocks", "split_text"]
