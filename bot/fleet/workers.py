"""Who this process is among the workers sharing one database: a name that outbox claims, leases, index
snapshots and metrics all record, so an operator can tell which process did what."""

from __future__ import annotations

import os
import secrets
import socket

__all__ = ["WORKER_ID"]


def _name() -> str:
    # hostname:pid:random: the pid alone repeats across containers, the random part across pid reuse.
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


WORKER_ID = _name()


def _renamed_after_fork() -> None:
    """A forked worker is another worker: read `workers.WORKER_ID` when you use it, not at import."""
    global WORKER_ID
    WORKER_ID = _name()


os.register_at_fork(after_in_child=_renamed_after_fork)
