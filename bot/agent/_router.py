"""The offline model's reading of a request: which tool it asks for, with which arguments.

Everything comes from the tools' own schemas (example requests, argument types and word hints), so a
third-party plugin is routed the same way as a built-in. With the sentence model at hand, meaning decides
(`_intent`): a tool wins when it is closer to the message than the norms questions are, helped when its
required arguments can all be read from the message or when the message uses that tool's own words. The
thresholds are measured by `benchmarks/intent.py`. Without the model, the tools' own words decide alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from bot.agent._dates import find_date_range
from bot.agent._intent import HUMAN, QUESTIONS, IntentReader, Thresholds
from bot.agent._numbers import find_reference
from bot.tools import EXAMPLES_KEY
from knowledge import Language, detect_language, fold
from knowledge._evidence import light_stems
from knowledge._text import Analyzer

_MIN_SCORE = 0.3  # with required arguments, which must also be found in the message
_MIN_SCORE_NO_ARGUMENTS = 0.75  # nothing else confirms the intent, so most of an example must match
# A tool that leads the norms questions by less than this above the measured margin is offered beside the
# answer rather than instead of it ("me caso, ¿cuántos días tengo?" reads close to "my balance"). It moves
# no message between right and wrong in benchmarks/intent.py: a hesitant route both answers and offers.
_DOUBT = 0.1

_HUMAN = re.compile(
    r"\b(?:humano|human being|a human|real person|persona real|"
    r"(?:hablar|habla|contactar|pasame|ponme|talk|speak|chat|connect me|put me through)\b.{0,25}"
    r"\b(?:human|humano|persona|alguien|someone|somebody|agente|agent|operador|operator|rrhh|hr))\b"
)
_REQUEST_CUE = re.compile(
    r"\b(quiero|quisiera|necesito|me gustaria|puedes|podrias|por favor|i want|i'd like|i would like|i need|"
    r"please|can you|could you)\b"
)
_HOW_TO = re.compile(
    r"^\W*(?:como (?:se|puedo|pido|hago|solicito|tengo que|hay que|debo|funciona)|"
    r"how (?:do|can|should|does|would) (?:i|we|you|one|an?)|how to|"
    r"what(?:'s| is) the (?:process|procedure|policy)|cual es el (?:proceso|procedimiento)|"
    r"que (?:tengo|hay) que hacer|que necesito para|where (?:do|can|should) i|donde (?:se|puedo))\b"
)
_NOT_A_CUE = frozenset(
    "cuanto cuantos cuanta cuantas cuando como donde que cual cuales quien por favor gracias "
    "how much many when where what which who whom please thanks thank you".split()
)
_FOLLOW_UP = re.compile(
    r"^\W*(?:y|and|e|tambien|also|what about|and what about|y si|and if|y para|and for)\b"
)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    schema: Mapping[str, Any]

    @property
    def examples(self) -> list[str]:
        return list(self.schema.get(EXAMPLES_KEY, []))

    @property
    def properties(self) -> Mapping[str, Any]:
        return dict(self.schema.get("properties", {}))

    @property
    def required(self) -> list[str]:
        return list(self.schema.get("required", []))


@dataclass
class Route:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    read_from_message: bool = False  # a required argument came from something specific the user wrote
    # the message may be a request or a question: the norms are searched and the action offered beside
    hesitant: bool = False


@dataclass(frozen=True)
class Reading:
    """What the router read from one message, before deciding."""

    question: float  # closeness by meaning to questions about the norms
    scores: dict[str, float]  # closeness by meaning to each tool's examples (and to asking for a person)
    lexical: str | None  # the tool whose own words the message uses
    routes: dict[str, Route]  # each tool with the arguments read from the message
    filled: frozenset[str]  # tools whose required arguments were all found, one of them in specific words


class Router:
    def __init__(self, analyzer: Analyzer | None = None, intents: IntentReader | None = None) -> None:
        self._analyzer = analyzer or Analyzer()
        self._intents = intents  # by meaning, when the sentence model is at hand
        self._example_terms: dict[str, list[str]] = {}
        # Question words and courtesy ("cuántos", "how much", "por favor") say nothing about the tool.
        self._light: dict[Language, frozenset[str]] = {
            lang: frozenset(self._analyzer.stem(sorted(_NOT_A_CUE), lang)) for lang in ("es", "en")
        }
        # the evidence's light words ("ok", "gracias"): a message of nothing else names no topic
        self._topic_light = light_stems(self._analyzer)

    def wants_human(self, text: str) -> bool:
        return bool(_HUMAN.search(fold(text)))

    def names_nothing(self, text: str) -> bool:
        """ "ok", "y", "gracias" alone: nothing to look up, do, or hand to a person."""
        lang = detect_language(text)
        return not set(self._analyzer.terms(text, lang)) - self._topic_light[lang]

    def asks_how(self, text: str) -> bool:
        return bool(_HOW_TO.search(fold(text)))

    def is_follow_up(self, text: str) -> bool:
        return bool(_FOLLOW_UP.search(fold(text))) and len(text.split()) <= 8

    def route(self, text: str, tools: Sequence[ToolSpec], today: date) -> Route | None:
        """The tool the message asks for (with `missing` naming arguments it lacks), or None."""
        reading = self.read(text, tools, today)
        return self.decide(reading, text) if reading is not None else None

    def read(self, text: str, tools: Sequence[ToolSpec], today: date) -> Reading | None:
        """Everything the decision weighs, read once: meaning, the tools' own words, the arguments."""
        if not tools or self.asks_how(text):
            return None
        dates = find_date_range(text, today)
        routes = {spec.name: self._arguments(spec, text, dates) for spec in tools}
        filled = frozenset(
            spec.name
            for spec in tools
            if not routes[spec.name].missing and routes[spec.name].read_from_message
        )
        scores: dict[str, float] = {}
        question = 0.0
        if self._intents is not None and self._intents.applicable():
            scores = self._intents.scores(text, {spec.name: spec.examples for spec in tools})
            question = scores.pop(QUESTIONS, 0.0)
        return Reading(question, scores, self._lexical(text, tools), routes, filled)

    def decide(self, reading: Reading, text: str, thresholds: Thresholds | None = None) -> Route | None:
        lang = detect_language(text)
        t = thresholds or (self._intents.thresholds(lang) if self._intents is not None else None)
        if t is None or not reading.scores:
            chosen = reading.lexical
        else:
            # Meaning first; a tool whose required arguments are all in the message, or whose own words
            # are, gets the measured bonus; it must beat the norms questions by the margin.
            def score(name: str) -> float:
                return (
                    reading.scores[name]
                    + t.filled_bonus * (name in reading.filled)
                    + t.word_bonus * (name == reading.lexical)
                )

            best = max(reading.scores, key=score)
            # between two tools about as close, the one that takes what the user wrote (a ticket number,
            # a date) over one that takes nothing: "how's my ticket 5521" is that ticket, not the list
            close = [
                n
                for n in reading.filled
                if n in reading.scores and n != HUMAN and score(best) - score(n) < _DOUBT / 2
            ]
            if best not in reading.filled and close:
                best = max(close, key=score)
            lead = score(best) - reading.question
            chosen = best if score(best) >= t.floor and lead >= t.margin else None
            if chosen == HUMAN:
                return Route(HUMAN)
            unsure = chosen is not None and lead < t.margin + _DOUBT
            # short of the margin, a tool that holds what the user wrote is still offered; short of the floor
            # it is no request at all ("8" alone is no comment on ticket 8)
            near = chosen is None and best in reading.filled and lead > 0 and score(best) >= t.floor
            if best != HUMAN and (unsure or near) and not reading.routes[best].missing:
                # about as close to a request as to a question: look it up and offer the action beside
                return replace(reading.routes[best], hesitant=True)
        if chosen is None:
            return None
        route = reading.routes[chosen]
        # Lacking arguments, only an explicit request is worth a question back; a question that shares
        # words with a tool ("¿qué antigüedad necesito para pedir un permiso?") goes to the search.
        if route.missing and ("?" in text or not _REQUEST_CUE.search(fold(text))):
            return None
        return route

    def _lexical(self, text: str, tools: Sequence[ToolSpec]) -> str | None:
        """The tool whose examples' words the message uses: a word only that tool's examples use, or
        one of its examples in full."""
        lang = detect_language(text)
        message = set(self._terms(text, lang))
        term_tools = self._term_tools(tools)
        weights = {t: math.log(1 + len(tools) / len(owners)) for t, owners in term_tools.items()}
        best: tuple[bool, float, ToolSpec] | None = None
        for spec in tools:
            score = max((_coverage(message, set(self._both(e)), weights) for e in spec.examples), default=0.0)
            distinctive = {t for t, owners in term_tools.items() if owners == {spec.name}}
            # a tool with its own word in the message beats one that only shares an example's words
            # ("open a ticket, my laptop…" is not "what tickets do I have open?")
            own_word = bool(message & distinctive)
            if not (own_word or score >= 0.999):
                continue
            floor = _MIN_SCORE if spec.required else _MIN_SCORE_NO_ARGUMENTS
            if score >= floor and (best is None or (own_word, score) > best[:2]):
                best = (own_word, score, spec)
        return best[2].name if best is not None else None

    def _arguments(self, spec: ToolSpec, text: str, dates: tuple[date, date] | None) -> Route:
        route = Route(spec.name)
        folded = fold(text)
        for name, prop in spec.properties.items():
            value = _extract(name, prop, text, folded, dates)
            if value is not None:
                route.arguments[name] = value
                route.read_from_message |= name in spec.required and _specific(prop, value)
            elif name in spec.required:
                route.missing.append(name)
        return route

    def _terms(self, text: str, lang: Language) -> list[str]:
        light = self._light[lang]
        return [t for t in self._analyzer.terms(text, lang) if t not in light]

    def _both(self, text: str) -> list[str]:
        """An example's terms; examples are the same every turn, so each is analysed once."""
        cached = self._example_terms.get(text)
        if cached is None:
            cached = self._example_terms[text] = self._terms(text, detect_language(text))
        return cached

    def _term_tools(self, tools: Sequence[ToolSpec]) -> dict[str, set[str]]:
        owners: dict[str, set[str]] = {}
        for spec in tools:
            for example in spec.examples:
                for term in self._both(example):
                    owners.setdefault(term, set()).add(spec.name)
        return owners


