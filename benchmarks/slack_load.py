"""Slack under load, served as `backoffice serve` composes it: start-up until /readyz, the first answer
after it, then 200 signed events over loopback, 25 at a time, 30 % of them delivered again as Slack's
retries. Measures the acknowledgement latency (Slack's limit is 3 s), what the asker sees after sending
(the status line or 👀, the first streamed chunk, the whole answer; p50/p95) and checks every event is
answered exactly once. The bot runs with the real embedding model and the offline agent.

By default the workspace offers Slack's AI surface (status, streamed answers); `--plain` runs it as one
without it (👀 and one message per answer). `--paced` sends each event once the previous one is
answered: what one person sees on an idle server, rather than in a burst.

Usage: python -m benchmarks.slack_load [--events N] [--concurrency C] [--retries SHARE] [--plain] [--paced]
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


async def run(events: int, concurrency: int, retry_share: float, agent: bool, paced: bool) -> None:
    shared = require_shared()
    auth = json.loads((shared / "slack-payloads" / "web_api" / "auth.test.bot.json").read_text())
    template = json.loads((shared / "slack-payloads" / "events" / "message_im.bolt-python.json").read_text())
    async with fake_slack(auth, agent=agent) as fake:
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
                while not _answers(fake):
                    await asyncio.sleep(0.01)
                first_answer_s = time.perf_counter() - asked
                print(f"start-up: ready in {ready_s:.1f} s; first answer {first_answer_s:.2f} s after that")
                fake.calls.clear()
                load = (events, 1 if paced else concurrency, retry_share, paced)
                await _load(session, url, verifier, fake, template, *load)
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
    paced: bool,
) -> None:
    deliveries: list[tuple[str, str, int | None]] = []
    for n in range(events):
        body = _event(template, f"EvBench{n}", QUESTIONS[n % len(QUESTIONS)], f"D{n}", n)
        deliveries.append((f"D{n}", body, None))
        if int((n + 1) * retry_share) > int(n * retry_share):  # an even spread of `retry_share` of them
            deliveries.append((f"D{n}", body, 1))  # Slack's retry of the same event, often while in flight
    acks: list[float] = []
    sent_at: dict[str, float] = {}  # channel -> when its event was first sent (the fake's clock)
    statuses: Counter[int] = Counter()
    gate = asyncio.Semaphore(concurrency)

    async def send(channel: str, body: str, retry: int | None) -> None:
        async with gate:
            sent_at.setdefault(channel, time.monotonic())
            started = time.perf_counter()
            statuses[await _post(session, url, verifier, body, retry)] += 1
            acks.append((time.perf_counter() - started) * 1000)
            while paced and channel not in {c["channel"] for c in _answers(fake)}:
                await asyncio.sleep(0.005)

    started = time.perf_counter()
    await asyncio.gather(*(send(channel, body, retry) for channel, body, retry in deliveries))
    sent = time.perf_counter() - started
    deadline = time.monotonic() + 300
    while len(_answers(fake)) < events and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    answered = time.perf_counter() - started
    await asyncio.sleep(2)  # late duplicates would show up now
    per_channel = Counter(c["channel"] for c in _answers(fake))
    print(f"deliveries: {len(deliveries)} ({len(deliveries) - events} retries), statuses {dict(statuses)}")
    print(
        f"ack latency: p50 {percentile(acks, 50):.1f} ms, p99 {percentile(acks, 99):.1f} ms, "
        f"max {max(acks):.1f} ms (limit 3000 ms); all sent in {sent:.1f} s"
    )
    once = all(v == 1 for v in per_channel.values()) and len(per_channel) == events
    print(
        f"answered: {len(per_channel)}/{events} events, exactly once: {once}; all answers in {answered:.1f} s"
    )
    streams = Counter(c["channel"] for c in fake.named("chat.startStream"))
    twice = sum(1 for n in streams.values() if n > 1)
    print(f"streams started: {sum(streams.values())} for {len(streams)} events, {twice} started twice")
    seen = [
        ("status line", "assistant.threads.setStatus", "channel_id"),
        ("working indicator (👀)", "reactions.add", "channel"),
        ("first streamed chunk", "chat.startStream", "channel"),
        ("whole answer (stream stopped)", "chat.stopStream", "channel"),
        ("whole answer (message posted)", "chat.postMessage", "channel"),
    ]
    for label, method, key in seen:
        waits = _after_sending(fake, sent_at, method, key)
        if waits:
            print(
                f"{label}: {len(waits)} events, after sending p50 {percentile(waits, 50):.0f} ms, "
                f"p95 {percentile(waits, 95):.0f} ms"
            )


def _answers(fake: Any) -> list[dict[str, Any]]:
    """One per answer: a posted message, or a stream once it is stopped (the whole answer shows)."""
    return [*fake.named("chat.postMessage"), *fake.named("chat.stopStream")]


def _after_sending(fake: Any, sent_at: dict[str, float], method: str, key: str) -> list[float]:
    """Milliseconds from each event's first delivery to the first `method` call for its channel."""
    first: dict[str, float] = {}
    for call in fake.calls:
        channel = str(call.args.get(key, ""))
        if call.method == method and channel in sent_at and channel not in first:
            first[channel] = (call.at - sent_at[channel]) * 1000
    return list(first.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--retries", type=float, default=0.3, help="share of events delivered twice")
    parser.add_argument("--plain", action="store_true", help="a workspace without Slack's AI surface")
    parser.add_argument(
        "--paced", action="store_true", help="one event at a time, each after the last answer"
    )
    args = parser.parse_args()
    asyncio.run(run(args.events, args.concurrency, args.retries, agent=not args.plain, paced=args.paced))


if __name__ == "__main__":
    main()
