"""Posting to Slack: replies in threads, buttons' answers, the working indicator, and the relay's posts."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack._blocks import case_blocks, fallback_text, reply_blocks
from adapters.slack._translate import PLATFORM
from bot import Reply
from bot.conversation.relay import PLATFORM_MESSAGE
from bot.fleet import outbox as queue
from bot.store import Database

log = logging.getLogger(__name__)
_WORKING = "eyes"


class SlackPoster:
    """Everything the Slack edge sends; a reply Slack cannot take now is kept in the outbox."""

    def __init__(self, client: AsyncWebClient, db: Database, human_channel: str, docs_url: str = "") -> None:
        self.client, self.db, self.human_channel, self.docs_url = client, db, human_channel, docs_url

    async def deliver(self, channel: str, thread_ts: str, reply: Reply) -> None:
        """Post the reply in the thread; if Slack cannot take it now, keep it in the outbox."""
        payload = self._post(channel, thread_ts, reply)
        try:
            await self.client.chat_postMessage(**payload)
        except Exception as exc:  # network, rate limit past retries, channel_not_found…
            log.warning("reply to %s kept for retry: %s", channel, exc)
            self._keep(payload, retry_after(exc))

    async def finish(self, channel: str, thread_ts: str, ts: str, reply: Reply) -> None:
        """A stream that broke half way becomes the whole reply, in place (nothing shows twice); if even
        that fails, the reply is kept for the thread (nothing is lost)."""
        try:
            await self.client.chat_update(
                channel=channel, ts=ts, text=fallback_text(reply), blocks=reply_blocks(reply, self.docs_url)
            )
        except Exception as exc:  # network, rate limit past retries, message_not_found…
            log.warning(
                "the broken stream %s/%s could not be completed; the reply is kept: %s", channel, ts, exc
            )
            self._keep(self._post(channel, thread_ts, reply), retry_after(exc))

    def _post(self, channel: str, thread_ts: str, reply: Reply) -> dict[str, Any]:
        return {
            "channel": channel,
            "thread_ts": thread_ts,
            "text": fallback_text(reply),
            "blocks": reply_blocks(reply, self.docs_url),
        }

    def _keep(self, post: dict[str, Any], delay_s: float | None = None) -> None:
        queue.enqueue(self.db, PLATFORM_MESSAGE, {"platform": PLATFORM, "post": post}, delay_s=delay_s)

    async def replace(self, channel: str, ts: str, reply: Reply) -> None:
        blocks = reply_blocks(reply)
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=reply.text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not update %s/%s: %s", channel, ts, exc)
            self._keep({"channel": channel, "text": reply.text, "blocks": blocks})

    async def ephemeral(self, channel: str, user: str, text: str) -> None:
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as exc:
            log.warning("ephemeral message to %s failed: %s", user, exc)

    async def react(self, method: str, channel: str, ts: str) -> None:
        try:
            await getattr(self.client, method)(channel=channel, timestamp=ts, name=_WORKING)
        except Exception as exc:  # the indicator is a courtesy; the answer must not depend on it
            log.debug("%s failed: %s", method, exc)

    # --- the relay's port (bot.conversation.relay.CasePort) ----------------------------------------------

    def mention(self, user_id: str) -> str:
        return f"<@{user_id}>"

    async def announce(self, case_id: int, text: str, lang: str) -> dict[str, str]:
        if not self.human_channel:
            raise RuntimeError("slack.human_channel is not configured")
        posted = await self.client.chat_postMessage(
            channel=self.human_channel, text=text, blocks=case_blocks(case_id, text, lang)
        )
        return {"channel": self.human_channel, "message": str(posted["ts"])}

    async def to_humans(self, where: dict[str, str], text: str) -> None:
        await self.client.chat_postMessage(channel=where["channel"], thread_ts=where["message"], text=text)

    async def to_employee(self, channel_id: str, thread_id: str, reply: Reply) -> None:
        await self.client.chat_postMessage(
            channel=channel_id, thread_ts=thread_id, text=fallback_text(reply), blocks=reply_blocks(reply)
        )

    async def send_native(self, payload: dict[str, Any]) -> None:
        await self.client.chat_postMessage(**payload)


def retry_after(exc: Exception) -> float | None:
    """Slack's `Retry-After`, when a rate-limited call says how long to wait."""
    response = getattr(exc, "response", None)
    value = (
        response.headers.get("Retry-After")
        if isinstance(exc, SlackApiError) and response is not None
        else None
    )
    try:
        return float(value) if value else None
    except ValueError:
        return None
