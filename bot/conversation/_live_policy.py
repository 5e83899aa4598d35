"""Groups and permissions that follow the config file while the server runs.

Removing someone from `payroll` must not wait for a restart: the file's modification time is looked at, at
most every `interval_s` seconds, and the groups are read again when it changed. A file that no longer
reads keeps the last good policy and says so in the log (an edit half-saved must not lock everyone out).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.tools import Policy

__all__ = ["LivePolicy"]

log = logging.getLogger(__name__)


class LivePolicy:
    def __init__(self, settings: Settings, config_file: Path | None = None, interval_s: float = 2.0) -> None:
        self._policy = Policy(settings.groups, settings.permissions)
        self._file, self._interval = config_file, interval_s
        self._mtime = self._stat()
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def current(self) -> Policy:
        if self._file is None or time.monotonic() - self._checked < self._interval:
            return self._policy
        with self._lock:
            self._checked = time.monotonic()
            mtime = self._stat()
            if mtime != self._mtime:
                self._mtime = mtime
                self._reload()
        return self._policy

    def _reload(self) -> None:
        assert self._file is not None
        try:
            fresh = load_settings(self._file)
        except ConfigError as exc:
            log.error("groups not reloaded, the previous ones stay in force: %s", exc)
            return
        self._policy = Policy(fresh.groups, fresh.permissions)
        log.info("groups and permissions reloaded from %s", self._file)

    def _stat(self) -> int | None:
        try:
            return self._file.stat().st_mtime_ns if self._file is not None else None
        except OSError:
            return None
