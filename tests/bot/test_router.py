from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pytest
from pydantic import Field

from bot.agent._router import Router, ToolSpec
from bot.config import DEFAULT_PERMISSIONS
from bot.tools import ToolContext, ToolRegistry, tool

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
