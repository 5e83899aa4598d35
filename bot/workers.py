"""Who this process is among the workers sharing one database: a name that outbox claims, leases, index
snapshots and metrics all record, so an operator can tell which process did what."""

from __future__ import annotations

import os
import secrets
import socket

__all__ = ["WORKER_ID"]

# hostname:pid:random: the pid alone repeats across containers, the random part across pid reuse.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
