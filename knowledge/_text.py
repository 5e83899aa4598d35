"""Turning chat-style text into search terms: accent folding, abbreviations, stop words, stemming."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Literal

import Stemmer

Language = Literal["es", "en"]

_TOKEN = re.compile(r"[a-z0-9]+")

# Function words only: content words ("dias", "leave") must stay searchable.
_STOP: dict[Language, frozenset[str]] = {
    "es": frozenset(
        """a al algo algun alguna algunas alguno algunos ante antes aqui asi aun como con contra cual cuales
        cuando de del desde donde dos el ella ellas ello ellos en entre era eran es esa esas ese eso esos esta
        estaba estan estar este esto estos fue fueron ha habia han hasta hay la las le les lo los mas me mi
        mis mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque que quien se sea ser
        si sin sobre solo son su sus tambien te tengo tiene tienen tu tus un una uno unos unas usted vosotros
        y ya yo cuanto cuanta cuantos cuantas puedo puede pueden hace hacer""".split()
    ),
    "en": frozenset(
        """a about above after again all am an and any are as at be because been before being below between
        both but by can could did do does doing down during each few for from further had has have having he
        her here hers him his how i if in into is it its itself just me more most my myself no nor not now of
        off on once only or other our ours out over own same she should so some such than that the their
        theirs them then there these they this those through to too under until up very was we were what
        when where which while who whom why will with would you your yours i'm im get got much many""".split()
    ),
}

# Words that tell the two languages apart in short chat messages.
_LANG_HINTS: dict[Language, frozenset[str]] = {
    "es": _STOP["es"] | frozenset("dias vacaciones permiso empresa quiero necesito cuantos cuantas".split()),
    "en": _STOP["en"] | frozenset("days leave company want need please".split()),
}

_STEMMER_NAMES: dict[Language, str] = {"es": "spanish", "en": "english"}


def fold(text: str) -> str:
    """Lower-case and strip accents, so "días" and "dias" are the same word."""
    if text.isascii():  # most of an English corpus: nothing to strip (a third of chunking's time)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def detect_language(text: str, default: Language = "en") -> Language:
    """Guess Spanish or English from function words; good enough for one chat message."""
    counts = {lang: 0 for lang in _LANG_HINTS}
    for word in words(text):
        for lang, hints in _LANG_HINTS.items():
            if word in hints:
                counts[lang] += 1
    if any(ch in text for ch in "¿¡ñáéíóú"):
        counts["es"] += 2
    if counts["es"] == counts["en"]:
        return default
    return "es" if counts["es"] > counts["en"] else "en"


@lru_cache(maxsize=4)
def _stemmer(lang: Language) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_NAMES[lang])


class Analyzer:
    """Text → stemmed terms, the same way for documents and queries."""

    def __init__(self, abbreviations: Mapping[str, str] | None = None) -> None:
        self._abbreviations = {fold(k): fold(v) for k, v in (abbreviations or {}).items()}

    def expand_abbreviations(self, tokens: Iterable[str]) -> list[str]:
        out: list[str] = []
        for token in tokens:
            out.extend(self._abbreviations.get(token, token).split())
        return out

    def terms(self, text: str, lang: Language, *, keep_stopwords: bool = False) -> list[str]:
        tokens = self.expand_abbreviations(words(text))
        if not keep_stopwords:
            stop = _STOP[lang]
            tokens = [t for t in tokens if t not in stop]
        return self.stem(tokens, lang)

    @staticmethod
    def stem(tokens: list[str], lang: Language) -> list[str]:
        return list(_stemmer(lang).stemWords(tokens))

    @staticmethod
    def stopwords(lang: Language) -> frozenset[str]:
        return _STOP[lang]
