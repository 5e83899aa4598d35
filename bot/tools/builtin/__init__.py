"""The tools every installation has: tickets, time off, and reindexing for admins."""

from bot.tools.builtin.admin import reindex_norms
from bot.tools.builtin.tickets import comment_ticket, my_tickets, open_ticket, ticket_status
from bot.tools.builtin.time_off import decide_time_off, request_time_off, time_off_status

TOOLS = [
    request_time_off,
    time_off_status,
    decide_time_off,
    open_ticket,
    ticket_status,
    my_tickets,
    comment_ticket,
    reindex_norms,
]

__all__ = ["TOOLS"]
