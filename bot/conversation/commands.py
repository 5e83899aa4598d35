"""Admin and manager commands (`/backoffice …` in Slack, bot commands in Teams), the same everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import audit, messages
from bot.audit import AuditEvent
from bot.conversation import escalation
from bot.conversation._bot import Bot
from bot.fleet.leases import LeaseHeld
from bot.fleet.snapshots import reindex_running
from knowledge import IndexError_, IndexWriteError, ReindexReport

__all__ = ["COMMANDS", "AdminCommands", "Command"]

_SHOWN_PROBLEMS = 10  # a chat message, not a log: the rest are in `backoffice reindex`

Notify = Callable[[str], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    name: str
    permission: str
    help_key: str


COMMANDS = {
    c.name: c
    for c in (
        Command("help", "employee", "help_help"),
        Command("status", "status.read", "help_status"),
        Command("reindex", "norms.reindex", "help_reindex"),
        Command("digest", "digest.read", "help_digest"),
    )
}


class AdminCommands:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def available(self, requester: str) -> list[Command]:
        groups = self.bot.policy.groups_of(requester)
        return [c for c in COMMANDS.values() if self.bot.policy.may(groups, c.permission)]

    def help(self, requester: str, lang: str) -> str:
        listed = "; ".join(
            f"`{c.name}` ({messages.say(c.help_key, lang)})" for c in self.available(requester)
        )
        return messages.say("command_help", lang, commands=listed)

    def allowed(self, requester: str, name: str) -> bool:
        command = COMMANDS.get(name)
        return command is not None and self.bot.policy.may(
            self.bot.policy.groups_of(requester), command.permission
        )

    async def run(self, requester: str, text: str, lang: str, notify: Notify | None = None) -> str:
        """The command's answer; refusals are audited. `notify` receives progress for long commands."""
        name = (text.split() or ["help"])[0].lower()
        command = COMMANDS.get(name)
        if command is None:
            return messages.say("command_unknown", lang, name=name, help=self.help(requester, lang))
        if not self.allowed(requester, name):
            audit.record(
                self.bot.db, requester, f"/{name}", AuditEvent.DENIED, {"text": text}, command.permission
            )
            return messages.say("command_denied", lang, name=name)
        audit.record(self.bot.db, requester, f"/{name}", AuditEvent.SUCCEEDED, {"text": text})
        if name == "help":
            return self.help(requester, lang)
        if name == "status":
            return self.status(lang)
        if name == "reindex":
            return await self.reindex(lang, notify)
        return self.digest(lang)

    def status(self, lang: str) -> str:
        cases = len(escalation.open_cases(self.bot.db))
        kb = self.bot.knowledge
        try:
            manifest = kb.manifest() if kb is not None else None
        except IndexError_:
            manifest = None
        if manifest is None:
            return messages.say("status_no_index", lang, cases=cases)
        built = datetime.fromtimestamp(manifest.created_at, ZoneInfo(self.bot.settings.digest.timezone))
        text = messages.say(
            "status",
            lang,
            snapshot=manifest.snapshot_id,
            documents=len(manifest.docs),
            chunks=sum(d.chunks for d in manifest.docs.values()),
            built=f"{built:%Y-%m-%d %H:%M}",
            cases=cases,
        )
        return "\n".join([text, *self._problems(manifest.failed, lang)])

    @staticmethod
    def _problems(failed: dict[str, str], lang: str) -> list[str]:
        """What the last reindex could not index (broken access rules first: they hide whole folders)."""
        if not failed:
            return []
        first = sorted(failed.items(), key=lambda item: (not item[0].endswith(".access.yaml"), item[0]))
        lines = [messages.say("status_problems", lang, count=len(failed))]
        lines += [f"• {path}: {reason}" for path, reason in first[:_SHOWN_PROBLEMS]]
        return lines

    async def reindex(self, lang: str, notify: Notify | None) -> str:
        kb = self.bot.knowledge
        if kb is None:
            return messages.say("index_missing", lang)
        loop = asyncio.get_running_loop()
        progress = _Progress(loop, notify, lang) if notify else None
        try:
            report: ReindexReport = await asyncio.to_thread(kb.reindex, None, progress)
        except LeaseHeld as exc:  # one reindex at a time across workers: say whose is running
            return reindex_running(exc.holding, lang, ZoneInfo(self.bot.settings.agent.timezone))
        except IndexWriteError as exc:  # a read-only or full disk: the serving snapshot is untouched
            return messages.say("index_write_failed", lang, path=exc.where, reason=exc.reason)
        except Exception as exc:  # a broken corpus or disk: say so in chat, keep serving the old snapshot
            return messages.say("reindex_failed", lang, error=exc)
        return messages.say(
            "reindex_done", lang, snapshot=report.snapshot_id or kb.current_id(), **report.counts()
        )

    def digest(self, lang: str) -> str:
        from bot.digest import compute_digest, last_week, to_markdown

        settings = self.bot.settings
        zone = ZoneInfo(settings.digest.timezone)
        result = compute_digest(
            self.bot.db,
            last_week(zone),
            zone,
            now=datetime.now(UTC),
            stale_after_days=settings.digest.stale_after_days,
            min_confidence=settings.agent.min_confidence,
        )
        return to_markdown(result, lang, settings.digest.stale_after_days)


class _Progress:
    """Reindex progress from the worker thread to the chat, at most every quarter of the way."""

    def __init__(self, loop: asyncio.AbstractEventLoop, notify: Notify, lang: str) -> None:
        self._loop, self._notify, self._lang = loop, notify, lang
        self._total = self._done = self._reported = 0

    def start(self, total_chunks: int) -> None:
        self._total = total_chunks

    def advance(self, n: int) -> None:
        self._done += n
        if self._total and (self._done - self._reported) * 4 >= self._total:
            self._reported = self._done
            text = messages.say("reindex_progress", self._lang, done=self._done, total=self._total)
            asyncio.run_coroutine_threadsafe(self._notify(text), self._loop)
