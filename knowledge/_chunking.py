"""Heading-aware chunking: each chunk keeps its heading path and its character span in the document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge._documents import Chunk, Document
from knowledge._text import Language, detect_language

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_WORD = re.compile(r"\S+")
TABLE_RULE = re.compile(r"^\|[\s:|-]+\|?$")  # the |---|---| line under a table's header


@dataclass(frozen=True)
class _Section:
    path: tuple[str, ...]
    start: int
    end: int


def sections(doc: Document) -> list[_Section]:
    """Split the text at Markdown headings (not inside code fences); bodies keep their offsets."""
    found: list[_Section] = []
    stack: list[tuple[int, str]] = []
    body_start = 0
    in_fence = False
    offset = 0
    for line in doc.text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line.rstrip("\n"))
        if heading:
            found.append(_Section(tuple(t for _, t in stack), body_start, offset))
            level, title = len(heading.group(1)), _clean_heading(heading.group(2))
            while stack and stack[-1][0] >= level:
                stack.pop()
            # The page title repeated as the first heading adds nothing to a citation.
            if not (level == 1 and not stack and title.casefold() == doc.title.casefold()):
                stack.append((level, title))
            body_start = offset + len(line)
        offset += len(line)
    found.append(_Section(tuple(t for _, t in stack), body_start, len(doc.text)))
    return [s for s in found if doc.text[s.start : s.end].strip()]


def _clean_heading(title: str) -> str:
    title = re.sub(r"\{#[^}]*\}", "", title)  # attribute lists: ## Title {#anchor}
    return re.sub(r"[*_`]", "", title).strip()


def chunk_document(
    doc: Document, max_words: int, overlap_words: int, default_language: Language = "en"
) -> list[Chunk]:
    doc_lang = detect_language(doc.text[:4000], default_language)
    chunks: list[Chunk] = []
    for section in sections(doc):
        for start, end in _split(doc.text, section.start, section.end, max_words, overlap_words):
            text = doc.text[start:end].strip()
            if not text:
                continue
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.content_hash[:16]}:{len(chunks)}",
                    doc_path=doc.path,
                    doc_title=doc.title,
                    heading_path=section.path,
                    text=text,
                    start=start,
                    end=end,
                    audience=doc.audience,
                    lang=detect_language(text, doc_lang),
                    table_header=table_header_before(doc.text, start, text),
                )
            )
    return chunks


def table_header_before(text: str, start: int, chunk_text: str) -> str:
    """The header row of the Markdown table a chunk starts inside, unless the chunk holds it already."""
    if not chunk_text.startswith("|"):
        return ""
    lines = text[:start].splitlines()
    rows: list[str] = []
    for line in reversed(lines):
        if not line.strip().startswith("|"):
            break
        rows.append(line.strip())
    rows.reverse()  # the table's rows above the chunk, first to last
    if len(rows) >= 2 and TABLE_RULE.match(rows[1]):
        return rows[0]
    return ""


def _split(text: str, start: int, end: int, max_words: int, overlap: int) -> Iterator[tuple[int, int]]:
    """Spans of at most `max_words` words, cut at paragraph, then line, then word boundaries."""
    units = list(_units(text, start, end, max_words))
    current: list[tuple[int, int, int]] = []  # (start, end, words)
    count = 0
    for unit in units:
        if current and count + unit[2] > max_words:
            yield current[0][0], current[-1][1]
            # Carry the tail forward so a fact cut at the boundary is still whole in one chunk.
            carried: list[tuple[int, int, int]] = []
            while current and sum(u[2] for u in carried) + current[-1][2] <= overlap:
                carried.insert(0, current.pop())
            current, count = carried, sum(u[2] for u in carried)
        current.append(unit)
        count += unit[2]
    if current:
        yield current[0][0], current[-1][1]


def _units(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """Paragraphs; a paragraph too long is cut into lines, and a line too long into word windows."""
    for para in re.finditer(r"\S(?:.*?)(?=\n[ \t]*\n|\Z)", text[start:end], re.S):
        p_start, p_end = start + para.start(), start + para.end()
        n = len(_WORD.findall(para.group()))
        if n <= max_words:
            yield p_start, p_end, n
            continue
        for line in re.finditer(r"[^\n]+", text[p_start:p_end]):
            l_start = p_start + line.start()
            spans = [(l_start + w.start(), l_start + w.end()) for w in _WORD.finditer(line.group())]
            for i in range(0, len(spans), max_words):
                window = spans[i : i + max_words]
                yield window[0][0], window[-1][1], len(window)
