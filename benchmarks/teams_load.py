"""Teams under load, served as `backoffice serve` composes it: 60 activities over loopback, 20 at a time,
each in its own conversation, and the time from its POST to the final message in the local connector
(the answer's card; in a one-to-one chat the end of its stream). Checks each is answered exactly once.
The bot runs with the real embedding model and the offline agent; without an app id (no token to check
or fetch), so the figures are the adapter's and the agent's.

Usage: python -m benchmarks.teams_load [--messages N] [--concurrency C] [--chat personal|channel]
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

from adapters.server import Server  # noqa: E402
from benchmarks._corpora import require_shared  # noqa: E402
from benchmarks.slack_load import QUESTIONS  # noqa: E402
from bot import Bot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from knowledge._evaluation import percentile  # noqa: E402
from tests.fakes._serve import serve_app  # noqa: E402
from tests.fakes.bot_connector import FakeConnector, fake_connector  # noqa: E402

TEMPLATES = {
    "channel": "message.channel-thread-mention.teams-net.json",
    "personal": "invoke.adaptiveCard-action.execute.teams-net.json",
}


async def run(messages: int, concurrency: int, chat: str) -> None:
    template = json.loads((require_shared() / "teams-activities" / TEMPLATES[chat]).read_text())
    async with fake_connector() as connector:
        with tempfile.TemporaryDirectory(prefix="bench-teams-") as home:
            settings = load_settings(
                None, {"home": Path(home), "teams": {"enabled": True}, "rate_limit": {"per_minute": 0}}
            )
            indexer = Bot.from_settings(settings)  # the index exists before `serve` starts, as in production
            assert indexer.knowledge is not None
            indexer.knowledge.reindex()
            await indexer.aclose()
            bot = Bot.from_settings(settings)
            server = Server(bot, settings)
            await server.open()
            async with serve_app(server.web_app) as base, aiohttp.ClientSession() as session:
                await server.wait_ready()
                url = base + "api/messages"
                await _load(session, url, connector, template, messages, concurrency, chat)
            await server.close()
            await bot.aclose()


def _activity(template: dict[str, Any], service_url: str, n: int, chat: str) -> dict[str, Any]:
    body = json.loads(json.dumps(template))
    for key in ("name", "value", "replyToId"):
        body.pop(key, None)
    body.update(type="message", id=f"bench-{n}", serviceUrl=service_url, text=QUESTIONS[n % len(QUESTIONS)])
    body["conversation"]["id"] = (
        f"bench-conversation-{n}" if chat == "personal" else f"19:bench{n}@thread.tacv2"
    )
    body["entities"] = [e for e in body.get("entities") or [] if e.get("type") != "mention"]
    return body


async def _load(
    session: aiohttp.ClientSession,
    url: str,
    connector: FakeConnector,
    template: dict[str, Any],
    messages: int,
    concurrency: int,
    chat: str,
) -> None:
    gate = asyncio.Semaphore(concurrency)
    posted_at: dict[str, float] = {}
    statuses: Counter[int] = Counter()

    async def send(n: int) -> None:
        body = _activity(template, connector.url + "amer/", n, chat)
        async with gate:
            posted_at[body["conversation"]["id"]] = time.perf_counter()
            async with session.post(url, json=body) as response:
                await response.read()
                statuses[response.status] += 1

    final: dict[str, float] = {}

    async def watch() -> None:
        deadline = time.monotonic() + 300
        while len(final) < messages and time.monotonic() < deadline:
            for sent in connector.messages():
                final.setdefault(sent.conversation, time.perf_counter())
            await asyncio.sleep(0.005)

    started = time.perf_counter()
    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(send(n) for n in range(messages)))
    await watcher
    await asyncio.sleep(2)  # late duplicates would show up now
    latencies = [final[c] - posted_at[c] for c in final]
    per_conversation = Counter(s.conversation for s in connector.messages())
    once = len(per_conversation) == messages and all(v == 1 for v in per_conversation.values())
    print(f"{messages} {chat} messages, {concurrency} concurrent: statuses {dict(statuses)}")
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"to the final message: p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(latencies):.2f} s")
    print(f"all answered in {max(final.values()) - started:.1f} s; exactly once: {once}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--chat", choices=sorted(TEMPLATES), default="channel")
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.concurrency, args.chat))


if __name__ == "__main__":
    main()
