"""`backoffice serve`: the configured adapters on one aiohttp server, the outbox loops and the digest
schedule. This is where platforms are wired to the core; nothing in `bot/` knows they exist."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from adapters.slack._mode import slack_mode
from bot import Bot
from bot.config import Settings
from bot.digest import DigestPublisher, Poster
from knowledge import KnowledgeBase

log = logging.getLogger(__name__)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_settings(settings: Settings) -> None:
    """ConfigError when the configured adapters contradict each other, before anything starts."""
    if settings.slack.enabled:
        slack_mode(settings.slack)


class Server:
    def __init__(self, bot: Bot, settings: Settings) -> None:
        check_settings(settings)
        self.bot, self.settings = bot, settings
        self.web_app = web.Application()
        self.web_app.router.add_get("/healthz", self._health)
        self.web_app.router.add_get("/readyz", self._ready)
        self.web_app.router.add_get("/metrics", self._metrics)
        self.adapters: list[Any] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._closers: list[Any] = []
        self._outboxes: list[tuple[Any, asyncio.Task[None]]] = []
        self._knowledge = "loading"
        self._warm: asyncio.Task[None] | None = None
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
        """Alive: the process answers (whatever it is still loading)."""
        return web.json_response({"ok": True, "adapters": [type(a).__name__ for a in self.adapters]})

    async def _ready(self, _: web.Request) -> web.Response:
        """Ready: the embedding model and the index are loaded and the database answers."""
        try:
            await asyncio.wait_for(asyncio.to_thread(self._ping_database), 5)
            database = "reachable"
        except Exception as exc:  # any failure to answer is "not ready", with why
            database = f"unreachable: {type(exc).__name__}"
        ready = self._knowledge == "loaded" and database == "reachable"
        return web.json_response(
            {"ready": ready, "knowledge": self._knowledge, "database": database}, status=200 if ready else 503
        )

    async def _metrics(self, _: web.Request) -> web.Response:
        """Prometheus' scrape: the core's figures; the outbox and index gauges are read off the loop."""
        body = await asyncio.to_thread(self.bot.metrics.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _ping_database(self) -> None:
        with self.bot.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def wait_ready(self) -> None:
        if self._warm is not None:
            await asyncio.shield(self._warm)

    async def _load_knowledge(self) -> None:
        """The models, the index and its calibration load now, not on the first question (which would miss
        Teams' deadline)."""
        kb = self.bot.knowledge
        started = time.perf_counter()
        try:
            if kb is not None:
                await asyncio.to_thread(kb.search_with_evidence, "warm-up", 1)
        except Exception as exc:  # a broken index keeps /readyz at 503 with the reason; /healthz lives on
            self._knowledge = f"failed: {type(exc).__name__}: {exc}"[:300]
            log.error("the knowledge base could not be loaded: %s", exc)
            return
        self._knowledge = "loaded"
        log.info("embedding model and index loaded in %.1f s: ready", time.perf_counter() - started)

    def _switched(self) -> None:
        self._knowledge = "loaded"  # a worker started before any index existed is ready once one is

    async def open(self) -> None:
        """Routes, Socket Mode connections, outbox loops, the digest schedule and the model loading in the
        background: everything but the port."""
        self._warm = asyncio.create_task(self._load_knowledge())
        if self.bot.knowledge is not None:
            self._tasks.append(asyncio.create_task(follow_snapshots(self.bot.knowledge, self._switched)))
        for line in describe(self.settings):
            log.info("%s", line)
        for adapter in self.adapters:
            if adapter.settings is self.settings.slack and slack_mode(self.settings.slack) == "socket":
                self._closers.append(await adapter.start_socket_mode())
            else:
                adapter.add_routes(self.web_app)
            worker, server = adapter.outbox, self.settings.server
            self._outboxes.append(
                (worker, asyncio.create_task(worker.run(server.outbox_interval_s, server.outbox_lease_s)))
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
        """Stop taking requests, let the turns already accepted post their replies (up to
        `server.drain_s`), then close everything: a SIGTERM between two deploys drops no answer."""
        for site in list(runner.sites):
            await site.stop()
        await self._close_connections()
        await self.drain()
        await self.close()
        await runner.cleanup()
        await self.bot.aclose()

    async def drain(self) -> None:
        accepted = sum(adapter.in_flight for adapter in self.adapters)
        if accepted:
            log.info("stopping: finishing %d accepted turn(s) first", accepted)
        left = 0
        for adapter in self.adapters:
            left += await adapter.drain(self.settings.server.drain_s)
        if left:
            log.warning("stopped with %d turn(s) unfinished after %.0f s", left, self.settings.server.drain_s)

    async def _close_connections(self) -> None:
        """Socket Mode connections: no new events once stopping."""
        closers, self._closers = self._closers, []
        for closer in closers:
            await closer.close_async()

    async def close(self) -> None:
        """Undo `open`: the bot and the listening port are the caller's."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for worker, task in self._outboxes:
            await worker.stop(task)
        for task in [*self._tasks, *([self._warm] if self._warm else [])]:
            task.cancel()
        await self._close_connections()
        for adapter in self.adapters:
            adapter.close()


async def follow_snapshots(kb: KnowledgeBase, on_switch: Callable[[], None] | None = None) -> None:
    """Every worker serves the newest recorded index snapshot: looked for every few seconds, loaded in a
    thread while the old one keeps answering, switched in once whole."""
    while True:
        await asyncio.sleep(kb.settings.snapshot_poll_s)
        try:
            switched = await asyncio.to_thread(kb.refresh)
        except Exception as exc:  # the database or the shared volume is away: keep serving, look again
            log.warning("could not look for a new index snapshot: %s", exc)
            continue
        if switched and on_switch is not None:
            on_switch()


def describe(settings: Settings) -> list[str]:
    """One start-up line per adapter: what is configured, and what is off."""
    slack, teams = settings.slack, settings.teams
    lines = []
    if slack.enabled:
        mode = slack_mode(slack)
        where = f"HTTP at {slack.path}" if mode == "http" else "Socket Mode"
        lines.append(
            f"slack: on, {where}; cases to {slack.human_channel or 'nowhere (slack.human_channel is off)'}; "
            f"digest to {slack.digest_channel or 'nowhere (slack.digest_channel is off)'}"
        )
    else:
        lines.append("slack: off (no slack.bot_token)")
    if teams.enabled:
        auth = f"tokens checked for app {teams.app_id}" if teams.app_id else "NO authentication (no app id)"
        lines.append(
            f"teams: on at {teams.path}, {auth}; "
            f"cases to {teams.human_team_channel or 'nowhere (teams.human_team_channel is off)'}; "
            f"digest to {teams.digest_channel or 'nowhere (teams.digest_channel is off)'}"
        )
    else:
        lines.append("teams: off (teams.enabled is false)")
    return lines


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
    await server.wait_ready()
    if on_ready is not None:
        on_ready()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop(runner)
