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

from collections.abc import Mapping
from datetime import date, timedelta

from bot.agent._date_patterns import (
    COUNTS,
    DAY_RANGE,
    DAY_SINGLE,
    FOR_DAYS,
    LONGEST_WRAP,
    MONTHS,
    NEXT_WEEK,
    NTH_WEEK,
    RANGES,
    SINGLES,
    SLASH_RANGE,
    SLASH_SINGLE,
    STARTING,
    WEEK_OF_DAY,
    WEEK_OF_MONTH_DAY,
    WEEKDAY,
    WEEKDAY_RANGE,
    WEEKDAYS,
)
from bot.agent._duckling import (
    CALENDAR,
    CHAT_SPELLINGS,
    CHAT_WORDS,
    NOT_DAYS,
    Found,
    duckling_days,
    working_week,
)
from knowledge import Language, detect_language, fold


def find_date_range(text: str, today: date, lang: Language | None = None) -> tuple[date, date] | None:
    """The first date or date range in `text`, as (start, end); None when it names no date.

    `lang` orders a slashed date (day first in Spanish); without it, the text's language decides.
    """
    folded = fold(text)
    lang = lang or detect_language(text)
    found = _rules(folded, today, lang)
    if found is None and CALENDAR.search(folded):  # Duckling's readings must hold one anyway
        chat = CHAT_WORDS.sub(lambda m: CHAT_SPELLINGS[m.group()], NOT_DAYS.sub(" ", folded))
        found = duckling_days(chat, today, lang)
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
    match = FOR_DAYS.search(folded)
    if match is None or found[0] != found[1] or not (match.group("for") or STARTING.search(folded)):
        return found
    count = (COUNTS.get(match.group("n")) or int(match.group("n"))) * (1 if match.group("days") else 7)
    return found[0], found[0] + timedelta(days=max(count, 1) - 1)


def _weeks(folded: str, today: date, lang: Language) -> Found:
    if NEXT_WEEK.search(folded):
        # "la semana que viene, de lunes a miércoles": those days of next week.
        return _weekdays(folded, today, lang, next_week=True) or working_week(today + timedelta(days=7))
    if match := WEEK_OF_MONTH_DAY.search(folded) or WEEK_OF_DAY.search(folded):
        day = _day_on_or_after(int(match.group("d1")), match.group("m1"), today)
        return working_week(day) if day else False
    if match := NTH_WEEK.search(folded):
        return _nth_week(MONTHS[match.group("m1")], bool(match.group("first")), today)
    return None


def _nth_week(month: int, first: bool, today: date) -> tuple[date, date]:
    for year in (today.year, today.year + 1):
        start_of_month = date(year, month, 1)
        end_of_month = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        edge = start_of_month if first else end_of_month
        # The week holding the month's first (or last) Thursday, kept inside the month.
        thursday = edge + timedelta(days=((3 - edge.weekday()) % 7 if first else -((edge.weekday() - 3) % 7)))
        monday, friday = working_week(thursday)
        week = max(monday, start_of_month), min(friday, end_of_month)
        if week[1] >= today:
            return week
    return week


def _explicit_ranges(folded: str, today: date, lang: Language) -> Found:
    for pattern in RANGES:
        if match := pattern.search(folded):
            return _range(match.groupdict(), today)
    return None


def _explicit_single(folded: str, today: date, lang: Language) -> Found:
    for pattern in SINGLES:
        if match := pattern.search(folded):
            day = _single(match.groupdict(), today)
            return (day, day) if day else False
    if match := DAY_SINGLE.search(folded):
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
    if not start or not end or end < start or (_wraps(g) and end - start > LONGEST_WRAP):
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
    if match := SLASH_RANGE.search(folded):
        pairs = [(int(match.group(f"a{n}")), int(match.group(f"b{n}"))) for n in (1, 2)]
        years = [match.group("y1") or match.group("y2"), match.group("y2")]
    elif match := SLASH_SINGLE.search(folded):
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
    if (match := DAY_RANGE.search(folded)) is None:
        return None
    first, last = match.group("d1") or match.group("o1"), match.group("d2") or match.group("o2")
    start = _day_on_or_after(int(first), None, today)
    end = start and _day_on_or_after(int(last), None, start)
    return (start, end) if start and end and end - start <= LONGEST_WRAP else False


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
    match = WEEKDAY_RANGE.search(folded) or WEEKDAY.search(folded)
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
