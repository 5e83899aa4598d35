"""Tickets to the IT, HR, facilities and finance teams, kept in the bot's database."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sqlmodel import col, select

from bot import messages
from bot.store import Ticket, TicketComment
from bot.tools._plugin import ToolContext, ToolError, tool
from bot.types import utcnow

# Words that name each queue, for models (and the offline router) that must pick one from a request.
CATEGORY_WORDS: dict[str, list[str]] = {
    "it": [
        "it",
        "ti",
        "informatica",
        "portatil",
        "laptop",
        "ordenador",
        "computer",
        "pantalla",
        "monitor",
        "vpn",
        "password",
        "contrasena",
        "correo",
        "email",
        "software",
        "wifi",
        "teclado",
        "keyboard",
    ],
    "hr": [
        "hr",
        "rrhh",
        "recursos humanos",
        "human resources",
        "contrato",
        "contract",
        "certificado",
        "certificate",
    ],
    "facilities": [
        "facilities",
        "mantenimiento",
        "maintenance",
        "oficina",
        "office",
        "cocina",
        "kitchen",
        "bano",
        "bathroom",
        "aire acondicionado",
        "calefaccion",
        "heating",
        "fregadero",
        "sink",
        "silla",
        "chair",
        "mesa",
        "desk",
        "puerta",
        "door",
        "ascensor",
        "elevator",
        "luz",
        "light",
        "leak",
        "fuga",
        "gotea",
    ],
    "finance": [
        "finance",
        "finanzas",
        "factura",
        "invoice",
        "reembolso",
        "reimbursement",
        "gasto",
        "gastos",
        "expense",
        "expenses",
        "nomina",  # what was paid or deducted is the finance team's, the contract behind it HR's
        "payroll",
        "paycheck",
        "payslip",
        "dieta",
        "dietas",
        "per diem",
        "kilometraje",
        "mileage",
        "pago",
        "payment",
    ],
    "other": [],
}
Category = Annotated[
    Literal["it", "hr", "facilities", "finance", "other"],
    Field(json_schema_extra={"x-words": CATEGORY_WORDS, "x-fallback": "other"}),
]

TicketId = Annotated[int, Field(ge=1, json_schema_extra={"x-words": ["ticket", "incidencia", "#"]})]


def _describe_open(args: BaseModel, lang: str) -> str:
    data = args.model_dump()
    return messages.say("ticket_open_proposal", lang, category=data["category"], summary=data["summary"])


def _describe_comment(args: BaseModel, lang: str) -> str:
    data = args.model_dump()
    return messages.say("ticket_comment_proposal", lang, ticket_id=data["ticket_id"], text=data["text"])


@tool(
    permission="employee",
    confirm=True,
    summarize=_describe_open,
    examples=(
        "Mi portátil no enciende, abre un ticket a IT",
        "Open a facilities ticket: the kitchen sink is leaking",
        "Abre una incidencia: no me funciona la VPN",
        "Please open a ticket, my laptop screen is broken",
        "Raise an IT ticket: I can't log in to the VPN",
        "Crea un ticket para mantenimiento, no funciona la calefacción",
        "my laptop wont turn on, can IT take a look",
        "the printer on floor 2 is jammed again",
        # the bare request, before saying what is wrong
        "I want to open a ticket",
        "abre un ticket",
        "necesito abrir una incidencia",
        "cant log into outlook since this morning",
        "the heating in room B is broken",
        "i was charged twice for my travel expenses, can finance check",
        "need an employment certificate from HR",
        "se me ha bloqueado la cuenta del correo",
        "no me llega bien la nómina, me han descontado de más",
        "la persiana de la sala grande está rota",
        "que alguien de sistemas mire mi portátil, va lentísimo",
        "necesito un certificado de empresa para el banco",
    ),
)
def open_ticket(
    ctx: ToolContext,
    category: Category,
    summary: Annotated[str, Field(min_length=3, max_length=500)],
) -> str:
    """Open a support ticket for the requester with a team: it, hr, facilities, finance or other.
    Use it when the user asks to open, file or raise a ticket or reports something broken that a team
    must fix. Do not use it to answer questions about how a process works: search the norms instead."""
    with ctx.db.session() as s:
        ticket = Ticket(requester=ctx.requester, category=category, summary=summary)
        s.add(ticket)
        s.flush()
        number = ticket.id
    return messages.say("ticket_opened", ctx.lang, ticket_id=number, category=category, summary=summary)


def _own_ticket(ctx: ToolContext, ticket_id: int) -> Ticket:
    with ctx.db.session() as s:
        ticket = s.get(Ticket, ticket_id)
    # Someone else's ticket looks exactly like a missing one: ids must not reveal who asked for what.
    if ticket is None or (ticket.requester != ctx.requester and "admins" not in ctx.groups):
        raise ToolError(messages.say("ticket_not_found", ctx.lang, ticket_id=ticket_id))
    return ticket


@tool(
    permission="employee",
    examples=(
        "¿Cómo va el ticket 42?",
        "What's the status of ticket 1017?",
        "¿En qué estado está la incidencia 7?",
        "Any news on ticket 15?",
        "whats happening with #301",
        "is ticket 55 fixed yet",
        "status of my ticket 907 pls",
        "cómo va mi incidencia 12",
        "hay novedades del ticket 4400?",
    ),
)
def ticket_status(ctx: ToolContext, ticket_id: TicketId) -> str:
    """Show the status and latest comments of one of the requester's tickets, by its number."""
    ticket = _own_ticket(ctx, ticket_id)
    with ctx.db.session() as s:
        comments = s.exec(
            select(TicketComment).where(TicketComment.ticket_id == ticket_id).order_by(col(TicketComment.at))
        ).all()
    last = f" — {comments[-1].text}" if comments else ""
    return messages.say(
        "ticket_status",
        ctx.lang,
        ticket_id=ticket.id,
        category=ticket.category,
        status=ticket.status,
        summary=ticket.summary,
        last=last,
    )


