"""Lines from a terminal (or a pipe) in, replies out; confirmations asked as y/n."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from rich.console import Console
from rich.markdown import Markdown

from bot import Bot, IncomingMessage, Outcome, Reply
from bot import messages as text
from knowledge import IndexError_

PLATFORM = "console"
_EXIT = {"exit", "quit", "salir", ":q"}
_YES = {"y", "yes", "s", "si", "sí"}
_NO = {"n", "no"}

ReadLine = Callable[[str], Awaitable[str | None]]


async def read_stdin(prompt: str) -> str | None:
    """One line from stdin, or None at end of input; the prompt only shows on a terminal."""

    def read() -> str | None:
        if sys.stdin.isatty():
            sys.stdout.write(prompt)
            sys.stdout.flush()
        line = sys.stdin.readline()
        return line.rstrip("\n") if line else None

    return await asyncio.to_thread(read)


def render(reply: Reply, console: Console) -> None:
    console.print(Markdown(reply.text))
    if reply.citations:
        console.print(f"[dim]{text.say('sources_header', reply.lang)}[/dim]")
        for n, c in enumerate(reply.citations, 1):
            console.print(f"[dim]  [{n}] {' › '.join((c.title, *c.section))} — {c.source}[/dim]")
    if reply.case_id is not None:
        console.print(f"[yellow]{text.CHAT_CASE.format(case_id=reply.case_id)}[/yellow]")


async def run_chat(bot: Bot, user: str, console: Console, read: ReadLine = read_stdin) -> int:
    """Chat until end of input or an exit word; returns the number of messages handled."""
    console.print(f"[bold]{text.CHAT_WELCOME}[/bold]")
    handled = 0
    line = await read("> ")
    while line is not None and line.strip().lower() not in _EXIT:
        if not line.strip():
            line = await read("> ")
            continue
        await _follow_snapshots(bot)
        reply = await bot.ahandle(
            IncomingMessage(platform=PLATFORM, user_id=user, text=line, thread_id="chat")
        )
        handled += 1
        after = await _follow_up(bot, user, reply, console, read) if reply is not None else _NEXT
        if after is _END:
            break
        line = await read("> ") if after is _NEXT else str(after)
    return handled


_NEXT = object()  # read the next question
_END = object()  # the input has ended


async def _follow_up(bot: Bot, user: str, reply: Reply, console: Console, read: ReadLine) -> object:
    """Ask what the reply's buttons would ask: say whether a suggestion helped (y: it did; n: a person,
    please), confirm a proposal. Any other answer is the next question, as in a chat with buttons."""
    render(reply, console)
    if reply.outcome == Outcome.SUGGESTED and reply.turn_id is not None:
        answer = await read(text.CHAT_SUGGESTION_PROMPT)
        choice = (answer or "").strip().lower()
        if answer is None:
            return _END
        if choice in _YES:
            await bot.afeedback(PLATFORM, user, reply.turn_id, 1)
            console.print(text.say("suggestion_thanks", reply.lang))
        elif choice in _NO:
            render(await bot.arequest_human(PLATFORM, user, reply.turn_id), console)
        else:
            return answer
    for action in reply.actions:
        if action.status == "proposed":
            answer = await read(text.CHAT_CONFIRM_PROMPT)
            if answer is None:
                return _END
            choice = answer.strip().lower()
            if choice not in _YES | _NO:
                return answer  # left unconfirmed (it expires), and the line is the next question
            render(await bot.aconfirm(PLATFORM, user, action.confirmation_id, choice in _YES), console)
    return _NEXT


async def _follow_snapshots(bot: Bot) -> None:
    """A reindex by another process (`backoffice reindex`, a server) is served from the next question on;
    with no index at all, the question itself says what to run."""
    kb = bot.knowledge
    if kb is None:
        return
    try:
        await asyncio.to_thread(kb.refresh)
    except IndexError_:
        pass
