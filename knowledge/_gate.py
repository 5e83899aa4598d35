"""Answer, suggest or hand over: a logistic model over what the evidence shows, fitted on data.

The features compare the question with the passages (how much of it the best window and the quoted
windows speak of, words weighed by their general rarity; how close they are in meaning, in the index's
model and in a multilingual one; the question's rare words no passage has). Those whose level moves with
the corpus's size are read relative to the corpus's own baseline (`knowledge._calibration`), so one
fitted gate holds on a small handbook and on a large corpus. `benchmarks/gate.py` fits it on three
corpora of different size and language (answerable questions, unanswerable ones, and answerable ones
with their gold section hidden), checks it by leaving each corpus out in turn, and cuts it twice: at 0.5
it answers, from `suggest_floor` it suggests the closest passages, below it hands over to a person.
The index's own cosines mean something only for the model they were measured with, so a second gate
leaves them out, for any model but the bundled one (an admin's choice, or the tests' hashing stand-in).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

FEATURES = (
    "coverage",  # share of the question's topic weight (rarity in this corpus) the best window covers
    "coverage_general",  # the same with words weighed by their general rarity, not the corpus's
    "coverage_shown",  # coverage_general over the windows an answer quotes together (both halves of a
    # two-part question)
    "rare_missing_share",  # share of the question's real words, weighted by general rarity, in no passage
    "rare_missing_best",  # the same for the best window's page title, section and passage
    "dense_top",  # cosine of the question with the best passage (the index's model)
    "meaning_best",  # cosine of the question with the best window (the index's model)
    "cross_best",  # multilingual cosine of the question with the best window (same scale in es and en)
    "cross_max",  # the highest multilingual cosine among the five leading windows
    "topic_words",  # log of the number of topic words: a chatty message covers a smaller share
)
# What the fitted gates read: the features that move with the corpus's size are taken relative to its
# own baseline (`knowledge._calibration`), the rest as they are.
MEANING_FEATURES = (
    "coverage_general_rel",
    "coverage_shown_rel",
    "rare_missing_share_rel",
    "rare_missing_best_rel",
    "cross_best_rel",
    "cross_max_rel",
    "meaning_best_rel",
    "topic_words",
)
# For any embedding model but the bundled one: its cosines mean something else, the multilingual
# encoder's do not change.
WORD_FEATURES = tuple(f for f in MEANING_FEATURES if f != "meaning_best_rel")


@dataclass(frozen=True)
class Gate:
    weights: Mapping[str, float]
    bias: float  # shifted so that 0.5 is where answering starts to pay
    suggest_floor: float = 0.0  # below this estimate nothing found is close enough even to suggest
    # the baseline for a corpus too small to measure its own: the mean of the corpora it was fitted on
    default_baseline: Mapping[str, float] = field(default_factory=dict)

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
    allowed = MEANING_FEATURES if kind == "meaning" else WORD_FEATURES
    unknown = set(weights) - set(allowed)
    if unknown:
        raise ValueError(f"gate.yaml ({kind}) names features it may not read: {sorted(unknown)}")
    baseline = {str(k): float(v) for k, v in (data.get("default_baseline") or {}).items()}
    return Gate(weights, float(data["bias"]), float(data.get("suggest_floor", 0.0)), baseline)


@lru_cache(maxsize=8192)
def general_frequency(word: str) -> float:
    """How common a word is in Spanish or English at large, on the Zipf scale (0 unknown, 7 "the")."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "en"), zipf_frequency(word, "es"))


def is_general_word(word: str) -> bool:
    """A word of everyday Spanish or English (not a typo or a made-up token), by its general frequency.
    Three-letter words must be common ("gym", "car", "tax"): rarer ones are mostly shorthand ("tdy")."""
    if len(word) < 3 or word.isdigit():
        return False
    return general_frequency(word) >= (_GENERAL_ZIPF if len(word) >= 4 else _SHORT_WORD_ZIPF)


_GENERAL_ZIPF = 2.0  # once per 10 million words: rare terms like "vesting" (2.5) pass, "thatll" (1.9) not
_SHORT_WORD_ZIPF = 3.5  # "gym" 4.4 and "bus" 4.8 pass, "tdy" 2.0 and "pto" 2.9 not (chat shorthand is
# expanded before this is asked: "btw", "idk" and "pls" never reach it)
