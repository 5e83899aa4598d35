"""Bot Framework tokens checked by the Agents SDK's validator, and refused whenever they cannot be checked.

The SDK fetches the issuer's signing keys with PyJWT's `PyJWKClient` in a worker thread, so the event loop
never waits on it. We give that client a deadline (its default is 30 s) and a TLS context built per fetch,
which makes urllib read `HTTPS_PROXY` / `NO_PROXY` and `SSL_CERT_FILE` as they are when it runs. A token
whose keys cannot be fetched is a 503 (the channel retries), any other failure a 401, a token issued for
another connector host a 403."""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Mapping
from typing import Any

from jwt import PyJWKClient, PyJWKClientConnectionError, PyJWTError
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization._entra_issuers import BOTFRAMEWORK_JWKS_URIS
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import _JwkClientCacheEntry
from yarl import URL

from bot.config import TeamsSettings

log = logging.getLogger(__name__)

PUBLIC_KEYS_URLS = tuple(BOTFRAMEWORK_JWKS_URIS.values())


class Refused(Exception):
    """A request whose token does not let it in: `status` is what the caller is answered."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class _KeysClient(PyJWKClient):
    """PyJWT's key client with a fresh default TLS context for every fetch: urllib then builds its opener
    (proxies from the environment, CA file from `SSL_CERT_FILE`) at fetch time, not once per process."""

    def fetch_data(self) -> Any:
        self.ssl_context = ssl.create_default_context()
        return super().fetch_data()


def use_signing_keys(timeout_s: float = 5.0, sources: Mapping[str, str] | None = None) -> None:
    """Set the SDK's key clients for the Bot Framework issuers; `sources` maps one of `PUBLIC_KEYS_URLS`
    to another address (a local issuer in tests). The SDK keeps these clients for the whole process."""
    cache = JwtTokenValidator._jwk_client_manager._cache
    for url in PUBLIC_KEYS_URLS:
        # Keys kept a day, as Microsoft rotates them with notice; a key id we do not know makes the
        # client look again, at most every five minutes (forged tokens cannot make it hammer the issuer).
        client = _KeysClient(
            (sources or {}).get(url, url), timeout=timeout_s, lifespan=86_400, cooldown_duration=300
        )
        cache[url] = _JwkClientCacheEntry(client, threading.Lock())


def auth_configuration(settings: TeamsSettings) -> AgentAuthConfiguration:
    """What the validator accepts: tokens for our app id; without one, anonymous local calls."""
    return AgentAuthConfiguration(
        client_id=settings.app_id or None,
        tenant_id=settings.tenant_id or None,
        anonymous_allowed=not settings.app_id,
    )


async def authenticate(
    configuration: AgentAuthConfiguration, header: str | None, service_url: str
) -> ClaimsIdentity:
    """The caller's identity from its `Authorization` header, or `Refused`."""
    validator = JwtTokenValidator(configuration)
    if not header:
        if configuration.ANONYMOUS_ALLOWED:
            return validator.get_anonymous_claims()
        raise Refused(401, "no token")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "not a bearer token")
    try:
        identity = await validator.validate_token(token.strip())
    except PyJWKClientConnectionError as exc:
        raise Refused(503, f"signing keys unavailable: {exc}") from exc
    except (PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise Refused(401, f"invalid token ({type(exc).__name__})") from exc
    claimed = str(identity.get_claim_value("serviceurl") or "")
    if claimed and not _same_host(claimed, service_url):
        # The token was issued for replies to another connector: answering would send ours elsewhere.
        raise Refused(403, "the token's serviceUrl is not the activity's")
    return identity


def _same_host(claimed: str, service_url: str) -> bool:
    try:
        return (URL(claimed).host or "").casefold() == (URL(service_url).host or "").casefold()
    except ValueError:
        return False
