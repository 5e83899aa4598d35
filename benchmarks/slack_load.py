"""Slack under load: 200 signed events over loopback, 20 at a time, a fifth of them delivered twice as
retries. Measures the acknowledgement latency (Slack's limit is 3 s) and checks every event is answered
exactly once. The bot runs with the real embedding model and the offline agent.

Usage: python -m benchmarks.slack_load [--events N] [--concurrency C]
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from adapters.slack import SlackAdapter  # noqa: E402
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


async def run(events: int, concurrency: int) -> None:
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
                },
            )
            bot = Bot.from_settings(settings)
            assert bot.knowledge is not None
            bot.knowledge.reindex()
            bot.knowledge.search("warm-up")
            adapter = SlackAdapter(bot, settings.slack)
            app = web.Application()
            adapter.add_routes(app)
            async with serve_app(app) as base:
                url = base + "slack/events"
                deliveries = []
                for n in range(events):
                    body = json.loads(json.dumps(template))
                    body["event_id"] = f"EvBench{n}"
                    body["event"].update(
                        text=QUESTIONS[n % len(QUESTIONS)], ts=f"1700000000.{n:06d}", channel=f"D{n}"
                    )
                    deliveries.append((json.dumps(body), None))
                    if n % 5 == 0:
                        deliveries.append((json.dumps(body), 1))  # Slack's retry of the same event
                acks: list[float] = []
                statuses: Counter[int] = Counter()
                gate = asyncio.Semaphore(concurrency)
                verifier = SignatureVerifier(SECRET)

                async def send(session: aiohttp.ClientSession, body: str, retry: int | None) -> None:
                    async with gate:
                        ts = str(int(time.time()))
                        headers = {
                            "Content-Type": "application/json",
                            "X-Slack-Request-Timestamp": ts,
                            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
                        }
                        if retry:
                            headers["X-Slack-Retry-Num"] = str(retry)
                        started = time.perf_counter()
                        async with session.post(url, data=body.encode(), headers=headers) as response:
                            await response.read()
                            acks.append((time.perf_counter() - started) * 1000)
                            statuses[response.status] += 1

                started = time.perf_counter()
                async with aiohttp.ClientSession() as session:
                    await asyncio.gather(*(send(session, body, retry) for body, retry in deliveries))
                sent = time.perf_counter() - started
                deadline = time.monotonic() + 300
                while len(fake.named("chat.postMessage")) < events and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                await asyncio.sleep(2)  # late duplicates would show up now
                answered = time.perf_counter() - started
                per_channel = Counter(c["channel"] for c in fake.named("chat.postMessage"))
                print(
                    f"deliveries: {len(deliveries)} ({len(deliveries) - events} retries), "
                    f"statuses {dict(statuses)}"
                )
                print(
                    f"ack latency: p50 {percentile(acks, 50):.1f} ms, p99 {percentile(acks, 99):.1f} ms, "
                    f"max {max(acks):.1f} ms (limit 3000 ms); all sent in {sent:.1f} s"
                )
                once = all(v == 1 for v in per_channel.values()) and len(per_channel) == events
                print(
                    f"answered: {len(per_channel)}/{events} events, "
                    f"exactly once: {once}; "
                    f"all answers in {answered:.1f} s"
                )
            await bot.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.events, args.concurrency))


if __name__ == "__main__":
    main()
