"""What Duckling reads in a message, filtered to days (a time alone, a month, a season, a past day or a
number with no calendar word is no answer) and joined ("today and tomorrow").

Why Duckling: see `bot/agent/_dates.py`.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal

import duckling

from bot.agent._date_patterns import MONTHS, SLASH, WEEKDAYS, alternation, numbered
from knowledge import Language

Found = tuple[date, date] | None | Literal[False]  # False: a date was written, but no such day exists


def working_week(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=4)


NOT_DAYS = re.compile(numbered(SLASH, 1) + r"|(?:\b[a-z]+-|#|\$|€)\d[\d.,]*")
# Duckling also reads "el 3" and "the 3rd" (the rules did, where a day may end) and, in Spanish, "a un",
# "ya" or "en el dia" as times: a reading counts only when it holds a number or a calendar word.
_BARE_ORDINAL = re.compile(r"(?:on\s+)?(?:the|el|el dia|dia)?\s*\d{1,2}(?:st|nd|rd|th|º|ª)?")
CALENDAR = re.compile(
    r"\d|\b(?:"
    + alternation(WEEKDAYS)
    + "|"
    + alternation(MONTHS)
    + r"|hoy|manana|today|tomorrow|tmrw|tonight|noche|weeks?|wks?|semanas?|weekend|finde"
    + r"|christmas|xmas|navidad|nochebuena|nochevieja|new year|ano nuevo|reyes|thanksgiving|easter"
    + r"|semana santa)\b"
)
_DAY_WORD = re.compile(
    r"\b(?:"
    + alternation(WEEKDAYS)
    + "|"
    + alternation(MONTHS)
    + r"|hoy|manana|today|tomorrow|tmrw|tonight|days?|dias?|weekend|fin de semana)\b"
)
_JOIN = re.compile(r"\s*(?:-|–|&|,|and|y|to|through|thru|till|until|al|hasta)?\s*(?:el\s+|the\s+)?")
CHAT_SPELLINGS = {"xmas": "christmas", "finde": "fin de semana"}
CHAT_WORDS = re.compile(r"\b(?:" + "|".join(CHAT_SPELLINGS) + r")\b")
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


def duckling_days(folded: str, today: date, lang: Language) -> Found:
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
    if _BARE_ORDINAL.fullmatch(body) or not CALENDAR.search(body):
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
        return working_week(day)
    if grain == "day" or (grain in ("hour", "minute") and _DAY_WORD.search(item["body"])):
        return day, day
    return None  # a month or a year is no answer to "which days?"; a time alone ("12h", "ya") is no day


def _day_of(stamp: str) -> date:
    return date.fromisoformat(stamp[:10])
