"""Time off: employees request it and check their balance; managers approve or reject."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sqlmodel import col, select

from bot import messages
from bot.store import TimeOffRequest
from bot.tools._plugin import ToolContext, ToolError, tool
from bot.types import utcnow

KIND_WORDS: dict[str, list[str]] = {
    "sick": [
        *("sick", "ill", "unwell", "fever", "flu", "cold", "migraine", "doctor", "covid", "vomiting"),
        *(
            "enfermo",
            "enferma",
            "enfermedad",
            "baja",
            "medico",
            "fiebre",
            "gripe",
            "resfriado",
            "malo",
            "mala",
        ),
        *("migrana", "vomitos"),
    ],
    "personal": ["personal", "asuntos propios", "asunto propio", "moscoso", "errand", "recado", "tramite"],
    "vacation": [
        "vacaciones",
        "vacation",
        "holiday",
        "holidays",
        "pto",
        "dias libres",
        "day off",
        "days off",
    ],
    "other": ["otro", "other"],
}
Kind = Annotated[
    Literal["vacation", "sick", "personal", "other"],
    Field(json_schema_extra={"x-words": KIND_WORDS, "x-fallback": "vacation"}),
]
RequestId = Annotated[
    int, Field(ge=1, json_schema_extra={"x-words": ["solicitud", "request", "peticion", "#"]})
]
Approve = Annotated[
    bool,
    Field(
        json_schema_extra={
            "x-true-words": ["approve", "aprueba", "aprobar", "acepta", "aceptar", "accept", "ok"],
            "x-false-words": ["reject", "rechaza", "rechazar", "deniega", "denegar", "deny", "decline"],
        }
    ),
]
DEFAULT_BALANCE = {"vacation": 23, "personal": 3}


def working_days(start: date, end: date) -> int:
    return sum(1 for n in range((end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5)


def _kind_name(kind: str, lang: str) -> str:
    return messages.say(f"kind_{kind}", lang) if kind in KIND_WORDS else kind


def _describe_request(args: BaseModel, lang: str) -> str:
    d = args.model_dump()
    days = working_days(d["start"], d["end"])
    kind = _kind_name(d["kind"], lang)
    return messages.say("time_off_proposal", lang, kind=kind, start=d["start"], end=d["end"], days=days)


def _describe_decision(args: BaseModel, lang: str) -> str:
    d = args.model_dump()
    key = "time_off_approve_proposal" if d["approve"] else "time_off_reject_proposal"
    return messages.say(key, lang, request_id=d["request_id"])


@tool(
    permission="employee",
    confirm=True,
    summarize=_describe_request,
    examples=(
        "Quiero pedir vacaciones del 3 al 7 de marzo",
        "I'd like to take PTO from December 21 to December 31",
        "Necesito pedir un día personal el viernes",
        "I'm sick today, please log a sick day for me",
        "Book me holidays March 3-7",
        "Me cojo unos días libres del 2 al 4 de enero",
        "Estoy enfermo, hoy no voy a trabajar",
        "Request vacation days from July 1 to July 15",
        "can i take monday and tuesday off next week",
        "off tomorrow, feeling awful",
        "book me out the week of the 10th",
        "log me as out sick today pls",
        "need a personal day on friday",
        "taking thursday off for a family thing",
        # the bare request, before the dates are given: the bot asks for them
        "I want to request time off",
        "quiero pedir unos días de vacaciones",
        "apúntame vacaciones la semana que viene",
        "mañana no puedo ir, tengo gripe",
        "me pido el viernes libre",
        "quiero cogerme unos días en agosto, del 10 al 21",
        "pon que el lunes tengo asuntos propios",
        "hoy me quedo en casa malo",
    ),
)
def request_time_off(
    ctx: ToolContext,
    start: date,
    end: date,
    kind: Kind,
    note: Annotated[str, Field(max_length=500)] = "",
) -> str:
    """Request time off for the requester between two dates (inclusive): vacation, sick, personal or
    other. Use it only when the user wants to take days off on specific dates; questions about how
    time off works belong to the norms search."""
    if end < start:
        raise ToolError(messages.say("time_off_end_before_start", ctx.lang))
    if kind != "sick" and start < ctx.today:
        raise ToolError(messages.say("time_off_in_past", ctx.lang))
    with ctx.db.session() as s:
        overlapping = s.exec(
            select(TimeOffRequest).where(
                TimeOffRequest.requester == ctx.requester,
                col(TimeOffRequest.status).in_(["pending", "approved"]),
                TimeOffRequest.start <= end,
                TimeOffRequest.end >= start,
            )
        ).first()
        if overlapping is not None:
            raise ToolError(messages.say("time_off_overlap", ctx.lang, request_id=overlapping.id))
        request = TimeOffRequest(
            requester=ctx.requester, start=start, end=end, kind=kind, note=note, days=working_days(start, end)
        )
        s.add(request)
        s.flush()
        number, days = request.id, request.days
    return messages.say("time_off_filed", ctx.lang, request_id=number, days=days)


@tool(
    permission="employee",
    examples=(
        "¿Cuántos días de vacaciones me quedan?",
        "How many PTO days do I have left?",
        "¿Qué saldo de días libres tengo?",
        "What's my vacation balance?",
        "¿En qué estado están mis solicitudes de vacaciones?",
        "Show my time off requests",
        "whats my pto balance",
        "is my leave request still pending?",
        "cuántos días libres me quedan",
        "cómo van mis solicitudes de vacaciones",
        "¿sigue pendiente lo que pedí de vacaciones?",
    ),
)
def time_off_status(ctx: ToolContext) -> str:
    """Show the requester's own time-off requests this year and the days they have left."""
    year_start = date(ctx.today.year, 1, 1)
    with ctx.db.session() as s:
        requests = s.exec(
            select(TimeOffRequest)
            .where(TimeOffRequest.requester == ctx.requester, TimeOffRequest.end >= year_start)
            .order_by(col(TimeOffRequest.start))
        ).all()
    balance = {
        **DEFAULT_BALANCE,
        **{k: int(v) for k, v in ctx.options.get("time_off", {}).get("balance", {}).items()},
    }
    lines = []
    for kind, allowance in balance.items():
        used = sum(r.days for r in requests if r.kind == kind and r.status in ("pending", "approved"))
        name = _kind_name(kind, ctx.lang)
        lines.append(
            messages.say("time_off_balance", ctx.lang, kind=name, left=allowance - used, allowance=allowance)
        )
    for r in requests:
        lines.append(f"#{r.id} · {_kind_name(r.kind, ctx.lang)} · {r.start} → {r.end} · {r.status}")
    return "\n".join(lines)


