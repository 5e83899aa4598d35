"""The words and patterns dates are written with in Spanish and English chat, compiled once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

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


def alternation(words: Mapping[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_M = r"\b(?P<{}>" + alternation(MONTHS) + r")\b\.?"
_D = r"(?<![\d/])(?P<{}>\d{{1,2}})(?![\d/])(?:st|nd|rd|th|º|ª)?"
_Y = r"(?:,?\s*(?:de\s+|del\s+)?(?P<{}>\d{{4}}))?"
_TO = r"\s*(?:-|–|al|a|hasta el|hasta|to|until|through|thru|till|and|y el|y)\s*(?:el\s+|the\s+)?"
_WD = r"\b(?P<{}>" + alternation(WEEKDAYS) + r")\b"
# A bare day number is a date only where a date would end: the end of the text, punctuation or a small word.
_ENDS = (
    r"(?=\s*$|\s*[^\w\s]|\s+(?:to|and|through|till|until|for|at|of|pls|please|off|too|or|but|so|starting|from"
    r"|y|al|a|para|por|que|porfa|durante|desde|hasta)\b)"
)


def _p(template: str, *names: str) -> str:
    return template.format(*names)


def numbered(template: str, n: int) -> str:
    """The pattern with its groups numbered, for the two ends of a range."""
    return template.replace("#", str(n))


_ISO = r"(?P<iso#>\d{4}-\d{2}-\d{2})"
_DAY_MONTH = _p(_D, "d#") + r"\s*(?:de\s+|of\s+)?" + _p(_M, "m#") + _p(_Y, "y#")
_MONTH_DAY = _p(_M, "m#") + r"\s*" + _p(_D, "d#") + r"\b" + _p(_Y, "y#")
SLASH = r"(?<![\d/$])(?P<a#>\d{1,2})/(?P<b#>\d{1,2})(?:/(?P<y#>\d{4}|\d{2}))?(?![\d/])"
_BARE_DAY = r"(?<![\d/$])(?P<d#>\d{1,2})(?:st|nd|rd|th|º|ª)?(?![\d/])"
_SLASH_CUE = r"(?:\b(?:el|on|del|from|desde|hasta|until|till|to|al|for|para|dia|day)\s+)"

# Explicit dates and ranges, the most specific shapes before the looser ones.
RANGES = [
    re.compile(numbered(_ISO, 1) + _TO + numbered(_ISO, 2)),
    re.compile(numbered(_DAY_MONTH, 1) + _TO + numbered(_DAY_MONTH, 2)),
    re.compile(numbered(_MONTH_DAY, 1) + _TO + numbered(_MONTH_DAY, 2)),
    re.compile(_p(_M, "m2") + r"\s*" + _p(_D, "d1") + _TO + _p(_D, "d2") + r"\b" + _p(_Y, "y2")),
    re.compile(_p(_D, "d1") + _TO + _p(_D, "d2") + r"\s*(?:de\s+|of\s+)?" + _p(_M, "m2") + _p(_Y, "y2")),
    re.compile(_p(_D, "d1") + _TO + numbered(_MONTH_DAY, 2)),
]
SINGLES = [
    re.compile(numbered(_ISO, 1)),
    re.compile(numbered(_DAY_MONTH, 1)),
    re.compile(numbered(_MONTH_DAY, 1)),
]
SLASH_RANGE = re.compile(numbered(SLASH, 1) + _TO + numbered(SLASH, 2))
SLASH_SINGLE = re.compile(_SLASH_CUE + numbered(SLASH, 1))
_ANY_SLASH = re.compile(numbered(SLASH, 1))
DAY_RANGE = re.compile(
    # "del 9 al 17" is days, "de 9 a 17" and "from 9 to 17" are office hours
    r"(?:\b(?:del|desde el|el|from the|between(?: the)?|the)\s+"
    + numbered(_BARE_DAY, 1)
    + r"\s*(?:al|hasta el|a|y el|y|-|–|(?:to|till|until|through|and)(?: the)?)\s+"
    + numbered(_BARE_DAY, 2)
    # two ordinals need no lead word: "out 23rd-27th"
    + r"|(?<![\d/])(?P<o1>\d{1,2})(?:st|nd|rd|th)\s*(?:-|–|to|through|till|until)\s*"
    + r"(?P<o2>\d{1,2})(?:st|nd|rd|th))"
    + _ENDS
)
DAY_SINGLE = re.compile(
    r"(?:\b(?:el\s+)?dia\s+|\b(?:el|on the|the|a partir del)\s+)"
    + numbered(_BARE_DAY, 1)
    + r"(?!\s*(?:de|of)\s+[a-z])"
    + _ENDS
)
WEEK_OF_DAY = re.compile(
    r"\b(?:semana\s+del?\s+(?:dia\s+)?|week\s+of\s+(?:the\s+)?)"
    + numbered(_BARE_DAY, 1)
    + r"(?:\s*(?:de\s+|of\s+)?"
    + _p(_M, "m1")
    + ")?"
)
WEEK_OF_MONTH_DAY = re.compile(r"\bweek\s+of\s+" + numbered(_MONTH_DAY, 1))
NTH_WEEK = re.compile(
    r"\b(?:(?P<first>first|1st|primera|1a)|(?P<last>last|ultima))\s+(?:week|semana)\s+(?:of|de)\s+"
    + _p(_M, "m1")
)
NEXT_WEEK = re.compile(
    r"\b(?:next\s+week|(?:la\s+)?semana\s+(?:que\s+viene|proxima|siguiente)|(?:la\s+)?(?:proxima|siguiente)\s+semana)\b"
)
WEEKDAY_RANGE = re.compile(
    r"(?P<mod>\b(?:next|this|proximo|este)\s+)?"
    + _p(_WD, "w1")
    + r"(?:\s+que\s+viene)?\s*(?:-|–|/|&|,|to|through|thru|till|until|a|al|hasta el|hasta|and|y el|y)\s*"
    + r"(?:el\s+)?"
    + _p(_WD, "w2")
)
WEEKDAY = re.compile(
    r"(?P<mod>\b(?:next|this|proximo|este)\s+)?"
    + _p(_WD, "w1")
    + r"(?!\s+(?:dia\s+|el\s+|the\s+)?\d)(?:\s+que\s+viene)?"
)
# "del 28 al 2" runs into the next month; "del 9 al 3" would be a 25-day absence, more likely a typo.
LONGEST_WRAP = timedelta(days=21)
FOR_DAYS = re.compile(
    r"(?:\b(?P<for>for|durante|por)\s+)?(?:like\s+|unos\s+|unas\s+)?\b(?P<n>\d{1,2}|"
    + alternation(COUNTS)
    + r")\s+"
    r"(?:(?P<days>days|dias)|weeks|wks|semanas)\b"
)
# Without "for", "3 days" is a length only beside a start: "3 días a partir del 14", "starting jan 4".
STARTING = re.compile(r"\b(?:starting|beginning|from|a partir|desde|empezando)\b")
