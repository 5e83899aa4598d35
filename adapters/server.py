"""`backoffice serve`: the configured adapters on one aiohttp server, the outbox loops and the digest
schedule. This is where platforms are wired to the core; nothing in `bot/` knows they exist."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot import Bot
from bot.config import Settings
from bot.digest import DigestPublisher, Poster

log = logging.getLogger(__name__)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Server:
    def __init__(self, bot: Bot, settings: Settings) -> None:
        self.bot, self.settings = bot, settings
        self.web_app = web.Application()
        self.web_app.router.add_get("/healthz", self._health)
        self.adapters: list[Any] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._closers: list[Any] = []
        self._outboxes: list[tuple[Any, asyncio.Task[None]]] = []
        if settings.slack.enabled:
            from adapters.slack import SlackAdapter

            self.adapters.append(SlackAdapter(bot, settings.slack, language=settings.language))
        if settings.teams.enabled:
            from adapters.teams import TeamsAdapter

            self.adapters.append(TeamsAdapter(bot, settings.teams, language=settings.language))
        # Only adapters with a managers' channel post the digest; with none, the schedule is off.
        self.publisher = digest_publisher(
            bot, settings, [a.post_digest for a in self.adapters if a.settings.digest_channel]
        )
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo(settings.digest.timezone))

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response({"ok": True, "adapters": [type(a).__name__ for a in self.adapters]})

    async def open(self) -> None:
        """Routes, Socket Mode connections, outbox loops and the digest schedule: everything but the port."""
        for adapter in self.adapters:
            if (
                getattr(adapter, "settings", None) is self.settings.slack
                and self.settings.slack.mode == "socket"
            ):
                self._closers.append(await adapter.start_socket_mode())
            else:
                adapter.add_routes(self.web_app)
            worker = adapter.outbox
            self._outboxes.append(
                (worker, asyncio.create_task(worker.run(self.settings.server.outbox_interval_s)))
            )
        self._schedule_digest()

    async def start(self) -> web.AppRunner:
        await self.open()
        runner = web.AppRunner(self.web_app)
        await runner.setup()
        await web.TCPSite(runner, self.settings.server.host, self.settings.server.port).start()
        log.info(
            "serving %s on %s:%s",
            [type(a).__name__ for a in self.adapters],
            self.settings.server.host,
            self.settings.server.port,
        )
        return runner

    def _schedule_digest(self) -> None:
        if not self.publisher.posters:
            log.info("weekly digest: off (no slack.digest_channel or teams.digest_channel is configured)")
            return
        digest = self.settings.digest
        hour, minute = (int(part) for part in digest.time.split(":"))
        self.scheduler.add_job(
            self._weekly,
            CronTrigger(day_of_week=_WEEKDAYS[digest.weekday], hour=hour, minute=minute),
            id="weekly-digest",
            misfire_grace_time=3600,
            coalesce=True,
        )
        # A run missed while the server was down is posted when it comes back (checked now and hourly).
        self.scheduler.add_job(self.publisher.catch_up, "interval", hours=1, id="digest-catch-up")
        self.scheduler.start()
        self._tasks.append(asyncio.create_task(self.publisher.catch_up()))

    async def _weekly(self) -> None:
        await self.publisher.publish(self.publisher.last_week())

    async def stop(self, runner: web.AppRunner) -> None:
        await self.close()
        await runner.cleanup()
        await self.bot.aclose()

    async def close(self) -> None:
        """Undo `open`: the bot and the listening port are the caller's."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for worker, task in self._outboxes:
            await worker.stop(task)
        for task in self._tasks:
            task.cancel()
        for closer in self._closers:
            await closer.close_async()


def digest_publisher(bot: Bot, settings: Settings, posters: list[Poster]) -> DigestPublisher:
    return DigestPublisher(
        bot.db,
        posters,
        zone=ZoneInfo(settings.digest.timezone),
        weekday=settings.digest.weekday,
        time=settings.digest.time,
        lang=settings.language,
        stale_after_days=settings.digest.stale_after_days,
        min_confidence=settings.agent.min_confidence,
    )


def posters(bot: Bot, settings: Settings) -> list[Poster]:
    """The digest posters of the configured platforms, for `backoffice digest --post`."""
    found: list[Poster] = []
    if settings.slack.enabled and settings.slack.digest_channel:
        from adapters.slack import SlackAdapter

        found.append(SlackAdapter(bot, settings.slack, language=settings.language).post_digest)
    if settings.teams.enabled and settings.teams.digest_channel:
        from adapters.teams import TeamsAdapter

        found.append(TeamsAdapter(bot, settings.teams, language=settings.language).post_digest)
    return found


async def serve_forever(bot: Bot, settings: Settings, on_ready: Callable[[], None] | None = None) -> None:
    server = Server(bot, settings)
    runner = await server.start()
    if on_ready is not None:
        on_ready()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop(runner)
