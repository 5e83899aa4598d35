"""The human thread: cases opened when the bot cannot resolve a request, and the relay around them."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select

from bot import audit, messages
from bot.audit import AuditEvent
from bot.store import Case, CaseMessage, Database, Outbox
from bot.types import Button, ButtonKind, Reply, clean_text, utcnow

__all__ = [
    "add_message",
    "announce",
    "case_announced_at",
    "case_in_thread",
    "claim",
    "close",
    "get_case",
    "last_human_answer",
    "link_turn",
    "open_case",
    "open_cases",
    "propose_norm",
    "resolve",
    "resolved_notice",
]


def open_case(
    db: Database,
    *,
    platform: str,
    user_id: str,
    question: str,
    summary: str,
    lang: str,
    channel_id: str = "",
    thread_id: str = "",
    topic: str = "",
    turn_id: int | None = None,
) -> int:
    """Store the case and queue its announcement to the human channel in the same transaction, so a
    failed post is retried from the outbox rather than lost."""
    with db.session() as s:
        case = Case(
            platform=platform,
            user_id=user_id,
            channel_id=channel_id,
            thread_id=thread_id,
            question=question[:4000],
            summary=summary[:4000],
            lang=lang,
            topic=topic,
            turn_id=turn_id,
        )
        s.add(case)
        s.flush()
        assert case.id is not None
        s.add(Outbox(kind="case_opened", payload={"case_id": case.id, "platform": platform}))
        case_id = case.id
    audit.record(db, f"{platform}:{user_id}", "case", AuditEvent.OPENED, {"case_id": case_id}, summary[:500])
    return case_id


def link_turn(db: Database, case_id: int, turn_id: int) -> None:
    with db.session() as s:
        case = s.get(Case, case_id)
        if case is not None:
            case.turn_id = turn_id


def claim(db: Database, case_id: int, human: str) -> Case | None:
    with db.session() as s:
        case = s.get(Case, case_id)
        if case is None or case.status == "resolved":
            return None
        case.status, case.claimed_by, case.claimed_at = "claimed", human, utcnow()
    audit.record(db, human, "case", AuditEvent.CLAIMED, {"case_id": case_id})
    return case


def add_message(db: Database, case_id: int, author: str, role: str, text: str) -> Case | None:
    """A message in the case thread (role `human`) or the employee's thread (role `employee`)."""
    text = clean_text(text)  # relayed text skips IncomingMessage: it is cleaned here, at the same edge
    with db.session() as s:
        case = s.get(Case, case_id)
        if case is None:
            return None
        s.add(CaseMessage(case_id=case_id, author=author, role=role, text=text))
        if role == "human" and case.first_human_reply_at is None:
            case.first_human_reply_at = utcnow()
        payload = {
            "case_id": case_id,
            "platform": case.platform,
            "role": role,
            "text": text,
            "author": author,
        }
        s.add(Outbox(kind="relay", payload=payload))
        return case


def resolve(db: Database, case_id: int, human: str, resolution: str = "") -> Case | None:
    with db.session() as s:
        case = s.get(Case, case_id)
        if case is None or case.status == "resolved":
            return None
        case.status, case.resolved_at, case.resolution = "resolved", utcnow(), resolution
        case.claimed_by = case.claimed_by or human
        s.add(Outbox(kind="case_resolved", payload={"case_id": case_id, "platform": case.platform}))
    audit.record(db, human, "case", AuditEvent.RESOLVED, {"case_id": case_id}, resolution[:500])
    return case


def close(db: Database, case_id: int, human: str, proposals: Path) -> tuple[Case, Path | None] | None:
    """Resolve a case with the team's last answer and propose that answer, as a file in `proposals`,
    for an admin to review before it joins the norms. None when the case is unknown or already closed."""
    answer = last_human_answer(db, case_id)
    case = resolve(db, case_id, human, answer)
    if case is None:
        return None
    return case, (propose_norm(proposals, case_id, case.question, answer) if answer else None)


def propose_norm(folder: Path, case_id: int, question: str, answer: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"case-{case_id}.md"
    path.write_text(
        f"---\ntitle: {question[:80]}\nproposed_from_case: {case_id}\n---\n\n# {question}\n\n{answer}\n",
        "utf-8",
    )
    return path


def open_cases(db: Database) -> list[Case]:
    with db.session() as s:
        return list(s.exec(select(Case).where(Case.status != "resolved").order_by(col(Case.id))).all())


def announce(db: Database, case_id: int, where: dict[str, str]) -> None:
    """Remember where the case was posted for the human team (so replies there can be relayed)."""
    with db.session() as s:
        case = s.get(Case, case_id)
        if case is not None:
            case.announcement = dict(where)


def case_in_thread(db: Database, platform: str, channel_id: str, thread_id: str) -> Case | None:
    """The unresolved case an employee's thread belongs to, if any."""
    with db.session() as s:
        return s.exec(
            select(Case)
            .where(
                Case.platform == platform,
                Case.channel_id == channel_id,
                Case.thread_id == thread_id,
                Case.status != "resolved",
            )
            .order_by(col(Case.id).desc())
        ).first()


def case_announced_at(db: Database, platform: str, channel_id: str, message_id: str) -> Case | None:
    """The case whose announcement is the message `message_id` in the human channel."""
    with db.session() as s:
        candidates = s.exec(
            select(Case)
            .where(Case.platform == platform, Case.status != "resolved")
            .order_by(col(Case.id).desc())
        ).all()
    for case in candidates:
        if case.announcement.get("channel") == channel_id and case.announcement.get("message") == message_id:
            return case
    return None


def get_case(db: Database, case_id: int) -> Case | None:
    with db.session() as s:
        return s.get(Case, case_id)


def last_human_answer(db: Database, case_id: int) -> str:
    with db.session() as s:
        message = s.exec(
            select(CaseMessage)
            .where(CaseMessage.case_id == case_id, CaseMessage.role == "human")
            .order_by(col(CaseMessage.id).desc())
        ).first()
    return message.text if message else ""


def resolved_notice(case: Case) -> Reply:
    """What the employee hears when their case is resolved: that it is, and a request for feedback."""
    buttons = []
    if case.turn_id is not None:
        buttons = [
            Button(kind=kind, label=messages.say(key, case.lang), value=str(case.turn_id))
            for kind, key in (
                (ButtonKind.FEEDBACK_UP, "feedback_up"),
                (ButtonKind.FEEDBACK_DOWN, "feedback_down"),
            )
        ]
    return Reply(
        text=messages.say("case_resolved_employee", case.lang, case_id=case.id),
        lang=case.lang,
        buttons=buttons,
    )