def _coverage(message: set[str], example: set[str], weights: Mapping[str, float]) -> float:
    total = sum(weights.get(t, 0.0) for t in example)
    return sum(weights.get(t, 0.0) for t in example & message) / total if total else 0.0


def _has_word(folded: str, word: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(fold(word)) + r"(?!\w)", folded) is not None


def _specific(prop: Mapping[str, Any], value: Any) -> bool:
    """A date, a number, a yes/no or a named choice the user wrote; not a default nor their whole text."""
    if "enum" in prop:
        return bool(value != prop.get("x-fallback"))
    return prop.get("type") != "string" or prop.get("format") == "date"


def _extract(
    name: str,
    prop: Mapping[str, Any],
    text: str,
    folded: str,
    dates: tuple[date, date] | None,
) -> Any:
    kind = prop.get("type")
    if prop.get("format") == "date":
        if dates is None:
            return None
        return (dates[1] if name in ("end", "to", "until") else dates[0]).isoformat()
    if "enum" in prop:
        for value, words in (prop.get("x-words") or {}).items():
            if any(_has_word(folded, w) for w in words):
                return value
        return prop.get("x-fallback")
    if kind == "boolean":
        if any(_has_word(folded, w) for w in prop.get("x-false-words", [])):
            return False
        if any(_has_word(folded, w) for w in prop.get("x-true-words", [])):
            return True
        return None
    if kind == "integer":
        return find_reference(text, prop.get("x-words", []))
    if kind == "string" and "default" not in prop:
        # The free text of a request: what follows a colon, else the whole message.
        _, colon, rest = text.partition(":")
        return (rest if colon and rest.strip() else text).strip()[:500] or None
    return None
