"""Talking to the bot from a terminal: one question, or the console chat."""

from __future__ import annotations

import asyncio
import io
import sys
from typing import Annotated

import typer

from bot.cli._common import (
    ConfigOption,
    ensure_index,
    out,
    read_settings,
    wired_bot,
)
from bot.types import Outcome


def ask(
    question: str,
    user: Annotated[str, typer.Option("--user", help="Ask as this user id (their groups apply)")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print the Reply as JSON")] = False,
    config: ConfigOption = None,
) -> None:
    """One turn through the full agent."""
    from bot import IncomingMessage

    bot = wired_bot(read_settings(config))
    ensure_index(bot)
    platform, _, user_id = user.rpartition(":")
    reply = asyncio.run(
        bot.ahandle(IncomingMessage(platform=platform or "cli", user_id=user_id, text=question))
    )
    if reply is None:
        return
    if as_json:
        sys.stdout.write(reply.model_dump_json(indent=1) + "\n")
    else:
        from adapters.console import render

        render(reply, out)
    if reply.outcome == Outcome.ERROR:
        # The turn could not be recorded (or the bot failed): scripts must see it, not only people.
        raise typer.Exit(1)


def chat(
    user: Annotated[str, typer.Option("--user", help="Chat as this user id")] = "me",
    config: ConfigOption = None,
) -> None:
    """The console chat: same agent, same store, same audit as Slack and Teams. Reads stdin (or a pipe)."""
    from adapters.console import run_chat

    # Bytes that are not UTF-8 become U+FFFD instead of ending the chat; later lines are still answered.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    bot = wired_bot(read_settings(config), config_file=config)
    ensure_index(bot)
    asyncio.run(run_chat(bot, user, out))


def register(app: typer.Typer) -> None:
    app.command()(ask)
    app.command()(chat)
