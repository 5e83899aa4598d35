"""The weekly digest's numbers, computed from the database for one ISO week and the week before."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from bot.store import Case, CaseMessage, Database, Feedback, Turn

__all__ = [
    "Digest",
    "Gap",
    "Headline",
    "compute_digest",
    "iso_week",
    "last_week",
    "recent_topics",
    "week_bounds",
]

_MAX_GAP_WORDINGS = 300
RESOLVED_OUTCOMES = frozenset({"answered", "action_done"})
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

Embed = Callable[[list[str]], Any]  # texts -> unit vectors (rows), for clustering the gaps


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_week(zone: ZoneInfo, now: datetime | None = None) -> str:
    """The ISO week before the one `now` falls in, on the company's clock."""
    return iso_week(((now or datetime.now(UTC)).astimezone(zone) - timedelta(days=7)).date())


def week_bounds(week: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in the company's time zone, as aware UTC datetimes."""
    match = _WEEK.match(week)
    if not match:
        raise ValueError(f"not an ISO week: {week!r} (expected e.g. 2026-W47)")
    monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    return start.astimezone(UTC), (start + timedelta(days=7)).astimezone(UTC)


@dataclass(frozen=True)
class Headline:
    conversations: int
    questions: int
    actions: int
    auto_resolved: int
    confirmed: int  # auto-resolved and given a 👍
    escalations: int
    thumbs_up: int
    thumbs_down: int
    # How questions about the norms ended: answered, suggested (then accepted with "yes", rejected by
    # asking for a person, or left without a word), or handed over to a person.
    answered: int = 0
    suggested_accepted: int = 0
    suggested_rejected: int = 0
    suggested_ignored: int = 0
    handed_over: int = 0

    @property
    def auto_resolution_rate(self) -> float:
        return self.auto_resolved / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class Gap:
    count: int
    example: str
    questions: tuple[str, ...]


@dataclass
class Digest:
    week: str
    start: datetime
    end: datetime
    now: Headline
    previous: Headline
    by_platform: dict[str, int] = field(default_factory=dict)
    by_topic: list[tuple[str, int]] = field(default_factory=list)
    escalations_by_topic: list[tuple[str, int]] = field(default_factory=list)
    median_first_reply_h: float | None = None
    median_resolution_h: float | None = None
    stale_cases: list[tuple[int, str, float]] = field(default_factory=list)  # id, question, age in days
    gaps: list[Gap] = field(default_factory=list)
    worst_rated: list[tuple[str, int, list[str]]] = field(default_factory=list)  # question, 👎, sources
    daily: list[tuple[date, int, int, int]] = field(default_factory=list)  # day, auto, escalated, other

    @property
    def empty(self) -> bool:
        return self.now.questions == 0 and self.now.escalations == 0


@dataclass(frozen=True)
class _Row:
    id: int
    at: datetime
    conversation_id: int
    platform: str
    outcome: str
    topic: str
    tool: str
    case_id: int | None
    confidence: float


def compute_digest(
    db: Database,
    week: str,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
    stale_after_days: int = 3,
    min_confidence: float = 0.35,
    embed: Embed | None = None,
) -> Digest:
    start, end = week_bounds(week, zone)
    rows = _turns(db, start, end)
    previous_rows = _turns(db, start - timedelta(days=7), start)
    votes = _votes(db, start, end)
    previous_votes = _votes(db, start - timedelta(days=7), start)
    digest = Digest(
        week=week,
        start=start,
        end=end,
        now=_headline(db, rows, votes, start, end),
        previous=_headline(db, previous_rows, previous_votes, start - timedelta(days=7), start),
    )
    digest.by_platform = dict(Counter(r.platform for r in rows).most_common())
    digest.by_topic = _top_topics(rows, 8)
    _escalations(db, digest, start, end, now or datetime.now(UTC), stale_after_days)
    unanswered = [r.id for r in rows if _unanswered(r, min_confidence)]
    worst = _worst(rows, votes)
    details = _details(db, unanswered + [turn_id for turn_id, _ in worst])
    digest.gaps = _gaps([details[i][0] for i in unanswered], embed)
    digest.worst_rated = [(details[i][0], down, _public_sources(details[i][1])) for i, down in worst]
    digest.daily = _daily(rows, votes, start, zone)
    return digest


def _turns(db: Database, start: datetime, end: datetime) -> list[_Row]:
    # Only the columns every row needs; wording and citations are fetched for the few rows shown.
    columns = (
        Turn.id,
        Turn.at,
        Turn.conversation_id,
        Turn.platform,
        Turn.outcome,
        Turn.topic,
        Turn.tool,
        Turn.case_id,
        Turn.confidence,
    )
    with db.session() as s:
        # A message refused by the per-user rate limit was never read: it is neither a request nor a gap.
        query = select(*columns).where(  # type: ignore[call-overload]
            col(Turn.at) >= start, col(Turn.at) < end, col(Turn.outcome) != "rate_limited"
        )
        result = s.exec(query)
        return [_Row(*row) for row in result.all()]


def _details(db: Database, turn_ids: Sequence[int]) -> dict[int, tuple[str, list[dict[str, Any]]]]:
    if not turn_ids:
        return {}
    with db.session() as s:
        rows = s.exec(
            select(Turn.id, Turn.question, Turn.citations).where(col(Turn.id).in_(list(turn_ids)))
        ).all()
    return {int(turn_id or 0): (question, list(citations or [])) for turn_id, question, citations in rows}


def _votes(db: Database, start: datetime, end: datetime) -> dict[int, list[int]]:
    votes: dict[int, list[int]] = defaultdict(list)
    with db.session() as s:
        rows = s.exec(
            select(Feedback.turn_id, Feedback.value)
            .join(Turn, col(Turn.id) == col(Feedback.turn_id))
            .where(col(Turn.at) >= start, col(Turn.at) < end)
        ).all()
    for turn_id, value in rows:
        votes[turn_id].append(value)
    return votes


def _auto_resolved(row: _Row, votes: dict[int, list[int]]) -> bool:
    """Answered or action done, no human involved, and not given a 👎; or a suggestion the employee
    said helped (settled by the bot all the same)."""
    if row.case_id is not None or -1 in votes.get(row.id, ()):
        return False
    return row.outcome in RESOLVED_OUTCOMES or (row.outcome == "suggested" and 1 in votes.get(row.id, ()))


def _suggestion_fate(row: _Row, votes: dict[int, list[int]]) -> str:
    if row.case_id is not None or -1 in votes.get(row.id, ()):
        return "suggested_rejected"
    return "suggested_accepted" if 1 in votes.get(row.id, ()) else "suggested_ignored"


def _headline(
    db: Database, rows: list[_Row], votes: dict[int, list[int]], start: datetime, end: datetime
) -> Headline:
    resolved = [r for r in rows if _auto_resolved(r, votes)]
    with db.session() as s:
        escalations = s.exec(
            select(func.count())
            .select_from(Case)
            .where(col(Case.opened_at) >= start, col(Case.opened_at) < end)
        ).one()
        conversations = s.exec(
            select(func.count(func.distinct(Turn.conversation_id))).where(
                col(Turn.at) >= start, col(Turn.at) < end
            )
        ).one()
    all_votes = [v for r in rows for v in votes.get(r.id, ())]
    ends = Counter(_suggestion_fate(r, votes) for r in rows if r.outcome == "suggested")
    return Headline(
        conversations=int(conversations),
        questions=len(rows),
        actions=sum(1 for r in rows if r.outcome == "action_done"),
        auto_resolved=len(resolved),
        confirmed=sum(1 for r in resolved if 1 in votes.get(r.id, ())),
        escalations=int(escalations),
        thumbs_up=all_votes.count(1),
        thumbs_down=all_votes.count(-1),
        answered=sum(1 for r in rows if r.outcome == "answered"),
        suggested_accepted=ends["suggested_accepted"],
        suggested_rejected=ends["suggested_rejected"],
        suggested_ignored=ends["suggested_ignored"],
        handed_over=sum(1 for r in rows if r.outcome == "escalated" and not r.tool),
    )


def _public_sources(citations: list[dict[str, Any]]) -> list[str]:
    """Managers read the digest: a document with an audience is not named to them."""
    return [str(c.get("source", "")) for c in citations if not c.get("restricted")]


def _topic(row: _Row) -> str:
    return row.tool or row.topic


def _top_topics(rows: list[_Row], limit: int) -> list[tuple[str, int]]:
    return Counter(_topic(r) for r in rows if _topic(r)).most_common(limit)


def recent_topics(
    db: Database, since: datetime, until: datetime, limit: int = 8, *, tools: bool = True
) -> list[tuple[str, int]]:
    """The digest's topics over any span, most asked first: a document area (`Title › Section`, public
    documents only) or, unless `tools` is false, the tool used."""
    rows = _turns(db, since, until)
    return _top_topics(rows if tools else [r for r in rows if not r.tool], limit)


def _unanswered(row: _Row, min_confidence: float) -> bool:
    """Escalated because the norms had no good answer (not because the user asked for a person), or
    a suggestion the employee said did not help."""
    if row.outcome == "suggested":
        return row.case_id is not None
    return (
        row.case_id is not None
        and not row.tool
        and row.confidence < min_confidence
        and row.outcome == "escalated"
    )


def _escalations(
    db: Database, digest: Digest, start: datetime, end: datetime, now: datetime, stale_days: int
) -> None:
    with db.session() as s:
        cases = s.exec(select(Case).where(col(Case.opened_at) >= start, col(Case.opened_at) < end)).all()
        still_open = s.exec(
            select(Case).where(
                Case.status != "resolved", col(Case.opened_at) < min(end, now) - timedelta(days=stale_days)
            )
        ).all()
        first_replies = dict(
            s.exec(
                select(CaseMessage.case_id, func.min(CaseMessage.at))
                .where(
                    CaseMessage.role == "human", col(CaseMessage.case_id).in_([c.id for c in cases] or [-1])
                )
                .group_by(col(CaseMessage.case_id))
            ).all()
        )
    digest.escalations_by_topic = Counter(c.topic or "—" for c in cases).most_common(8)
    first_reply = {c.id: first_replies.get(c.id or 0) or c.first_human_reply_at for c in cases}
    reply_hours = [
        (_aware(first_reply[c.id]) - _aware(c.opened_at)).total_seconds() / 3600
        for c in cases
        if first_reply[c.id]
    ]
    resolution_hours = [
        (_aware(c.resolved_at) - _aware(c.opened_at)).total_seconds() / 3600 for c in cases if c.resolved_at
    ]
    digest.median_first_reply_h = round(statistics.median(reply_hours), 1) if reply_hours else None
    digest.median_resolution_h = round(statistics.median(resolution_hours), 1) if resolution_hours else None
    reference = min(end, now)
    digest.stale_cases = sorted(
        (
            (c.id or 0, c.question, round((reference - _aware(c.opened_at)).total_seconds() / 86400, 1))
            for c in still_open
        ),
        key=lambda item: -item[2],
    )[:10]


def _aware(value: datetime | None) -> datetime:
    assert value is not None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _gaps(questions: list[str], embed: Embed | None, threshold: float = 0.7) -> list[Gap]:
    """Unanswered questions grouped by meaning, most asked first. Identical wordings are counted
    first, and only the most frequent distinct ones are embedded, so a busy week stays quick."""
    counts = Counter(" ".join(q.split()) for q in questions)
    distinct = [q for q, _ in counts.most_common(_MAX_GAP_WORDINGS)]
    if not distinct:
        return []
    groups: list[list[str]] = []
    if embed is None:
        groups = [[q] for q in distinct]
    else:
        centres: list[Any] = []
        for q, v in zip(distinct, embed(distinct), strict=True):
            for g, centre in enumerate(centres):
                if float(v @ centre) >= threshold:
                    groups[g].append(q)
                    break
            else:
                groups.append([q])
                centres.append(v)
    ranked = sorted(groups, key=lambda g: -sum(counts[q] for q in g))
    return [Gap(sum(counts[q] for q in g), g[0], tuple(g[:5])) for g in ranked[:10]]


def _worst(rows: list[_Row], votes: dict[int, list[int]]) -> list[tuple[int, int]]:
    """(turn id, 👎 count) of the most disliked answers."""
    rated = [(r.id, votes[r.id].count(-1)) for r in rows if -1 in votes.get(r.id, ())]
    rated.sort(key=lambda rv: -rv[1])
    return rated[:5]


def _daily(
    rows: list[_Row], votes: dict[int, list[int]], start: datetime, zone: ZoneInfo
) -> list[tuple[date, int, int, int]]:
    first = start.astimezone(zone).date()
    days = {first + timedelta(days=n): [0, 0, 0] for n in range(7)}
    for r in rows:
        day = _aware(r.at).astimezone(zone).date()
        if day not in days:
            continue
        slot = 0 if _auto_resolved(r, votes) else 1 if r.case_id is not None else 2
        days[day][slot] += 1
    return [(d, *counts) for d, counts in sorted(days.items())]  # type: ignore[misc]
