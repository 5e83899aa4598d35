"""A local Bot Framework token issuer: the OpenID metadata document, its signing keys, and tokens signed
with them (or with a key it does not publish), so the real SDK validation path runs against loopback."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes._serve import serve_app

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeIssuer:
    key: rsa.RSAPrivateKey = field(default_factory=_rsa)
    kid: str = "issuer-key-1"
    url: str = ""
    requests: int = 0  # signing-key fetches

    @property
    def metadata_url(self) -> str:
        return self.url + "v1/.well-known/openidconfiguration"

    @property
    def keys_url(self) -> str:
        return self.url + "keys"

    def token(
        self, audience: str, service_url: str, *, kid: str | None = None, key: Any = None, **claims: Any
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": BOT_FRAMEWORK_ISSUER,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + 600,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    async def metadata(self, _: web.Request) -> web.Response:
        return web.json_response({"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": self.url + "keys"})

    async def keys(self, _: web.Request) -> web.Response:
        self.requests += 1
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", endorsements=["msteams", "emulator"])
        return web.json_response({"keys": [jwk]})


@asynccontextmanager
async def fake_issuer(tls: ssl.SSLContext | None = None) -> AsyncIterator[FakeIssuer]:
    """Keys at `/keys`, also at the public path `/v1/.well-known/keys` (for a proxy to route to)."""
    issuer = FakeIssuer()
    app = web.Application()
    app.router.add_get("/v1/.well-known/openidconfiguration", issuer.metadata)
    app.router.add_get("/keys", issuer.keys)
    app.router.add_get("/v1/.well-known/keys", issuer.keys)
    async with serve_app(app, tls) as url:
        issuer.url = url
        yield issuer


def other_key() -> rsa.RSAPrivateKey:
    """A key the issuer does not publish: what a forger signs with."""
    return _rsa()


@contextmanager
def stalled_endpoint(release_after_s: float = 15.0) -> Iterator[str]:
    """A loopback URL whose server accepts the connection and never answers (a stalled network). After
    `release_after_s` the connections are reset, so a client without a timeout fails instead of hanging."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)  # the kernel completes the handshakes; nobody ever reads or writes
    release = threading.Timer(release_after_s, server.close)
    release.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1/.well-known/keys"
    finally:
        release.cancel()
        server.close()


def closed_endpoint() -> str:
    """A loopback URL where nothing listens (connection refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/.well-known/keys"
