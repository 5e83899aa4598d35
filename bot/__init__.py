"""The platform-neutral core: the agent, tools, permissions, escalation, digest, storage, config, CLI."""

from bot.conversation._bot import Bot
from bot.types import Action, Button, ButtonKind, Citation, IncomingMessage, Outcome, Reply

__all__ = ["Action", "Bot", "Button", "ButtonKind", "Citation", "IncomingMessage", "Outcome", "Reply"]
