"""The Teams edge: the Agents SDK's `CloudAdapter` and our handler, proactive messages for cases, digests."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import MessageFactory, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from adapters._outbox import OutboxWorker
from adapters.teams._auth import Refused, auth_configuration, authenticate, use_signing_keys
from adapters.teams._cards import card_message, digest_card
from adapters.teams._conversations import TeamsConversations
from adapters.teams._egress import ConnectorClients, app_tokens
from adapters.teams._handler import BackofficeHandler
from adapters.teams._translate import PLATFORM, shape_problem
from bot import Bot, messages
from bot.config import TeamsSettings
from bot.conversation.relay import Relay
from bot.store import Outbox

log = logging.getLogger(__name__)


class TeamsAdapter:
    def __init__(
        self,
        bot: Bot,
        settings: TeamsSettings,
        *,
        language: str = "en",
        reply_deadline_s: float = 10.0,
        signing_keys_from: Mapping[str, str] | None = None,
        signing_keys_timeout_s: float = 5.0,
    ) -> None:
        """`signing_keys_from`: where to fetch the Bot Framework signing keys instead of their public URL."""
        self.bot, self.settings, self.language = bot, settings, language
        use_signing_keys(signing_keys_timeout_s, signing_keys_from)
        self.auth = auth_configuration(settings)
        self.cloud = CloudAdapter(
            channel_service_client_factory=ConnectorClients(app_tokens(settings), settings.app_id)
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
        """An activity the handler can act on, from a caller whose token holds, goes to the SDK; anything
        else is a 4xx (or a 503 while the signing keys cannot be fetched), decided before the turn."""
        try:
            body = json.loads(await request.read())
            problem = shape_problem(body)
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested beyond reason
            problem = f"unreadable body ({type(exc).__name__})"
        if problem:
            log.info("refused a Teams request: %s", problem)
            return web.json_response({"error": "malformed activity"}, status=400)
        try:
            identity = await authenticate(self.auth, request.headers.get("Authorization"), body["serviceUrl"])
        except Refused as refused:
            log.info("refused a Teams request (%d): %s", refused.status, refused)
            error = "authentication unavailable" if refused.status == 503 else "unauthorized"
            return web.json_response({"error": error}, status=refused.status)
        try:
            response = await self.cloud.process_request(_Checked(request, body, identity), self.handler)
        except (KeyError, ValueError) as exc:  # a field the SDK's model refuses (pydantic's errors are these)
            log.info("refused a malformed Teams request: %s", exc)
            return web.json_response({"error": "malformed activity"}, status=400)
        if response.body is not None:
            return web.json_response(response.body, status=response.status_code)
        return web.Response(status=response.status_code)

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
        await self.conversations.proactive(self.settings.digest_channel, card_message(card))


class _Checked:
    """A request as the SDK reads it, with the body already parsed and the caller already identified."""

    def __init__(self, request: web.Request, body: Any, identity: ClaimsIdentity) -> None:
        self._request, self._body, self._identity = request, body, identity
        self.method, self.headers = request.method, request.headers

    async def json(self) -> Any:
        return self._body

    def get_claims_identity(self) -> ClaimsIdentity:
        return self._identity

    def get_path_param(self, name: str) -> str:
        return self._request.match_info[name]


def _small(png: bytes, width: int = 480) -> bytes:
    """The chart shrunk for a card: Teams caps a message at 28 KB, base64 included."""
    from PIL import Image

    original = Image.open(io.BytesIO(png))
    image = original.resize((width, round(original.height * width / original.width)))
    out = io.BytesIO()
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(out, format="PNG", optimize=True)
    return out.getvalue()
