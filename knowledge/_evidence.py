"""How well the retrieved passages answer a question, and which of their sentences do.

Passages are cut into short windows and ranked by the share of the question's topic words they cover
(weighted by rarity, synonyms counting less, multi-word terms only when adjacent) and then by meaning,
in the index's model and in the multilingual one. What the gate reads (`knowledge._gate`) compares the
question with those windows: how much of it the best one and the quoted ones cover, the question's rare
words no passage (and not the best window's page) has, and how close they are in both models.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from knowledge._calibration import relative
from knowledge._gate import Gate, general_frequency, is_general_word
from knowledge._query import SYNONYM_WEIGHT, AnalyzedQuery, Slot
from knowledge._text import Analyzer, Language, fold, words
from knowledge._windows import cut_windows

if TYPE_CHECKING:
    from knowledge._documents import Chunk, Hit

_QUANTITY = re.compile(r"\b(cu[aá]nt[oa]s?|how (many|much|long)|cu[aá]ndo|when|plazo|duraci[oó]n)\b", re.I)
# A figure: digits, a number word, or a month (for "when"). Units alone ("del año") are no figure.
_NUMBERISH = re.compile(
    r"\d|\b(dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|treinta|two|three|"
    r"four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|enero|febrero|marzo|abril|mayo|junio|"
    r"julio|agosto|septiembre|octubre|noviembre|diciembre|january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\b",
    re.I,
)
_EVIDENCE_PASSAGES = 8  # the search's top five and the documents their overviews link to
_OVERVIEW_PENALTY = 0.1
_POSITION_PENALTY = 0.01
_TITLE_WEIGHT = 0.05
_RERANK = 5
_MEANING_WEIGHT = 0.35
# The multilingual cosine reorders the leading windows too: measured on the three corpora of
# benchmarks/gate.py, resolved with every question answered 0.54 → 0.61 (0.6 weighs no better).
_CROSS_WEIGHT = 0.35
_MEANING_CHARS = 240  # the start of a window carries its meaning; embedding all of it doubled the latency
_LINK_LIST_PENALTY = 0.25  # a window that is itself the link: it names the page, the page says the rule
_DOC_LINK = re.compile(r"\]\(\s*(?!https?:|mailto:|#)[^)\s]+\)")
_SHORT_STEM = 4
_SHOWN = 3  # the windows an answer quotes


@dataclass(frozen=True)
class Window:
    """One to two consecutive sentences of a passage: what an answer quotes."""

    hit: Hit
    rank: int  # 1-based rank of the passage in the search results
    text: str
    coverage: float
    score: float
    quote: str  # the window with the sentences either side, as the answer shows it
    points_to: tuple[Chunk, ...] = ()  # the corpus documents the window links to ("see the Travel Policy")
    slot_matches: tuple[float, ...] = ()  # how well the window speaks of each topic word of the question
    cross: float | None = None  # its multilingual cosine with the question, for the leading windows


@dataclass(frozen=True)
class Evidence:
    confidence: float  # 0..1: the gate's estimate that answering from these windows is right
    missing: tuple[str, ...]  # the question's words no passage speaks of
    windows: tuple[Window, ...]  # best first
    features: Mapping[str, float] = field(default_factory=dict)  # what the gate read (see `_gate`)
    suggest_floor: float = 0.0  # the gate's confidence below which nothing found is worth suggesting
    asked: bool = True  # the question names a topic at all ("y" or "ok" alone name none)

    @property
    def best(self) -> Window | None:
        return self.windows[0] if self.windows else None


@lru_cache(maxsize=1)
def light_words() -> dict[str, frozenset[str]]:
    data = yaml.safe_load(resources.files("knowledge").joinpath("data/light_words.yaml").read_text("utf-8"))
    return {lang: frozenset(fold(w) for w in data[lang]) for lang in ("es", "en")}


def light_stems(analyzer: Analyzer) -> dict[Language, frozenset[str]]:
    """The light words of both languages stemmed as each language stems: a one-word message ("gracias",
    "hola") is no sure sign of its language."""
    both = sorted(light_words()["es"] | light_words()["en"])
    return {lang: frozenset(analyzer.stem(both, lang)) for lang in ("es", "en")}


class EvidenceJudge:
    def __init__(
        self,
        analyzer: Analyzer,
        document_frequency: dict[str, int],
        n_passages: int,
        gate: Gate | None = None,
    ) -> None:
        self._analyzer = analyzer
        self._gate = gate or Gate.bundled()
        self._df = document_frequency
        self._n = max(1, n_passages)
        self._light = light_stems(analyzer)

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def judge(
        self,
        query: str,
        analyzed: AnalyzedQuery,
        hits: Sequence[Hit],
        overviews: frozenset[str] = frozenset(),
        similarity: Callable[[list[str]], list[float]] | None = None,
        multilingual: Callable[[list[str]], list[float]] | None = None,
        levels: Mapping[str, float] | None = None,
    ) -> Evidence:
        """`overviews`: chunks that summarise another retrieved document; their windows yield to it.
        `similarity`: the question's cosine with each of some texts; it reorders the leading windows by
        meaning as well as by words. `multilingual`: the same in a space both languages share, which
        the gate reads. `levels`: the corpus's baseline (`knowledge._calibration`); None while it is
        being measured, when only the raw features are wanted."""
        topic = [
            (slot, self._weight(slot)) for slot in analyzed.slots if not self._is_light(slot, analyzed.lang)
        ]
        total = sum(w for _, w in topic)
        wants_quantity = bool(_QUANTITY.search(query))
        forms = self._short_forms(query, analyzed.lang)
        windows: list[Window] = []
        seen_terms: set[str] = set()
        for rank, hit in enumerate(hits[:_EVIDENCE_PASSAGES], 1):
            lang: Language = "es" if hit.chunk.lang == "es" else "en"
            heading = self._terms(" ".join(hit.chunk.heading_path), lang, forms)
            seen_terms.update(heading)
            # A section whose title names what was asked is the place the answer lives.
            titled = sum(w * _slot_match(slot, [], heading) for slot, w in topic) / total if total else 0.0
            for position, (text, quote) in enumerate(cut_windows(hit.chunk.text, hit.chunk.table_header)):
                terms = self._terms(text, lang, forms)
                seen_terms.update(terms)
                raw = [_slot_match(slot, terms, heading) for slot, _ in topic]
                coverage = sum(w * m for (_, w), m in zip(topic, raw, strict=True)) / total if total else 0.0
                score = (
                    coverage
                    + 0.15 * (wants_quantity and bool(_NUMBERISH.search(text)))
                    + _TITLE_WEIGHT * titled
                    - 0.03 * rank
                    # a section states its rule first and its exceptions after
                    - _POSITION_PENALTY * min(position, 5)
                    - _OVERVIEW_PENALTY * (hit.chunk.chunk_id in overviews)
                    - _LINK_LIST_PENALTY * (hit.chunk.chunk_id in overviews and bool(_DOC_LINK.search(text)))
                )
                windows.append(
                    Window(
                        hit,
                        rank,
                        text,
                        coverage,
                        score,
                        quote,
                        slot_matches=tuple(raw),
                    )
                )
        windows.sort(key=lambda w: -w.score)
        meaning = 0.0
        if similarity is not None and windows:
            head = windows[:_RERANK]
            cosines = similarity([w.text[:_MEANING_CHARS] for w in head])
            crossed = multilingual([w.text for w in head]) if multilingual is not None else [None] * len(head)
            head = [
                replace(w, score=w.score + _MEANING_WEIGHT * c + _CROSS_WEIGHT * (x or 0.0), cross=x)
                for w, c, x in zip(head, cosines, crossed, strict=True)
            ]
            meaning = max(cosines, default=0.0)
            windows = sorted(head, key=lambda w: -w.score) + windows[_RERANK:]
        missing = tuple(
            " ".join(_own_words(slot))
            for slot, _ in topic
            if not any(all(t in seen_terms for t in alt) for alt in slot.alternatives)
        )
        place = set()
        if windows:  # where the best window lives: its page's title, its section and its passage
            chunk = windows[0].hit.chunk
            lang_best: Language = "es" if chunk.lang == "es" else "en"
            place = set(self._terms(f"{chunk.citation} {chunk.text}", lang_best, forms))
        features = _features(topic, seen_terms, windows, hits, meaning, place)
        crossed_windows = [w.cross for w in windows[:_RERANK] if w.cross is not None]
        if crossed_windows:
            features["cross_best"] = windows[0].cross or 0.0
            features["cross_max"] = max(crossed_windows)
        if levels is None:
            return Evidence(0.0, (), tuple(windows), features)
        features.update(relative(features, levels or self._gate.default_baseline))
        confidence = self._gate.probability(features) if topic and windows else 0.0
        return Evidence(
            round(confidence, 3), missing, tuple(windows), features, self._gate.suggest_floor, bool(topic)
        )

    def _short_forms(self, query: str, lang: Language) -> dict[str, set[str]]:
        """The user's own words whose stems are short enough to collide ("caso" and "casa" both give
        "cas"), by stem."""
        tokens = self._analyzer.expand_abbreviations(words(query))
        forms: dict[str, set[str]] = {}
        for token, stem in zip(tokens, self._analyzer.stem(tokens, lang), strict=True):
            if len(stem) <= _SHORT_STEM:
                forms.setdefault(stem, set()).add(token)
        return forms

    def _terms(self, text: str, lang: Language, forms: dict[str, set[str]]) -> list[str]:
        """Stemmed terms of a passage; a short stem counts only when its word is compatible with the
        user's (same word, a plural, the bare stem), so "me caso" does not match "en casa" or "en caso de"."""
        stop = self._analyzer.stopwords(lang)
        tokens = [t for t in self._analyzer.expand_abbreviations(words(text)) if t not in stop]
        stems = self._analyzer.stem(tokens, lang)
        return [
            stem
            if stem not in forms or any(_compatible(user, token, stem) for user in forms[stem])
            else f"{stem}~"
            for token, stem in zip(tokens, stems, strict=True)
        ]

    def _weight(self, slot: Slot) -> float:
        return max(self.idf(t) for t in _own_words(slot))

    def _is_light(self, slot: Slot, lang: Language) -> bool:
        return all(t in self._light[lang] for t in _own_words(slot))