@tool(
    permission="time_off.decide",
    confirm=True,
    summarize=_describe_decision,
    examples=(
        "Approve time-off request 7",
        "Rechaza la solicitud 12, no hay cobertura esa semana",
        "Aprueba la solicitud de vacaciones 31",
        "Reject request 9, we need cover that week",
        "yes approve #23",
        "decline request 40, too many people out",
        "ok a la solicitud 18",
        "deniega la petición 7",
    ),
)
def decide_time_off(
    ctx: ToolContext,
    request_id: RequestId,
    approve: Approve,
    note: Annotated[str, Field(max_length=500)] = "",
) -> str:
    """Approve (approve=true) or reject (approve=false) a pending time-off request by its number.
    Only for managers; a manager cannot decide their own request."""
    with ctx.db.session() as s:
        request = s.get(TimeOffRequest, request_id)
        if request is None or request.status != "pending":
            raise ToolError(messages.say("time_off_no_pending", ctx.lang, request_id=request_id))
        if request.requester == ctx.requester:
            raise ToolError(messages.say("time_off_own_request", ctx.lang))
        request.status = "approved" if approve else "rejected"
        request.decided_by, request.decided_at, request.decision_note = ctx.requester, utcnow(), note
    return messages.say(
        "time_off_approved" if approve else "time_off_rejected", ctx.lang, request_id=request_id
    )
