"""Slack's AI surface for an agent: a status line while a turn runs, the answer streamed into the
conversation with Slack's own feedback buttons, and suggested prompts when the agent's tab opens.

It needs a paid plan and the `assistant:write` scope. With `slack.agent_view: auto` a workspace that
refuses it is remembered (for an hour, so an upgrade is noticed) and answered with plain messages; a
call that fails for a moment (429, 5xx, the network) sends only that reply the plain way. None of these
calls is retried here: a plain message has its own rate limit and goes out at once instead of waiting."""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack._blocks import final_blocks, stream_parts
from bot import Reply, messages

log = logging.getLogger(__name__)

AgentView = Literal["auto", "on", "off"]
# Slack's answers meaning "this workspace or install does not offer it", as opposed to "not now".
# https://docs.slack.dev/reference/methods/chat.startStream#errors (and assistant.threads.setStatus)
_REFUSALS = frozenset(
    {
        "access_denied",
        "accesslimited",
        "channel_type_not_supported",
        "deprecated_endpoint",
        "enterprise_is_restricted",
        "messages_tab_disabled",
        "method_deprecated",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "unknown_method",
    }
)
_ASK_AGAIN_AFTER_S = 3600.0


class StreamBroken(Exception):
    """The stream started (the message `ts` exists, part of the answer shows) and then failed."""

    def __init__(self, ts: str, cause: Exception) -> None:
        super().__init__(f"stream {ts} broke: {cause}")
        self.ts = ts


class AgentSurface:
    """The agent calls for one app; `offered` says whether a workspace is worth asking."""

    def __init__(self, client: AsyncWebClient, mode: AgentView, docs_url: str = "") -> None:
        self.client, self.mode, self.docs_url = client, mode, docs_url
        self._refused_at: dict[str, float] = {}  # workspace -> when it refused (monotonic clock)

    def offered(self, team: str) -> bool:
        if self.mode != "auto":
            return self.mode == "on"
        refused = self._refused_at.get(team)
        return refused is None or time.monotonic() - refused > _ASK_AGAIN_AFTER_S

    async def show_status(self, team: str, channel: str, thread_ts: str, lang: str) -> bool:
        """'Searching the norms…' under the conversation until the answer arrives; False if not shown."""
        lines = [messages.say(key, lang) for key in ("working_status", "working_reading", "working_writing")]
        return await self._call(
            team,
            self.client.assistant_threads_setStatus,
            channel_id=channel,
            thread_ts=thread_ts,
            status=lines[0],
            loading_messages=lines,
        )

    async def clear_status(self, team: str, channel: str, thread_ts: str) -> None:
        """An answer clears the status by itself; a turn that posts nothing must clear it."""
        await self._call(
            team, self.client.assistant_threads_setStatus, channel_id=channel, thread_ts=thread_ts, status=""
        )

    async def suggest(self, team: str, channel: str, prompts: list[dict[str, str]], title: str) -> bool:
        """The prompts shown when the agent opens (no thread: they belong to the whole conversation)."""
        return await self._call(
            team,
            self.client.assistant_threads_setSuggestedPrompts,
            channel_id=channel,
            prompts=prompts[:4],
            title=title,
        )

    async def stream(self, team: str, user: str, channel: str, thread_ts: str, reply: Reply) -> bool:
        """Stream `reply` (the quote first, the sources last, buttons and feedback with the last chunk).
        False when Slack would not start it (nothing shows; send the reply plainly); StreamBroken when
        it failed after starting."""
        stream = await self.client.chat_stream(
            buffer_size=1,  # every part is one call: the quote shows before the rest is sent
            channel=channel,
            thread_ts=thread_ts,
            recipient_team_id=team,
            recipient_user_id=user,
        )
        parts = stream_parts(reply, self.docs_url)
        if not parts:
            return False  # nothing to stream
        first, *rest = parts
        try:
            blocks = final_blocks(reply) or None  # Slack refuses an empty list
            await stream.append(markdown_text=first)
        except Exception as exc:  # refused, rate limited, the network…: nothing shows yet
            self._note(team, exc)
            return False
        if not stream.ts:  # a stream Slack did not open: nothing was shown
            self._note(team, None)
            return False
        try:
            for part in rest:
                await stream.append(markdown_text=part)
            await stream.stop(blocks=blocks)
        except Exception as exc:  # part of the answer shows: it is completed in place
            raise StreamBroken(stream.ts, exc) from exc
        return True

    async def _call(self, team: str, method: Any, **args: Any) -> bool:
        """The call's success; whatever goes wrong, the turn goes on without it."""
        try:
            await method(**args)
        except Exception as exc:  # refused, rate limited, the network…
            self._note(team, exc)
            return False
        return True

    def _note(self, team: str, exc: Exception | None) -> None:
        """Remember a workspace that refuses the surface (auto); a passing failure only costs this call."""
        error = _error(exc)
        refused = exc is None or error in _REFUSALS or _status(exc) == 404
        if refused and self.mode == "auto":
            if team not in self._refused_at:  # turns already under way may be refused after the first
                log.info(
                    "Slack workspace %s does not offer the agent surface (%s): plain messages", team, error
                )
                self._refused_at[team] = time.monotonic()
            return
        log.warning("a Slack agent call failed for this turn (%s); it goes on without it", error)


def _error(exc: Exception | None) -> str:
    if exc is None:
        return "no stream was opened"
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return str(data.get("error") or f"HTTP {exc.response.status_code}")
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


def _status(exc: Exception | None) -> int:
    return exc.response.status_code if isinstance(exc, SlackApiError) else 0