def _general_weight(slot: Slot) -> float:
    """How much a word says by its rarity in Spanish and English at large, not in this corpus: the same
    question weighs its words the same on a 13-page handbook and on a 3,000-passage one."""
    return min(5.0, max(1.0, 7.0 - general_frequency(slot.surface)))


def _features(
    topic: list[tuple[Slot, float]],
    seen: set[str],
    windows: list[Window],
    hits: Sequence[Hit],
    meaning: float,
    place: set[str],
) -> dict[str, float]:
    """What the gate reads (see `knowledge._gate`), before the multilingual cosines are added. `place`:
    the terms of the best window's page title, section and passage."""
    best = windows[0] if windows else None
    dense = max((h.dense for h in hits), default=0.0)
    # the question's real words by how rare they are in general: "gimnasio" or "toronto" says more
    # than "tiempo" or "company", and passages lacking it are likely about something else
    real = [(7.0 - general_frequency(s.surface), s) for s, _ in topic if is_general_word(s.surface)]
    rarity = sum(r for r, _ in real) or 1.0
    return {
        "coverage": best.coverage if best else 0.0,
        "dense_top": dense,
        "meaning_best": meaning,
        "rare_missing_share": sum(r for r, slot in real if not _seen(slot, seen)) / rarity,
        # the same where the answer would come from: "Ultralytics' per diem" answered from the 18F page
        "rare_missing_best": sum(r for r, slot in real if not _seen(slot, place)) / rarity,
        **_general_coverage(topic, windows),
    }


