"""Answer or escalate: a logistic model over what the evidence shows, fitted on data.

The features say how much of the question the retrieved passages speak of, split by whether the corpus
knows a word at all: a word the corpus has never seen is either chat noise (a typo, "rn", "lol") or a
named thing the documents lack ("Toronto", "severance"), and general word frequencies tell the two apart.
The weights come from `benchmarks/gate.py`, which fits them on answerable questions, unanswerable ones
and answerable ones with their gold section hidden, and reports the figures under cross-validation.
Cosines mean something only for the model they were measured with, so two gates are fitted: one with
every feature, for the bundled sentence model, and one on the word features alone, for any other model
(a sentence-transformers model an admin configures, or the hashing stand-in of the tests).
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
    "rarest_missing",  # 1 when the question's rarest real word (general frequency) is in no passage
    "rare_missing_share",  # share of the question's real words, weighted by rarity, in no passage
    # the bundled model learnt English: Spanish texts sit closer together, so its cosines mean less there
    "spanish",  # 1 for a Spanish question
    "spanish_dense",  # dense_top for a Spanish question, 0 otherwise
)
WORD_FEATURES = (
    "coverage",
    "coverage_known",
    "seen_known",
    "specific_missing",
    "unknown_words",
    "rarest_missing",
    "rare_missing_share",
)


@dataclass(frozen=True)
class Gate:
    weights: Mapping[str, float]
    bias: float

    @classmethod
    def bundled(cls, bundled_model: bool = True) -> Gate:
        """The fitted gate: every feature for the bundled model, the word features for any other."""
        return _bundled("meaning" if bundled_model else "words")

    def probability(self, features: Mapping[str, float]) -> float:
        """Estimated probability that answering from these passages is right (0.5 is the decision)."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=2)
def _bundled(kind: str) -> Gate:
    text = resources.files("knowledge").joinpath("data/gate.yaml").read_text("utf-8")
    data = yaml.safe_load(text)[kind]
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    allowed = FEATURES if kind == "meaning" else WORD_FEATURES
    unknown = set(weights) - set(allowed)
    if unknown:
        raise ValueError(f"gate.yaml ({kind}) names features it may not read: {sorted(unknown)}")
    return Gate(weights, float(data["bias"]))


@lru_cache(maxsize=8192)
def general_frequency(word: str) -> float:
    """How common a word is in Spanish or English at large, on the Zipf scale (0 unknown, 7 "the")."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "en"), zipf_frequency(word, "es"))


def is_general_word(word: str) -> bool:
    """A word of everyday Spanish or English (not a typo or a made-up token), by its general frequency."""
    return len(word) >= 4 and not word.isdigit() and general_frequency(word) >= _GENERAL_ZIPF


_GENERAL_ZIPF = 2.0  # once per 10 million words: rare terms like "vesting" (2.5) pass, "thatll" (1.9) not
