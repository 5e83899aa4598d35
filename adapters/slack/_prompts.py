"""The suggested prompts shown when an employee opens the agent: what colleagues asked about most in the
last weeks (the digest's topics: document areas, public documents only), completed from a fixed list for
a new install. Each prompt is `{title, message}` in the employee's language; at most four."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bot import Bot, messages
from bot.digest import recent_topics
from bot.types import utcnow

MAX_PROMPTS = 4
_WEEKS = 4
_FRESH_S = 600.0  # topics move over weeks: a tab opened a thousand times a day reads them a few times
_TITLE = 75
_FALLBACK = ("vacation", "per_diem", "time_off", "tickets")

Prompt = dict[str, str]


class SuggestedPrompts:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._topics: tuple[float, list[str]] | None = None  # when read, and the document areas

    async def for_user(self, platform: str, user_id: str) -> tuple[str, list[Prompt]]:
        """The title and prompts for this person, in the language they last wrote in."""
        lang = await asyncio.to_thread(self.bot.usual_language, platform, user_id)
        candidates = [_about(topic, lang) for topic in await self._recent()] + [
            {
                "title": messages.say(f"prompt_{name}_title", lang),
                "message": messages.say(f"prompt_{name}", lang),
            }
            for name in _FALLBACK
        ]
        by_title = {prompt["title"]: prompt for prompt in reversed(candidates)}  # the first of a title wins
        prompts = [prompt for prompt in candidates if by_title[prompt["title"]] is prompt]
        return messages.say("prompts_title", lang), prompts[:MAX_PROMPTS]

    async def _recent(self) -> list[str]:
        if self._topics is None or time.monotonic() - self._topics[0] > _FRESH_S:
            now = utcnow()
            # tools are left out: a prompt is offered to everyone, and not everyone may use every tool
            counted = await asyncio.to_thread(
                recent_topics, self.bot.db, now - timedelta(weeks=_WEEKS), now, MAX_PROMPTS, tools=False
            )
            self._topics = (time.monotonic(), [topic for topic, _ in counted])
        return self._topics[1]


def _about(topic: str, lang: str) -> Prompt:
    """A document area (`Title › Section`) as a question about its section."""
    name = topic.split(" › ")[-1].strip()
    return {"title": name[:_TITLE], "message": messages.say("prompt_topic", lang, topic=name)}
