"""The console adapter: a terminal chat through the same `Bot` (the embedded default, no accounts needed)."""

from adapters.console._chat import render, run_chat

__all__ = ["render", "run_chat"]
