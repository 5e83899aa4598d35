"""`backoffice` command line: the edge where configuration is read and everything is wired together."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot import messages
from bot.audit import ExportFormat
from bot.config import ConfigError, Settings, load_settings
from bot.types import Outcome
from knowledge import (
    DocumentError,
    EmbeddingModelError,
    IndexError_,
    IndexWriteError,
    KnowledgeBase,
    ReindexReport,
)
from knowledge._evaluation import evaluate_retrieval, load_qa

if TYPE_CHECKING:
    from bot import Bot
    from bot.leases import Holding
    from bot.store import Database, SchemaState

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Backoffice Bot: norms, actions, people.")
out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", envvar="BACKOFFICE_CONFIG", help="backoffice.yaml", exists=True, dir_okay=False),
]


def _settings(config: Path | None, **overrides: Any) -> Settings:
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


class _RichProgress:
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


class _LineProgress:
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


def _progress(console: Console) -> _RichProgress | _LineProgress:
    return _RichProgress(console) if console.is_terminal else _LineProgress(console)


def _print_report(
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


@app.command()
def reindex(
    source: Annotated[
        Path | None, typer.Option(help="Folder of norms (default: configured or bundled)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Build or update the index; prints added/updated/removed/unchanged counts."""
    from datetime import timedelta

    from bot.leases import LeaseHeld, LeaseLost
    from bot.snapshots import RecordedSnapshots
    from bot.store import DatabaseUnavailable

    settings = _settings(config)
    db = _database(settings)
    # One reindex at a time across workers; every worker switches to the snapshot recorded here.
    ledger = RecordedSnapshots(db, timedelta(seconds=settings.knowledge.reindex_lease_s))
    kb = KnowledgeBase(settings.home, settings.knowledge, ledger=ledger)
    try:
        report = kb.reindex(source, progress=_progress(err))
        serving = kb.current_id()
    except LeaseHeld as exc:
        running = messages.REINDEX_RUNNING.format(worker=exc.holding.holder, since=_since_utc(exc.holding))
        err.print(running, highlight=False)
        raise typer.Exit(3) from exc
    except IndexWriteError as exc:
        err.print(messages.REINDEX_WRITE_FAILED.format(path=exc.where, reason=exc.reason), highlight=False)
        raise typer.Exit(1) from exc
    except (DocumentError, EmbeddingModelError, IndexError_) as exc:
        err.print(messages.CORPUS_ERROR.format(error=exc))
        raise typer.Exit(1) from exc
    except (DatabaseUnavailable, LeaseLost) as exc:
        err.print(messages.ASK_DATABASE_ERROR.format(error=exc))
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    _print_report(report, serving, as_json)


