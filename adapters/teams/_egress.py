"""The bot's calls out to Teams: an app token from Microsoft Entra (MSAL), then the connector's REST API.

Both honour the egress settings of the host, as the rest of the server does: the connector session reads
`HTTPS_PROXY` / `NO_PROXY` (aiohttp's `trust_env`); MSAL's `requests` session reads them too, and
`REQUESTS_CA_BUNDLE` for a private CA. MSAL is synchronous: building its client discovers the authority
over the network, so that runs in a worker thread like the token request itself."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import ChannelServiceClientFactoryBase, TurnContext
from microsoft_agents.hosting.core.authorization import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    AuthenticationConstants,
    AuthTypes,
    ClaimsIdentity,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from msal import ConfidentialClientApplication

from bot.config import TeamsSettings

_AUTH_TYPES = {"UserAssignedMSI": AuthTypes.user_managed_identity}


class AppTokens(MsalAuth):
    """The SDK's MSAL provider with its client built off the event loop, and certificate credentials
    from a thumbprint and a PEM key (the SDK itself reads only PFX files)."""

    def __init__(self, configuration: AgentAuthConfiguration, settings: TeamsSettings) -> None:
        super().__init__(configuration)
        self._thumbprint, self._key_file = settings.certificate_thumbprint, settings.certificate_key_file

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        await asyncio.to_thread(self._get_client)
        token: str = await super().get_access_token(resource_url, scopes, force_refresh)
        return token

    def _create_client_application(self, tenant_id: str | None = None) -> Any:
        credential = certificate_credential(self._thumbprint, self._key_file)
        if credential is None:
            return super()._create_client_application(tenant_id)
        return ConfidentialClientApplication(
            client_id=self._msal_configuration.CLIENT_ID,
            authority=MsalAuth._resolve_authority(self._msal_configuration, tenant_id),
            client_credential=credential,
        )


def certificate_credential(thumbprint: str, key_file: str) -> dict[str, str] | None:
    """MSAL's certificate credential, or None when the app authenticates with its password."""
    if not thumbprint:
        return None
    return {"thumbprint": thumbprint, "private_key": Path(key_file).read_text(encoding="utf-8")}


def app_tokens(settings: TeamsSettings) -> AppTokens | None:
    """The provider of the bot's own tokens; None without an app id (replies go unauthenticated)."""
    if not settings.app_id:
        return None
    single_tenant = settings.app_type == "SingleTenant" and settings.tenant_id
    configuration = AgentAuthConfiguration(
        auth_type=_AUTH_TYPES.get(settings.app_type, AuthTypes.client_secret),
        client_id=settings.app_id,
        client_secret=settings.app_password or None,
        tenant_id=settings.tenant_id if single_tenant else "botframework.com",
    )
    return AppTokens(configuration, settings)


class ConnectorClients(ChannelServiceClientFactoryBase):
    """Connector clients whose HTTP session follows the host's proxy settings and has a deadline; the
    user-token service (user sign-in) is not a feature of ours, so its client never fetches a token."""

    def __init__(self, tokens: AppTokens | None, app_id: str, timeout_s: float = 20.0) -> None:
        self._tokens, self._app_id = tokens, app_id
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        provider = AnonymousTokenProvider() if use_anonymous or self._tokens is None else self._tokens
        resource = audience or AuthenticationConstants.AGENTS_SDK_SCOPE
        token_scopes = scopes or claims_identity.get_token_scope()

        async def bearer(
            request: aiohttp.ClientRequest, send: aiohttp.ClientHandlerType
        ) -> aiohttp.ClientResponse:
            # Asked for on the first call, not per turn: an invoke answered in its HTTP response needs none.
            token = await provider.get_access_token(resource, token_scopes)
            if token:
                request.headers["Authorization"] = f"Bearer {token}"
            return await send(request)

        endpoint = service_url if service_url.endswith("/") else service_url + "/"
        session = aiohttp.ClientSession(
            base_url=endpoint, trust_env=True, timeout=self._timeout, middlewares=(bearer,)
        )
        return TeamsConnectorClient(endpoint, "", session=session)

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClient:
        return UserTokenClient(
            AuthenticationConstants.AGENTS_SDK_OAUTH_URL, "", app_id=self._app_id or "anonymous"
        )
