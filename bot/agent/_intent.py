"""How close a message is, by meaning, to each tool's own example requests (through the plugin API, so a
third-party tool is read the same way), to generic questions about the norms and to asking for a person,
with the multilingual sentence encoder (`knowledge.MultilingualEncoder`: on the development messages it
routes 349 of 351 right where the bundled English model routes 335, none of them a norms question sent to
a tool instead of the norms). The router weighs these scores against thresholds that
`benchmarks/intent.py` measures on requests and questions kept for that purpose."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import yaml

Vectors = npt.NDArray[np.float32]
Embed = Callable[[list[str]], Vectors]  # L2-normalised rows
QUESTIONS = "search_norms"
HUMAN = "escalate_to_human"
_TOP = 2  # a class's score is the mean of its two closest examples: one stray example cannot decide


@dataclass(frozen=True)
class Thresholds:
    floor: float  # the winning score must reach this
    margin: float  # and beat the norms questions' by this much
    filled_bonus: float  # added for a tool whose required arguments are all in the message
    word_bonus: float  # added for the tool whose own example words the message uses


@dataclass(frozen=True)
class IntentData:
    questions: tuple[str, ...]
    human: tuple[str, ...]
    # per language: the bundled model learnt English, and Spanish sentences sit closer to each other
    thresholds: Mapping[str, Thresholds]


@lru_cache(maxsize=1)
def bundled_intents() -> IntentData:
    text = resources.files("bot.agent").joinpath("data/intents.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return IntentData(
        tuple(map(str, data["questions"])),
        tuple(map(str, data["human"])),
        {
            str(lang): Thresholds(**{k: float(v) for k, v in values.items()})
            for lang, values in data["thresholds"].items()
        },
    )


class IntentReader:
    def __init__(
        self, embed: Embed, data: IntentData | None = None, applies: Callable[[], bool] | None = None
    ) -> None:
        """`applies` says, when first needed, whether the thresholds hold for the model behind `embed`
        (asked late so that building the bot does not load the model)."""
        self._embed = embed
        self.data = data or bundled_intents()
        self._cache: dict[tuple[str, ...], Vectors] = {}
        self._applies = applies
        self._applicable: bool | None = None

    def applicable(self) -> bool:
        if self._applicable is None:
            self._applicable = self._applies() if self._applies is not None else True
        return self._applicable

    def scores(self, text: str, examples: Mapping[str, Sequence[str]]) -> dict[str, float]:
        """Each class's closeness to `text`: the tools', the norms questions' and asking for a person."""
        classes = {**examples, QUESTIONS: self.data.questions, HUMAN: self.data.human}
        q = self._embed([text])[0]
        return {name: _score(self._vectors(tuple(ex)) @ q) for name, ex in classes.items() if ex}

    def thresholds(self, lang: str) -> Thresholds:
        return self.data.thresholds.get(lang) or self.data.thresholds["en"]

    def choose(self, text: str, examples: Mapping[str, Sequence[str]], lang: str = "en") -> str | None:
        """By meaning alone: the tool (or `escalate_to_human`) the message asks for, or None."""
        scores = self.scores(text, examples)
        question = scores.pop(QUESTIONS, 0.0)
        if not scores:
            return None
        best = max(scores, key=lambda name: scores[name])
        t = self.thresholds(lang)
        return best if scores[best] >= t.floor and scores[best] - question >= t.margin else None

    def _vectors(self, examples: tuple[str, ...]) -> Vectors:
        if examples not in self._cache:
            self._cache[examples] = self._embed(list(examples))
        return self._cache[examples]


def _score(cosines: npt.NDArray[np.float32]) -> float:
    top = np.sort(cosines)[::-1][:_TOP]
    return float(top.mean()) if top.size else 0.0
