"""Slack under load, served as `backoffice serve` composes it: start-up until /readyz, the first answer
after it, then 200 signed events over loopback, 25 at a time, 30 % of them delivered again as Slack's
retries. Measures the acknowledgement latency (Slack's limit is 3 s) and checks every event is answered
exactly once. The bot runs with the real embedding model and the offline agent.

Usage: python -m benchmarks.slack_load [--events N] [--concurrency C] [--retries SHARE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import aiohttp  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from adapters.server import Server  # noqa: E402
from benchmarks._corpora import require_shared  # noqa: E402
from bot import Bot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from knowledge._evaluation import percentile  # noqa: E402
from tests.fakes._serve import serve_app  # noqa: E402
from tests.fakes.slack_api import fake_slack  # noqa: E402

SECRET = "bench-secret"
QUESTIONS = [
    "How many vacation days do I get?",
    "¿Cuánto es la dieta si duermo fuera?",
    "Can I work from abroad?",
    "¿Cómo se piden las vacaciones?",
    "What happens if I lose my laptop?",
    "¿Cuántos días me dan si me caso?",
]


async def run(events: int, concurrency: int, retry_share: float) -> None:
    shared = require_shared()
    auth = json.loads((shared / "slack-payloads" / "web_api" / "auth.test.bot.json").read_text())
    template = json.loads((shared / "slack-payloads" / "events" / "message_im.bolt-python.json").read_text())
    async with fake_slack(auth) as fake:
        with tempfile.TemporaryDirectory(prefix="bench-slack-") as home:
            settings = load_settings(
                None,
                {
                    "home": Path(home),
                    "slack": {"bot_token": "xoxb", "signing_secret": SECRET, "api_url": fake.url + "api/"},
                    # every event comes from the template's one user: the figures are for answers
                    "rate_limit": {"per_minute": 0},
                },
            )
            indexer = Bot.from_settings(settings)  # the index exists before `serve` starts, as in production
            assert indexer.knowledge is not None
            indexer.knowledge.reindex()
            await indexer.aclose()
            started = time.perf_counter()
            bot = Bot.from_settings(settings)  # a fresh process: the model is not loaded yet
            server = Server(bot, settings)
            await server.open()
            async with serve_app(server.web_app) as base, aiohttp.ClientSession() as session:
                await server.wait_ready()
                ready_s = time.perf_counter() - started
                url = base + "slack/events"
                verifier = SignatureVerifier(SECRET)
                first = _event(template, "EvFirst", QUESTIONS[0], "DFIRST", 999_999)
                asked = time.perf_counter()
                await _post(session, url, verifier, first, None)
                while not fake.named("chat.postMessage"):
                    await asyncio.sleep(0.01)
                first_answer_s = time.perf_counter() - asked
                print(f"start-up: ready in {ready_s:.1f} s; first answer {first_answer_s:.2f} s after that")
                fake.calls.clear()
                await _load(session, url, verifier, fake, template, events, concurrency, retry_share)
            await server.close()
            await bot.aclose()


def _event(template: dict[str, Any], event_id: str, text: str, channel: str, n: int) -> str:
    body = json.loads(json.dumps(template))
    body["event_id"] = event_id
    body["event"].update(text=text, ts=f"1700000000.{n:06d}", channel=channel)
    return json.dumps(body)


async def _post(
    session: aiohttp.ClientSession, url: str, verifier: SignatureVerifier, body: str, retry: int | None
) -> int:
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
    }
    if retry:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    async with session.post(url, data=body.encode(), headers=headers) as response:
        await response.read()
        return response.status


async def _load(
    session: aiohttp.ClientSession,
    url: str,
    verifier: SignatureVerifier,
    fake: Any,
    template: dict[str, Any],
    events: int,
    concurrency: int,
    retry_share: float,
) -> None:
    deliveries: list[tuple[str, int | None]] = []
    for n in range(events):
        body = _event(template, f"EvBench{n}", QUESTIONS[n % len(QUESTIONS)], f"D{n}", n)
        deliveries.append((body, None))
        if int((n + 1) * retry_share) > int(n * retry_share):  # an even spread of `retry_share` of them
            deliveries.append((body, 1))  # Slack's retry of the same event, often while it is in flight
    acks: list[float] = []
    statuses: Counter[int] = Counter()
    gate = asyncio.Semaphore(concurrency)

    async def send(body: str, retry: int | None) -> None:
        async with gate:
            sent_at = time.perf_counter()
            statuses[await _post(session, url, verifier, body, retry)] += 1
            acks.append((time.perf_counter() - sent_at) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(send(body, retry) for body, retry in deliveries))
    sent = time.perf_counter() - started
    deadline = time.monotonic() + 300
    while len(fake.named("chat.postMessage")) < events and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    answered = time.perf_counter() - started
    await asyncio.sleep(2)  # late duplicates would show up now
    per_channel = Counter(c["channel"] for c in fake.named("chat.postMessage"))
    indicators = Counter(c["timestamp"] for c in fake.named("reactions.add"))
    print(f"deliveries: {len(deliveries)} ({len(deliveries) - events} retries), statuses {dict(statuses)}")
    print(
        f"ack latency: p50 {percentile(acks, 50):.1f} ms, p99 {percentile(acks, 99):.1f} ms, "
        f"max {max(acks):.1f} ms (limit 3000 ms); all sent in {sent:.1f} s"
    )
    once = all(v == 1 for v in per_channel.values()) and len(per_channel) == events
    print(
        f"answered: {len(per_channel)}/{events} events, exactly once: {once}; all answers in {answered:.1f} s"
    )
    print(f"working indicator: added {sum(indicators.values())} times for {events} events")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--retries", type=float, default=0.3, help="share of events delivered twice")
    args = parser.parse_args()
    asyncio.run(run(args.events, args.concurrency, args.retries))


if __name__ == "__main__":
    main()
