"""How a passage is cut into windows of a sentence or two, and how a window is quoted with the sentences
around it (and a table row under its table's header row)."""

from __future__ import annotations

import re
from functools import lru_cache

from knowledge._chunking import TABLE_RULE
from knowledge._text import words

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# A line that starts its own block (list item, table row, heading, quote); any other line continues the
# paragraph above it: Markdown wraps prose at a fixed width, and a sentence cut by that wrap is one sentence.
_BLOCK_LINE = re.compile(r"^(?:[-*+•]\s|\d{1,3}[.)]\s|[a-zA-Z][.)]\s|\||#|>)")
_MAX_WINDOW_CHARS = 420
_MIN_WINDOW_CHARS = 140
_CONTEXT_SENTENCES = 2  # measured: the facts of 87 of 128 answers, against 82 with one a side
_MAX_QUOTE_CHARS = 1000  # the sentences around the window often hold the figure asked for
_LIST_ITEM = re.compile(r"[a-z]{1,3}[).]\s")


def _is_fragment(unit: str) -> bool:
    """The tail of a sentence cut by the chunk boundary (lower-case start), not a list item like "b) …"."""
    return unit[0].islower() and not _LIST_ITEM.match(unit)


@lru_cache(maxsize=8192)
def cut_windows(text: str, table_header: str = "") -> tuple[tuple[str, str], ...]:
    """(window, quote) pairs. Windows start at every sentence and run on to a second one; list items are
    short, so a window keeps taking them until it holds enough ("Grupo A: seis meses." alone says
    little). The quote adds the sentences either side when they fit: the answer often sits beside the
    sentence that names the topic; a table row is quoted under its table's header row. Cached by text:
    the same passages come back search after search."""
    units, headers = _units_and_headers(_blocks(text), table_header)
    out = []
    for i in range(len(units)):
        if _is_fragment(units[i]):
            continue  # the tail of a sentence cut by the chunk boundary: quoted only after its start
        window, taken = units[i], 1
        for unit in units[i + 1 :]:
            if len(window) + len(unit) + 1 > _MAX_WINDOW_CHARS:
                break
            if taken >= 2 and len(window) >= _MIN_WINDOW_CHARS:
                break
            window, taken = f"{window} {unit}", taken + 1
        if len(words(window)) < 3:
            continue
        quote = _quote(units, i, taken, window[:_MAX_WINDOW_CHARS])
        if headers[i] and headers[i] not in quote:
            quote = f"{headers[i]} {quote}"
        out.append((window[:_MAX_WINDOW_CHARS], quote))
    return tuple(out)


def _units_and_headers(blocks: list[str], table_header: str) -> tuple[list[str], list[str]]:
    """The sentences and table rows of a passage, each with the header row of the table it belongs to
    ("" outside tables). `table_header`: the header of a table the passage starts inside."""
    units: list[str] = []
    headers: list[str] = []
    header = table_header
    for k, block in enumerate(blocks):
        if not block.startswith("|"):
            header = ""
        elif k + 1 < len(blocks) and TABLE_RULE.match(blocks[k + 1]):
            header = block  # the row above |---|---| heads the table
        for unit in _SENTENCE.split(block) if not block.startswith("|") else [block]:
            if words(unit):
                units.append(unit.strip())
                headers.append(header if block.startswith("|") else "")
    return units, headers


def _quote(units: list[str], first: int, taken: int, window: str) -> str:
    """The window with the sentences after it, then before it, while they fit (_CONTEXT_SENTENCES a side)."""
    quote, after, before = window, first + taken, first - 1
    for _ in range(_CONTEXT_SENTENCES):
        if after < len(units) and len(quote) + len(units[after]) < _MAX_QUOTE_CHARS:
            quote, after = f"{quote} {units[after]}", after + 1
        fits = before >= 0 and len(quote) + len(units[before]) < _MAX_QUOTE_CHARS
        if fits and not _is_fragment(units[before]):
            quote, before = f"{units[before]} {quote}", before - 1
    return quote


def _blocks(text: str) -> list[str]:
    """Paragraphs and list items, with the lines a paragraph was wrapped at joined again."""
    blocks: list[str] = []
    joinable = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            joinable = False
            continue
        if joinable and not _BLOCK_LINE.match(line):
            blocks[-1] = f"{blocks[-1]} {line}"
        else:
            blocks.append(line)
        joinable = not line.startswith(("|", "#"))
    return blocks
