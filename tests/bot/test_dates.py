from __future__ import annotations

from datetime import date

import pytest

from bot.agent._dates import find_date_range

TUESDAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Quiero pedir vacaciones del 3 al 7 de marzo", "2027-03-03", "2027-03-07"),  # next March
        ("I'd like to take PTO from December 21 to December 31", "2026-12-21", "2026-12-31"),
        ("March 3-7", "2027-03-03", "2027-03-07"),
        ("3-7 March", "2027-03-03", "2027-03-07"),
        ("del 28 de diciembre al 4 de enero", "2026-12-28", "2027-01-04"),  # crosses the year
        ("Dec 21st - Jan 3rd", "2026-12-21", "2027-01-03"),
        ("between the 3rd and the 7th of March", "2027-03-03", "2027-03-07"),
        ("del 3 al 7 de marzo de 2028", "2028-03-03", "2028-03-07"),
        ("2027-01-04 to 2027-01-08", "2027-01-04", "2027-01-08"),
        ("el 25 de noviembre", "2026-11-25", "2026-11-25"),
        ("on November 23", "2027-11-23", "2027-11-23"),  # yesterday's date means next year's
        ("Necesito un día personal el viernes", "2026-11-27", "2026-11-27"),
        ("el martes", "2026-12-01", "2026-12-01"),  # today is Tuesday: the next one
        ("next Monday", "2026-11-30", "2026-11-30"),
        ("I'm sick today", "2026-11-24", "2026-11-24"),
        ("mañana no vengo", "2026-11-25", "2026-11-25"),
        ("pasado mañana", "2026-11-26", "2026-11-26"),
    ],
)
def test_dates_people_write_resolve_against_the_day_of_asking(text: str, start: str, end: str) -> None:
    found = find_date_range(text, TUESDAY)
    assert found is not None
    assert (found[0].isoformat(), found[1].isoformat()) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        "What's the status of ticket 1017?",
        "¿Cuántos días de vacaciones tengo?",
        "el 31 de febrero",
        "del 9 al 3 de mayo de 2027",
    ],
)
def test_no_date_or_an_impossible_one_gives_none(text: str) -> None:
    assert find_date_range(text, TUESDAY) is None
