"""Every fixed text the command line shows, in one place."""

from __future__ import annotations

REINDEX_DONE = "Index {snapshot}: {added} added, {updated} updated, {removed} removed, {unchanged} unchanged"
REINDEX_NOTHING = "Nothing changed: {unchanged} documents unchanged, snapshot {snapshot} keeps serving"
REINDEX_FAILED_DOC = "skipped {path}: {reason}"
EMBEDDING = "Embedding"
NO_RESULTS = "No passage matches that query."
CONFIG_ERROR = "Configuration error: {error}"
INDEX_ERROR = "Index error: {error}"
CORPUS_ERROR = "Corpus error: {error}"
EVAL_NO_QUESTIONS = "The question file {path} holds no questions."
