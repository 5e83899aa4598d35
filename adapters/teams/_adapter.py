"""The Teams edge: botbuilder's `CloudAdapter` and our handler, proactive messages for cases and digests."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ConversationReference
from botframework.connector.auth import CertificateServiceClientCredentialsFactory

from adapters._outbox import OutboxWorker
from adapters.teams._auth import FailClosedAuthentication, SigningKeysUnavailable, install_signing_keys
from adapters.teams._cards import attachment, case_card, digest_card, reply_card
from adapters.teams._handler import BackofficeHandler
from adapters.teams._translate import PLATFORM, shape_problem
from bot import Bot, Reply, escalation, messages
from bot.commands import AdminCommands
from bot.config import TeamsSettings
from bot.store import ConversationRef, Outbox
from bot.types import utcnow

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
        self.reply_deadline_s = reply_deadline_s
        install_signing_keys(signing_keys_from, signing_keys_timeout_s)
        self.cloud = CloudAdapter(
            FailClosedAuthentication(_Configuration(settings), credentials_factory=_credentials(settings))
        )
        self.cloud.on_turn_error = self._on_error
        self.handler = BackofficeHandler(self)
        self.commands = AdminCommands(bot)
        self.outbox = OutboxWorker(bot.db, self._mine, self._deliver)
        self._background: set[asyncio.Task[Any]] = set()
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
        await turn_context.send_activity(MessageFactory.text(messages.say("internal_error", self.language)))

    # --- replies --------------------------------------------------------------------------------------

    async def send_reply(self, turn_context: TurnContext, reply: Reply) -> None:
        await turn_context.send_activity(MessageFactory.attachment(attachment(reply_card(reply))))
        if reply.escalated:
            self.wake_outbox()

    def later(self, reference: ConversationReference, task: asyncio.Future[Reply | None]) -> None:
        """Deliver a slow answer proactively, once it is ready."""
        if task.cancelled() or task.exception() is not None or task.result() is None:
            return
        reply = task.result()
        assert reply is not None
        job = asyncio.ensure_future(
            self._send(reference, MessageFactory.attachment(attachment(reply_card(reply))))
        )
        self._background.add(job)
        job.add_done_callback(self._background.discard)
        if reply.escalated:
            self.wake_outbox()

    def remember(self, activity: Activity) -> None:
        reference = TurnContext.get_conversation_reference(activity)
        with self.bot.db.session() as s:
            key = (PLATFORM, activity.conversation.id)
            stored = s.get(ConversationRef, key)
            data = reference.serialize()
            if stored is None:
                s.add(
                    ConversationRef(
                        platform=PLATFORM, conversation_id=activity.conversation.id, reference=data
                    )
                )
                # Admins copy channel ids from this line into teams.human_team_channel / digest_channel.
                log.info(
                    "new Teams conversation %s (%s)",
                    activity.conversation.id,
                    activity.conversation.name or "",
                )
            else:
                stored.reference, stored.updated_at = data, utcnow()

    def reference_for(self, conversation_id: str) -> ConversationReference | None:
        """A stored reference, or one derived from the channel's (a thread in a channel we know)."""
        base = conversation_id.split(";messageid=")[0]
        with self.bot.db.session() as s:
            stored = s.get(ConversationRef, (PLATFORM, conversation_id)) or s.get(
                ConversationRef, (PLATFORM, base)
            )
        if stored is None:
            return None
        reference = ConversationReference().deserialize(stored.reference)
        reference.conversation.id = conversation_id
        reference.activity_id = None
        return reference

    async def _send(self, reference: ConversationReference, activity: Activity) -> str:
        sent: dict[str, str] = {}

        async def callback(turn_context: TurnContext) -> None:
            # A new message in the conversation, not a reply to the synthetic continuation event.
            turn_context.activity.id = None
            response = await turn_context.send_activity(activity)
            sent["id"] = response.id if response is not None else ""

        await self.cloud.continue_conversation(reference, callback, self.settings.app_id)
        return sent.get("id", "")

    async def proactive(self, conversation_id: str, activity: Activity) -> str:
        reference = self.reference_for(conversation_id)
        if reference is None:
            raise LookupError(f"no conversation reference for {conversation_id}: install the app there first")
        return await self._send(reference, activity)

    # --- cases ----------------------------------------------------------------------------------------

    async def relay_if_in_case(self, activity: Activity, text: str) -> bool:
        conversation = activity.conversation.id
        channel, _, message = conversation.partition(";messageid=")
        db = self.bot.db
        who = f"{PLATFORM}:{activity.from_property.id}"
        if self.settings.human_team_channel and channel == self.settings.human_team_channel and message:
            case = escalation.case_announced_at(db, PLATFORM, channel, message)
            if case is not None and case.id is not None:
                escalation.add_message(db, case.id, who, "human", text)
                self.wake_outbox()
                return True
            return False
        case = escalation.case_in_thread(db, PLATFORM, conversation, message)
        if case is not None and case.id is not None:
            escalation.add_message(db, case.id, who, "employee", text)
            self.wake_outbox()
            return True
        return False

    async def case_action(self, verb: str, case_id: int, user: str, name: str) -> str:
        human = f"{PLATFORM}:{user}"
        if verb == "case_claim":
            case = escalation.claim(self.bot.db, case_id, human)
            return messages.say(
                "case_claimed", case.lang if case else self.language, human=name, case_id=case_id
            )
        closed = self.bot.close_case(human, case_id)
        if closed is None:
            return messages.say("confirmation_expired", self.language)
        self.wake_outbox()
        case, proposal = closed
        text = messages.say("case_resolved_team", case.lang, case_id=case_id, human=name)
        if proposal is not None:
            text += "\n\n" + messages.say("norm_proposed", case.lang, case_id=case_id, path=proposal)
        return text

    # --- the outbox -----------------------------------------------------------------------------------

    def wake_outbox(self) -> None:
        self.outbox.wake()

    def _mine(self, item: Outbox) -> bool:
        case_id = item.payload.get("case_id")
        case = escalation.get_case(self.bot.db, int(case_id)) if case_id else None
        return case is not None and case.platform == PLATFORM

    async def _deliver(self, item: Outbox) -> None:
        case = escalation.get_case(self.bot.db, int(item.payload["case_id"]))
        assert case is not None and case.id is not None
        lang = case.lang
        if item.kind == "case_opened":
            channel = self.settings.human_team_channel
            if not channel:
                raise RuntimeError("teams.human_team_channel is not configured")
            text = messages.say(
                "case_announcement",
                lang,
                case_id=case.id,
                user=case.user_id,
                question=case.question,
                summary=case.summary,
            )
            card = case_card(
                case.id, text, messages.say("claim_button", lang), messages.say("resolve_button", lang)
            )
            message_id = await self.proactive(channel, MessageFactory.attachment(attachment(card)))
            escalation.announce(self.bot.db, case.id, {"channel": channel, "message": message_id})
        elif item.kind == "relay" and item.payload.get("role") == "human":
            await self.proactive(
                case.channel_id,
                MessageFactory.text(messages.say("human_says", lang, text=item.payload["text"])),
            )
        elif item.kind == "relay":
            where = case.announcement
            text = messages.say("employee_says", lang, user=case.user_id, text=item.payload["text"])
            await self.proactive(
                f"{where['channel']};messageid={where['message']}", MessageFactory.text(text)
            )
        elif item.kind == "case_resolved":
            card = reply_card(escalation.resolved_notice(case))
            await self.proactive(case.channel_id, MessageFactory.attachment(attachment(card)))

    # --- the weekly digest ------------------------------------------------------------------------------

    async def post_digest(self, markdown: str, chart_png: bytes, week: str) -> None:
        if not self.settings.digest_channel:
            raise RuntimeError("teams.digest_channel is not configured")
        card = digest_card(
            markdown, "data:image/png;base64," + base64.b64encode(_small(chart_png)).decode(), week
        )
        await self.proactive(self.settings.digest_channel, MessageFactory.attachment(attachment(card)))


def _small(png: bytes, width: int = 480) -> bytes:
    """The chart shrunk for a card: Teams caps a message at 28 KB, base64 included."""
    from PIL import Image

    original = Image.open(io.BytesIO(png))
    image = original.resize((width, round(original.height * width / original.width)))
    out = io.BytesIO()
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(out, format="PNG", optimize=True)
    return out.getvalue()
