from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.agent._intent import HUMAN, IntentData, IntentReader, Thresholds, Vectors, bundled_intents
from bot.agent._router import Router, ToolSpec
from bot.config import DEFAULT_PERMISSIONS
from bot.tools import ToolRegistry
from knowledge import KnowledgeBase, shared_encoder
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
    thresholds={"en": Thresholds(floor=0.3, margin=0.05, filled_bonus=0.0, word_bonus=0.0)},
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
    strict = IntentReader(
        hashing, IntentData(DATA.questions, DATA.human, {"en": Thresholds(0.99, 0.0, 0.0, 0.0)})
    )
    assert strict.choose("the vpn screen is broken again", EXAMPLES) is None


def test_the_bundled_thresholds_and_phrasings_load() -> None:
    data = bundled_intents()
    assert set(data.thresholds) == {"en", "es"}
    assert all(0.0 < t.floor < 1.0 and -1.0 < t.margin < 1.0 for t in data.thresholds.values())
    assert len(data.questions) >= 20 and len(data.human) >= 5


@pytest.fixture(scope="module")
def meaning_router() -> Router:
    kb = KnowledgeBase(Path("/nonexistent"), KnowledgeSettings())
    return Router(kb.analyzer, IntentReader(shared_encoder().encode))


@pytest.fixture(scope="module")
def specs() -> list[ToolSpec]:
    registry = ToolRegistry.load([], DEFAULT_PERMISSIONS, discover=False)
    return [ToolSpec(t.name, t.args.model_json_schema()) for t in registry]


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("la calefacción no funciona, abrid una incidencia a mantenimiento", "open_ticket"),
        ("hows my ticket 5521 going", "ticket_status"),
        ("whats my remaining pto balance", "time_off_status"),
        ("off sick tomorrow", "request_time_off"),
        ("take me off the schedule next friday, personal errand", "request_time_off"),
        ("me pido vacaciones del 3 al 5 de marzo", "request_time_off"),
        ("How many vacation days do I get?", None),  # the entitlement is in the norms, not the balance
        ("what does the handbook say about the per diem in Denver?", None),
        ("¿cuántos días me corresponden si fallece un abuelo?", None),
    ],
)
def test_requests_are_read_by_meaning_with_the_multilingual_encoder(
    meaning_router: Router, specs: list[ToolSpec], text: str, tool: str | None
) -> None:
    route = meaning_router.route(text, specs, TUESDAY)
    assert (route.tool if route is not None else None) == tool


@pytest.mark.model
def test_the_meaning_router_takes_no_shared_norms_question_for_an_action(
    meaning_router: Router, specs: list[ToolSpec]
) -> None:
    from knowledge._evaluation import load_qa
    from tests.conftest import shared_or_skip

    questions = [
        item.question
        for name in ("convenio-tic-xix-es", "ultralytics-handbook", "18f-handbook.silver", "informal-qa")
        for item in load_qa(shared_or_skip("qa", f"{name}.jsonl"))
        if not item.is_action
    ]
    assert len(questions) > 250
    # a hesitant route still answers from the norms (the action is only offered beside the answer)
    routed = [
        q
        for q in questions
        if (r := meaning_router.route(q, specs, TUESDAY)) is not None and not r.missing and not r.hesitant
    ]
    assert routed == []