@tool(
    permission="employee",
    examples=(
        "What tickets do I have open?",
        "¿Qué tickets tengo abiertos?",
        "List my tickets",
        "Enséñame mis incidencias",
        "show me my tickets",
        "which of my tickets are still open",
        "mis tickets",
        "qué incidencias tengo pendientes",
    ),
)
def my_tickets(ctx: ToolContext) -> str:
    """List the requester's tickets that are not closed, newest first."""
    with ctx.db.session() as s:
        tickets = s.exec(
            select(Ticket)
            .where(Ticket.requester == ctx.requester, Ticket.status != "closed")
            .order_by(col(Ticket.id).desc())
        ).all()
    if not tickets:
        return messages.say("no_open_tickets", ctx.lang)
    lines = [f"#{t.id} · {t.category} · {t.status} · {t.summary}" for t in tickets]
    return "\n".join([messages.say("open_tickets", ctx.lang), *lines])


@tool(
    permission="employee",
    confirm=True,
    summarize=_describe_comment,
    examples=(
        "Add a comment to ticket 42: still broken after a restart",
        "Comenta en el ticket 42: sigue igual",
        "Añade al ticket 8 que ya he reiniciado el equipo",
        "add to #77 that it happens on wifi too",
        "add a note to ticket 31: the screen flickers as well",
        "pon en la incidencia 9 que ya he probado otro cable",
        "quiero añadir un comentario a mi ticket",
        "I want to add a comment to a ticket",
    ),
)
def comment_ticket(
    ctx: ToolContext, ticket_id: TicketId, text: Annotated[str, Field(min_length=1, max_length=2000)]
) -> str:
    """Add a comment to one of the requester's tickets, by its number."""
    ticket = _own_ticket(ctx, ticket_id)
    with ctx.db.session() as s:
        s.add(TicketComment(ticket_id=ticket_id, author=ctx.requester, text=text))
        stored = s.get(Ticket, ticket.id)
        if stored is not None:
            stored.updated_at = utcnow()
    return messages.say("ticket_commented", ctx.lang, ticket_id=ticket_id)
