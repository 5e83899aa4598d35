"""Dates as people write them in chat, in Spanish and English, resolved against the day of asking.

Why this library: Duckling (the parser Rasa uses; `pyduckling-native-phihos`, MIT, a wheel with the
Haskell runtime inside) reads the open-ended part ("tmrw", "pasado mañana", "in two weeks", "tomorrow
at 9am", "el lunes 14", "christmas eve"). On the 92 phrases of tests/bot/test_dates.py it was the most
accurate of the candidates measured on 2026-11-30, each configured for es/en and the day of asking:

| candidate | phrases right | µs per call |
|---|---|---|
| Duckling (pyduckling-native-phihos 0.3.0) | 69/92 (0.75) | 500 |
| Recognizers-Text date-time 1.0.2a2 (unmaintained since 2019; needs emoji<1) | 58/92 (0.63) | 8,500 |
| dateparser 1.5.0 `search_dates` (RELATIVE_BASE, PREFER_DATES_FROM, DATE_ORDER) | 38/92 (0.41) | 1,300 |
| ctparse 0.3.6 (English only) | 33/92 (0.36) | 6,700 |
| timefhuman 0.1.5 (English only) | 27/92 (0.29) | 28 |

What none of them does is written here as a few rules tried first: weekday ranges ("mon-wed", "next thu and
fri"), bare day ranges ("del 28 al 2"), weeks ("la semana del 14", "first week of jan"), "for 3 days",
slashed dates in the writer's order, and the conventions below, which Duckling resolves otherwise.
Duckling's readings are then filtered (a time alone, a month, a season, a past day or a number with no
calendar word is no answer) and joined ("today and tomorrow"). Together: 92/92 on the table (written
with the rules in view), 33/33 on phrasings written afterwards on other days (24/33 on their first
run); the rules alone 76/92 and 24/33, filtered Duckling alone 70/92 and 23/33. About 0.2-0.3 ms per
call on average, 1-2 ms at p95 when Duckling is consulted in both languages; a message with no calendar
word skips it.

Conventions:
- A date without a year is the next one on or after today ("March 3" in November is next March; "el 29
  de febrero" asked in 2027 is 29 February 2028). An impossible date ("el 31 de febrero") is no date.
- A weekday ("el viernes", "this friday", "el lunes que viene", "el próximo lunes") is the next such day
  after today, so "el martes" on a Tuesday is next week's; only "this <weekday>" may be today. English
  "next <weekday>" is that day in next week (weeks run Monday to Sunday): on a Tuesday "next thu" is nine
  days away, on a Friday "next monday" is three.
- A week ("next week", "la semana del 14", "first week of jan") is Monday to Friday. The first week of a
  month is the one holding its first Thursday (as ISO 8601 numbers weeks), from the 1st at the earliest;
  the last week, the one holding its last Thursday, to the month's last day at the latest.
- "from the 22nd for 3 days" is three calendar days, the 22nd to the 24th ("for 2 weeks": 14). A count
  without "for" is a length only beside a start ("3 días a partir del 14", "7 days starting jan 4").
- Requests are for today or later: a reading that ends before today is none, and one that starts before
  today ("this week") starts today. The weekend is Saturday and Sunday.
- "3/8" is day first in Spanish and month first in English, unless a number above 12 settles it; a slashed
  pair with no date word before it ("4/10 schedule") is not read as a date.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal

import duckling

from knowledge import Language, detect_language, fold

Found = tuple[date, date] | None | Literal[False]  # False: a date was written, but no such day exists

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
    **dict.fromkeys(["martes", "tuesday", "tues", "tue"], 1),
    **dict.fromkeys(["miercoles", "wednesday", "weds", "wed"], 2),
    **dict.fromkeys(["jueves", "thursday", "thurs", "thur", "thu"], 3),
    **dict.fromkeys(["viernes", "friday", "fri"], 4),
    **dict.fromkeys(["sabado", "saturday", "sat"], 5),
    **dict.fromkeys(["domingo", "sunday", "sun"], 6),
}
COUNTS = {
    **dict.fromkeys(["one", "un", "uno", "una"], 1),
    **dict.fromkeys(["two", "dos"], 2),
    **dict.fromkeys(["three", "tres"], 3),
    **dict.fromkeys(["four", "cuatro"], 4),
    **dict.fromkeys(["five", "cinco"], 5),
    **dict.fromkeys(["six", "seis"], 6),
    **dict.fromkeys(["seven", "siete"], 7),
    **dict.fromkeys(["eight", "ocho"], 8),
    **dict.fromkeys(["nine", "nueve"], 9),
    **dict.fromkeys(["ten", "diez"], 10),
}


def _alt(words: Mapping[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_M = r"\b(?P<{}>" + _alt(MONTHS) + r")\b\.?"
_D = r"(?<![\d/])(?P<{}>\d{{1,2}})(?![\d/])(?:st|nd|rd|th|º|ª)?"
_Y = r"(?:,?\s*(?:de\s+|del\s+)?(?P<{}>\d{{4}}))?"
_TO = r"\s*(?:-|–|al|a|hasta el|hasta|to|until|through|thru|till|and|y el|y)\s*(?:el\s+|the\s+)?"
_WD = r"\b(?P<{}>" + _alt(WEEKDAYS) + r")\b"
# A bare day number is a date only where a date would end: the end of the text, punctuation or a small word.
_ENDS = (
    r"(?=\s*$|\s*[^\w\s]|\s+(?:to|and|through|till|until|for|at|of|pls|please|off|too|or|but|so|starting|from"
    r"|y|al|a|para|por|que|porfa|durante|desde|hasta)\b)"
)


def _p(template: str, *names: str) -> str:
    return template.format(*names)


def _n(template: str, n: int) -> str:
    """The pattern with its groups numbered, for the two ends of a range."""
    return template.replace("#", str(n))


_ISO = r"(?P<iso#>\d{4}-\d{2}-\d{2})"
_DAY_MONTH = _p(_D, "d#") + r"\s*(?:de\s+|of\s+)?" + _p(_M, "m#") + _p(_Y, "y#")
_MONTH_DAY = _p(_M, "m#") + r"\s*" + _p(_D, "d#") + r"\b" + _p(_Y, "y#")
_SLASH = r"(?<![\d/$])(?P<a#>\d{1,2})/(?P<b#>\d{1,2})(?:/(?P<y#>\d{4}|\d{2}))?(?![\d/])"
_BARE_DAY = r"(?<![\d/$])(?P<d#>\d{1,2})(?:st|nd|rd|th|º|ª)?(?![\d/])"
_SLASH_CUE = r"(?:\b(?:el|on|del|from|desde|hasta|until|till|to|al|for|para|dia|day)\s+)"

# Explicit dates and ranges, the most specific shapes before the looser ones.
_RANGES = [
    re.compile(_n(_ISO, 1) + _TO + _n(_ISO, 2)),
    re.compile(_n(_DAY_MONTH, 1) + _TO + _n(_DAY_MONTH, 2)),
    re.compile(_n(_MONTH_DAY, 1) + _TO + _n(_MONTH_DAY, 2)),
    re.compile(_p(_M, "m2") + r"\s*" + _p(_D, "d1") + _TO + _p(_D, "d2") + r"\b" + _p(_Y, "y2")),
    re.compile(_p(_D, "d1") + _TO + _p(_D, "d2") + r"\s*(?:de\s+|of\s+)?" + _p(_M, "m2") + _p(_Y, "y2")),
    re.compile(_p(_D, "d1") + _TO + _n(_MONTH_DAY, 2)),
]
_SINGLES = [re.compile(_n(_ISO, 1)), re.compile(_n(_DAY_MONTH, 1)), re.compile(_n(_MONTH_DAY, 1))]
_SLASH_RANGE = re.compile(_n(_SLASH, 1) + _TO + _n(_SLASH, 2))
_SLASH_SINGLE = re.compile(_SLASH_CUE + _n(_SLASH, 1))
_ANY_SLASH = re.compile(_n(_SLASH, 1))
_DAY_RANGE = re.compile(
    # "del 9 al 17" is days, "de 9 a 17" and "from 9 to 17" are office hours
    r"(?:\b(?:del|desde el|el|from the|between(?: the)?|the)\s+"
    + _n(_BARE_DAY, 1)
    + r"\s*(?:al|hasta el|a|y el|y|-|–|(?:to|till|until|through|and)(?: the)?)\s+"
    + _n(_BARE_DAY, 2)
    # two ordinals need no lead word: "out 23rd-27th"
    + r"|(?<![\d/])(?P<o1>\d{1,2})(?:st|nd|rd|th)\s*(?:-|–|to|through|till|until)\s*"
    + r"(?P<o2>\d{1,2})(?:st|nd|rd|th))"
    + _ENDS
)
_DAY_SINGLE = re.compile(
    r"(?:\b(?:el\s+)?dia\s+|\b(?:el|on the|the|a partir del)\s+)"
    + _n(_BARE_DAY, 1)
    + r"(?!\s*(?:de|of)\s+[a-z])"
    + _ENDS
)
_WEEK_OF_DAY = re.compile(
    r"\b(?:semana\s+del?\s+(?:dia\s+)?|week\s+of\s+(?:the\s+)?)"
    + _n(_BARE_DAY, 1)
    + r"(?:\s*(?:de\s+|of\s+)?"
    + _p(_M, "m1")
    + ")?"
)
_WEEK_OF_MONTH_DAY = re.compile(r"\bweek\s+of\s+" + _n(_MONTH_DAY, 1))
_NTH_WEEK = re.compile(
    r"\b(?:(?P<first>first|1st|primera|1a)|(?P<last>last|ultima))\s+(?:week|semana)\s+(?:of|de)\s+"
    + _p(_M, "m1")
)
_NEXT_WEEK = re.compile(
    r"\b(?:next\s+week|(?:la\s+)?semana\s+(?:que\s+viene|proxima|siguiente)|(?:la\s+)?(?:proxima|siguiente)\s+semana)\b"
)
_WEEKDAY_RANGE = re.compile(
    r"(?P<mod>\b(?:next|this|proximo|este)\s+)?"
    + _p(_WD, "w1")
    + r"(?:\s+que\s+viene)?\s*(?:-|–|/|&|,|to|through|thru|till|until|a|al|hasta el|hasta|and|y el|y)\s*"
    + r"(?:el\s+)?"
    + _p(_WD, "w2")
)
_WEEKDAY = re.compile(
    r"(?P<mod>\b(?:next|this|proximo|este)\s+)?"
    + _p(_WD, "w1")
    + r"(?!\s+(?:dia\s+|el\s+|the\s+)?\d)(?:\s+que\s+viene)?"
)
# "del 28 al 2" runs into the next month; "del 9 al 3" would be a 25-day absence, more likely a typo.
_LONGEST_WRAP = timedelta(days=21)
_FOR_DAYS = re.compile(
    r"(?:\b(?P<for>for|durante|por)\s+)?(?:like\s+|unos\s+|unas\s+)?\b(?P<n>\d{1,2}|" + _alt(COUNTS) + r")\s+"
    r"(?:(?P<days>days|dias)|weeks|wks|semanas)\b"
)
# Without "for", "3 days" is a length only beside a start: "3 días a partir del 14", "starting jan 4".
_STARTING = re.compile(r"\b(?:starting|beginning|from|a partir|desde|empezando)\b")


def find_date_range(text: str, today: date, lang: Language | None = None) -> tuple[date, date] | None:
    """The first date or date range in `text`, as (start, end); None when it names no date.

    `lang` orders a slashed date (day first in Spanish); without it, the text's language decides.
    """
    folded = fold(text)
    lang = lang or detect_language(text)
    found = _rules(folded, today, lang)
    if found is None and _CALENDAR.search(folded):  # Duckling's readings must hold one anyway
        chat = _CHAT_WORDS.sub(lambda m: _CHAT_SPELLINGS[m.group()], _NOT_DAYS.sub(" ", folded))
        found = _library(chat, today, lang)
    if not found:
        return None
    return _for_days(folded, found)


def mentions_date(text: str, today: date) -> bool:
    return find_date_range(text, today) is not None


def _rules(folded: str, today: date, lang: Language) -> Found:
    for read in (_weeks, _explicit_ranges, _slashed, _day_range, _weekdays, _explicit_single):
        found = read(folded, today, lang)
        if found is not None:
            return found
    return None


def _for_days(folded: str, found: tuple[date, date]) -> tuple[date, date]:
    match = _FOR_DAYS.search(folded)
    if match is None or found[0] != found[1] or not (match.group("for") or _STARTING.search(folded)):
        return found
    count = (COUNTS.get(match.group("n")) or int(match.group("n"))) * (1 if match.group("days") else 7)
    return found[0], found[0] + timedelta(days=max(count, 1) - 1)


def _weeks(folded: str, today: date, lang: Language) -> Found:
    if _NEXT_WEEK.search(folded):
        # "la semana que viene, de lunes a miércoles": those days of next week.
        return _weekdays(folded, today, lang, next_week=True) or _working_week(today + timedelta(days=7))
    if match := _WEEK_OF_MONTH_DAY.search(folded) or _WEEK_OF_DAY.search(folded):
        day = _day_on_or_after(int(match.group("d1")), match.group("m1"), today)
        return _working_week(day) if day else False
    if match := _NTH_WEEK.search(folded):
        return _nth_week(MONTHS[match.group("m1")], bool(match.group("first")), today)
    return None


def _working_week(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=4)


def _nth_week(month: int, first: bool, today: date) -> tuple[date, date]:
    for year in (today.year, today.year + 1):
        start_of_month = date(year, month, 1)
        end_of_month = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        edge = start_of_month if first else end_of_month
        # The week holding the month's first (or last) Thursday, kept inside the month.
        thursday = edge + timedelta(days=((3 - edge.weekday()) % 7 if first else -((edge.weekday() - 3) % 7)))
        monday, friday = _working_week(thursday)
        week = max(monday, start_of_month), min(friday, end_of_month)
        if week[1] >= today:
            return week
    return week


def _explicit_ranges(folded: str, today: date, lang: Language) -> Found:
    for pattern in _RANGES:
        if match := pattern.search(folded):
            return _range(match.groupdict(), today)
    return None


def _explicit_single(folded: str, today: date, lang: Language) -> Found:
    for pattern in _SINGLES:
        if match := pattern.search(folded):
            day = _single(match.groupdict(), today)
            return (day, day) if day else False
    if match := _DAY_SINGLE.search(folded):
        day = _day_on_or_after(int(match.group("d1")), None, today)
        return (day, day) if day else False
    return None


def _range(g: Mapping[str, str | None], today: date) -> Found:
    if g.get("iso1"):
        start, end = _iso(g["iso1"]), _iso(g["iso2"])
    else:
        month1, month2 = g.get("m1") or g.get("m2"), g.get("m2")
        year1, year2 = g.get("y1") or g.get("y2"), g.get("y2")
        start = _make(int(g["d1"] or 0), MONTHS[month1 or ""], year1, today)
        if start and _wraps(g):
            # "del 28 al 2 de enero": the start is in the month before the one written.
            start = _make(start.day, (start.month - 2) % 12 + 1, year1, today - timedelta(days=366))
            start = start and _next_year_if_past(start, today, year1)
        end = start and _make(int(g["d2"] or 0), MONTHS[month2 or ""], year2, start)
    if not start or not end or end < start or (_wraps(g) and end - start > _LONGEST_WRAP):
        return False
    return start, end


def _wraps(g: Mapping[str, str | None]) -> bool:
    return not g.get("m1") and not g.get("iso1") and int(g["d1"] or 0) > int(g["d2"] or 0)


def _next_year_if_past(day: date, today: date, year: str | None) -> date | None:
    return day if year or day >= today else _make(day.day, day.month, str(day.year + 1), day)


def _single(g: Mapping[str, str | None], today: date) -> date | None:
    if g.get("iso1"):
        return _iso(g["iso1"])
    return _make(int(g["d1"] or 0), MONTHS[g["m1"] or ""], g.get("y1"), today)


def _slashed(folded: str, today: date, lang: Language) -> Found:
    if match := _SLASH_RANGE.search(folded):
        pairs = [(int(match.group(f"a{n}")), int(match.group(f"b{n}"))) for n in (1, 2)]
        years = [match.group("y1") or match.group("y2"), match.group("y2")]
    elif match := _SLASH_SINGLE.search(folded):
        pairs = [(int(match.group("a1")), int(match.group("b1")))] * 2
        years = [match.group("y1")] * 2
    else:
        return None
    day_first = lang == "es"
    if any(a > 12 for a, _ in pairs) or any(b > 12 for _, b in pairs):
        day_first = any(a > 12 for a, _ in pairs)
    (d1, m1), (d2, m2) = [(a, b) if day_first else (b, a) for a, b in pairs]
    start = _make(d1, m1, _full_year(years[0]), today)
    end = start and _make(d2, m2, _full_year(years[1]), start)
    return (start, end) if start and end and start <= end else False


def _full_year(year: str | None) -> str | None:
    return None if year is None else year if len(year) == 4 else "20" + year


def _day_range(folded: str, today: date, lang: Language) -> Found:
    if (match := _DAY_RANGE.search(folded)) is None:
        return None
    first, last = match.group("d1") or match.group("o1"), match.group("d2") or match.group("o2")
    start = _day_on_or_after(int(first), None, today)
    end = start and _day_on_or_after(int(last), None, start)
    return (start, end) if start and end and end - start <= _LONGEST_WRAP else False


def _day_on_or_after(day: int, month: str | None, not_before: date) -> date | None:
    """The next `day` of `month` (or of any month) on or after `not_before`."""
    if month:
        return _make(day, MONTHS[month], None, not_before)
    year, month_number = not_before.year, not_before.month
    for _ in range(13):
        try:
            candidate = date(year, month_number, day)
        except ValueError:
            candidate = None
        if candidate and candidate >= not_before:
            return candidate
        year, month_number = (year + 1, 1) if month_number == 12 else (year, month_number + 1)
    return None


def _weekdays(folded: str, today: date, lang: Language, next_week: bool = False) -> Found:
    match = _WEEKDAY_RANGE.search(folded) or _WEEKDAY.search(folded)
    if match is None:
        return None
    mod = (match.group("mod") or "").strip()
    weekday = WEEKDAYS[match.group("w1")]
    if mod == "next" or next_week:
        start = today + timedelta(days=7 - today.weekday() + weekday)
    else:
        start = today + timedelta(
            days=(weekday - today.weekday()) % 7 or (0 if mod in ("this", "este") else 7)
        )
    last = match.groupdict().get("w2")
    end = start + timedelta(days=(WEEKDAYS[last] - start.weekday()) % 7) if last else start
    return start, end


def _make(day: int, month: int, year: str | None, not_before: date) -> date | None:
    if year:
        try:
            return date(int(year), month, day)
        except ValueError:
            return None
    try:
        candidate = date(not_before.year, month, day)
        if candidate >= not_before:
            return candidate
    except ValueError:
        pass
    # Past this year, or 29 February in a common year: the next year that has that day.
    for later in range(not_before.year + 1, not_before.year + 9):
        try:
            return date(later, month, day)
        except ValueError:
            continue
    return None


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


# What the rules above already settled is hidden from Duckling: slashed pairs ("4/10 schedule") and numbers
# that are part of a code or an amount ("GS-13 in feb", "#412", "$3500").
_NOT_DAYS = re.compile(_n(_SLASH, 1) + r"|(?:\b[a-z]+-|#|\$|€)\d[\d.,]*")
# Duckling also reads "el 3" and "the 3rd" (the rules did, where a day may end) and, in Spanish, "a un",
# "ya" or "en el dia" as times: a reading counts only when it holds a number or a calendar word.
_BARE_ORDINAL = re.compile(r"(?:on\s+)?(?:the|el|el dia|dia)?\s*\d{1,2}(?:st|nd|rd|th|º|ª)?")
_CALENDAR = re.compile(
    r"\d|\b(?:"
    + _alt(WEEKDAYS)
    + "|"
    + _alt(MONTHS)
    + r"|hoy|manana|today|tomorrow|tmrw|tonight|noche|weeks?|wks?|semanas?|weekend|finde"
    + r"|christmas|xmas|navidad|nochebuena|nochevieja|new year|ano nuevo|reyes|thanksgiving|easter"
    + r"|semana santa)\b"
)
_DAY_WORD = re.compile(
    r"\b(?:"
    + _alt(WEEKDAYS)
    + "|"
    + _alt(MONTHS)
    + r"|hoy|manana|today|tomorrow|tmrw|tonight|days?|dias?|weekend|fin de semana)\b"
)
_JOIN = re.compile(r"\s*(?:-|–|&|,|and|y|to|through|thru|till|until|al|hasta)?\s*(?:el\s+|the\s+)?")
_CHAT_SPELLINGS = {"xmas": "christmas", "finde": "fin de semana"}
_CHAT_WORDS = re.compile(r"\b(?:" + "|".join(_CHAT_SPELLINGS) + r")\b")
_LONGEST_READING = timedelta(days=31)  # a season or a year is no answer to "which days?"
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")
_REGIONS: dict[Language, str] = {"es": "ES_ES", "en": "EN_US"}


@cache
def _zones() -> Any:
    duckling.init()
    # `today` is already the company's date, so UTC is the only zone Duckling needs: an empty zone folder.
    with tempfile.TemporaryDirectory() as no_zones:
        return duckling.load_time_zones(no_zones)


@cache
def _locale(lang: Language) -> Any:
    return duckling.parse_locale(
        _REGIONS[lang], duckling.default_locale_lang(duckling.parse_lang(lang.upper()))
    )


@cache
def _dimensions(names: tuple[str, ...]) -> Any:
    return duckling.parse_dimensions(list(names))


def duckling_readings(
    folded: str, today: date, languages: Sequence[Language], dimensions: tuple[str, ...]
) -> list[Any]:
    """What Duckling reads in `folded` text in each of `languages` (chat mixes them).

    Each reading is Duckling's dict: `dim`, `body`, `start`, `end` (offsets into `folded`) and `value`.
    """
    noon = int(datetime.combine(today, time(12), tzinfo=UTC).timestamp())
    reference = duckling.parse_ref_time(_zones(), "UTC", noon)
    # Duckling takes a C string of UTF-8: a NUL or a lone surrogate from a broken client would make it
    # panic, so each becomes a space, which keeps the offsets.
    folded = _UNSENDABLE.sub(" ", folded)
    readings: list[Any] = []
    for code in languages:
        context = duckling.Context(reference, _locale(code))
        readings += duckling.parse(folded, context, _dimensions(dimensions), False)
    return readings


def _library(folded: str, today: date, lang: Language) -> Found:
    """Duckling's readings that name days, in the message's language and then the other."""
    for code in (lang, "en" if lang == "es" else "es"):
        items = duckling_readings(folded, today, [code], ("time",))
        readings = sorted(
            (item["start"], item["end"], found) for item in items if (found := _days(item, today))
        )
        if readings:
            return _joined(folded, readings)
    return None


def _days(item: Mapping[str, Any], today: date) -> tuple[date, date] | None:
    body = item["body"]
    if _BARE_ORDINAL.fullmatch(body) or not _CALENDAR.search(body):
        return None
    found = _from_duckling(item)
    # Requests are for today or later: "5 months ago" or "last week" is context, not the dates asked.
    if found and found[1] >= today and found[1] - found[0] <= _LONGEST_READING:
        return max(found[0], today), found[1]
    return None


def _joined(folded: str, readings: list[tuple[int, int, tuple[date, date]]]) -> tuple[date, date]:
    """Readings joined by "and" or "to" ("today and tomorrow") are one range; the first one otherwise."""
    _, end_at, (first, last) = readings[0]
    for start, end, (day, until) in readings[1:]:
        if start < end_at:
            continue  # another reading of the same words
        if not _JOIN.fullmatch(folded[end_at:start]):
            break
        first, last, end_at = min(first, day), max(last, until), end
    return first, last


def _from_duckling(item: Mapping[str, Any]) -> Found:
    value = item["value"]
    if value.get("type") == "interval":
        start, end = value.get("from") or {}, value.get("to") or {}
        if not start.get("value"):
            return None
        if start.get("grain") in ("hour", "minute", "second") and not _DAY_WORD.search(item["body"]):
            return None  # office hours ("de 9 a 14"), not days
        first = _day_of(start["value"])
        if start.get("grain") == "hour" and start["value"][11:13] >= "18":
            first += timedelta(days=1)  # the weekend starts on Friday evening, the days off on Saturday
        last = _day_of(end["value"]) if end.get("value") else first
        if end.get("value", "")[10:19] == "T00:00:00" and last > first:
            last -= timedelta(days=1)  # Duckling's interval ends the midnight after the last day
        return (first, last) if first <= last else None
    grain, day = value.get("grain"), _day_of(value["value"])
    if grain == "week":
        return _working_week(day)
    if grain == "day" or (grain in ("hour", "minute") and _DAY_WORD.search(item["body"])):
        return day, day
    return None  # a month or a year is no answer to "which days?"; a time alone ("12h", "ya") is no day


def _day_of(stamp: str) -> date:
    return date.fromisoformat(stamp[:10])
