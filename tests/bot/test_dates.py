"""The date reader on dates as employees write them, against several days of asking.

`CASES` is also the table the date libraries were compared on (see the docstring of bot/agent/_dates.py).
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.agent._dates import find_date_range, mentions_date

TUE = date(2026, 11, 24)
FRI = date(2026, 11, 27)
MON = date(2026, 11, 30)
YEAR_END = date(2026, 12, 28)  # a Monday; the week after is the first of 2027
NEW_YEARS_EVE = date(2026, 12, 31)
LEAP = date(2028, 2, 28)  # a Monday; tomorrow is 29 February
SPRING_2027 = date(2027, 3, 10)
THU = date(2026, 12, 3)
FEB = date(2027, 2, 26)  # a Friday
NYE = date(2027, 12, 30)  # a Thursday

Expected = tuple[str, str] | None

CASES: list[tuple[date, str, Expected]] = [
    # relative days
    (TUE, "tmrw", ("2026-11-25", "2026-11-25")),
    (TUE, "put me down for a personal day tomorrow", ("2026-11-25", "2026-11-25")),
    (TUE, "estoy con fiebre, hoy no voy a ir", ("2026-11-24", "2026-11-24")),
    (TUE, "I'm sick today", ("2026-11-24", "2026-11-24")),
    (TUE, "mañana no vengo", ("2026-11-25", "2026-11-25")),
    (TUE, "pasado mañana", ("2026-11-26", "2026-11-26")),
    (TUE, "day after tomorrow", ("2026-11-26", "2026-11-26")),
    (FRI, "tmrw", ("2026-11-28", "2026-11-28")),
    (YEAR_END, "tmrw", ("2026-12-29", "2026-12-29")),
    (YEAR_END, "pasado mañana", ("2026-12-30", "2026-12-30")),
    (NEW_YEARS_EVE, "mañana", ("2027-01-01", "2027-01-01")),
    (LEAP, "tmrw", ("2028-02-29", "2028-02-29")),
    (LEAP, "pasado mañana", ("2028-03-01", "2028-03-01")),
    # weekdays: the next such day after today; English "next <weekday>" is that day in next week
    (TUE, "el lunes que viene", ("2026-11-30", "2026-11-30")),
    (TUE, "el próximo lunes", ("2026-11-30", "2026-11-30")),
    (TUE, "next Monday", ("2026-11-30", "2026-11-30")),
    (FRI, "next monday", ("2026-11-30", "2026-11-30")),
    (MON, "next monday", ("2026-12-07", "2026-12-07")),
    (FRI, "el lunes que viene", ("2026-11-30", "2026-11-30")),
    (MON, "el lunes que viene", ("2026-12-07", "2026-12-07")),
    (MON, "next fri", ("2026-12-11", "2026-12-11")),
    (TUE, "this friday", ("2026-11-27", "2026-11-27")),
    (FRI, "this friday", ("2026-11-27", "2026-11-27")),
    (MON, "this fri", ("2026-12-04", "2026-12-04")),
    (TUE, "Necesito un día personal el viernes", ("2026-11-27", "2026-11-27")),
    (FRI, "el viernes", ("2026-12-04", "2026-12-04")),
    (TUE, "el martes", ("2026-12-01", "2026-12-01")),
    (TUE, "el lunes 14 de diciembre", ("2026-12-14", "2026-12-14")),
    # weekday ranges and pairs
    (TUE, "next thu and fri", ("2026-12-03", "2026-12-04")),
    (FRI, "next thu and fri", ("2026-12-03", "2026-12-04")),
    (TUE, "el jueves y el viernes", ("2026-11-26", "2026-11-27")),
    (TUE, "thursday and friday", ("2026-11-26", "2026-11-27")),
    (TUE, "mon-wed", ("2026-11-30", "2026-12-02")),
    (FRI, "mon-wed", ("2026-11-30", "2026-12-02")),
    (TUE, "pto next mon-wed pls", ("2026-11-30", "2026-12-02")),
    (TUE, "de lunes a miércoles", ("2026-11-30", "2026-12-02")),
    # weeks (Monday to Friday)
    (TUE, "la semana que viene entera", ("2026-11-30", "2026-12-04")),
    (TUE, "la semana que viene", ("2026-11-30", "2026-12-04")),
    (TUE, "next week", ("2026-11-30", "2026-12-04")),
    (FRI, "all of next week", ("2026-11-30", "2026-12-04")),
    (YEAR_END, "next week", ("2027-01-04", "2027-01-08")),
    (NEW_YEARS_EVE, "la semana que viene", ("2027-01-04", "2027-01-08")),
    (TUE, "me cojo vacas la semana del 14 de diciembre, me lo apuntas?", ("2026-12-14", "2026-12-18")),
    (TUE, "la semana del 14", ("2026-12-14", "2026-12-18")),
    (MON, "the week of the 14th", ("2026-12-14", "2026-12-18")),
    (TUE, "first week of jan", ("2027-01-04", "2027-01-08")),
    (YEAR_END, "la primera semana de enero", ("2027-01-04", "2027-01-08")),
    (SPRING_2027, "first week of december", ("2027-12-01", "2027-12-03")),
    # day ranges
    (TUE, "del 28 al 2", ("2026-11-28", "2026-12-02")),
    (MON, "del 28 al 2", ("2026-12-28", "2027-01-02")),
    (LEAP, "del 28 al 2", ("2028-02-28", "2028-03-02")),
    (TUE, "3/8 al 14/8", ("2027-08-03", "2027-08-14")),
    (TUE, "12/3-12/5", ("2026-12-03", "2026-12-05")),
    (TUE, "from the 22nd for 3 days", ("2026-12-22", "2026-12-24")),
    (YEAR_END, "from the 30th for 5 days", ("2026-12-30", "2027-01-03")),
    (TUE, "desde el 22 durante 3 días", ("2026-12-22", "2026-12-24")),
    (TUE, "from jan 7th to jan 9th im off, vacation", ("2027-01-07", "2027-01-09")),
    (TUE, "pide vacaciones del 2 al 6 de febrero porfa", ("2027-02-02", "2027-02-06")),
    (TUE, "Dec 21st - Jan 3rd", ("2026-12-21", "2027-01-03")),
    (YEAR_END, "Dec 31 - Jan 2", ("2026-12-31", "2027-01-02")),
    (TUE, "2027-01-04 to 2027-01-08", ("2027-01-04", "2027-01-08")),
    (TUE, "Quiero pedir vacaciones del 3 al 7 de marzo", ("2027-03-03", "2027-03-07")),
    (TUE, "I'd like to take PTO from December 21 to December 31", ("2026-12-21", "2026-12-31")),
    (TUE, "March 3-7", ("2027-03-03", "2027-03-07")),
    (TUE, "3-7 March", ("2027-03-03", "2027-03-07")),
    (TUE, "del 28 de diciembre al 4 de enero", ("2026-12-28", "2027-01-04")),
    (TUE, "between the 3rd and the 7th of March", ("2027-03-03", "2027-03-07")),
    (TUE, "del 3 al 7 de marzo de 2028", ("2028-03-03", "2028-03-07")),
    (TUE, "out dec 24-26", ("2026-12-24", "2026-12-26")),
    # single days
    (TUE, "el 25 de noviembre", ("2026-11-25", "2026-11-25")),
    (TUE, "on November 23", ("2027-11-23", "2027-11-23")),  # yesterday's date means next year's
    (TUE, "off on the 4th", ("2026-12-04", "2026-12-04")),
    (TUE, "el día 3", ("2026-12-03", "2026-12-03")),
    (YEAR_END, "el 2 de enero", ("2027-01-02", "2027-01-02")),
    (LEAP, "el 29 de febrero", ("2028-02-29", "2028-02-29")),
    (SPRING_2027, "el 29 de febrero", ("2028-02-29", "2028-02-29")),  # the next 29 February there is
    # no date, though numbers are there
    (TUE, "the vpn drops every 10 min", None),
    (TUE, "ticket 88", None),
    (TUE, "request 15", None),
    (TUE, "mi hijo de 8 años", None),
    (TUE, "GS-13", None),
    (TUE, "4/10 schedule", None),
    (TUE, "12h flight", None),
    (TUE, "$3500", None),
    (TUE, "any update on #412", None),
    (TUE, "What's the status of ticket 1017?", None),
    (TUE, "¿Cuántos días de vacaciones tengo?", None),
    (TUE, "I may need a day off", None),
    (TUE, "my laptop is 3 years old and the screen flickers", None),
    # impossible dates are no dates
    (TUE, "el 31 de febrero", None),
    (SPRING_2027, "29 feb 2027", None),
    (TUE, "del 9 al 3 de mayo de 2027", None),
]


def _id(case: tuple[date, str, Expected]) -> str:
    return f"{case[0]:%a %Y-%m-%d}: {case[1]}"


@pytest.mark.parametrize(("today", "text", "expected"), CASES, ids=[_id(c) for c in CASES])
def test_dates_people_write_resolve_against_the_day_of_asking(
    today: date, text: str, expected: Expected
) -> None:
    found = find_date_range(text, today)
    got = None if found is None else (found[0].isoformat(), found[1].isoformat())
    assert got == expected
    assert mentions_date(text, today) is (expected is not None)


@pytest.mark.parametrize(("today", "text", "expected"), [c for c in CASES if c[2] is not None])
def test_every_range_starts_on_or_before_it_ends(today: date, text: str, expected: Expected) -> None:
    found = find_date_range(text, today)
    assert found is not None
    assert found[0] <= found[1]


def test_the_language_decides_the_order_of_a_slashed_date() -> None:
    assert find_date_range("el 5/3", TUE, lang="es") == (date(2027, 3, 5), date(2027, 3, 5))
    assert find_date_range("on 5/3", TUE, lang="en") == (date(2027, 5, 3), date(2027, 5, 3))
    # A day above 12 can only be read one way, whatever the language.
    assert find_date_range("el 14/12", TUE, lang="en") == (date(2026, 12, 14), date(2026, 12, 14))


# Written after the comparison: the open-ended phrasings Duckling reads, and numbers from the shared sets'
# messages that are not dates ("the 3rd floor", "GS-13 in feb", "a un cliente", "ya he reiniciado").
BEYOND_THE_TABLE: list[tuple[date, str, Expected]] = [
    (TUE, "in two weeks", ("2026-12-08", "2026-12-08")),
    (TUE, "in 3 days", ("2026-11-27", "2026-11-27")),
    (TUE, "tomorrow at 9am", ("2026-11-25", "2026-11-25")),
    (TUE, "el 5 de diciembre a las 10", ("2026-12-05", "2026-12-05")),
    (TUE, "el lunes 14", ("2026-12-14", "2026-12-14")),
    (TUE, "monday the 7th", ("2026-12-07", "2026-12-07")),
    (TUE, "on Christmas Eve", ("2026-12-24", "2026-12-24")),
    (TUE, "mañana por la mañana", ("2026-11-25", "2026-11-25")),
    (TUE, "this week", ("2026-11-24", "2026-11-27")),  # from today: requests are for today or later
    (TUE, "me cojo el 22 y el 23", ("2026-12-22", "2026-12-23")),
    (MON, "el jueves de la semana que viene", ("2026-12-10", "2026-12-10")),
    (TUE, "la semana que viene de lunes a miércoles", ("2026-11-30", "2026-12-02")),
    (TUE, "out for 2 wks starting monday", ("2026-11-30", "2026-12-13")),  # calendar days, like "for 3 days"
    (TUE, "del 28 al 2 de enero", ("2026-12-28", "2027-01-02")),
    (TUE, "el 5/3", ("2027-03-05", "2027-03-05")),
    (TUE, "Open a facilities ticket: the 3rd floor kitchen sink is leaking", None),
    (TUE, "got my GS-13 in feb. how soon can i apply to a 14 posting?", None),
    (TUE, "joined TTS 5 months ago and the baby is due next month", None),
    (TUE, "started last week - can i already book a couple vacation days?", None),
    (TUE, "ayer estuve malo", None),  # past days are not what a request asks for
    (TUE, "viaje a un cliente ida y vuelta en el dia sin dormir fuera", None),
    (TUE, "añade al ticket 88 que ya he reiniciado el router y sigue igual", None),
    (TUE, "si llego tarde 3 veces en un mes me pueden sancionar?", None),
    (TUE, "whats the vesting schedule? is there a 1 yr cliff?", None),
    (TUE, "if i put in 5% how much does gsa add on top?", None),
    (TUE, "en agosto tenemos horario de verano?", None),  # a month or a season is no answer to "which days?"
    (TUE, "the meeting at 10:30", None),
    (TUE, "vpn down from 9 to 5", None),
    (TUE, "el horario es de 9 a 14", None),
    (TUE, "support is staffed from 9 to 17", None),
]


@pytest.mark.parametrize(
    ("today", "text", "expected"), BEYOND_THE_TABLE, ids=[_id(c) for c in BEYOND_THE_TABLE]
)
def test_open_ended_phrasings_and_numbers_that_are_not_days(
    today: date, text: str, expected: Expected
) -> None:
    found = find_date_range(text, today)
    assert (None if found is None else (found[0].isoformat(), found[1].isoformat())) == expected


# Written after the reader, on other days of asking, and run once before any change: 24 of 33 were right.
# The misses were mended with general rules (readings joined by "and", a count of days beside a start,
# ordinal ranges, the weekend starting on Saturday, "xmas"), and they stay here so the mending holds.
HELD_OUT: list[tuple[date, str, Expected]] = [
    (THU, "off tmrw, dentist", ("2026-12-04", "2026-12-04")),
    (THU, "can i take friday off?", ("2026-12-04", "2026-12-04")),
    (THU, "pto mon and tue next week", ("2026-12-07", "2026-12-08")),
    (THU, "vacaciones del 21 al 31 de diciembre", ("2026-12-21", "2026-12-31")),
    (THU, "me pillo el puente del 7 y 8", ("2026-12-07", "2026-12-08")),
    (THU, "i'll be out 12/21-12/23", ("2026-12-21", "2026-12-23")),
    (THU, "fuera del 2/1 al 5/1", ("2027-01-02", "2027-01-05")),
    (THU, "wfh thursday", ("2026-12-10", "2026-12-10")),
    (THU, "out sick today and tomorrow", ("2026-12-03", "2026-12-04")),
    (THU, "necesito el viernes 11 libre", ("2026-12-11", "2026-12-11")),
    (THU, "this coming monday", ("2026-12-07", "2026-12-07")),
    (THU, "a partir del lunes, 3 días", ("2026-12-07", "2026-12-09")),
    (THU, "la última semana de diciembre", ("2026-12-28", "2026-12-31")),
    (THU, "from the 28th through jan 2nd", ("2026-12-28", "2027-01-02")),
    (THU, "el 24 y el 31", ("2026-12-24", "2026-12-31")),
    (THU, "xmas eve", ("2026-12-24", "2026-12-24")),
    (THU, "out 23rd-27th", ("2026-12-23", "2026-12-27")),
    (THU, "the whole of next week", ("2026-12-07", "2026-12-11")),
    (THU, "dos días a partir del 14", ("2026-12-14", "2026-12-15")),
    (THU, "can I do 4x10s", None),
    (THU, "I need 2 new badges for the 14th floor", None),
    (THU, "reembolso de 45,50 €", None),
    (THU, "mi número de empleado es 4521", None),
    (THU, "request 7 days of vacation starting jan 4", ("2027-01-04", "2027-01-10")),
    (THU, "día 15 de enero", ("2027-01-15", "2027-01-15")),
    (THU, "el finde", ("2026-12-05", "2026-12-06")),
    (FEB, "next mon-fri", ("2027-03-01", "2027-03-05")),
    (FEB, "del 26 al 3", ("2027-02-26", "2027-03-03")),
    (FEB, "el 29 de febrero", ("2028-02-29", "2028-02-29")),
    (FEB, "tomorrow", ("2027-02-27", "2027-02-27")),
    (NYE, "la semana que viene", ("2028-01-03", "2028-01-07")),
    (NYE, "el 3 de enero", ("2028-01-03", "2028-01-03")),
    (NYE, "next thursday", ("2028-01-06", "2028-01-06")),
]


@pytest.mark.parametrize(("today", "text", "expected"), HELD_OUT, ids=[_id(c) for c in HELD_OUT])
def test_phrasings_written_after_the_reader(today: date, text: str, expected: Expected) -> None:
    found = find_date_range(text, today)
    assert (None if found is None else (found[0].isoformat(), found[1].isoformat())) == expected


@pytest.mark.parametrize("text", ["\udcda mañana", "\ud800", "¿vacaciones?\x00 tmrw", "😀 next week 😀"])
def test_text_a_broken_client_sends_is_read_without_error(text: str) -> None:
    found = find_date_range(text, TUE)
    assert found is None or found[0] <= found[1]
