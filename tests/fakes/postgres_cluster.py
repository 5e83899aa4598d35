"""A throwaway PostgreSQL cluster for fault tests: its own data directory and a free loopback port, so
a test can stop and start it without touching the machine's server on 5432.

PostgreSQL refuses to run as root; as root the cluster runs as the `postgres` user (else `nobody`) in a
directory that user owns (pytest's own temporary folders are closed to other users)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["ClusterUnavailable", "PostgresCluster", "throwaway_cluster"]


class ClusterUnavailable(Exception):
    """No PostgreSQL binaries here, or they refused to build a cluster: the test should skip."""


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]), None
    )
    if found is None:
        raise ClusterUnavailable(f"{name} was not found on PATH or in /usr/lib/postgresql/*/bin")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresCluster:
    def __init__(self, data: Path, port: int, user: pwd.struct_passwd | None) -> None:
        self.data, self.port, self._user = data, port, user
        self._pg_ctl = _binary("pg_ctl")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        log = str(self.data.parent / "server.log")
        self._run(self._pg_ctl, "start", "-w", "-t", "60", "-D", str(self.data), "-l", log, "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`fast`: in-flight transactions are rolled back and clients disconnected, as in a restart."""
        self._run(self._pg_ctl, "stop", "-w", "-t", "60", "-D", str(self.data), "-m", mode)

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            command,
            user=self._user.pw_uid if self._user else None,
            group=self._user.pw_gid if self._user else None,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterUnavailable(f"{' '.join(command[:2])} failed: {done.stderr.strip() or done.stdout}")


def _unprivileged() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterUnavailable("running as root and there is no postgres or nobody user to run the cluster")


@contextmanager
def throwaway_cluster() -> Iterator[PostgresCluster]:
    """A new cluster, started, with trust authentication on loopback; stopped and deleted afterwards."""
    initdb, user = _binary("initdb"), _unprivileged()
    root = Path(tempfile.mkdtemp(prefix="backoffice-pg-"))
    try:
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        cluster = PostgresCluster(root / "data", _free_port(), user)
        cluster._run(
            initdb, "-D", str(cluster.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
        )
        cluster.start()
        try:
            yield cluster
        finally:
            try:
                cluster.stop("immediate")
            except ClusterUnavailable:
                pass  # already stopped
    finally:
        shutil.rmtree(root, ignore_errors=True)
