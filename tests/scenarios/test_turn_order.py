"""A worker runs a bounded number of turns at once, in arrival order, and on shutdown finishes the turns it
has accepted before it exits: a burst's first askers are answered first, and a deploy drops no answer."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import aiohttp

from adapters._turns import TurnRunner
from adapters.server import Server
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import bot_over, make_settings
from tests.fakes.slack_api import fake_slack

from .conftest import SECRET, SlackEnv, payload
from .test_slack import _mention


async def test_turns_run_at_most_n_at_once_and_start_in_arrival_order() -> None:
    runner = TurnRunner("test-turns", max_in_flight=2)
    started: list[int] = []
    running, most = 0, 0

    async def turn(n: int) -> int:
        nonlocal running, most
        started.append(n)
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1
        return n

    try:
        results = await asyncio.gather(*(runner.run(turn(n)) for n in range(8)))
    finally:
        runner.close()
    assert results == list(range(8))
    assert most == 2 and started == list(range(8))


async def test_drain_waits_for_each_request_until_its_reply_is_posted() -> None:
    runner = TurnRunner("test-turns", max_in_flight=1)
    posted: list[int] = []

    async def request(n: int) -> None:
        answer = await runner.run(asyncio.sleep(0.05, result=n))
        await asyncio.sleep(0.02)  # posting the reply, after the turn itself has finished
        posted.append(answer)

    tasks = [asyncio.create_task(request(n)) for n in range(4)]
    await asyncio.sleep(0)  # the requests start their turns
    try:
        assert runner.in_flight == 4
        assert await runner.drain(5.0) == 0
        assert sorted(posted) == [0, 1, 2, 3] and runner.in_flight == 0
        assert all(task.done() for task in tasks)
    finally:
        runner.close()


class _Slow(HashingEmbedding):
    """Each query takes a while, so turns are still running when the worker is told to stop."""

    def _get_query_embedding(self, query: str) -> list[float]:
        time.sleep(0.15)
        return super()._get_query_embedding(query)


async def test_a_stopping_worker_answers_every_event_it_acknowledged(tmp_path: Path, corpus: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    async with fake_slack(payload("web_api", "auth.test.bot.json")) as fake:
        settings = make_settings(
            tmp_path / "home",
            corpus,
            slack={"bot_token": "xoxb-test", "signing_secret": SECRET, "api_url": fake.url + "api/"},
            server={"host": "127.0.0.1", "port": port, "max_turns_in_flight": 2},
            rate_limit={"per_minute": 0},
        )
        bot = bot_over(settings, _Slow())
        server = Server(bot, settings)
        runner = await server.start()
        await server.wait_ready()
        async with aiohttp.ClientSession() as session:
            slack = SlackEnv(fake, bot, None, f"http://127.0.0.1:{port}/slack/events", session)  # type: ignore[arg-type]
            stamps = [f"1726133700.00000{n}" for n in range(6)]
            events = [
                _mention("How many vacation days do I get?", f"EvStop{n}", ts=ts)
                for n, ts in enumerate(stamps)
            ]
            for event in events:
                assert (await slack.event(event)).status == 200
        assert server.adapters[0].in_flight > 0  # turns are still running: the stop must wait for them
        await server.stop(runner)
        answered = fake.named("chat.postMessage")
        assert sorted(c["thread_ts"] for c in answered) == stamps  # each event answered, once
        assert all("25 working days" in c["text"] for c in answered)
