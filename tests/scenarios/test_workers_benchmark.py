"""The several-workers benchmark in small: two real `backoffice serve` processes on one PostgreSQL schema,
events round-robin with retries sent to the other worker, each answered exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.workers import measure_load
from tests.conftest import shared_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.model]


async def test_two_workers_answer_every_event_once_with_retries_sent_to_the_other(
    tmp_path: Path, postgres_url: str
) -> None:
    shared = shared_or_skip("slack-payloads").parent
    traffic, workers = await measure_load(
        2, database_url=postgres_url, home=tmp_path / "home", shared=shared, events=24, concurrency=12
    )
    assert traffic.deliveries == 24 + 4  # a fifth of the events delivered again, each to the other worker
    assert traffic.statuses == {200: 28}
    assert traffic.answered == 24 and traffic.duplicates == {} and traffic.strays == 0
    assert traffic.exactly_once
    assert len(workers) == 2 and all(w.peak_rss_mib > 50 for w in workers)
    assert [w.log_problems for w in workers] == [[], []]
    assert [w.exit_code for w in workers] == [0, 0]  # both stopped cleanly on SIGTERM
