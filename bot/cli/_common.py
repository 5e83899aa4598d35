"""What every command shares: settings, consoles, progress, the wired bot and the database."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot import messages
from bot.config import ConfigError, Settings, load_settings
from knowledge import (
    IndexError_,
    KnowledgeBase,
    ReindexReport,
)

if TYPE_CHECKING:
    from bot import Bot
    from bot.fleet.leases import Holding
    from bot.store import Database, SchemaState

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", envvar="BACKOFFICE_CONFIG", help="backoffice.yaml", exists=True, dir_okay=False),
]


def read_settings(config: Path | None, **overrides: Any) -> Settings:
    # The model ships inside a Python package; nothing may be fetched from a hub at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Loading the model's weights draws a bar per process: noise before the chat and in a worker's log.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        return load_settings(config, overrides)
    except ConfigError as exc:
        err.print(messages.CONFIG_ERROR.format(error=exc))
        raise typer.Exit(2) from exc


class RichProgress:
    """Shows embedding progress as a bar on stderr (so --json output stays clean)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: Any = None

    def start(self, total_chunks: int) -> None:
        if total_chunks:
            self._progress.start()
            self._task = self._progress.add_task(messages.EMBEDDING, total=total_chunks)

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)
        if self._progress.finished:
            self._progress.stop()


class LineProgress:
    """Progress as plain lines on stderr when it is not a terminal (a log file, CI, a pipe): one line per
    tenth of the work, so a long reindex shows it is alive without flooding the log."""

    def __init__(self, console: Console) -> None:
        self._console, self._total, self._done, self._shown = console, 0, 0, -1

    def start(self, total_chunks: int) -> None:
        self._total, self._done, self._shown = total_chunks, 0, -1
        self.advance(0)

    def advance(self, n: int) -> None:
        self._done += n
        tenth = self._done * 10 // self._total if self._total else 10
        if tenth > self._shown:
            self._shown = tenth
            self._console.print(messages.EMBEDDING_PROGRESS.format(done=self._done, total=self._total))


def progress_for(console: Console) -> RichProgress | LineProgress:
    return RichProgress(console) if console.is_terminal else LineProgress(console)


def print_report(
    report: ReindexReport, serving: str | None, as_json: bool, console: Console | None = None
) -> None:
    console = console or out
    for path, reason in sorted(report.failed.items()):
        err.print(messages.REINDEX_FAILED_DOC.format(path=path, reason=reason), style="yellow")
    if as_json:
        out.print_json(
            json.dumps(
                {**report.counts(), "snapshot": report.snapshot_id, "seconds": round(report.seconds, 3)}
            )
        )
    elif report.changed:
        console.print(messages.REINDEX_DONE.format(snapshot=report.snapshot_id, **report.counts()))
    else:
        console.print(messages.REINDEX_NOTHING.format(snapshot=serving, unchanged=len(report.unchanged)))


def wired_bot(
    settings: Settings,
    knowledge: KnowledgeBase | None = None,
    config_file: Path | None = None,
    migrate: bool | None = None,
) -> Bot:
    """The bot with everything wired; configuration and start-up problems end the command cleanly.

    With `config_file`, groups and permissions follow that file while the process runs. The schema is
    migrated only on the embedded default database (unless `migrate` says otherwise): a configured one
    changes by `backoffice db upgrade` alone.
    """
    from bot import Bot
    from bot.agent import LLMConfigError
    from bot.conversation._live_policy import LivePolicy
    from bot.tools import RegistryError

    if migrate is None:
        migrate = not settings.database_url
    try:
        with database_problems_end_the_command():
            live = LivePolicy(settings, config_file)
            return Bot.from_settings(settings, knowledge=knowledge, live_policy=live, migrate=migrate)
    except (RegistryError, LLMConfigError) as exc:
        err.print(messages.CONFIG_ERROR.format(error=exc))
        raise typer.Exit(2) from exc


def since_utc(holding: Holding) -> str:
    return f"{holding.acquired_at:%Y-%m-%d %H:%M:%S} UTC"


def ensure_index(bot: Bot) -> None:
    """The embedded default works out of the box: a missing index is built from the configured norms."""
    from bot.fleet.leases import LeaseHeld

    kb = bot.knowledge
    if kb is not None and kb.current_id() is None:
        try:
            report = kb.reindex(progress=progress_for(err))
        except LeaseHeld as exc:  # another worker builds it: this one serves it once it is recorded
            holder, since = exc.holding.holder, since_utc(exc.holding)
            err.print(messages.REINDEX_WAITING.format(worker=holder, since=since))
            return
        print_report(report, kb.current_id(), as_json=False, console=err)
    elif kb is not None:
        try:
            kb.store.load(kb.current_id())
        except IndexError_ as exc:
            # The agent can only say the norms are unavailable; the person at the terminal learns why.
            err.print(messages.INDEX_ERROR.format(error=exc))


def open_database(settings: Settings, migrate: bool | None = None) -> Database:
    """The configured database with the newest schema: migrated on the embedded default, checked on any
    configured one (which changes by `backoffice db upgrade` alone)."""
    from bot.store import Database

    db = Database(settings.effective_database_url)
    if migrate is None:
        migrate = not settings.database_url
    with database_problems_end_the_command():
        db.prepare(migrate)
    return db


@contextmanager
def database_problems_end_the_command() -> Iterator[None]:
    """A database that cannot be reached, or holds another schema, ends the command with what to do."""
    from bot.store import DatabaseUnavailable, SchemaOutdated

    try:
        yield
    except DatabaseUnavailable as exc:
        err.print(messages.ASK_DATABASE_ERROR.format(error=exc))
        raise typer.Exit(1) from exc
    except SchemaOutdated as exc:
        err.print(describe_schema(exc.state, exc.url), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


def describe_schema(state: SchemaState, url: str) -> str:
    if state.is_newest:
        return messages.SCHEMA_NEWEST.format(url=url, current=state.current)
    if state.current is None:
        return messages.SCHEMA_MISSING.format(url=url)
    text = messages.SCHEMA_OLDER if state.known else messages.SCHEMA_NEWER
    return text.format(url=url, current=state.current, newest=state.newest)