def _general_coverage(topic: list[tuple[Slot, float]], windows: list[Window]) -> dict[str, float]:
    """How much of the question the best window, and the windows an answer shows, speak of; words
    weighed by their general rarity, so the figures mean the same on any corpus."""
    if not topic or not windows:
        return {"coverage_general": 0.0, "coverage_shown": 0.0, "topic_words": 0.0}
    weights = [_general_weight(slot) for slot, _ in topic]
    total = sum(weights) or 1.0
    best = windows[0].slot_matches
    shown = [w.slot_matches for w in windows if w.coverage > 0][:_SHOWN]
    union = [max((m[i] for m in shown), default=0.0) for i in range(len(weights))]
    return {
        "coverage_general": sum(w * m for w, m in zip(weights, best, strict=False)) / total,
        "coverage_shown": sum(w * m for w, m in zip(weights, union, strict=False)) / total,
        # a chatty message says more than it asks: its share covered runs lower
        "topic_words": math.log(len(topic)),
    }


def _own_words(slot: Slot) -> tuple[str, ...]:
    """The user's own wording of the slot (weight 1), as opposed to synonyms and corrections."""
    best: tuple[str, ...] = ()
    for terms, weight in slot.alternatives.items():
        if not best or weight > slot.alternatives[best]:
            best = terms
    return best


def _compatible(user: str, word: str, stem: str) -> bool:
    n = len(stem) + 1
    return user == word or stem in (user, word) or user[:n] == word[:n]


def _slot_match(slot: Slot, terms: list[str], heading: list[str]) -> float:
    return max(
        (
            _trust(slot, alt, weight)
            for alt, weight in slot.alternatives.items()
            if _contains(terms, alt) or _contains(heading, alt)
        ),
        default=0.0,
    )


def _trust(slot: Slot, alt: tuple[str, ...], weight: float) -> float:
    """A thesaurus phrase whose own content is one short, ambiguous stem ("me caso" → "cas", also in
    "en caso de") is no better evidence in its own words than in its synonyms ("matrimonio")."""
    if (
        weight == 1.0
        and len(alt) == 1
        and len(alt[0]) <= _SHORT_STEM
        and SYNONYM_WEIGHT in slot.alternatives.values()
    ):
        return SYNONYM_WEIGHT
    return weight


def _contains(sequence: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    if n == 1:
        return phrase[0] in sequence
    return any(tuple(sequence[i : i + n]) == phrase for i in range(len(sequence) - n + 1))


def _seen(slot: Slot, seen: set[str]) -> bool:
    return any(all(t in seen for t in alt) for alt in slot.alternatives)
