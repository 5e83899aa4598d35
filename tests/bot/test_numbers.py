from __future__ import annotations

import pytest

from bot.agent._numbers import find_reference

TICKET = ["ticket", "incidencia", "#"]
REQUEST = ["solicitud", "request", "peticion", "#"]


@pytest.mark.parametrize(
    ("text", "anchors", "expected"),
    [
        ("any update on #412", TICKET, 412),
        ("any update on #412?", [], 412),  # "#" marks a reference even when the tool does not say so
        ("ticket nº 77", TICKET, 77),
        ("ticket no. 77 please", TICKET, 77),
        ("el ticket n.º 77 sigue abierto", TICKET, 77),
        ("ticket number 77", TICKET, 77),
        ("ticket #77", TICKET, 77),
        ("ticket: 77", TICKET, 77),
        ("la petición 63", REQUEST, 63),
        ("incidencia 5120", TICKET, 5120),
        ("the 3031 one", TICKET, 3031),
        ("ok, approve request 15", REQUEST, 15),
        ("deniega la solicitud 21, estamos en cierre de trimestre", REQUEST, 21),
        ("any update on my ticket 2045?", TICKET, 2045),  # not the year 2045
        ("q tal va lo del ticket 88", TICKET, 88),
        ("añade al ticket 88 que ya he reiniciado el router y sigue igual", TICKET, 88),
        ("What's the status of ticket 1017?", TICKET, 1017),
        # an anchored number beats the other numbers of the message
        ("the vpn keeps dropping every 10 min, any news on ticket 31?", TICKET, 31),
        ("approve request 15, it is for 3 days", REQUEST, 15),
        ("aprueba la solicitud 9 del 3 al 7 de marzo", REQUEST, 9),
        ("ticket 12: the $3500 laptop still hasn't arrived", TICKET, 12),
        ("mi hijo de 8 años está malo, solicitud 40", REQUEST, 40),
        ("tickets 12", TICKET, 12),
        # a lone number, once dates, times, durations, amounts and ages are set aside
        ("q tal va lo del 88", TICKET, 88),
        ("update on 2045 pls, it's been 3 days", TICKET, 2045),
        ("approve 15 for the 3/8", REQUEST, 15),
    ],
)
def test_a_reference_however_written(text: str, anchors: list[str], expected: int) -> None:
    assert find_reference(text, anchors) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the vpn drops every 10 min",
        "del 3 al 7",
        "del 3 al 7 de marzo",
        "$3500",
        "3500 €",
        "mi hijo de 8 años",
        "3/8",
        "10:30",
        "GS-13",
        "12h flight",
        "5% more",
        "the 2nd floor",
        "a las 5",
        "tengo 40 grados de fiebre",
        "¿Cuántos días de vacaciones tengo?",
        "list my open tickets",
    ],
)
def test_numbers_that_are_dates_times_durations_amounts_or_ages_are_no_reference(text: str) -> None:
    assert find_reference(text, TICKET) is None


@pytest.mark.parametrize(
    "text",
    [
        "merge ticket 12 into ticket 15",  # two anchored numbers
        "is it 3031 or 3032?",  # two lone numbers
    ],
)
def test_several_candidates_are_ambiguous(text: str) -> None:
    assert find_reference(text, TICKET) is None


def test_the_same_number_twice_is_one_reference() -> None:
    assert find_reference("ticket 88... yes, ticket 88", TICKET) == 88


@pytest.mark.parametrize("text", ["\udcda ticket 5", "\ud800", "ticket\x00 7", "😀 #12 😀"])
def test_text_a_broken_client_sends_is_read_without_error(text: str) -> None:
    assert find_reference(text, TICKET) in (None, 5, 7, 12)
