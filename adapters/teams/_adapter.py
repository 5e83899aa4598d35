"""The Teams edge: botbuilder's `CloudAdapter` and our handler, proactive messages for cases and digests."""

from __future__ import annotations

import base64
import io
import json
import logging
from pathlib import Path

import jwt
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botframework.connector.auth import CertificateServiceClientCredentialsFactory

from adapters._outbox import OutboxWorker
from adapters.teams._auth import FailClosedAuthentication, SigningKeysUnavailable, install_signing_keys
from adapters.teams._cards import attachment, digest_card
from adapters.teams._conversations import TeamsConversations
from adapters.teams._handler import BackofficeHandler
from adapters.teams._translate import PLATFORM, shape_problem
from bot import Bot, messages
from bot.config import TeamsSettings
from bot.relay import Relay
from bot.store import Outbox

log = logging.getLogger(__name__)


class _Configuration:
    """What `ConfigurationBotFrameworkAuthentication` reads, from our settings."""

    def __init__(self, settings: TeamsSettings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.tenant_id


def _credentials(settings: TeamsSettings) -> CertificateServiceClientCredentialsFactory | None:
    """With a certificate configured, the bot authenticates with it instead of the app password."""
    if not settings.certificate_thumbprint:
        return None
    return CertificateServiceClientCredentialsFactory(
        settings.certificate_thumbprint,
        Path(settings.certificate_key_file).read_text(encoding="utf-8"),
        settings.app_id,
        settings.tenant_id or None,
    )


class TeamsAdapter:
    def __init__(
        self,
        bot: Bot,
        settings: TeamsSettings,
        *,
        language: str = "en",
        reply_deadline_s: float = 10.0,
        signing_keys_from: dict[str, str] | None = None,
        signing_keys_timeout_s: float = 5.0,
    ) -> None:
        """`signing_keys_from`: where to fetch an OpenID metadata document instead of its public URL."""
        self.bot, self.settings, self.language = bot, settings, language
        install_signing_keys(signing_keys_from, signing_keys_timeout_s)
        self.cloud = CloudAdapter(
            FailClosedAuthentication(_Configuration(settings), credentials_factory=_credentials(settings))
        )
        self.cloud.on_turn_error = self._on_error
        self.conversations = TeamsConversations(
            self.cloud, bot.db, settings.app_id, settings.human_team_channel
        )
        self.relay = Relay(bot, PLATFORM, settings.human_team_channel)
        self.outbox = OutboxWorker(bot.db, PLATFORM, self._send)
        self.handler = BackofficeHandler(
            bot,
            self.relay,
            self.conversations,
            self.outbox.wake,
            language=language,
            reply_deadline_s=reply_deadline_s,
        )
        if not settings.app_id:
            log.warning(
                "TEAMS ADAPTER WITHOUT AUTHENTICATION: no app id is configured, so requests are accepted "
                "without a Bot Framework token (fine with the Emulator on a laptop, never on a public server)"
            )

    # --- transport ------------------------------------------------------------------------------------

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_post(self.settings.path, self.handle_http)

    async def handle_http(self, request: web.Request) -> web.Response:
        """An activity the handler can act on goes to the SDK; anything else is a 4xx, decided before any
        network call (an unanswerable activity, a token that cannot be validated)."""
        try:
            problem = shape_problem(json.loads(await request.read()))
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested beyond reason
            problem = f"unreadable body ({type(exc).__name__})"
        if problem:
            log.info("refused a Teams request: %s", problem)
            return web.json_response({"error": "malformed activity"}, status=400)
        try:
            response = await self.cloud.process(request, self.handler)
        except jwt.PyJWTError as exc:  # a token that is not even a JWT: as unauthorised as no token
            log.info("refused a Teams request with an unreadable token: %s", exc)
            raise web.HTTPUnauthorized() from exc
        except SigningKeysUnavailable:
            log.warning("refused a Teams request: its token cannot be checked now (signing keys unavailable)")
            return web.json_response({"error": "authentication unavailable"}, status=503)
        except (KeyError, ValueError) as exc:
            log.info("refused a malformed Teams request: %s", exc)
            return web.json_response({"error": "malformed activity"}, status=400)
        return response or web.Response(status=201)

    async def _on_error(self, turn_context: TurnContext, error: Exception) -> None:
        log.exception("Teams turn failed", exc_info=error)
        try:
            apology = messages.say("internal_error", self.language)
            await turn_context.send_activity(MessageFactory.text(apology))
        except Exception as exc:  # the same outage (no connector token, no network) stops the apology too
            log.warning("could not tell the Teams user the turn failed: %s: %s", type(exc).__name__, exc)

    @property
    def in_flight(self) -> int:
        return self.handler.in_flight

    async def drain(self, timeout_s: float) -> int:
        return await self.handler.drain(timeout_s)

    def close(self) -> None:
        self.handler.turns.close()

    async def _send(self, item: Outbox) -> None:
        await self.relay.deliver(item, self.conversations)

    # --- the weekly digest ------------------------------------------------------------------------------

    async def post_digest(self, markdown: str, chart_png: bytes, week: str) -> None:
        if not self.settings.digest_channel:
            raise RuntimeError("teams.digest_channel is not configured")
        card = digest_card(
            markdown, "data:image/png;base64," + base64.b64encode(_small(chart_png)).decode(), week
        )
        await self.conversations.proactive(
            self.settings.digest_channel, MessageFactory.attachment(attachment(card))
        )


def _small(png: bytes, width: int = 480) -> bytes:
    """The chart shrunk for a card: Teams caps a message at 28 KB, base64 included."""
    from PIL import Image

    original = Image.open(io.BytesIO(png))
    image = original.resize((width, round(original.height * width / original.width)))
    out = io.BytesIO()
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(out, format="PNG", optimize=True)
    return out.getvalue()
