"""Serving: the one command that starts the adapters, and the Teams app package."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot import messages
from bot.cli._common import (
    ConfigOption,
    ensure_index,
    err,
    out,
    read_settings,
    wired_bot,
)
from bot.config import ConfigError


def serve(config: ConfigOption = None) -> None:
    """Start the configured adapters (Slack Socket Mode or HTTP, Teams), the outbox and the digest job."""
    import signal

    from adapters.server import check_settings, serve_forever
    from bot.fleet._logging import configure_logging

    settings = read_settings(config)
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
    bot = wired_bot(settings, config_file=config, migrate=False)
    ensure_index(bot)

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


def teams_package(
    output: Annotated[Path, typer.Option("--output", help="Where to write the zip")] = Path(
        "backoffice-teams.zip"
    ),
    domain: Annotated[str, typer.Option("--domain", help="The public host of `backoffice serve`")] = "",
    config: ConfigOption = None,
) -> None:
    """Write the Teams app package (manifest + icons) to upload in Teams or the admin centre."""
    from adapters.teams.package import write_package

    settings = read_settings(config)
    if not settings.teams.app_id:
        err.print(messages.TEAMS_NO_APP_ID)
        raise typer.Exit(2)
    out.print(messages.TEAMS_PACKAGE.format(path=write_package(output, settings.teams.app_id, domain)))


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command("teams-package")(teams_package)
