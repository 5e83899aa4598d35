"""The terminal chat asks what a suggestion's buttons ask: y is a 👍, n is a person, anything else is the
next question."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlmodel import select

from adapters.console import run_chat
from bot import Bot, messages
from bot.store import Case, Feedback, Turn
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import bot_over, make_settings

QUESTION = "How many vacation days do I get?"
SUGGESTION = messages.CHAT_SUGGESTION_PROMPT


class Typist:
    """The lines a person types, in order (then end of input); remembers every prompt shown."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        self.prompts: list[str] = []

    async def read(self, prompt: str) -> str | None:
        self.prompts.append(prompt)
        return self.lines.pop(0) if self.lines else None


@pytest.fixture
async def bot(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> AsyncIterator[Bot]:
    """Nothing is sure enough to answer, so every relevant passage is a suggestion."""
    settings = make_settings(
        tmp_path / "home", corpus, agent={"min_confidence": 1.0, "suggest_confidence": 0.0}
    )
    bot = bot_over(settings, embedder)
    yield bot
    await bot.aclose()


async def _chat(bot: Bot, *lines: str) -> tuple[int, Typist, str]:
    typist, screen = Typist(*lines), io.StringIO()
    handled = await run_chat(bot, "me", Console(file=screen, width=200), typist.read)
    return handled, typist, screen.getvalue()


def _rows(bot: Bot) -> tuple[list[Turn], list[Feedback], list[Case]]:
    with bot.db.session() as s:
        return (
            list(s.exec(select(Turn).order_by(Turn.id))),
            list(s.exec(select(Feedback))),
            list(s.exec(select(Case))),
        )


async def test_y_after_a_suggestion_is_a_thumbs_up(bot: Bot) -> None:
    handled, typist, screen = await _chat(bot, QUESTION, "y")
    assert handled == 1 and typist.prompts == ["> ", SUGGESTION, "> "]
    assert messages.say("suggest_intro", "en") in screen
    assert messages.say("suggestion_thanks", "en") in screen
    (turn,), votes, cases = _rows(bot)
    assert turn.outcome == "suggested"
    assert [(v.turn_id, v.user_id, v.value) for v in votes] == [(turn.id, "console:me", 1)] and cases == []


async def test_n_after_a_suggestion_opens_a_case_naming_what_was_shown(bot: Bot) -> None:
    handled, typist, screen = await _chat(bot, QUESTION, "n")
    assert handled == 1 and typist.prompts == ["> ", SUGGESTION, "> "]
    (turn,), votes, (case,) = _rows(bot)
    assert votes == [] and turn.case_id == case.id and case.question == QUESTION
    assert messages.CHAT_CASE.format(case_id=case.id) in screen
    assert all(str(c["source"]) in case.summary for c in turn.citations)


async def test_any_other_line_after_a_suggestion_is_the_next_question(bot: Bot) -> None:
    handled, typist, _ = await _chat(bot, QUESTION, "¿Cuánto es la dieta por viaje?", "n")
    assert handled == 2 and typist.prompts == ["> ", SUGGESTION, SUGGESTION, "> "]
    turns, votes, (case,) = _rows(bot)
    assert [t.outcome for t in turns] == ["suggested", "suggested"] and votes == []
    # the "n" answered the second suggestion, not the first
    assert case.question == "¿Cuánto es la dieta por viaje?" and turns[1].case_id == case.id
    assert turns[0].case_id is None


async def test_an_exit_word_at_the_suggestion_prompt_ends_the_chat(bot: Bot) -> None:
    handled, typist, _ = await _chat(bot, QUESTION, "exit", "never read")
    assert handled == 1 and typist.prompts == ["> ", SUGGESTION]
    _, votes, cases = _rows(bot)
    assert votes == [] and cases == []


async def test_the_end_of_input_at_the_suggestion_prompt_ends_the_chat(bot: Bot) -> None:
    handled, typist, _ = await _chat(bot, QUESTION)
    assert handled == 1 and typist.prompts == ["> ", SUGGESTION]  # no further prompt waits for a line
