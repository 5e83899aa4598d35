"""The weekly digest: printed, or posted where the adapters post it."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bot import messages
from bot.cli._common import (
    ConfigOption,
    err,
    open_database,
    out,
    read_settings,
    wired_bot,
)
from bot.config import Settings
from knowledge import (
    KnowledgeBase,
)


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
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from bot.digest import compute_digest, last_week, render_chart, to_json, to_markdown
    from bot.store import DatabaseUnavailable
    from knowledge._embeddings import embed_texts

    settings = read_settings(config)
    zone = ZoneInfo(settings.digest.timezone)
    week = week or last_week(zone)
    db = open_database(settings)
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

    bot = wired_bot(settings)
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


def register(app: typer.Typer) -> None:
    app.command()(digest)
