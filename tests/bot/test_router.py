from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pytest
from pydantic import Field
from sqlmodel import select

from bot import Bot, Outcome, messages
from bot.agent._intent import Thresholds
from bot.agent._router import _DOUBT, Reading, Route, Router, ToolSpec
from bot.config import DEFAULT_PERMISSIONS
from bot.store import Case
from bot.tools import ToolContext, ToolRegistry, tool
from tests.bot.conftest import Ask

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def specs() -> list[ToolSpec]:
    registry = ToolRegistry.load([], DEFAULT_PERMISSIONS, discover=False)
    return [ToolSpec(t.name, t.args.model_json_schema()) for t in registry]


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        (
            "Quiero pedir vacaciones del 3 al 7 de marzo",
            "request_time_off",
            {"start": "2027-03-03", "kind": "vacation"},
        ),
        ("Please book me a sick day tomorrow", "request_time_off", {"start": "2026-11-25", "kind": "sick"}),
        ("abre un ticket a facilities: no hay luz en la sala 2", "open_ticket", {"category": "facilities"}),
        ("Open a ticket, my laptop won't boot", "open_ticket", {"category": "it"}),
        ("any news on ticket 88?", "ticket_status", {"ticket_id": 88}),
        ("¿Qué tickets tengo abiertos?", "my_tickets", {}),
        ("¿Cuántos días de vacaciones me quedan?", "time_off_status", {}),
        (
            "Rechaza la solicitud 31, no hay cobertura",
            "decide_time_off",
            {"request_id": 31, "approve": False},
        ),
        ("Comenta en el ticket 5: ya funciona", "comment_ticket", {"ticket_id": 5, "text": "ya funciona"}),
    ],
)
def test_requests_route_to_their_tool_with_arguments(
    specs: list[ToolSpec], text: str, tool: str, args: dict[str, object]
) -> None:
    route = Router().route(text, specs, TODAY)
    assert route is not None and route.tool == tool and not route.missing
    assert {k: route.arguments[k] for k in args} == args


@pytest.mark.parametrize(
    "text",
    [
        "¿Cómo se piden las vacaciones?",  # how a process works: the norms answer it
        "How do I request time off?",
        "¿Cuántos días de vacaciones al año tengo?",  # mentions vacation, asks about the rule
        "¿Cuántas horas puedo trabajar como máximo en un día?",
        "When can I upgrade my equipment?",
    ],
)
def test_norms_questions_that_mention_an_action_go_to_the_search(specs: list[ToolSpec], text: str) -> None:
    assert Router().route(text, specs, TODAY) is None


def test_an_explicit_request_missing_its_dates_names_what_is_missing(specs: list[ToolSpec]) -> None:
    route = Router().route("Quiero pedir vacaciones, por favor", specs, TODAY)
    assert route is not None and route.tool == "request_time_off"
    assert set(route.missing) == {"start", "end"}


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("Can I talk to a human, please?", True),
        ("Quiero hablar con una persona", True),
        ("pásame con alguien de RRHH", True),
        ("¿Cuánto dura el periodo de prueba de una persona del grupo A?", False),
        ("Who approves my expenses?", False),
    ],
)
def test_asking_for_a_person_is_recognised(text: str, wanted: bool) -> None:
    assert Router().wants_human(text) is wanted


Size = Annotated[
    Literal["small", "large"],
    Field(json_schema_extra={"x-words": {"large": ["big", "grande"]}, "x-fallback": "small"}),
]


def test_a_third_party_tool_routes_from_its_own_schema() -> None:
    @tool(
        permission="employee", examples=("Book a meeting room for tomorrow", "reserva una sala de reuniones")
    )
    def book_room(ctx: ToolContext, day: date, size: Size) -> str:
        """Book a meeting room."""
        return "booked"

    route = Router().route(
        "reserva una sala grande para el viernes",
        [ToolSpec("book_room", book_room.args.model_json_schema())],
        TODAY,
    )
    assert route is not None
    assert route.arguments == {"day": "2026-11-27", "size": "large"}


def test_no_question_of_the_shared_norms_sets_is_taken_for_an_action(specs: list[ToolSpec]) -> None:
    from knowledge._evaluation import load_qa
    from tests.conftest import shared_or_skip

    router = Router()
    questions = [
        item.question
        for name in ("convenio-tic-xix-es", "ultralytics-handbook", "18f-handbook.silver")
        for item in load_qa(shared_or_skip("qa", f"{name}.jsonl"))
    ]
    assert len(questions) > 200
    routed = [q for q in questions if router.route(q, specs, TODAY) is not None or router.wants_human(q)]
    assert routed == []


