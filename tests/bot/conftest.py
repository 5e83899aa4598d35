from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot import Bot, IncomingMessage, Reply
from bot.config import Settings, load_settings
from knowledge import KnowledgeBase
from knowledge.testing import HashingEmbedding

GROUPS = {
    "managers": ["console:boss"],
    "admins": ["console:root"],
    "hr": ["console:helena"],
}

Ask = Callable[..., Awaitable[Reply]]


def make_settings(home: Path, corpus: Path, **overrides: Any) -> Settings:
    return load_settings(
        None,
        {
            "home": home,
            "groups": GROUPS,
            "knowledge": {"source": corpus},
            "tool_options": {"canteen": {"menu": {"tuesday": ["Lentejas", "Fruta"]}}},
            **overrides,
        },
    )


def bot_over(settings: Settings, embedder: Any) -> Bot:
    """A bot over `settings`' norms folder, indexed with the fast deterministic embedder."""
    kb = KnowledgeBase(settings.home, settings.knowledge, lambda: embedder)
    kb.reindex()
    return Bot.from_settings(settings, knowledge=kb)


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return make_settings(tmp_path / "home", corpus)


@pytest.fixture
async def bot(settings: Settings, embedder: HashingEmbedding) -> AsyncIterator[Bot]:
    """A bot over the sample handbook with the fast deterministic embedder and a fresh SQLite store."""
    bot = bot_over(settings, embedder)
    yield bot
    await bot.aclose()


@pytest.fixture
def ask(bot: Bot) -> Ask:
    async def ask(text: str, user: str = "ana", thread: str = "t1", **fields: Any) -> Reply:
        reply = await bot.ahandle(
            IncomingMessage(platform="console", user_id=user, text=text, thread_id=thread, **fields)
        )
        assert reply is not None
        return reply

    return ask
