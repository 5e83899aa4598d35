"""Bot Framework tokens checked without ever blocking the server, and refused whenever they cannot be checked.

botbuilder validates a token with signing keys it fetches with `requests.get` (no timeout) on the event
loop, and raises IndexError for an unknown key id. The SDK looks its key sources up in
`JwtTokenExtractor.metadataCache` by OpenID metadata URL, so we put `SigningKeys` there: fetched with aiohttp
under a deadline, cached, refreshed at most every few minutes for an unknown key id. Any failure to validate
becomes a PermissionError (401); keys that cannot be fetched become `SigningKeysUnavailable` (503)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    GovernmentConstants,
    JwtTokenExtractor,
)
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

METADATA_URLS = (
    AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
)


class SigningKeysUnavailable(Exception):
    """The issuer's signing keys could not be fetched, so no token can be judged now (503, fail closed)."""


@dataclass(frozen=True)
class SigningKey:
    """What the SDK's token extractor reads from a key source."""

    public_key: Any
    endorsements: list[str] = field(default_factory=list)


class SigningKeys:
    """The keys one OpenID metadata document points to, fetched off the request path's blocking calls."""

    def __init__(
        self, metadata_url: str, *, timeout_s: float = 5.0, max_age_s: float = 86_400, retry_s: float = 300
    ) -> None:
        self.metadata_url, self.timeout_s = metadata_url, timeout_s
        self._max_age_s, self._retry_s = max_age_s, retry_s
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at = -float("inf")
        self._lock = asyncio.Lock()

    async def get(self, key_id: str | None) -> SigningKey:
        if time.monotonic() - self._fetched_at > self._max_age_s:
            await self._refresh(keep_old=True)
        key = self._keys.get(key_id or "")
        if key is None and time.monotonic() - self._fetched_at > self._retry_s:
            await self._refresh(keep_old=True)  # keys rotate: an unknown id may be a new one
            key = self._keys.get(key_id or "")
        if key is None:
            raise PermissionError("the token is signed with a key the issuer does not publish")
        return key

    async def _refresh(self, keep_old: bool) -> None:
        started = time.monotonic()
        async with self._lock:  # one fetch for every request waiting on it
            if self._fetched_at >= started:
                return
            try:
                keys = await self._fetch()
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
                log.warning("Bot Framework signing keys unavailable from %s: %r", self.metadata_url, exc)
                if keep_old and self._keys:
                    return  # keys we already trust stay good until the issuer answers again
                raise SigningKeysUnavailable(self.metadata_url) from exc
            self._keys, self._fetched_at = keys, time.monotonic()

    async def _fetch(self) -> dict[str, SigningKey]:
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(self.metadata_url) as response:
                response.raise_for_status()
                jwks_uri = (await response.json(content_type=None))["jwks_uri"]
            async with session.get(jwks_uri) as response:
                response.raise_for_status()
                published = (await response.json(content_type=None))["keys"]
        return {
            str(key["kid"]): SigningKey(
                RSAAlgorithm.from_jwk(json.dumps(key)), list(key.get("endorsements") or [])
            )
            for key in published
            if isinstance(key, dict) and key.get("kid") and key.get("kty") == "RSA"
        }


def install_signing_keys(fetch_from: dict[str, str] | None = None, timeout_s: float = 5.0) -> None:
    """Make the SDK use `SigningKeys` for every metadata URL it knows; `fetch_from` maps one of them to
    another address (a local issuer in tests)."""
    for url in METADATA_URLS:
        source = (fetch_from or {}).get(url, url)
        JwtTokenExtractor.metadataCache[url] = SigningKeys(source, timeout_s=timeout_s)


class FailClosedAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """The SDK's authentication where every way a token can fail to validate is a 401, never a 500."""

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await super().authenticate_request(activity, auth_header)
        except (PermissionError, SigningKeysUnavailable):
            raise
        except Exception as exc:  # the SDK raises bare Exception, IndexError and jwt errors for bad tokens
            log.info("refused a Teams token: %s: %s", type(exc).__name__, exc)
            raise PermissionError("invalid token") from exc
