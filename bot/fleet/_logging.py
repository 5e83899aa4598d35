"""Log lines an operator's tools can read: one JSON object a line for `serve`, readable text on a console,
and on every line emitted during a turn that turn's correlation id.

The id lives in a context variable, so it follows the turn into every coroutine, task and
`asyncio.to_thread` call it starts, and never leaks into another turn running beside it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.types import Reply

__all__ = [
    "LogFormat",
    "configure_logging",
    "correlated",
    "current_correlation_id",
    "log_handler",
    "log_turn",
]

LogFormat = Literal["json", "text"]

_turns = logging.getLogger("bot.turns")
_CORRELATION_ID: ContextVar[str] = ContextVar("correlation_id", default="")
_JSON = "%(levelname)s %(name)s %(message)s %(correlation_id)s"


def current_correlation_id() -> str:
    """The id of the turn this code runs for, or "" outside any turn (start-up, the outbox loop)."""
    return _CORRELATION_ID.get()


@contextmanager
def correlated(correlation_id: str) -> Iterator[None]:
    """Everything logged or audited inside the block carries `correlation_id`."""
    token = _CORRELATION_ID.set(correlation_id)
    try:
        yield
    finally:
        _CORRELATION_ID.reset(token)


def log_turn(platform: str, reply: Reply, seconds: float) -> None:
    """The one line each turn leaves: what came of it and how long it took, never what was said."""
    tool = next((a.tool for a in reply.actions), "")
    latency_ms = round(seconds * 1000, 1)
    _turns.info(
        "turn on %s: %s in %.0f ms%s",
        platform,
        reply.outcome,
        latency_ms,
        f" ({tool})" if tool else "",
        extra={
            "platform": platform,
            "outcome": str(reply.outcome),
            "latency_ms": latency_ms,
            "tool": tool,
            "turn_id": reply.turn_id,
            "case_id": reply.case_id,
        },
    )


class _Correlation(logging.Filter):
    """Puts the current correlation id on every record the handler writes, whichever logger made it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _CORRELATION_ID.get()
        return True


class _Text(logging.Formatter):
    """The classic line, with the turn's id in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(turn)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        cid = getattr(record, "correlation_id", "")
        record.turn = f" [{cid}]" if cid else ""
        return super().format(record)


def log_handler(fmt: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing `fmt` lines to `stream` (stderr by default), each with its turn's correlation id."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_Correlation())
    if fmt == "json":
        # `timestamp` is ISO 8601 in UTC, what log stores sort and join on.
        handler.setFormatter(
            JsonFormatter(_JSON, timestamp="time", rename_fields={"levelname": "level", "name": "logger"})
        )
    else:
        handler.setFormatter(_Text())
    return handler


def configure_logging(fmt: LogFormat, level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Make one `fmt` handler the root logger's only one: every library's lines come out alike."""
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(log_handler(fmt, stream))
    root.setLevel(level)
