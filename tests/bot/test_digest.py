"""The digest from a seeded database: a known week gives exactly the expected numbers."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.digest import (
    HEIGHT_PX,
    WIDTH_PX,
    claim_run,
    compute_digest,
    missed_week,
    render_chart,
    to_json,
    to_markdown,
    week_bounds,
)
from bot.store import Case, CaseMessage, Conversation, Database, Feedback, Turn

MADRID = ZoneInfo("Europe/Madrid")
W47 = "2026-W47"  # Monday 16 to Sunday 22 November 2026


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MADRID).astimezone(UTC)


class Seed:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.conversations = 0

    def turn(
        self,
        at: datetime,
        outcome: str,
        *,
        platform: str = "slack",
        topic: str = "Vacaciones",
        tool: str = "",
        case: bool = False,
        confidence: float = 0.9,
        question: str = "q",
        votes: tuple[int, ...] = (),
        human_reply_h: float | None = None,
        resolved_h: float | None = None,
    ) -> int:
        with self.db.session() as s:
            self.conversations += 1
            conversation = Conversation(key=f"c{self.conversations}", platform=platform, user_id="u")
            s.add(conversation)
            s.flush()
            case_id = None
            if case:
                row = Case(
                    platform=platform,
                    user_id="u",
                    question=question,
                    topic=topic,
                    opened_at=at,
                    resolved_at=at + timedelta(hours=resolved_h) if resolved_h is not None else None,
                    status="resolved" if resolved_h is not None else "open",
                )
                s.add(row)
                s.flush()
                case_id = row.id
                if human_reply_h is not None:
                    s.add(
                        CaseMessage(
                            case_id=row.id,
                            author="h",
                            role="human",
                            text="hi",
                            at=at + timedelta(hours=human_reply_h),
                        )
                    )
            turn = Turn(
                conversation_id=conversation.id,
                at=at,
                platform=platform,
                user_id="u",
                question=question,
                outcome=outcome,
                topic=topic,
                tool=tool,
                case_id=case_id,
                confidence=confidence,
                citations=[{"source": "es/vacaciones.md"}],
            )
            s.add(turn)
            s.flush()
            for n, value in enumerate(votes):
                s.add(Feedback(turn_id=turn.id, user_id=f"voter{n}", value=value))
            assert turn.id is not None
            return turn.id


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'digest.db'}")
    database.migrate()
    return database


def test_a_known_week_gives_exactly_the_expected_numbers(db: Database) -> None:
    seed = Seed(db)
    seed.turn(local(16, 9), "answered", votes=(1,))  # auto-resolved, confirmed
    seed.turn(local(16, 10), "answered")  # auto-resolved, assumed
    seed.turn(local(17, 11), "answered", votes=(-1,), question="bad one")  # answered but 👎: not resolved
    seed.turn(local(18, 12), "action_done", tool="request_time_off", platform="teams")
    seed.turn(local(18, 13), "action_proposed", tool="open_ticket")  # never confirmed: not resolved
    seed.turn(
        local(19, 14),
        "escalated",
        case=True,
        confidence=0.1,
        question="¿Me pagan el gimnasio?",
        topic="",
        human_reply_h=2,
        resolved_h=10,
    )
    seed.turn(
        local(20, 15),
        "escalated",
        case=True,
        confidence=0.0,
        question="¿Me pagan el gimnasio?",
        topic="",
        human_reply_h=4,
    )
    seed.turn(local(21, 9), "escalated", case=True, confidence=1.0, topic="Permisos")  # asked for a person
    seed.turn(local(9, 9), "answered")  # the week before
    seed.turn(local(10, 9), "escalated", case=True, confidence=0.0)

    digest = compute_digest(db, W47, MADRID, now=local(23, 9), stale_after_days=1)
    n, p = digest.now, digest.previous
    assert (n.conversations, n.questions, n.actions) == (8, 8, 1)
    assert (n.auto_resolved, n.confirmed) == (3, 1)
    assert n.auto_resolution_rate == pytest.approx(3 / 8)
    assert (n.escalations, n.thumbs_up, n.thumbs_down) == (3, 1, 1)
    assert (p.questions, p.auto_resolved, p.escalations) == (2, 1, 1)
    assert digest.by_platform == {"slack": 7, "teams": 1}
    assert digest.median_first_reply_h == 3.0 and digest.median_resolution_h == 10.0
    assert [c[1] for c in digest.stale_cases] == [
        "q",
        "¿Me pagan el gimnasio?",
        "q",
    ]  # still open, oldest first
    assert [(g.count, g.example) for g in digest.gaps] == [(2, "¿Me pagan el gimnasio?")]
    assert [(q, d) for q, d, _ in digest.worst_rated] == [("bad one", 1)]
    assert [(d.day, a, e, o) for d, a, e, o in digest.daily][:3] == [
        (16, 2, 0, 0),
        (17, 0, 0, 1),
        (18, 1, 0, 1),
    ]

    text = to_markdown(digest, "en", 1)
    assert "Auto-resolution: *38%* (▼ 50%)" in text  # below last week's 50%
    assert "Escalations: *3* (▲ 1)" in text
    assert "1 confirmed by 👍, 2 assumed" in text and "×2 “¿Me pagan el gimnasio?”" in text
    assert to_json(digest)["headline"]["auto_resolution_rate"] == 0.375


def test_an_empty_week_renders_cleanly(db: Database) -> None:
    digest = compute_digest(db, "2026-W10", MADRID)
    assert digest.empty and to_markdown(digest, "es", 3).endswith("Sin actividad esta semana.")
    assert sum(a + e + o for _, a, e, o in digest.daily) == 0
    assert render_chart(digest).startswith(b"\x89PNG")


def test_a_week_with_only_escalations(db: Database) -> None:
    seed = Seed(db)
    for day in (16, 17):
        seed.turn(local(day, 10), "escalated", case=True, confidence=0.0, question=f"pregunta {day}")
    digest = compute_digest(db, W47, MADRID)
    assert (digest.now.questions, digest.now.auto_resolved, digest.now.escalations) == (2, 0, 2)
    assert digest.now.auto_resolution_rate == 0.0 and digest.median_first_reply_h is None
    assert "Auto-resolution: *0%*" in to_markdown(digest, "en", 3)


def test_messages_refused_by_the_rate_limit_are_not_counted_as_requests(db: Database) -> None:
    seed = Seed(db)
    seed.turn(local(16, 10), "answered")
    for minute in range(5):
        seed.turn(local(16, 10, minute + 1), "rate_limited", confidence=0.0, question=f"otra vez {minute}")
    digest = compute_digest(db, W47, MADRID)
    assert (digest.now.questions, digest.now.auto_resolved) == (1, 1)
    assert digest.now.auto_resolution_rate == 1.0 and digest.gaps == []


def test_week_edges_follow_the_company_time_zone(db: Database) -> None:
    seed = Seed(db)
    seed.turn(local(22, 23, 30), "answered")  # Sunday 23:30 in Madrid is still W47 (22:30 UTC)
    seed.turn(local(23, 0, 30), "answered")  # Monday 00:30 in Madrid is W48, though still Sunday in UTC
    start, end = week_bounds(W47, MADRID)
    assert start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC) and end - start == timedelta(days=7)
    assert compute_digest(db, W47, MADRID).now.questions == 1
    assert compute_digest(db, "2026-W48", MADRID).now.questions == 1
    with pytest.raises(ValueError, match="ISO week"):
        week_bounds("2026-47", MADRID)


def test_gaps_are_clustered_by_meaning_when_an_embedder_is_given(db: Database) -> None:
    seed = Seed(db)
    for q in ("¿Me pagan el gimnasio?", "¿Pagáis el gym?", "¿Hay coche de empresa?"):
        seed.turn(local(18, 10), "escalated", case=True, confidence=0.0, question=q)

    def embed(texts: list[str]) -> np.ndarray:
        vectors = np.array(
            [[1.0, 0.0] if "gim" in t.lower() or "gym" in t.lower() else [0.0, 1.0] for t in texts]
        )
        return vectors

    digest = compute_digest(db, W47, MADRID, embed=embed)
    assert [(g.count, g.example) for g in digest.gaps] == [
        (2, "¿Me pagan el gimnasio?"),
        (1, "¿Hay coche de empresa?"),
    ]


def test_the_chart_is_a_png_of_the_expected_size(db: Database) -> None:
    Seed(db).turn(local(18, 10), "answered")
    png = render_chart(compute_digest(db, W47, MADRID), "es")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (WIDTH_PX, HEIGHT_PX)


def test_one_post_per_week_and_a_missed_week_is_caught_up(db: Database) -> None:
    tuesday = datetime(2026, 11, 24, 12, 0, tzinfo=MADRID)
    assert missed_week(db, tuesday, MADRID, weekday=0, hour=9, minute=0) == W47
    assert claim_run(db, W47) is True
    assert claim_run(db, W47) is False  # a second worker, or a second tick
    assert missed_week(db, tuesday, MADRID, weekday=0, hour=9, minute=0) is None
    early_monday = datetime(2026, 11, 23, 8, 0, tzinfo=MADRID)  # before this week's 09:00
    assert missed_week(db, early_monday, MADRID, weekday=0, hour=9, minute=0) == "2026-W46"


def test_suggestions_are_split_by_what_the_employee_did_with_them(db: Database) -> None:
    seed = Seed(db)
    seed.turn(local(16, 9), "answered", votes=(1,))
    seed.turn(local(16, 10), "answered")
    seed.turn(local(17, 9), "suggested", votes=(1,))  # "Sí, me sirve": accepted, settled by the bot
    seed.turn(local(17, 10), "suggested", case=True, question="¿Y el gimnasio?")  # "No": a person
    seed.turn(local(17, 11), "suggested", votes=(-1,))  # 👎: rejected too, though no case
    seed.turn(local(17, 12), "suggested")  # no word back
    seed.turn(local(18, 9), "escalated", case=True, confidence=0.1, question="¿Hay coche de empresa?")
    seed.turn(local(18, 10), "action_done", tool="request_time_off")  # no question about the norms

    digest = compute_digest(db, W47, MADRID, now=local(23, 9))
    n = digest.now
    assert (n.answered, n.handed_over) == (2, 1)
    assert (n.suggested_accepted, n.suggested_rejected, n.suggested_ignored) == (1, 2, 1)
    assert (n.questions, n.auto_resolved, n.confirmed) == (8, 4, 2)  # two answers, one suggestion, one action
    # a suggestion that sent the employee to a person is a gap in the norms, like a hand-over
    assert sorted(g.example for g in digest.gaps) == ["¿Hay coche de empresa?", "¿Y el gimnasio?"]

    assert (
        "Questions about the norms: 29% answered, 57% suggested (1 helped, 2 asked for a person, "
        "1 no word back), 14% handed over" in to_markdown(digest, "en", 3)
    )
    assert "Consultas sobre la normativa: 29% respondidas, 57% con sugerencia" in to_markdown(digest, "es", 3)
    assert to_json(digest)["headline"]["outcomes"] == {
        "answered": 2,
        "suggested_accepted": 1,
        "suggested_rejected": 2,
        "suggested_ignored": 1,
        "handed_over": 1,
    }


def test_a_suggestion_with_a_thumbs_up_and_a_case_is_rejected_not_resolved(db: Database) -> None:
    Seed(db).turn(local(17, 9), "suggested", votes=(1,), case=True)
    n = compute_digest(db, W47, MADRID).now
    assert (n.suggested_accepted, n.suggested_rejected, n.auto_resolved) == (0, 1, 0)


def test_a_week_without_questions_about_the_norms_has_no_outcomes_line(db: Database) -> None:
    Seed(db).turn(local(18, 10), "action_done", tool="request_time_off")
    digest = compute_digest(db, W47, MADRID)
    assert "Questions about the norms" not in to_markdown(digest, "en", 3)
    assert set(to_json(digest)["headline"]["outcomes"].values()) == {0}
