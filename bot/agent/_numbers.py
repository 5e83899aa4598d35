"""Ticket and request numbers as people write them: "#412", "ticket nº 77", "la petición 63", "the 3031 one".

A number is a reference unless it reads as something else. Duckling (see bot/agent/_dates.py) says which
numbers are a date, a time, a duration or an age, an amount of money or a quantity ("del 3 al 7", "every
10 min", "8 años", "$3500", "3 kg"); what is glued to a number says the rest ("3/8", "10:30", "GS-13",
"12h", "5%", "2nd"). Of the numbers left, the one right after an anchor word (the tool's own, such as
"ticket" or "solicitud") wins; with no anchor, a lone number does. Anything else is ambiguous: None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from bot.agent._duckling import duckling_readings
from knowledge import fold

_NOT_REFERENCES = ("time", "duration", "amount-of-money", "quantity", "distance", "temperature", "volume")
# A reference stands alone: nothing glued before it but "#", nothing glued after it but punctuation.
_NUMBER = re.compile(r"(?<![\w#/.,:$€£%+-])#?(?P<n>\d{1,9})(?![\w/%€$£+-]|[.,:]\d)")
# Between the anchor and the number: "nº", "no.", "n.º", "num", "number", "id", "#", ":".
_FILLER = r"(?:\s*(?:n\.?\s*o\.?|num\.?|numero|number|nr\.?|id|#|:|-|=)(?=[\s\d#]))*\s*#?"
_BARE_NUMBER = re.compile(r"\d+")
_ANY_DAY = date(2026, 1, 1)  # whether a number is a date does not depend on the day it is read


def find_reference(text: str, anchors: Sequence[str]) -> int | None:
    """The ticket or request number `text` refers to; None when it names none, or several.

    `anchors` are the words that introduce one ("ticket", "incidencia", "solicitud", "#").
    """
    folded = fold(text)
    found = list(_NUMBER.finditer(folded))
    taken = _measured(folded) if found else ()
    numbers = [
        (m.start("n"), m.end("n"), int(m.group("n")))
        for m in found
        if not any(start < m.end("n") and m.start("n") < end for start, end in taken)
    ]
    anchored = {value for start, _, value in numbers if _after_anchor(folded, start, anchors)}
    if anchored:
        return anchored.pop() if len(anchored) == 1 else None
    values = {value for _, _, value in numbers}
    return values.pop() if len(values) == 1 else None


@lru_cache(maxsize=256)
def _measured(folded: str) -> tuple[tuple[int, int], ...]:
    """Spans Duckling reads as a date, time, duration, amount or quantity. Cached: every tool with a
    number argument asks about the same message."""
    spans = []
    for item in duckling_readings(folded, _ANY_DAY, ("es", "en"), _NOT_REFERENCES):
        # A number alone is a reference Duckling may also take for a year or an hour ("ticket 2045").
        if item["dim"] == "time" and _BARE_NUMBER.fullmatch(item["body"]):
            continue
        spans.append((int(item["start"]), int(item["end"])))
    return tuple(spans)


def _after_anchor(folded: str, start: int, anchors: Sequence[str]) -> bool:
    before = folded[:start]
    for anchor in anchors:
        word = re.escape(fold(anchor))
        boundary = "" if not anchor[:1].isalnum() else r"\b"
        if re.search(boundary + word + r"(?:s|es)?" + _FILLER + "$", before):
            return True
    return False
