"""Knowledge commands: build the index, search it, score it on a question set."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot import messages
from bot.cli._common import (
    ConfigOption,
    err,
    open_database,
    out,
    print_report,
    progress_for,
    read_settings,
    since_utc,
    wired_bot,
)
from knowledge import (
    DocumentError,
    EmbeddingModelError,
    IndexError_,
    IndexWriteError,
    KnowledgeBase,
)
from knowledge._evaluation import evaluate_retrieval, load_qa


def reindex(
    source: Annotated[
        Path | None, typer.Option(help="Folder of norms (default: configured or bundled)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Build or update the index; prints added/updated/removed/unchanged counts."""
    from datetime import timedelta

    from bot.fleet.leases import LeaseHeld, LeaseLost
    from bot.fleet.snapshots import RecordedSnapshots
    from bot.store import DatabaseUnavailable

    settings = read_settings(config)
    db = open_database(settings)
    # One reindex at a time across workers; every worker switches to the snapshot recorded here.
    ledger = RecordedSnapshots(db, timedelta(seconds=settings.knowledge.reindex_lease_s))
    kb = KnowledgeBase(settings.home, settings.knowledge, ledger=ledger)
    try:
        report = kb.reindex(source, progress=progress_for(err))
        serving = kb.current_id()
    except LeaseHeld as exc:
        running = messages.REINDEX_RUNNING.format(worker=exc.holding.holder, since=since_utc(exc.holding))
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
    print_report(report, serving, as_json)


def search(
    query: str,
    k: Annotated[int, typer.Option("--k", min=1, max=100)] = 5,
    user: Annotated[str, typer.Option("--user", help="Search as this user id (their groups apply)")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Ranked passages with scores and citations."""
    settings = read_settings(config)
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
        base = read_settings(config)
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
        report = kb.reindex(progress=progress_for(err))
        result = evaluate_retrieval(lambda q: [h.chunk for h in kb.search(q, 10)], items)
        bot = wired_bot(settings, kb)
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


def register(app: typer.Typer) -> None:
    app.command()(reindex)
    app.command()(search)
    app.command("eval")(evaluate)
