"""Answer or escalate: a logistic model over what the evidence shows, fitted on data.

The features say how much of the question the retrieved passages speak of, split by whether the corpus
knows a word at all: a word the corpus has never seen is either chat noise (a typo, "rn", "lol") or a
named thing the documents lack ("Toronto", "severance"), and general word frequencies tell the two apart.
The weights come from `benchmarks/gate.py`, which fits them on answerable questions, unanswerable ones
and answerable ones with their gold section hidden, and reports the figures under cross-validation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

FEATURES = (
    "coverage",  # share of the question's topic weight the best window covers
    "coverage_known",  # the same, counting only words the corpus knows
    "seen_known",  # share of the known topic weight found anywhere in the passages
    "specific_missing",  # 1 when the rarest known topic word appears in no passage
    "unknown_words",  # real words (general frequency) the corpus has never seen: named things it lacks
    "dense_top",  # cosine of the question with the best passage
    "meaning_best",  # cosine of the question with the best window
    "dense_gap",  # how far the best passage stands above the next ones: one clear match, or many vague ones
    "doc_share",  # share of the top passages that come from the best window's document
)


@dataclass(frozen=True)
class Gate:
    weights: Mapping[str, float]
    bias: float

    @classmethod
    def bundled(cls) -> Gate:
        return _bundled()

    def probability(self, features: Mapping[str, float]) -> float:
        """Estimated probability that answering from these passages is right (0.5 is the decision)."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=1)
def _bundled() -> Gate:
    text = resources.files("knowledge").joinpath("data/gate.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise ValueError(f"gate.yaml names features the judge does not compute: {sorted(unknown)}")
    return Gate(weights, float(data["bias"]))


@lru_cache(maxsize=8192)
def is_general_word(word: str) -> bool:
    """A word of everyday Spanish or English (not a typo or a made-up token), by its general frequency."""
    from wordfreq import zipf_frequency

    return (
        len(word) >= 4
        and not word.isdigit()
        and max(zipf_frequency(word, "en"), zipf_frequency(word, "es")) >= _GENERAL_ZIPF
    )


_GENERAL_ZIPF = 2.0  # once per 10 million words: rare terms like "vesting" (2.5) pass, "thatll" (1.9) not
