"""A query becomes slots: each slot is one thing the user asked about, with its alternative wordings.

A slot scores a passage by its best alternative (the user's own words weigh most, thesaurus synonyms and
spelling corrections less), so a synonym group adds evidence once rather than once per synonym.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml
from rapidfuzz import fuzz, process

from knowledge._text import Analyzer, Language, detect_language, fold, words

SYNONYM_WEIGHT = 0.6
FUZZY_WEIGHT = 0.8
_MAX_PHRASE = 5


@dataclass
class Slot:
    alternatives: dict[tuple[str, ...], float] = field(default_factory=dict)
    surface: str = ""  # the user's own word(s), as typed (folded)

    def add(self, terms: Sequence[str], weight: float) -> None:
        key = tuple(terms)
        if key and weight > self.alternatives.get(key, 0.0):
            self.alternatives[key] = weight


@dataclass(frozen=True)
class AnalyzedQuery:
    lang: Language
    slots: list[Slot]


def bundled_thesaurus() -> list[list[str]]:
    data = yaml.safe_load(resources.files("knowledge").joinpath("data/thesaurus.yaml").read_text("utf-8"))
    return [list(map(str, group)) for group in data["groups"]]


def bundled_abbreviations() -> dict[str, str]:
    text = resources.files("knowledge").joinpath("data/abbreviations.yaml").read_text("utf-8")
    return {str(k): str(v) for k, v in yaml.safe_load(text)["abbreviations"].items()}


class QueryAnalyzer:
    def __init__(
        self, analyzer: Analyzer, groups: list[list[str]], default_language: Language = "en"
    ) -> None:
        self.analyzer = analyzer
        self._default = default_language
        self._groups = [[fold(term) for term in group] for group in groups]
        # stemmed phrase (stop words kept) -> group indexes, per query language
        self._phrases: dict[Language, dict[tuple[str, ...], set[int]]] = {"es": {}, "en": {}}
        for gi, group in enumerate(self._groups):
            for term in group:
                for lang in ("es", "en"):
                    key = tuple(analyzer.stem(words(term), lang))
                    if key:
                        self._phrases[lang].setdefault(key, set()).add(gi)

    def analyze(self, query: str, correct: Callable[[str], str | None] | None = None) -> AnalyzedQuery:
        """`correct` maps a stem the index does not know to the closest one it does, or None."""
        lang = detect_language(query, self._default)
        tokens = self.analyzer.expand_abbreviations(words(query))
        stems = self.analyzer.stem(tokens, lang)
        stop = self.analyzer.stopwords(lang)
        slots: list[Slot] = []
        i = 0
        while i < len(tokens):
            matched = self._match_phrase(stems, i, lang)
            if matched is not None:
                length, group_ids = matched
                slot = Slot(surface=" ".join(tokens[i : i + length]))
                slot.add(self._content_terms(tokens[i : i + length], lang), 1.0)
                for gi in sorted(group_ids):
                    for term in self._groups[gi]:
                        for term_lang in ("es", "en"):
                            slot.add(self._content_terms(words(term), term_lang), SYNONYM_WEIGHT)
                if slot.alternatives:
                    slots.append(slot)
                i += length
                continue
            token = tokens[i]
            i += 1
            if token in stop:
                continue
            slot = Slot(surface=token)
            stem = self.analyzer.stem([token], lang)[0]
            slot.add([stem], 1.0)
            if correct is not None and len(stem) >= 4 and not stem.isdigit():
                close = correct(stem)
                if close:
                    slot.add([close], FUZZY_WEIGHT)
            slots.append(slot)
        return AnalyzedQuery(lang, slots)

    def _match_phrase(self, stems: list[str], start: int, lang: Language) -> tuple[int, set[int]] | None:
        phrases = self._phrases[lang]
        for length in range(min(_MAX_PHRASE, len(stems) - start), 0, -1):
            groups = phrases.get(tuple(stems[start : start + length]))
            if groups:
                return length, groups
        return None

    def _content_terms(self, tokens: list[str], lang: Language) -> list[str]:
        stop = self.analyzer.stopwords(lang)
        content = [t for t in tokens if t not in stop] or tokens
        return self.analyzer.stem(content, lang)


class Vocabulary:
    """The index's terms, with a cached fuzzy lookup for words it does not contain (typos)."""

    def __init__(self, terms: Collection[str], min_score: int) -> None:
        self._terms = frozenset(terms)
        self._choices = tuple(sorted(self._terms))
        self._min_score = min_score
        self.correct = lru_cache(maxsize=4096)(self._correct)

    def _correct(self, stem: str) -> str | None:
        if stem in self._terms:
            return None
        found = process.extractOne(stem, self._choices, scorer=fuzz.ratio, score_cutoff=self._min_score)
        return str(found[0]) if found else None