@pytest.mark.parametrize(
    ("text", "nothing"),
    [("y", True), ("ok", True), ("gracias", True), ("hola", True), ("thanks!", True)]
    + [("vacaciones", False), ("per diem", False), ("¿y el teletrabajo?", False)],
)
def test_a_lone_courtesy_names_nothing_to_look_up(text: str, nothing: bool) -> None:
    assert Router().names_nothing(text) is nothing


async def test_a_lone_y_is_asked_what_is_needed_and_opens_no_case(ask: Ask, bot: Bot) -> None:
    reply = await ask("y")
    assert reply.outcome == Outcome.CLARIFY and not reply.escalated and reply.case_id is None
    assert reply.text == messages.say("what_do_you_need", reply.lang)
    with bot.db.session() as s:
        assert s.exec(select(Case)).all() == []


# The decision alone, on a hand-built reading: the tool must beat the norms questions by the margin.
PLAIN = Thresholds(floor=0.3, margin=0.1, filled_bonus=0.0, word_bonus=0.0)


def reading(question: float, scores: dict[str, float], filled: frozenset[str] = frozenset()) -> Reading:
    return Reading(question, scores, None, {name: Route(name) for name in scores}, filled)


def test_a_tool_clear_of_the_doubt_band_is_a_plain_route() -> None:
    lead = PLAIN.margin + _DOUBT + 0.05
    route = Router().decide(reading(0.2, {"my_tickets": 0.2 + lead}), "x", PLAIN)
    assert route is not None and route.tool == "my_tickets" and not route.hesitant


def test_a_tool_inside_the_doubt_band_is_offered_beside_the_answer() -> None:
    lead = PLAIN.margin + _DOUBT / 2
    route = Router().decide(reading(0.4, {"time_off_status": 0.4 + lead}), "x", PLAIN)
    assert route is not None and route.tool == "time_off_status" and route.hesitant


def test_a_tool_short_of_the_margin_is_hesitant_only_if_it_holds_what_the_user_wrote() -> None:
    scores = {"ticket_status": 0.45}  # leads the questions (0.4), but by less than the margin
    assert Router().decide(reading(0.4, scores), "x", PLAIN) is None
    route = Router().decide(reading(0.4, scores, frozenset({"ticket_status"})), "x", PLAIN)
    assert route is not None and route.tool == "ticket_status" and route.hesitant
    # behind the questions, even the arguments it holds do not make it a request
    assert Router().decide(reading(0.5, scores, frozenset({"ticket_status"})), "x", PLAIN) is None


def test_a_tool_short_of_the_floor_is_no_request_even_holding_what_the_user_wrote() -> None:
    # "8" alone: far from every question, and from every tool too (a lone number fills a ticket id)
    below = reading(0.05, {"comment_ticket": PLAIN.floor - 0.05}, frozenset({"comment_ticket"}))
    assert Router().decide(below, "8", PLAIN) is None


async def test_a_lone_number_is_not_offered_as_a_comment_on_that_ticket(ask: Ask) -> None:
    reply = await ask("8")
    assert [a for a in reply.actions if a.status == "proposed"] == []


def test_a_hesitant_tool_missing_an_argument_is_not_offered() -> None:
    lead = PLAIN.margin + _DOUBT / 2
    missing = Reading(
        0.4,
        {"request_time_off": 0.4 + lead},
        None,
        {"request_time_off": Route("request_time_off", missing=["start"])},
        frozenset(),
    )
    assert Router().decide(missing, "x", PLAIN) is None
    # an explicit request still asks for what it lacks ("¿para qué fechas?")
    asked = Router().decide(missing, "quiero pedir vacaciones", PLAIN)
    assert asked is not None and asked.tool == "request_time_off" and asked.missing == ["start"]
    assert not asked.hesitant


def test_a_filled_tool_without_examples_is_no_candidate_by_meaning() -> None:
    # a plugin with no example requests has no score by meaning; its number argument must not crash
    scores = {"my_tickets": 0.8}
    route = Router().decide(reading(0.1, scores, frozenset({"plugin_lookup"})), "case 42", PLAIN)
    assert route is not None and route.tool == "my_tickets"


def test_between_two_close_tools_the_one_that_takes_what_the_user_wrote_wins() -> None:
    close = {"my_tickets": 0.8, "ticket_status": 0.8 - _DOUBT / 4}
    route = Router().decide(reading(0.1, close, frozenset({"ticket_status"})), "x", PLAIN)
    assert route is not None and route.tool == "ticket_status" and not route.hesitant
    apart = {"my_tickets": 0.8, "ticket_status": 0.8 - _DOUBT}
    route = Router().decide(reading(0.1, apart, frozenset({"ticket_status"})), "x", PLAIN)
    assert route is not None and route.tool == "my_tickets"
