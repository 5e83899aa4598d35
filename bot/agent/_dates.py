"""Dates as people write them in chat, in Spanish and English, resolved against the moment of asking.

"del 3 al 7 de marzo", "March 3-7", "from December 21 to December 31", "el viernes", "today", "2027-01-04".
A date without a year is the next one on or after today: in November, "March 3" is next March.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from knowledge import fold

MONTHS = {
    **dict.fromkeys(["enero", "january", "jan", "ene"], 1),
    **dict.fromkeys(["febrero", "february", "feb"], 2),
    **dict.fromkeys(["marzo", "march", "mar"], 3),
    **dict.fromkeys(["abril", "april", "apr", "abr"], 4),
    **dict.fromkeys(["mayo", "may"], 5),
    **dict.fromkeys(["junio", "june", "jun"], 6),
    **dict.fromkeys(["julio", "july", "jul"], 7),
    **dict.fromkeys(["agosto", "august", "aug", "ago"], 8),
    **dict.fromkeys(["septiembre", "setiembre", "september", "sep", "sept"], 9),
    **dict.fromkeys(["octubre", "october", "oct"], 10),
    **dict.fromkeys(["noviembre", "november", "nov"], 11),
    **dict.fromkeys(["diciembre", "december", "dec", "dic"], 12),
}
WEEKDAYS = {
    **dict.fromkeys(["lunes", "monday", "mon"], 0),
    **dict.fromkeys(["martes", "tuesday", "tue"], 1),
    **dict.fromkeys(["miercoles", "wednesday", "wed"], 2),
    **dict.fromkeys(["jueves", "thursday", "thu"], 3),
    **dict.fromkeys(["viernes", "friday", "fri"], 4),
    **dict.fromkeys(["sabado", "saturday", "sat"], 5),
    **dict.fromkeys(["domingo", "sunday", "sun"], 6),
}
RELATIVE = {"hoy": 0, "today": 0, "manana": 1, "tomorrow": 1, "pasado manana": 2}

_M = r"\b(?P<{}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_D = r"(?<!\d)(?P<{}>\d{{1,2}})(?!\d)(?:st|nd|rd|th|º)?"
_Y = r"(?:,?\s*(?:de\s+|del\s+)?(?P<{}>\d{{4}}))?"
_TO = r"\s*(?:-|–|al|a|hasta el|hasta|to|until|through|till|and|y el|y)\s*(?:el\s+|the\s+)?"


def _p(template: str, *names: str) -> str:
    return template.format(*names)


# Ranges first, the most specific shapes before the looser ones.
_RANGES = [
    # 2026-12-01 to 2026-12-03
    re.compile(r"(?P<iso1>\d{4}-\d{2}-\d{2})" + _TO + r"(?P<iso2>\d{4}-\d{2}-\d{2})"),
    # 3 de marzo al 7 de abril / 21 december to 3 january
    re.compile(
        _p(_D, "d1")
        + r"\s*(?:de\s+|of\s+)?"
        + _p(_M, "m1")
        + _p(_Y, "y1")
        + _TO
        + _p(_D, "d2")
        + r"\s*(?:de\s+|of\s+)?"
        + _p(_M, "m2")
        + _p(_Y, "y2")
    ),
    # December 21 to January 3 / March 3 - March 7
    re.compile(
        _p(_M, "m1")
        + r"\s*"
        + _p(_D, "d1")
        + _p(_Y, "y1")
        + _TO
        + _p(_M, "m2")
        + r"\s*"
        + _p(_D, "d2")
        + _p(_Y, "y2")
    ),
    # March 3-7 / March 3 to 7
    re.compile(_p(_M, "m1") + r"\s*" + _p(_D, "d1") + _TO + _p(_D, "d2") + r"\b" + _p(_Y, "y1")),
    # del 3 al 7 de marzo / 3-7 March / between the 3rd and the 7th of March
    re.compile(_p(_D, "d1") + _TO + _p(_D, "d2") + r"\s*(?:de\s+|of\s+)?" + _p(_M, "m1") + _p(_Y, "y1")),
]
_SINGLES = [
    re.compile(r"(?P<iso1>\d{4}-\d{2}-\d{2})"),
    re.compile(_p(_D, "d1") + r"\s*(?:de\s+|of\s+)?" + _p(_M, "m1") + _p(_Y, "y1")),
    re.compile(_p(_M, "m1") + r"\s*" + _p(_D, "d1") + r"\b" + _p(_Y, "y1")),
]
_WEEKDAY = re.compile(r"\b(?P<next>next\s+|proximo\s+)?(?P<wd>" + "|".join(WEEKDAYS) + r")\b")
_RELATIVE = re.compile(r"\b(" + "|".join(sorted(RELATIVE, key=len, reverse=True)) + r")\b")


def find_date_range(text: str, today: date) -> tuple[date, date] | None:
    """The first date or date range in `text`, as (start, end); None when it names no date."""
    folded = fold(text)
    for pattern in _RANGES:
        match = pattern.search(folded)
        if match:
            # A range that makes no sense ("del 9 al 3") is not read as the single date inside it.
            return _range(match.groupdict(), today)
    for pattern in _SINGLES:
        match = pattern.search(folded)
        if match:
            single = _single(match.groupdict(), "1", today)
            if single:
                return single, single
    match = _RELATIVE.search(folded)
    if match:
        day = today + timedelta(days=RELATIVE[match.group(1)])
        return day, day
    match = _WEEKDAY.search(folded)
    if match:
        ahead = (WEEKDAYS[match.group("wd")] - today.weekday()) % 7 or 7
        day = today + timedelta(days=ahead)
        return day, day
    return None


def _range(g: dict[str, str | None], today: date) -> tuple[date, date] | None:
    start = _single(g, "1", today)
    if start is None:
        return None
    if g.get("iso2"):
        end = _iso(g["iso2"])
    else:
        month2 = g.get("m2") or g.get("m1")
        year2 = g.get("y2") or g.get("y1")
        end = _make(int(g["d2"] or 0), MONTHS[month2 or ""], year2, start)
        if end is not None and end < start and not year2:
            end = _make(end.day, end.month, str(end.year + 1), start)
    if end is None or end < start:
        return None
    return start, end


def _single(g: dict[str, str | None], n: str, today: date) -> date | None:
    if g.get(f"iso{n}"):
        return _iso(g[f"iso{n}"])
    month = g.get(f"m{n}") or g.get("m1")
    return _make(int(g.get(f"d{n}") or 0), MONTHS[month or ""], g.get(f"y{n}") or g.get("y1"), today)


def _make(day: int, month: int, year: str | None, not_before: date) -> date | None:
    try:
        if year:
            return date(int(year), month, day)
        candidate = date(not_before.year, month, day)
        return candidate if candidate >= not_before else date(not_before.year + 1, month, day)
    except ValueError:
        return None


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None
