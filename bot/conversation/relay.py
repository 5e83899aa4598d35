"""Cases and buttons, once for every platform: which thread a message belongs to, what a button press
does, and what each queued post says. An adapter translates a platform event into these types and posts
what comes back through its `CasePort`; it decides nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from bot import messages
from bot.conversation import escalation
from bot.store import Case, Outbox
from bot.types import ButtonKind, Outcome, Reply

if TYPE_CHECKING:
    from bot.conversation._bot import Bot

__all__ = [
    "CASE_KINDS",
    "CaseAction",
    "CasePort",
    "PLATFORM_MESSAGE",
    "Press",
    "PressAnswer",
    "Relay",
    "Route",
    "ThreadMessage",
    "Visibility",
]

log = logging.getLogger(__name__)

PLATFORM_MESSAGE = "platform_message"  # a post in the platform's own format, kept after a failed send
CASE_KINDS = frozenset({"case_opened", "relay", "case_resolved"})


class CaseAction(StrEnum):
    """The buttons on a case announcement in the human channel."""

    CLAIM = "case_claim"
    RESOLVE = "case_resolve"


class Route(StrEnum):
    RELAYED = "relayed"  # it belonged to a case and went to the other side
    IGNORED = "ignored"  # chat among the team in the human channel: not for the bot
    ANSWER = "answer"  # a question for the bot


class Visibility(StrEnum):
    PRESSER = "presser"  # only the person who pressed (Slack: ephemeral; Teams: the card's answer)
    REPLACE = "replace"  # replaces the message that held the button
    THREAD = "thread"  # a new message in the button's thread, for everyone there


@dataclass(frozen=True)
class ThreadMessage:
    """A message as the relay needs it. `thread_id` is the parent message when it is a threaded reply,
    else ""; `conversation_id` is where the platform keys an employee's case when that is not the channel
    (Teams' per-thread conversation ids)."""

    platform: str
    user_id: str
    text: str
    channel_id: str
    thread_id: str = ""
    conversation_id: str = ""


@dataclass(frozen=True)
class Press:
    """A button pressed. `user_label` is how the platform shows that person to others."""

    platform: str
    user_id: str
    kind: str
    value: str
    user_label: str = ""
    lang: str = "en"


@dataclass(frozen=True)
class PressAnswer:
    reply: Reply
    show: Visibility
    wake_outbox: bool = False  # a post was queued (case announcement, resolution notice)


class CasePort(Protocol):
    """What an adapter posts for the relay; each method raises when the platform cannot take it now."""

    def mention(self, user_id: str) -> str: ...

    async def announce(self, case_id: int, text: str, lang: str) -> dict[str, str]:
        """Post in the human channel with claim/resolve buttons; returns where (`channel`, `message`)."""
        ...

    async def to_humans(self, where: dict[str, str], text: str) -> None: ...

    async def to_employee(self, channel_id: str, thread_id: str, reply: Reply) -> None: ...

    async def send_native(self, payload: dict[str, Any]) -> None: ...


class Relay:
    def __init__(self, bot: Bot, platform: str, human_channel: str) -> None:
        self.bot, self.platform, self.human_channel = bot, platform, human_channel

    # --- messages ---------------------------------------------------------------------------------------

    def route(self, message: ThreadMessage) -> Route:
        """Team replies in a case's thread go to the employee, an employee's follow-ups in a thread with
        an open case go to the team; other threaded talk in the human channel is the team's own."""
        route, case, role = self._find(message)
        if route == Route.RELAYED and case is not None and case.id is not None:
            escalation.add_message(
                self.bot.db, case.id, f"{self.platform}:{message.user_id}", role, message.text
            )
        elif route == Route.IGNORED:
            log.debug("a thread in the human channel that is no case: %s", message.thread_id)
        return route

    def peek(self, message: ThreadMessage) -> Route:
        """What `route` would decide, without relaying (for a platform that delivers one message twice)."""
        return self._find(message)[0]

    def _find(self, message: ThreadMessage) -> tuple[Route, Case | None, str]:
        db = self.bot.db
        if self.human_channel and message.channel_id == self.human_channel and message.thread_id:
            case = escalation.case_announced_at(db, self.platform, message.channel_id, message.thread_id)
            return (Route.IGNORED if case is None else Route.RELAYED), case, "human"
        where = message.conversation_id or message.channel_id
        case = escalation.case_in_thread(db, self.platform, where, message.thread_id)
        return (Route.ANSWER if case is None else Route.RELAYED), case, "employee"

    # --- buttons ----------------------------------------------------------------------------------------

    async def press(self, press: Press) -> PressAnswer:
        bot, kind, value = self.bot, press.kind, press.value
        if kind in (ButtonKind.CONFIRM, ButtonKind.CANCEL):
            reply = await bot.aconfirm(press.platform, press.user_id, value, kind == ButtonKind.CONFIRM)
            # Someone else pressed it: tell them, and leave the buttons for the owner.
            return PressAnswer(
                reply, Visibility.PRESSER if reply.outcome == Outcome.REFUSED else Visibility.REPLACE
            )
        if not value.isdigit():
            return self._unknown(press)
        if kind in (ButtonKind.FEEDBACK_UP, ButtonKind.FEEDBACK_DOWN):
            vote = 1 if kind == ButtonKind.FEEDBACK_UP else -1
            await bot.afeedback(press.platform, press.user_id, int(value), vote)
            return PressAnswer(self._say("thanks_feedback", press.lang), Visibility.PRESSER)
        if kind == ButtonKind.HUMAN:
            reply = await bot.arequest_human(press.platform, press.user_id, int(value))
            if reply.outcome == Outcome.REFUSED:
                return PressAnswer(reply, Visibility.PRESSER)
            return PressAnswer(reply, Visibility.THREAD, wake_outbox=True)
        if kind in (CaseAction.CLAIM, CaseAction.RESOLVE):
            return self._case_action(press, int(value))
        return self._unknown(press)

    def _case_action(self, press: Press, case_id: int) -> PressAnswer:
        human = f"{press.platform}:{press.user_id}"
        label = press.user_label or press.user_id
        if press.kind == CaseAction.CLAIM:
            case = escalation.claim(self.bot.db, case_id, human)
            if case is None:
                return PressAnswer(
                    self._say("case_not_open", press.lang, case_id=case_id), Visibility.PRESSER
                )
            return PressAnswer(
                self._say("case_claimed", case.lang, human=label, case_id=case_id), Visibility.THREAD
            )
        closed = self.bot.close_case(human, case_id)
        if closed is None:
            return PressAnswer(self._say("case_not_open", press.lang, case_id=case_id), Visibility.PRESSER)
        case, proposal = closed
        text = messages.say("case_resolved_team", case.lang, case_id=case_id, human=label)
        if proposal is not None:
            text += "\n\n" + messages.say("norm_proposed", case.lang, case_id=case_id, path=proposal)
        return PressAnswer(Reply(text=text, lang=case.lang), Visibility.THREAD, wake_outbox=True)

    def _unknown(self, press: Press) -> PressAnswer:
        log.info("a button with no action of ours was pressed: %s=%r", press.kind[:40], press.value[:40])
        return PressAnswer(self._say("button_unknown", press.lang), Visibility.PRESSER)

    @staticmethod
    def _say(key: str, lang: str, **values: object) -> Reply:
        return Reply(text=messages.say(key, lang, **values), lang=lang)

    # --- the outbox -------------------------------------------------------------------------------------

    async def deliver(self, item: Outbox, port: CasePort) -> None:
        """Send one queued post through `port`; raises when it must be tried again later."""
        if item.kind not in CASE_KINDS:
            await port.send_native(item.payload.get("post") or {})
            return
        case = escalation.get_case(self.bot.db, int(item.payload["case_id"]))
        if case is None or case.id is None:
            log.warning("outbox item %s names case %s, which does not exist", item.id, item.payload)
            return
        if item.kind == "case_opened":
            await self._announce(case, port)
        elif item.kind == "relay" and item.payload.get("role") == "human":
            reply = Reply(
                text=messages.say("human_says", case.lang, text=item.payload["text"]), lang=case.lang
            )
            await port.to_employee(case.channel_id, case.thread_id, reply)
        elif item.kind == "relay":
            author = str(item.payload.get("author", "")).removeprefix(f"{self.platform}:")
            text = messages.say(
                "employee_says", case.lang, user=port.mention(author), text=item.payload["text"]
            )
            await port.to_humans(case.announcement, text)
        else:
            await port.to_employee(case.channel_id, case.thread_id, escalation.resolved_notice(case))

    async def _announce(self, case: Case, port: CasePort) -> None:
        assert case.id is not None
        text = messages.say(
            "case_announcement",
            case.lang,
            case_id=case.id,
            user=port.mention(case.user_id),
            question=case.question,
            summary=case.summary,
        )
        where = await port.announce(case.id, text, case.lang)
        escalation.announce(self.bot.db, case.id, where)
