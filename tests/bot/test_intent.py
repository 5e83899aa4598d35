from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.agent._intent import HUMAN, IntentData, IntentReader, Thresholds, Vectors, bundled_intents
from bot.agent._router import Router, ToolSpec
from bot.config import DEFAULT_PERMISSIONS
from bot.tools import ToolRegistry
from knowledge import KnowledgeBase
from knowledge._settings import KnowledgeSettings
from knowledge.testing import HashingEmbedding

TUESDAY = date(2026, 11, 24)
EXAMPLES = {
    "open_ticket": ["my laptop screen is broken", "the vpn does not connect"],
    "my_tickets": ["list my tickets", "which tickets do I have open"],
}
DATA = IntentData(
    questions=("how many vacation days do I get", "what is the travel policy"),
    human=("I want to talk to a person", "get me a human"),
    thresholds=Thresholds(floor=0.3, margin=0.05, filled_bonus=0.0, word_bonus=0.0),
)


def hashing(texts: list[str]) -> Vectors:
    embedder = HashingEmbedding()
    return np.asarray([embedder.get_text_embedding(t) for t in texts], dtype=np.float32)


def test_the_closest_class_wins_when_it_beats_the_questions_by_the_margin() -> None:
    reader = IntentReader(hashing, DATA)
    assert reader.choose("the vpn screen is broken again", EXAMPLES) == "open_ticket"
    assert reader.choose("list the tickets I have open", EXAMPLES) == "my_tickets"
    assert reader.choose("please get me a human person", EXAMPLES) == HUMAN


def test_a_question_about_the_norms_goes_to_no_tool() -> None:
    reader = IntentReader(hashing, DATA)
    assert reader.choose("how many vacation days do I get per year", EXAMPLES) is None


def test_nothing_close_enough_is_no_intent() -> None:
    strict = IntentReader(hashing, IntentData(DATA.questions, DATA.human, Thresholds(0.99, 0.0, 0.0, 0.0)))
    assert strict.choose("the vpn screen is broken again", EXAMPLES) is None


def test_the_bundled_thresholds_and_phrasings_load() -> None:
    data = bundled_intents()
    assert 0.0 < data.thresholds.floor < 1.0 and -1.0 < data.thresholds.margin < 1.0
    assert len(data.questions) >= 20 and len(data.human) >= 5


@pytest.fixture(scope="module")
def meaning_router() -> Router:
    kb = KnowledgeBase(Path("/nonexistent"), KnowledgeSettings())
    return Router(kb.analyzer, IntentReader(kb.embed))


@pytest.fixture(scope="module")
def specs() -> list[ToolSpec]:
    registry = ToolRegistry.load([], DEFAULT_PERMISSIONS, discover=False)
    return [ToolSpec(t.name, t.args.model_json_schema()) for t in registry]


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("can someone from IT look at my monitor, it flickers all day", "open_ticket"),
        ("la impresora de la segunda planta no imprime, abrid algo a mantenimiento", "open_ticket"),
        ("hows my ticket 5521 going", "ticket_status"),
        ("how many days off have i still got this year", "time_off_status"),
        ("is there a real person around i could talk to", HUMAN),
        ("what does the handbook say about the per diem in Denver?", None),
        ("¿cuántos días me corresponden si fallece un abuelo?", None),
    ],
)
def test_requests_are_read_by_meaning_with_the_bundled_model(
    meaning_router: Router, specs: list[ToolSpec], text: str, tool: str | None
) -> None:
    route = meaning_router.route(text, specs, TUESDAY)
    assert (route.tool if route is not None else None) == tool
