"""Is a message written in a human language at all? Emoji, punctuation, code and SQL are not questions.

The measure is a share, not a list of phrasings: of the message's whitespace-separated tokens, how many
look like code (they hold a character prose does not use, such as `=`, `;`, `{`, `*`, or they are a SQL
keyword written in capitals as SQL is, or in any case once the message shows such characters). Prose
rarely has any such token; code is mostly made of them. A message with no letter or digit at all (emoji,
"???") carries no request either.
"""

from __future__ import annotations

import unicodedata

__all__ = ["CODE_SHARE", "code_share", "is_noise"]

# Measured on the shared question sets (informal and formal, es and en): no question reaches 0.15;
# SQL statements and code lines start around 0.35.
CODE_SHARE = 0.3
_CODE_CHARS = frozenset("{}[]<>=;*$`|\\^~_")
_SQL_WORDS = frozenset(
    "SELECT FROM WHERE INSERT INTO VALUES UPDATE SET DELETE DROP TABLE JOIN UNION CREATE ALTER ORDER GROUP "
    "BY LIMIT AND OR NOT NULL LIKE HAVING DISTINCT EXEC TRUNCATE".split()
)


def is_noise(text: str) -> bool:
    """True when `text` asks nothing in words: no letter or digit, or mostly code."""
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        return True
    return code_share(text) >= CODE_SHARE


def code_share(text: str) -> float:
    """The share of tokens that look like code rather than prose (0.0 for an empty text)."""
    tokens = text.split()
    if not tokens:
        return 0.0
    symbolic = [_has_code_chars(token) for token in tokens]
    # Once a message shows code punctuation, its SQL keywords count as code in any case ("select … from").
    relaxed = any(symbolic)
    return sum(1 for t, s in zip(tokens, symbolic, strict=True) if s or _sql_word(t, relaxed)) / len(tokens)


def _has_code_chars(token: str) -> bool:
    return any(ch in _CODE_CHARS for ch in token) or "--" in token or "()" in token


def _sql_word(token: str, any_case: bool) -> bool:
    word = token.strip(",.;:()'\"")
    return len(word) > 1 and (any_case or word.isupper()) and word.upper() in _SQL_WORDS
