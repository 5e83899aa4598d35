"""The digest over a large database: 100,000 turns in one week (the target: rendered in under 2 s).

Usage: python -m benchmarks.digest [--turns N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.digest import compute_digest, render_chart, to_markdown
from bot.store import Case, Conversation, Database, Feedback, Turn

ZONE = ZoneInfo("Europe/Madrid")
WEEK = "2026-W47"


def seed(db: Database, turns: int) -> None:
    rng = random.Random(7)
    start = datetime(2026, 11, 16, tzinfo=ZONE).astimezone(UTC)
    conversations = max(1, turns // 3)
    with db.session() as s:
        s.execute(
            insert(Conversation),
            [{"key": f"k{i}", "platform": "slack", "user_id": f"u{i}"} for i in range(conversations)],
        )
        cases = [
            {
                "platform": "slack",
                "user_id": "u",
                "question": f"gap {i % 40}",
                "topic": "",
                "opened_at": start + timedelta(minutes=i),
            }
            for i in range(turns // 10)
        ]
        s.execute(insert(Case), cases)
    rows = []
    for i in range(turns):
        escalated = i % 10 == 0
        rows.append(
            {
                "conversation_id": 1 + i % conversations,
                "at": start + timedelta(seconds=rng.randrange(7 * 86400)),
                "platform": rng.choice(("slack", "teams")),
                "user_id": "u",
                "question": f"gap {i % 40}" if escalated else f"question {i % 500}",
                "answer": "",
                "lang": "es",
                "outcome": "escalated" if escalated else rng.choice(("answered", "answered", "action_done")),
                "topic": rng.choice(("Vacaciones", "Permisos", "Gastos", "IT")),
                "tool": "",
                "case_id": 1 + i // 10 if escalated else None,
                "confidence": 0.1 if escalated else 0.8,
                "citations": [],
                "latency_ms": 50.0,
            }
        )
    with db.session() as s:
        for lo in range(0, len(rows), 10_000):
            s.execute(insert(Turn), rows[lo : lo + 10_000])
        s.execute(
            insert(Feedback),
            [{"turn_id": t, "user_id": "v", "value": rng.choice((1, -1))} for t in range(1, turns, 7)],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to seed instead of a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp:
        db = Database(args.postgres or f"sqlite:///{Path(tmp) / 'digest.db'}")
        db.migrate()
        started = time.perf_counter()
        seed(db, args.turns)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        digest = compute_digest(db, WEEK, ZONE, now=datetime(2026, 11, 23, tzinfo=ZONE))
        computed = time.perf_counter() - started
        text = to_markdown(digest, "en", 3)
        png = render_chart(digest)
        total = time.perf_counter() - started
        print(f"turns: {digest.now.questions:,}  (seeded in {seeded:.1f} s)")
        print(f"compute: {computed:.2f} s   compute + markdown + chart: {total:.2f} s   (target < 2 s)")
        print(f"gaps: {len(digest.gaps)}  chart: {len(png):,} bytes  markdown: {len(text):,} chars")
        db.dispose()


if __name__ == "__main__":
    main()
