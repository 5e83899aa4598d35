"""What an operator's Prometheus scrapes: the core counts turns, escalations and tool calls as they happen;
the outbox and the index are read when a scrape asks, so the figures are never stale.

Labels carry only platform, outcome, tool and status: never a user's text, id or a document's words.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlmodel import col, func, select

from bot.store import Database, DatabaseUnavailable, IndexSnapshot, Outbox
from bot.types import Action, utcnow
from knowledge import KnowledgeBase

__all__ = ["Metrics"]

log = logging.getLogger(__name__)

# Slack wants an acknowledgement within 3 s and Teams an answer within 15 s: the buckets bracket both.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0)


class Metrics:
    """One registry per bot: what `/metrics` shows for this worker."""

    def __init__(self, db: Database, knowledge: KnowledgeBase | None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "backoffice_requests",
            "Messages handled, by platform and outcome (duplicate: a retry of one already handled).",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "backoffice_answer_latency_seconds",
            "Time from a message to its reply, by platform.",
            ["platform"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.escalations = Counter(
            "backoffice_escalations",
            "Cases opened for the human team, by platform.",
            ["platform"],
            registry=self.registry,
        )
        self.tool_calls = Counter(
            "backoffice_tool_calls",
            "Tool calls by tool and what came of them (proposed, denied, succeeded, failed, ...).",
            ["tool", "status"],
            registry=self.registry,
        )
        self.registry.register(_StateCollector(db, knowledge))

    def turn(
        self, platform: str, outcome: str, seconds: float, actions: Iterable[Action], escalated: bool
    ) -> None:
        self.requests.labels(platform, outcome).inc()
        self.latency.labels(platform).observe(seconds)
        if escalated:
            self.escalation(platform)
        self.actions(actions)

    def escalation(self, platform: str) -> None:
        self.escalations.labels(platform).inc()

    def actions(self, actions: Iterable[Action]) -> None:
        for action in actions:
            self.tool_calls.labels(action.tool, action.status).inc()

    def duplicate(self, platform: str) -> None:
        self.requests.labels(platform, "duplicate").inc()

    def exposition(self) -> bytes:
        """The text format Prometheus reads; it queries the database, so call it off the event loop."""
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges read at scrape time: the outbox's backlog and the index this worker serves."""

    def __init__(self, db: Database, knowledge: KnowledgeBase | None) -> None:
        self._db, self._knowledge = db, knowledge

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read at scrape time only: registering must not query the database

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._outbox()
            yield from self._index()
        except DatabaseUnavailable as exc:
            log.warning("metrics: the database did not answer, outbox and index gauges left out: %s", exc)

    def _outbox(self) -> Iterator[Metric]:
        with self._db.session() as s:
            depth, oldest = s.exec(
                select(func.count(), func.min(Outbox.created_at)).where(col(Outbox.delivered_at).is_(None))
            ).one()
        yield GaugeMetricFamily(
            "backoffice_outbox_depth", "Posts owed to a platform, not yet delivered.", depth
        )
        yield GaugeMetricFamily(
            "backoffice_outbox_oldest_age_seconds",
            "Age of the oldest undelivered post (0 when none waits).",
            _age(oldest) if oldest is not None else 0.0,
        )

    def _index(self) -> Iterator[Metric]:
        chunks, recorded = self._snapshot()
        if chunks is None:
            return
        yield GaugeMetricFamily("backoffice_index_chunks", "Passages in the current index snapshot.", chunks)
        yield GaugeMetricFamily(
            "backoffice_index_snapshot_age_seconds", "Time since the current snapshot was built.", recorded
        )

    def _snapshot(self) -> tuple[int | None, float]:
        """The current snapshot's size and age: as the database records it for every worker, else (one
        worker, no record yet) as the local snapshot store says."""
        with self._db.session() as s:
            newest = s.exec(select(IndexSnapshot).order_by(col(IndexSnapshot.recorded_at).desc())).first()
        if newest is not None:
            return newest.chunks, _age(newest.recorded_at)
        if self._knowledge is None:
            return None, 0.0
        try:
            manifest = self._knowledge.manifest()
        except Exception:  # no index yet, or one being replaced: the gauges wait for the next scrape
            return None, 0.0
        return sum(d.chunks for d in manifest.docs.values()), max(0.0, time.time() - manifest.created_at)


def _age(at: datetime) -> float:
    # SQLite hands timestamps back without their zone; every table stores UTC.
    now = utcnow() if at.tzinfo else utcnow().replace(tzinfo=None)
    return max(0.0, (now - at).total_seconds())
