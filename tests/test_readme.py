"""The README's chat examples, asked in order in one chat over the bundled handbook with the real model:
each reply must do what the README's table says (its verb, the words it quotes, the tool it names)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import Bot, IncomingMessage, Outcome, Reply
from bot.config import load_settings
from knowledge import fold

pytestmark = pytest.mark.model

README = Path(__file__).resolve().parents[1] / "README.md"
_SECTION = "### What to try in the chat"
_ROW = re.compile(r"^\|\s*`(?P<message>[^`]+)`\s*\|(?P<does>.+)\|\s*$")
OUTCOMES = {
    "answers": Outcome.ANSWERED,
    "suggests": Outcome.SUGGESTED,
    "hands over": Outcome.ESCALATED,
    "proposes": Outcome.ACTION_PROPOSED,
    "runs": Outcome.ACTION_DONE,
    "asks": Outcome.CLARIFY,
}


@dataclass(frozen=True)
class Example:
    message: str
    outcome: Outcome
    quotes: tuple[str, ...]  # “…” in the README: words the reply must contain
    tools: tuple[str, ...]  # `…` in the README: the tool the reply proposes or runs
    confirm: bool  # "`y` confirms": the proposal is confirmed and runs


def readme_examples(text: str) -> list[Example]:
    section = text[text.index(_SECTION) :].split("\n## ", 1)[0]
    examples = []
    for line in section.splitlines():
        row = _ROW.match(line)
        if row is None:
            continue
        does = row["does"]
        verb = re.search(r"\*\*(.+?)\*\*", does)
        assert verb is not None and verb[1] in OUTCOMES, f"README row without a known verb: {line}"
        examples.append(
            Example(
                message=row["message"],
                outcome=OUTCOMES[verb[1]],
                quotes=tuple(re.findall(r"“([^”]+)”", does)),
                tools=tuple(t for t in re.findall(r"`([^`]+)`", does) if t != "y"),
                confirm="`y` confirms" in does,
            )
        )
    return examples


def test_the_readme_table_is_read_whole() -> None:
    examples = readme_examples(README.read_text(encoding="utf-8"))
    assert len(examples) >= 8
    assert {e.outcome for e in examples} >= {
        Outcome.ANSWERED,
        Outcome.SUGGESTED,
        Outcome.ESCALATED,
        Outcome.ACTION_PROPOSED,
    }


@pytest.fixture
async def handbook_bot(tmp_path: Path) -> AsyncIterator[Bot]:
    settings = load_settings(None, {"home": tmp_path})
    bot = Bot.from_settings(settings)
    assert bot.knowledge is not None
    bot.knowledge.reindex()
    yield bot
    await bot.aclose()


async def test_every_chat_example_does_what_the_readme_says(handbook_bot: Bot) -> None:
    for example in readme_examples(README.read_text(encoding="utf-8")):
        reply = await handbook_bot.ahandle(
            IncomingMessage(platform="console", user_id="reader", text=example.message, thread_id="readme")
        )
        assert reply is not None
        where = f"README example {example.message!r}: {reply.outcome} {reply.text[:200]!r}"
        assert reply.outcome == example.outcome, where
        for quote in example.quotes:
            assert fold(quote) in fold(reply.text), where
        if example.outcome in (Outcome.ANSWERED, Outcome.SUGGESTED):
            assert reply.citations, where
        if example.outcome == Outcome.ESCALATED:
            assert reply.case_id is not None, where
        for tool in example.tools:
            assert tool in _tools(reply), where
        if example.confirm:
            proposal = next(a for a in reply.actions if a.status == "proposed")
            done = await handbook_bot.aconfirm("console", "reader", proposal.confirmation_id, True)
            assert done.outcome == Outcome.ACTION_DONE, f"{where} then confirmed: {done.text!r}"


def _tools(reply: Reply) -> set[str]:
    return {a.tool for a in reply.actions}