@app.command()
def search(
    query: str,
    k: Annotated[int, typer.Option("--k", min=1, max=100)] = 5,
    user: Annotated[str, typer.Option("--user", help="Search as this user id (their groups apply)")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Ranked passages with scores and citations."""
    settings = _settings(config)
    kb = KnowledgeBase(settings.home, settings.knowledge)
    groups = frozenset(g for g, members in settings.groups.items() if user and user in members)
    try:
        hits = kb.search(query, k, groups)
    except IndexError_ as exc:
        err.print(messages.INDEX_ERROR.format(error=exc))
        raise typer.Exit(1) from exc
    if as_json:
        rows = [
            {
                "rank": n,
                "score": round(h.score, 4),
                "dense": round(h.dense, 4),
                "lexical": round(h.lexical, 4),
                "doc": h.chunk.doc_path,
                "title": h.chunk.doc_title,
                "section": list(h.chunk.heading_path),
                "citation": h.chunk.citation,
                "start": h.chunk.start,
                "end": h.chunk.end,
                "text": h.chunk.text,
            }
            for n, h in enumerate(hits, 1)
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if not hits:
        out.print(messages.NO_RESULTS)
        return
    table = Table("#", "score", "citation", "passage", show_lines=True)
    for n, h in enumerate(hits, 1):
        snippet = h.chunk.text if len(h.chunk.text) < 300 else h.chunk.text[:300] + "…"
        table.add_row(str(n), f"{h.score:.3f}", f"{h.chunk.citation}\n[dim]{h.chunk.doc_path}[/dim]", snippet)
    out.print(table)


@app.command("eval")
def evaluate(
    corpus: Annotated[Path, typer.Option("--corpus", exists=True, file_okay=False)],
    qa: Annotated[Path, typer.Option("--qa", exists=True, dir_okay=False)],
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Glob of files not to index")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Index CORPUS in a fresh data dir and measure every question of QA (DESIGN.md metrics)."""
    items = load_qa(qa)
    if not items:
        err.print(messages.EVAL_NO_QUESTIONS.format(path=qa))
        raise typer.Exit(1)
    from bot.evaluation import eval_groups, evaluate_answers

    with tempfile.TemporaryDirectory(prefix="backoffice-eval-") as home:
        base = _settings(config)
        # The questions bring their own groups: the configured ones must not hide the corpus' folders. The
        # index goes to the fresh data dir, never to a snapshot folder the workers share.
        knowledge = base.knowledge.model_copy(
            update={
                "source": corpus,
                "exclude": list(exclude or []),
                "access_groups": None,
                "snapshot_dir": None,
            }
        )
        settings = base.model_copy(
            update={
                "home": Path(home),
                "database_url": "",
                "knowledge": knowledge,
                "groups": eval_groups(items),
                # hundreds of questions from a few users in a minute: a measurement, not a flood
                "rate_limit": base.rate_limit.model_copy(update={"per_minute": 0}),
            }
        )
        kb = KnowledgeBase(settings.home, knowledge)
        report = kb.reindex(progress=_progress(err))
        result = evaluate_retrieval(lambda q: [h.chunk for h in kb.search(q, 10)], items)
        bot = _bot(settings, kb)
        answers = asyncio.run(evaluate_answers(bot, items))
        bot.db.dispose()
        result["latency_ms"] = answers.pop("latency_ms")
        result.update(answers)
    result["index"] = {
        "chunks": report.chunks,
        "failed": len(report.failed),
        "seconds": round(report.seconds, 2),
    }
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    table = Table("metric", "value", title=f"{qa.name} over {corpus}")
    for key in ("n", "answerable", "unanswerable"):
        table.add_row(key, str(result[key]))
    for block in ("retrieval", "answers", "actions", "latency_ms"):
        for key, value in result[block].items():
            table.add_row(f"{block}.{key}", str(value))
    out.print(table)


def _bot(
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
    from bot._live_policy import LivePolicy
    from bot.agent import LLMConfigError
    from bot.tools import RegistryError

    if migrate is None:
        migrate = not settings.database_url
    try:
        with _database_problems_end_the_command():
            live = LivePolicy(settings, config_file)
            return Bot.from_settings(settings, knowledge=knowledge, live_policy=live, migrate=migrate)
    except (RegistryError, LLMConfigError) as exc:
        err.print(messages.CONFIG_ERROR.format(error=exc))
        raise typer.Exit(2) from exc


def _since_utc(holding: Holding) -> str:
    return f"{holding.acquired_at:%Y-%m-%d %H:%M:%S} UTC"


def _ensure_index(bot: Bot) -> None:
    """The embedded default works out of the box: a missing index is built from the configured norms."""
    from bot.leases import LeaseHeld

    kb = bot.knowledge
    if kb is not None and kb.current_id() is None:
        try:
            report = kb.reindex(progress=_progress(err))
        except LeaseHeld as exc:  # another worker builds it: this one serves it once it is recorded
            holder, since = exc.holding.holder, _since_utc(exc.holding)
            err.print(messages.REINDEX_WAITING.format(worker=holder, since=since))
            return
        _print_report(report, kb.current_id(), as_json=False, console=err)
    elif kb is not None:
        try:
            kb.store.load(kb.current_id())
        except IndexError_ as exc:
            # The agent can only say the norms are unavailable; the person at the terminal learns why.
            err.print(messages.INDEX_ERROR.format(error=exc))


@app.command()
def ask(
    question: str,
    user: Annotated[str, typer.Option("--user", help="Ask as this user id (their groups apply)")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print the Reply as JSON")] = False,
    config: ConfigOption = None,
) -> None:
    """One turn through the full agent."""
    from bot import IncomingMessage

    bot = _bot(_settings(config))
    _ensure_index(bot)
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


@app.command()
def chat(
    user: Annotated[str, typer.Option("--user", help="Chat as this user id")] = "me",
    config: ConfigOption = None,
) -> None:
    """The console chat: same agent, same store, same audit as Slack and Teams. Reads stdin (or a pipe)."""
    from adapters.console import run_chat

    # Bytes that are not UTF-8 become U+FFFD instead of ending the chat; later lines are still answered.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    bot = _bot(_settings(config), config_file=config)
    _ensure_index(bot)
    asyncio.run(run_chat(bot, user, out))


@app.command()
def digest(
    week: Annotated[
        str | None, typer.Option("--week", help="ISO week, e.g. 2026-W47 (default: last week)")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table, json or markdown")] = "table",
    chart: Annotated[Path | None, typer.Option("--chart", help="Where to write the PNG chart")] = None,
    post: Annotated[bool, typer.Option("--post", help="Also post it to the managers' channels")] = False,
    config: ConfigOption = None,
) -> None:
    """The weekly digest: volume, auto-resolution, escalations, knowledge gaps, feedback, with a chart."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.digest import compute_digest, last_week, render_chart, to_json, to_markdown
    from bot.store import DatabaseUnavailable
    from knowledge._embeddings import embed_texts

    settings = _settings(config)
    zone = ZoneInfo(settings.digest.timezone)
    week = week or last_week(zone)
    db = _database(settings)
    kb = KnowledgeBase(settings.home, settings.knowledge)
    try:
        result = compute_digest(
            db,
            week,
            zone,
            now=datetime.now(UTC),
            stale_after_days=settings.digest.stale_after_days,
            min_confidence=settings.agent.min_confidence,
            embed=lambda texts: embed_texts(kb.embedder(), texts, 32),
        )
    except ValueError as exc:
        err.print(messages.CONFIG_ERROR.format(error=exc))
        raise typer.Exit(2) from exc
    except DatabaseUnavailable as exc:
        err.print(messages.ASK_DATABASE_ERROR.format(error=exc))
        raise typer.Exit(1) from exc
    chart_path = chart or settings.home / f"digest-{week}.png"
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    chart_path.write_bytes(render_chart(result, settings.language))
    if output == "json":
        sys.stdout.write(json.dumps({**to_json(result), "chart": str(chart_path)}, ensure_ascii=False) + "\n")
    elif output == "markdown":
        sys.stdout.write(to_markdown(result, settings.language, settings.digest.stale_after_days) + "\n")
    else:
        _print_digest(result, settings.language, settings.digest.stale_after_days)
        err.print(messages.DIGEST_CHART.format(path=chart_path))
    if post:
        _post_digest(settings, week)


def _print_digest(result: Any, lang: str, stale_days: int) -> None:
    from bot.digest import headline_rows

    table = Table("", result.week, "vs. previous week", title=messages.DIGEST_TITLE.format(week=result.week))
    for label, value, change in headline_rows(result, lang):
        table.add_row(label, value, change)
    out.print(table)
    if result.empty:
        out.print(messages.DIGEST_EMPTY)
        return
    for title, rows in (
        (messages.DIGEST_TOPICS, result.by_topic),
        (messages.DIGEST_ESCALATIONS, result.escalations_by_topic),
        (messages.DIGEST_GAPS, [(f"×{g.count}", g.example) for g in result.gaps]),
        (
            messages.DIGEST_STALE.format(days=stale_days),
            [(f"#{c} ({a:g} d)", q) for c, q, a in result.stale_cases],
        ),
    ):
        if rows:
            section = Table(title=title, show_header=False)
            for a, b in rows:
                section.add_row(str(a), str(b))
            out.print(section)
    out.print(
        messages.DIGEST_MEDIANS.format(
            reply="—" if result.median_first_reply_h is None else f"{result.median_first_reply_h:g} h",
            resolution="—" if result.median_resolution_h is None else f"{result.median_resolution_h:g} h",
        )
    )


def _post_digest(settings: Settings, week: str) -> None:
    from adapters.server import digest_publisher, posters

    bot = _bot(settings)
    found = posters(bot, settings)
    if not found:
        err.print(messages.DIGEST_NO_CHANNEL)
        raise typer.Exit(1)
    posted = asyncio.run(digest_publisher(bot, settings, found).publish(week, force=True))
    err.print(
        messages.DIGEST_POSTED.format(week=week) if posted else messages.DIGEST_POST_FAILED.format(week=week)
    )
    if not posted:
        raise typer.Exit(1)


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Start the configured adapters (Slack Socket Mode or HTTP, Teams), the outbox and the digest job."""
    import signal

    from adapters.server import check_settings, serve_forever
    from bot._logging import configure_logging

    settings = _settings(config)
    configure_logging(settings.server.log_format)
    if not (settings.slack.enabled or settings.teams.enabled):
        err.print(messages.SERVE_NOTHING)
        raise typer.Exit(2)
    try:
        check_settings(settings)  # contradictions stop start-up before the model loads
    except ConfigError as exc:
        err.print(messages.CONFIG_ERROR.format(error=exc))
        raise typer.Exit(2) from exc
    # Workers never change a shared schema: `backoffice db upgrade` does, once, before they start.
    bot = _bot(settings, config_file=config, migrate=False)
    _ensure_index(bot)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        await serve_forever(
            bot, settings, lambda: err.print(messages.SERVE_READY.format(port=settings.server.port))
        )

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        err.print(messages.SERVE_STOPPED)


@app.command("teams-package")
def teams_package(
    output: Annotated[Path, typer.Option("--output", help="Where to write the zip")] = Path(
        "backoffice-teams.zip"
    ),
    domain: Annotated[str, typer.Option("--domain", help="The public host of `backoffice serve`")] = "",
    config: ConfigOption = None,
) -> None:
    """Write the Teams app package (manifest + icons) to upload in Teams or the admin centre."""
    from adapters.teams.package import write_package

    settings = _settings(config)
    if not settings.teams.app_id:
        err.print(messages.TEAMS_NO_APP_ID)
        raise typer.Exit(2)
    out.print(messages.TEAMS_PACKAGE.format(path=write_package(output, settings.teams.app_id, domain)))


db_app = typer.Typer(no_args_is_help=True, help="The database schema: which revision it holds, upgrades.")
app.add_typer(db_app, name="db")


def _database(settings: Settings, migrate: bool | None = None) -> Database:
    """The configured database with the newest schema: migrated on the embedded default, checked on any
    configured one (which changes by `backoffice db upgrade` alone)."""
    from bot.store import Database

    db = Database(settings.effective_database_url)
    if migrate is None:
        migrate = not settings.database_url
    with _database_problems_end_the_command():
        db.prepare(migrate)
    return db


@contextmanager
def _database_problems_end_the_command() -> Iterator[None]:
    """A database that cannot be reached, or holds another schema, ends the command with what to do."""
    from bot.store import DatabaseUnavailable, SchemaOutdated

    try:
        yield
    except DatabaseUnavailable as exc:
        err.print(messages.ASK_DATABASE_ERROR.format(error=exc))
        raise typer.Exit(1) from exc
    except SchemaOutdated as exc:
        err.print(_describe_schema(exc.state, exc.url), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


def _describe_schema(state: SchemaState, url: str) -> str:
    if state.is_newest:
        return messages.SCHEMA_NEWEST.format(url=url, current=state.current)
    if state.current is None:
        return messages.SCHEMA_MISSING.format(url=url)
    text = messages.SCHEMA_OLDER if state.known else messages.SCHEMA_NEWER
    return text.format(url=url, current=state.current, newest=state.newest)


def _schema_state(config: Path | None) -> tuple[Database, SchemaState]:
    from bot.store import Database

    db = Database(_settings(config).effective_database_url)
    with _database_problems_end_the_command():
        return db, db.schema_state()


@db_app.command("current")
def db_current(config: ConfigOption = None) -> None:
    """Which schema revision the database holds and whether it is the newest (exit 1 when it is not)."""
    db, state = _schema_state(config)
    db.dispose()
    out.print(_describe_schema(state, db.safe_url), highlight=False, soft_wrap=True)
    if not state.is_newest:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Bring the schema to the newest revision; run it once before starting (or after updating) workers."""
    from dataclasses import replace

    db, before = _schema_state(config)
    if not before.known:
        db.dispose()
        err.print(_describe_schema(before, db.safe_url), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    try:
        with _database_problems_end_the_command():
            held = db.migrate()  # what it held once this upgrade's turn came: another may have done it
    finally:
        db.dispose()
    if held == before.newest:
        out.print(
            _describe_schema(replace(before, current=held), db.safe_url), highlight=False, soft_wrap=True
        )
    else:
        out.print(
            messages.SCHEMA_UPGRADED.format(url=db.safe_url, newest=before.newest, before=held or "none"),
            highlight=False,
            soft_wrap=True,
        )


audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: every tool call, case and vote.")
app.add_typer(audit_app, name="audit")


def _since(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(messages.AUDIT_BAD_SINCE.format(value=value)) from exc


@audit_app.command("export")
def audit_export(
    since: Annotated[
        datetime,
        typer.Option(
            "--since",
            parser=_since,
            metavar="DATE",
            help="From this day (midnight in agent.timezone) or instant: YYYY-MM-DD[THH:MM[+HH:MM]]",
        ),
    ],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv")] = ExportFormat.JSONL,
    output: Annotated[Path | None, typer.Option("--output", help="Write here (default: stdout)")] = None,
    config: ConfigOption = None,
) -> None:
    """Every audit entry since DATE, oldest first, as JSON lines or CSV for compliance."""
    from zoneinfo import ZoneInfo

    from bot.audit import export

    settings = _settings(config)
    start = since if since.tzinfo else since.replace(tzinfo=ZoneInfo(settings.agent.timezone))
    db = _database(settings)
    try:
        with _database_problems_end_the_command():
            if output is None:
                count = export(db, start, sys.stdout, fmt)
            else:
                # Written aside and renamed: a failed export never leaves a file that looks complete.
                partial = output.with_name(output.name + ".partial")
                try:
                    with partial.open("w", encoding="utf-8", newline="") as target:
                        count = export(db, start, target, fmt)
                    partial.replace(output)
                finally:
                    partial.unlink(missing_ok=True)
    except OSError as exc:
        err.print(
            messages.AUDIT_WRITE_ERROR.format(path=output, error=exc.strerror or exc),
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    where = str(output) if output else "stdout"
    err.print(
        messages.AUDIT_EXPORTED.format(count=count, since=start.isoformat(), target=where),
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    app()
