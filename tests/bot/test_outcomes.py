"""Answer, suggest or hand over: the level the evidence reaches, the reply each level gives, and what the
suggestion's two buttons do."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot import Bot, IncomingMessage, Reply, messages
from bot.agent import TurnPolicy, TurnState, TurnTools
from bot.conversation._replies import outcome_of
from bot.store import Case, Database, Feedback
from bot.tools import ToolContext
from bot.types import Action, ButtonKind, Outcome
from knowledge import Evidence, Hit, Window
from knowledge._documents import Chunk
from knowledge.testing import HashingEmbedding
from tests.bot.conftest import Ask, bot_over, make_settings

SUGGEST = {"min_confidence": 1.0, "suggest_confidence": 0.0}  # nothing is sure enough, anything relevant
HAND_OVER = {"min_confidence": 1.0, "suggest_confidence": 1.0}  # nothing is sure enough even to suggest
CANARY = "CONFIDENCIAL-BANDAS-7731"
MIXED = "¿Cuándo es la revisión salarial y cuántos días de vacaciones tengo?"  # hr/ and es/vacaciones.md


# --- the level: strong, suggest or weak -----------------------------------------------------------------


class OnePassage:
    """A knowledge base whose every search finds one public passage, judged at a fixed confidence."""

    def __init__(self, confidence: float, fitted_floor: float, coverage: float = 1.0) -> None:
        self.confidence, self.fitted_floor, self.coverage = confidence, fitted_floor, coverage

    def search_with_evidence(
        self, query: str, k: int, groups: frozenset[str], context: str = ""
    ) -> tuple[list[Hit], Evidence]:
        text = "Sick days are paid from the first day with a doctor's note."
        chunk = Chunk("c1", "en/pto-policy.md", "PTO", ("Sick days",), text, 0, len(text), frozenset(), "en")
        hit = Hit(chunk, score=1.0, dense=1.0, lexical=1.0)
        window = Window(hit, rank=1, text=text, coverage=self.coverage, score=1.0, quote=text)
        return [hit], Evidence(self.confidence, (), (window,), suggest_floor=self.fitted_floor)


async def _level(tmp_path: Path, knowledge: OnePassage, policy: TurnPolicy) -> tuple[str, TurnState]:
    db = Database(f"sqlite:///{tmp_path / 'level.db'}")
    db.migrate()
    message = IncomingMessage(platform="console", user_id="ana", text="sick days?")
    state = TurnState(message=message, lang="en", groups=frozenset())
    now = datetime.now(UTC)
    ctx = ToolContext("console:ana", frozenset(), "en", now.date(), now, db)
    tools = TurnTools(state, ctx, knowledge, [], [], policy)  # type: ignore[arg-type]  # a stand-in
    found = await tools.search_norms("sick days?")
    db.dispose()
    return str(json.loads(found)["evidence"]), state


@pytest.mark.parametrize(
    ("confidence", "suggest_confidence", "level"),
    [
        (0.8, 0.2, "strong"),
        (0.6, 0.2, "strong"),  # at min_confidence the bot answers
        (0.4, 0.2, "suggest"),
        (0.2, 0.2, "suggest"),  # at the floor it still suggests
        (0.1, 0.2, "weak"),
        (0.35, None, "suggest"),  # without a setting, the floor fitted with the gate (0.3) decides
        (0.25, None, "weak"),
        (0.25, 0.1, "suggest"),  # a configured floor overrides the fitted one
    ],
)
async def test_the_evidence_level_follows_the_answer_and_suggestion_thresholds(
    tmp_path: Path, confidence: float, suggest_confidence: float | None, level: str
) -> None:
    policy = TurnPolicy(0.6, timedelta(minutes=30), suggest_confidence)
    found, state = await _level(tmp_path, OnePassage(confidence, fitted_floor=0.3), policy)
    assert found == level
    assert state.suggested == (level == "suggest")


async def test_a_confident_search_without_a_passage_to_quote_is_weak(tmp_path: Path) -> None:
    policy = TurnPolicy(0.6, timedelta(minutes=30), 0.0)
    found, state = await _level(tmp_path, OnePassage(0.9, 0.3, coverage=0.0), policy)
    assert found == "weak" and not state.suggested


# --- the reply to each level, through the bot -------------------------------------------------------------


@pytest.fixture
async def suggesting(tmp_path: Path, corpus: Path, embedder: HashingEmbedding) -> AsyncIterator[Bot]:
    """A bot that finds nothing sure enough to answer and everything relevant worth suggesting."""
    bot = bot_over(make_settings(tmp_path / "home", corpus, agent=SUGGEST), embedder)
    yield bot
    await bot.aclose()


async def _ask(bot: Bot, text: str, user: str = "ana") -> Reply:
    reply = await bot.ahandle(IncomingMessage(platform="console", user_id=user, text=text, thread_id=text))
    assert reply is not None
    return reply


@pytest.mark.parametrize(
    ("question", "lang"),
    [("How many vacation days do I get?", "en"), ("¿Cuánto es la dieta por viaje?", "es")],
)
async def test_relevant_but_unconvincing_evidence_is_a_suggestion(
    suggesting: Bot, question: str, lang: str
) -> None:
    reply = await _ask(suggesting, question)
    assert reply.outcome == Outcome.SUGGESTED and reply.lang == lang
    assert reply.text.startswith(messages.say("suggest_intro", lang))
    assert reply.citations and "[1]" in reply.text
    assert not reply.escalated and reply.case_id is None
    assert reply.turn_id is not None
    assert [(b.kind, b.label, b.value) for b in reply.buttons] == [
        (ButtonKind.FEEDBACK_UP, messages.say("suggest_yes_button", lang), str(reply.turn_id)),
        (ButtonKind.HUMAN, messages.say("suggest_no_button", lang), str(reply.turn_id)),
    ]


async def test_below_the_suggestion_floor_a_person_takes_over(
    tmp_path: Path, corpus: Path, embedder: HashingEmbedding
) -> None:
    bot = bot_over(make_settings(tmp_path / "home", corpus, agent=HAND_OVER), embedder)
    reply = await _ask(bot, "How many vacation days do I get?")
    await bot.aclose()
    assert reply.outcome == Outcome.ESCALATED and reply.escalated and reply.case_id is not None
    assert not reply.citations


# --- the suggestion's buttons -------------------------------------------------------------------------------


def _case(bot: Bot, case_id: int | None) -> Case:
    assert case_id is not None
    with bot.db.session() as s:
        case = s.get(Case, case_id)
    assert case is not None
    return case


async def test_no_opens_a_case_naming_the_passages_that_were_shown(suggesting: Bot) -> None:
    reply = await _ask(suggesting, "How many vacation days do I get?")
    assert reply.turn_id is not None
    human = await suggesting.arequest_human("console", "ana", reply.turn_id)
    assert human.outcome == Outcome.ESCALATED and human.escalated
    case = _case(suggesting, human.case_id)
    assert case.question == "How many vacation days do I get?"
    assert case.summary.startswith(f"The suggestion in turn #{reply.turn_id} did not help.")
    for n, c in enumerate(reply.citations, 1):
        assert f"[{n}] {c.title} › {' › '.join(c.section)} ({c.source})" in case.summary
    again = await suggesting.arequest_human("console", "ana", reply.turn_id)
    assert again.case_id == human.case_id  # pressing twice opens one case


async def test_a_restricted_passage_in_a_rejected_suggestion_is_named_by_number_only(suggesting: Bot) -> None:
    reply = await _ask(suggesting, MIXED, user="helena")
    assert reply.outcome == Outcome.SUGGESTED and reply.turn_id is not None
    restricted = [n for n, c in enumerate(reply.citations, 1) if c.restricted]
    public = [(n, c) for n, c in enumerate(reply.citations, 1) if not c.restricted]
    assert restricted and public  # the salary review is hr's; the vacation days are everyone's

    human = await suggesting.arequest_human("console", "helena", reply.turn_id)
    summary = _case(suggesting, human.case_id).summary
    assert all(f"[{n}] —" in summary for n in restricted)
    assert all(f"({c.source})" in summary and c.title in summary for _, c in public)
    assert "hr/" not in summary and "Bandas" not in summary and CANARY not in summary
    assert "abril" not in summary  # nor the restricted quote ("se aplica en abril")


async def test_only_the_asker_may_turn_their_suggestion_into_a_case(suggesting: Bot) -> None:
    reply = await _ask(suggesting, "How many vacation days do I get?")
    assert reply.turn_id is not None
    other = await suggesting.arequest_human("console", "bob", reply.turn_id)
    assert other.outcome == Outcome.REFUSED and not other.escalated
    with suggesting.db.session() as s:
        assert s.exec(select(Case)).all() == []


async def test_yes_is_a_thumbs_up_on_the_suggestion(suggesting: Bot) -> None:
    reply = await _ask(suggesting, "How many vacation days do I get?")
    assert reply.turn_id is not None
    await suggesting.afeedback("console", "ana", reply.turn_id, 1)
    with suggesting.db.session() as s:
        votes = [(f.turn_id, f.user_id, f.value) for f in s.exec(select(Feedback)).all()]
        cases = s.exec(select(Case)).all()
    assert votes == [(reply.turn_id, "console:ana", 1)] and cases == []


async def test_a_message_as_close_to_a_request_as_to_a_question_is_answered_with_the_action_beside(
    ask: Ask,
) -> None:
    """The router reads this as hesitant (benchmarks/intent.py): the norms are searched and the balance
    looked up in the same step, the passages first."""
    reply = await ask("¿Cuántos días de vacaciones me quedan?")
    assert [(a.tool, a.status) for a in reply.actions] == [("time_off_status", "succeeded")]
    assert reply.outcome == Outcome.ANSWERED and reply.citations and not reply.escalated
    assert reply.text.startswith(messages.say("answer_intro", "es"))
    assert reply.text.index("[1]") < reply.text.index("días disponibles")
    assert ButtonKind.FEEDBACK_UP in {b.kind for b in reply.buttons}


# --- the outcome of a turn ----------------------------------------------------------------------------


def _actions(*statuses: str) -> list[Action]:
    return [Action(tool="request_time_off", status=s) for s in statuses]


@pytest.mark.parametrize(
    ("case_id", "statuses", "cited", "suggested", "outcome"),
    [
        (None, (), True, False, Outcome.ANSWERED),
        (None, (), True, True, Outcome.SUGGESTED),
        # a hesitant route: the norms answer, and the action is offered beside the answer
        (None, ("proposed",), True, False, Outcome.ANSWERED),
        (None, ("proposed",), True, True, Outcome.SUGGESTED),
        (None, ("succeeded",), True, False, Outcome.ANSWERED),  # a look-up already done beside it
        (None, ("proposed",), False, False, Outcome.ACTION_PROPOSED),
        (None, ("succeeded",), False, False, Outcome.ACTION_DONE),
        (None, ("failed",), True, False, Outcome.ANSWERED),  # a look-up beside an answer found nothing
        (None, ("denied",), True, False, Outcome.ANSWERED),  # a refusal beside an answer: the answer stands
        (None, (), False, False, Outcome.CLARIFY),
        (7, ("proposed",), True, True, Outcome.ESCALATED),  # a case wins over everything
        (7, (), False, False, Outcome.ESCALATED),
    ],
)
def test_the_outcome_of_a_turn(
    case_id: int | None, statuses: tuple[str, ...], cited: bool, suggested: bool, outcome: Outcome
) -> None:
    assert outcome_of(case_id, _actions(*statuses), cited, suggested) == outcome


async def test_settling_an_action_offered_beside_a_suggestion_keeps_the_turn_a_suggestion(
    suggesting: Bot,
) -> None:
    from bot.store import Turn

    suggested = await _ask(suggesting, "How many vacation days do I get?")
    proposed = await _ask(suggesting, "Open an IT ticket: my laptop screen is broken")
    assert suggested.outcome == Outcome.SUGGESTED and proposed.outcome == Outcome.ACTION_PROPOSED
    for reply in (suggested, proposed):
        suggesting.turns.set_outcome(reply.turn_id, Outcome.ACTION_DONE)
    with suggesting.db.session() as s:
        outcomes = {t.id: t.outcome for t in s.exec(select(Turn))}
    # the digest and a later "No" read the suggestion; only the proposal's own turn is settled
    assert outcomes[suggested.turn_id] == "suggested" and outcomes[proposed.turn_id] == "action_done"
