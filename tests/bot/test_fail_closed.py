"""Input that is empty, retried, undecodable or not language: always one clear reply, stored, never a crash;
and what leaves the asker's view carries nothing a restricted document says."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import Bot, IncomingMessage, Outcome
from bot.audit import entries
from bot.digest import compute_digest
from bot.store import Case, Outbox, Turn
from tests.conftest import shared_or_skip

from .conftest import Ask

CANARY = "CONFIDENCIAL-BANDAS-7731"


def _turns(bot: Bot) -> list[Turn]:
    with bot.db.session() as s:
        return list(s.exec(select(Turn)).all())


def _this_week() -> str:
    year, week, _ = datetime.now(ZoneInfo("Europe/Madrid")).isocalendar()
    return f"{year}-W{week:02d}"


# --- issue 11, Slack 2: retries are recognised before anything else --------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "x" * 5000])
async def test_a_retried_empty_or_too_long_message_is_answered_once(bot: Bot, text: str) -> None:
    message = IncomingMessage(platform="slack", user_id="U1", text=text, event_id="Ev-retried")
    first = await bot.ahandle(message)
    assert first is not None and first.outcome == Outcome.CLARIFY
    assert await bot.ahandle(message) is None


# --- 10.5: undecodable bytes and lone surrogates -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        b"vacaciones \xff\xfe cu\xe1ntos d\xedas".decode("utf-8", "surrogateescape"),  # argv / a pipe
        "How many vacation days \ud800 do I get?",  # a JSON event with a lone surrogate
        "PTO\x00 days\x1b[31m?",
    ],
)
async def test_undecodable_text_gets_an_answer_and_the_turn_is_stored(bot: Bot, text: str) -> None:
    reply = await bot.ahandle(IncomingMessage(platform="slack", user_id="U1", text=text, event_id="Ev-bytes"))
    assert reply is not None and reply.outcome != Outcome.ERROR and reply.turn_id is not None
    (turn,) = _turns(bot)
    assert "\x00" not in turn.question and "\x1b" not in turn.question
    turn.question.encode("utf-8")  # valid Unicode: no lone surrogate survives
    json.dumps(reply.model_dump(), ensure_ascii=False).encode("utf-8")


# --- 10.9: noise asks what the user needs; a failed tool is not a done action -----------------------------


@pytest.mark.parametrize(
    ("text", "hint", "lang"),
    [
        ("😀😀🎉", "en", "en"),
        ("🙏", "es", "es"),
        ("?!?!...", "en", "en"),
        ("SELECT * FROM users WHERE id = 1; DROP TABLE users;--", "en", "en"),
        ("select salary from employees where name = 'ana';", "es", "es"),
        ("def f(x): return {x: x*2}", "en", "en"),
    ],
)
async def test_noise_asks_what_the_user_needs_and_opens_no_case(
    bot: Bot, text: str, hint: str, lang: str
) -> None:
    reply = await bot.ahandle(IncomingMessage(platform="slack", user_id="U1", text=text, lang_hint=hint))
    assert reply is not None
    assert reply.outcome == Outcome.CLARIFY and not reply.escalated and reply.case_id is None
    assert reply.lang == lang and ("palabras" if lang == "es" else "in words") in reply.text
    with bot.db.session() as s:
        assert s.exec(select(Case)).first() is None
    (turn,) = _turns(bot)
    assert turn.outcome == "clarify"


def test_noise_never_fires_on_a_shared_question() -> None:
    from bot.conversation._noise import is_noise

    folder = shared_or_skip("qa")
    questions = [
        json.loads(line)["question"]
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(questions) > 100
    assert [q for q in questions if is_noise(q)] == []


async def test_a_failed_ticket_lookup_is_its_own_outcome_and_not_auto_resolved(ask: Ask, bot: Bot) -> None:
    reply = await ask("What's the status of ticket 999?")
    assert [a.status for a in reply.actions] == ["failed"]
    assert reply.outcome == Outcome.ACTION_FAILED
    (turn,) = _turns(bot)
    assert turn.outcome == "action_failed"
    digest = compute_digest(bot.db, _this_week(), ZoneInfo("Europe/Madrid"), now=datetime.now(UTC))
    assert digest.now.questions == 1 and digest.now.auto_resolved == 0


# --- 10.3: restricted text stays with its audience -------------------------------------------------------


async def test_a_restricted_answer_does_not_leave_its_audience(
    ask: Ask, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = await ask("clave de control interna de la revisión salarial", user="helena")
    assert CANARY in reply.text and reply.citations and reply.citations[0].restricted
    assert reply.turn_id is not None
    await bot.afeedback("console", "helena", reply.turn_id, -1)
    human = await bot.arequest_human("console", "helena", reply.turn_id)
    assert human.escalated and human.case_id is not None

    with bot.db.session() as s:
        case = s.get(Case, human.case_id)
        outbox = s.exec(select(Outbox)).all()
    assert case is not None and CANARY not in case.summary and f"#{reply.turn_id}" in case.summary
    assert all(CANARY not in json.dumps(o.payload) for o in outbox)
    assert all(CANARY not in e.result and CANARY not in json.dumps(e.arguments) for e in entries(bot.db))
    digest = compute_digest(bot.db, _this_week(), ZoneInfo("Europe/Madrid"), now=datetime.now(UTC))
    shown = json.dumps([digest.worst_rated, digest.by_topic, digest.escalations_by_topic], ensure_ascii=False)
    assert digest.worst_rated and "hr/bandas-salariales.md" not in shown and "Bandas" not in shown
    assert CANARY not in caplog.text


def test_the_canary_is_in_the_sample_handbook(corpus: Path) -> None:
    assert CANARY in (corpus / "hr" / "bandas-salariales.md").read_text(encoding="utf-8")


# --- 10.2 and 10.7 as an admin and a log reader see them ---------------------------------------------------


async def test_status_reports_a_broken_access_rule_by_file_and_line(
    tmp_path: Path, corpus: Path, embedder: object
) -> None:
    from bot.conversation.commands import AdminCommands

    from .conftest import bot_over, make_settings

    (corpus / "hr" / ".access.yaml").write_text("# HR only\naudience: [hr]\ngroups: [payroll]\n")
    bot = bot_over(make_settings(tmp_path / "home", corpus), embedder)
    try:
        text = await AdminCommands(bot).run("console:root", "status", "en")
    finally:
        await bot.aclose()
    assert "1 problems in the last reindex" in text
    assert "hr/.access.yaml:3: unknown key `groups`" in text and "readable by nobody" in text


def test_reindex_progress_is_shown_as_lines_when_stderr_is_not_a_terminal() -> None:
    import io

    from rich.console import Console

    from bot.cli._common import LineProgress, progress_for

    sink = io.StringIO()
    console = Console(file=sink, force_terminal=False, width=200)
    progress = progress_for(console)
    assert isinstance(progress, LineProgress)
    progress.start(1000)
    for _ in range(125):
        progress.advance(8)
    lines = sink.getvalue().splitlines()
    assert lines[0] == "Embedding: 0/1000 passages" and lines[-1] == "Embedding: 1000/1000 passages"
    assert len(lines) == 11
