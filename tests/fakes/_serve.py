"""Serving an aiohttp app on a free loopback port, for the fakes, the scenario tests and the benchmarks."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


@asynccontextmanager
async def serve_app(app: web.Application, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    """Yields the base URL (`http://127.0.0.1:<port>/`, https with `tls`) while the app serves."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_adapter(adapter: Any) -> AsyncIterator[str]:
    """An adapter's routes served on loopback with its outbox running, as `backoffice serve` runs them."""
    app = web.Application()
    adapter.add_routes(app)
    worker = asyncio.create_task(adapter.outbox.run(0.1))
    try:
        async with serve_app(app) as base:
            yield base
    finally:
        await adapter.outbox.stop(worker)
        adapter.close()
