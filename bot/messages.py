"""Every fixed text in one place: the command line's (English, for operators) and, in `_USER`, what users
read in each language the bot speaks (replies, tool results, the digest, the sources header)."""

from __future__ import annotations

REINDEX_DONE = "Index {snapshot}: {added} added, {updated} updated, {removed} removed, {unchanged} unchanged"
REINDEX_NOTHING = "Nothing changed: {unchanged} documents unchanged, snapshot {snapshot} keeps serving"
REINDEX_FAILED_DOC = "skipped {path}: {reason}"
REINDEX_RUNNING = (
    "A reindex is already running on worker {worker} since {since}; "
    "this one did not start. Try again when it ends."
)
REINDEX_WRITE_FAILED = (
    "The index could not be written in {path} ({reason}); the current snapshot keeps serving."
)
REINDEX_WAITING = (
    "There is no index yet and worker {worker} is building it since {since}; "
    "it is served here as soon as it is recorded."
)
EMBEDDING = "Embedding"
EMBEDDING_PROGRESS = "Embedding: {done}/{total} passages"
NO_RESULTS = "No passage matches that query."
CONFIG_ERROR = "Configuration error: {error}"
INDEX_ERROR = "Index error: {error}"
CORPUS_ERROR = "Corpus error: {error}"
EVAL_NO_QUESTIONS = "The question file {path} holds no questions."
ASK_DATABASE_ERROR = "Database error: {error}"
CHAT_WELCOME = "Backoffice Bot: ask about the norms or ask me to do something. Ctrl-D or 'exit' to leave."
CHAT_CONFIRM_PROMPT = "Confirm? [y/n] "
CHAT_SUGGESTION_PROMPT = "Does that help? [y = yes / n = talk to a person / or ask something else] "
CHAT_CASE = "Case #{case_id} opened."
DIGEST_TITLE = "Back-office digest {week}"
DIGEST_EMPTY = "No activity this week."
DIGEST_TOPICS = "Topics"
DIGEST_ESCALATIONS = "Escalations by topic"
DIGEST_GAPS = "Questions the norms could not answer"
DIGEST_STALE = "Cases open for more than {days} days"
DIGEST_MEDIANS = "Median time to first human reply: {reply}; to resolution: {resolution}"
DIGEST_CHART = "Chart written to {path}"
DIGEST_NO_CHANNEL = "No managers' channel is configured (slack.digest_channel or teams.digest_channel)."
DIGEST_POSTED = "Digest {week} posted."
DIGEST_POST_FAILED = "Digest {week} could not be posted; see the log above."
SERVE_NOTHING = (
    "Nothing to serve: configure Slack (BACKOFFICE_SLACK__BOT_TOKEN …) or Teams "
    "(BACKOFFICE_TEAMS__ENABLED=true); for a local chat use `backoffice chat`."
)
TEAMS_NO_APP_ID = "The Teams package needs the bot's app id: set teams.app_id (BACKOFFICE_TEAMS__APP_ID)."
TEAMS_PACKAGE = "Teams app package written to {path}"
SERVE_READY = "Serving on port {port}."
SERVE_STOPPED = "Stopped."
SCHEMA_NEWEST = "The database at {url} holds schema revision {current}, the newest."
SCHEMA_MISSING = "The database at {url} holds no schema yet: run `backoffice db upgrade` first."
SCHEMA_OLDER = (
    "The database at {url} holds schema revision {current}; this version needs {newest}: "
    "run `backoffice db upgrade` first (once, before starting the workers)."
)
SCHEMA_NEWER = (
    "The database at {url} holds schema revision {current}, which this version does not know (its newest "
    "is {newest}): a newer Backoffice Bot upgraded it; run that version."
)
SCHEMA_UPGRADED = "The database at {url} now holds schema revision {newest} (it held {before})."
AUDIT_EXPORTED = "{count} audit entries since {since} written to {target}."
AUDIT_BAD_SINCE = "'{value}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[+HH:MM]."
AUDIT_WRITE_ERROR = "Cannot write the audit export to {path}: {error}"

# What users read, in every language the bot speaks. Keys are stable; adapters never build sentences.
_USER: dict[str, dict[str, str]] = {
    "answer_intro": {
        "es": "Esto es lo que dice la normativa:",
        "en": "Here is what the norms say:",
    },
    "answer_more": {"es": "Más detalle en las fuentes citadas.", "en": "More detail in the cited sources."},
    "suggest_intro": {
        "es": "No estoy seguro de que esto responda a tu pregunta, pero es lo más cercano que encuentro en "
        "la normativa:",
        "en": "I'm not sure this answers your question, but it is the closest I can find in the norms:",
    },
    "suggest_yes_button": {"es": "Sí, me sirve", "en": "Yes, that helps"},
    "suggest_no_button": {
        "es": "No, quiero hablar con una persona",
        "en": "No, I'd like to talk to a person",
    },
    "suggestion_thanks": {
        "es": "¡Gracias! Me alegro de que te sirva.",
        "en": "Thanks! Glad it helped.",
    },
    "case_after_suggestion": {
        "es": "La sugerencia del turno #{turn_id} no le sirvió. Se le propuso: {sources}",
        "en": "The suggestion in turn #{turn_id} did not help. It was shown: {sources}",
    },
    "weak_evidence": {
        "es": "No encuentro en la normativa una respuesta segura a esto, así que lo paso a una persona del "
        "equipo.",
        "en": "I can't find a reliable answer to this in the norms, so I'm passing it to the team.",
    },
    "case_opened": {
        "es": "He abierto el caso #{case_id}; una persona del equipo te responderá en esta conversación.",
        "en": "I've opened case #{case_id}; someone from the team will reply in this conversation.",
    },
    "empty_message": {
        "es": "No he recibido ningún texto. ¿En qué te puedo ayudar?",
        "en": "I didn't get any text. How can I help?",
    },
    "what_do_you_need": {
        "es": "No sé qué necesitas con eso. ¿Me lo cuentas con palabras? Por ejemplo: «¿cuántos días de "
        "vacaciones tengo?» o «abre un ticket: no funciona la VPN».",
        "en": "I can't tell what you need from that. Could you say it in words? For example: “how many "
        "vacation days do I get?” or “open a ticket: the VPN is down”.",
    },
    "case_after_turn": {
        "es": "Ha pedido hablar con una persona tras la respuesta del turno #{turn_id}.",
        "en": "Asked for a person after the answer in turn #{turn_id}.",
    },
    "too_long": {
        "es": "Tu mensaje es demasiado largo ({length} caracteres; máximo {limit}). ¿Puedes resumirlo?",
        "en": "Your message is too long ({length} characters; the limit is {limit}). Could you shorten it?",
    },
    "confirm_question": {
        "es": "¿Confirmas? {summary}",
        "en": "Shall I go ahead? {summary}",
    },
    "confirm_button": {"es": "Confirmar", "en": "Confirm"},
    "cancel_button": {"es": "Cancelar", "en": "Cancel"},
    "feedback_up": {"es": "👍 Útil", "en": "👍 Helpful"},
    "feedback_down": {"es": "👎 No me sirve", "en": "👎 Not helpful"},
    "human_button": {"es": "Hablar con una persona", "en": "Talk to a human"},
    "cancelled": {"es": "Cancelado; no he hecho nada.", "en": "Cancelled; nothing was done."},
    "confirmation_expired": {
        "es": "Esa confirmación ha caducado o ya se usó; pídemelo de nuevo.",
        "en": "That confirmation has expired or was already used; please ask again.",
    },
    "confirmation_not_yours": {
        "es": "Solo quien hizo la petición puede confirmarla.",
        "en": "Only the person who made the request can confirm it.",
    },
    "denied": {
        "es": "No tienes permiso para eso ({tool}). Si crees que deberías, habla con tu responsable.",
        "en": "You don't have permission to do that ({tool}). If you think you should, ask your manager.",
    },
    "tool_failed": {
        "es": "No he podido completar la acción por un error interno; queda registrado y lo revisaremos.",
        "en": "I couldn't complete that because of an internal error; it has been logged for review.",
    },
    "rate_limited": {
        "es": "Me estás escribiendo muy rápido: más de {limit} mensajes en un minuto. Espera un momento y "
        "vuelve a preguntarme; te responderé encantado.",
        "en": "You're writing faster than I can keep up with: more than {limit} messages in a minute. "
        "Please wait a moment and ask again; I'll be glad to help.",
    },
    "database_down": {
        "es": "Ahora mismo no puedo acceder a mis datos. Inténtalo de nuevo en unos minutos.",
        "en": "I can't reach my records right now. Please try again in a few minutes.",
    },
    "index_missing": {
        "es": "Ahora no puedo buscar en la normativa: su índice falta o está dañado. Un administrador debe "
        "reindexarla (el motivo está en el registro).",
        "en": "I can't search the norms right now: their index is missing or damaged. An admin needs to "
        "run a reindex (the log says why).",
    },
    "internal_error": {
        "es": "Algo ha fallado por nuestra parte; queda registrado. Inténtalo de nuevo.",
        "en": "Something went wrong on our side; it has been logged. Please try again.",
    },
    "missing_dates": {
        "es": "¿Para qué fechas? Por ejemplo: «del 3 al 7 de marzo».",
        "en": "For which dates? For example: “March 3 to 7”.",
    },
    "missing_ticket_id": {
        "es": "¿Qué número de ticket? Por ejemplo: «ticket 42».",
        "en": "Which ticket number? For example: “ticket 42”.",
    },
    "missing_request_id": {
        "es": "¿Qué número de solicitud? Por ejemplo: «solicitud 7».",
        "en": "Which request number? For example: “request 7”.",
    },
    "missing_comment": {
        "es": "¿Qué comentario añado? Por ejemplo: «comenta en el ticket 42: sigue sin funcionar».",
        "en": "What should the comment say? For example: “comment on ticket 42: still broken”.",
    },
    "command_unknown": {
        "es": "No conozco el comando «{name}». {help}",
        "en": "I don't know the command “{name}”. {help}",
    },
    "command_denied": {
        "es": "No tienes permiso para «{name}»; queda registrado.",
        "en": "You don't have permission for “{name}”; the attempt has been logged.",
    },
    "command_help": {"es": "Puedes usar: {commands}", "en": "You can use: {commands}"},
    "help_help": {"es": "esta ayuda", "en": "this help"},
    "help_status": {"es": "estado del índice y casos abiertos", "en": "index state and open cases"},
    "help_reindex": {"es": "reindexar la normativa", "en": "reindex the norms"},
    "help_digest": {"es": "el último resumen semanal", "en": "the latest weekly digest"},
    "reindex_started": {"es": "Reindexando la normativa…", "en": "Reindexing the norms…"},
    "reindex_progress": {
        "es": "Reindexando: {done}/{total} fragmentos",
        "en": "Reindexing: {done}/{total} passages",
    },
    "reindex_done": {
        "es": "Índice {snapshot}: {added} añadidos, {updated} actualizados, {removed} eliminados, "
        "{unchanged} sin cambios, {failed} con errores.",
        "en": "Index {snapshot}: {added} added, {updated} updated, {removed} removed, {unchanged} unchanged, "
        "{failed} failed.",
    },
    "reindex_failed": {"es": "La reindexación ha fallado: {error}", "en": "Reindexing failed: {error}"},
    "index_write_failed": {
        "es": "No se ha podido escribir el índice en {path} ({reason}); se sigue usando el índice actual.",
        "en": "The index could not be written in {path} ({reason}); the current index keeps serving.",
    },
    "reindex_running": {
        "es": "Ya hay una reindexación en curso (en {worker}, desde las {since}); esta no se ha iniciado. "
        "Prueba de nuevo cuando termine.",
        "en": "A reindex is already running (on {worker}, since {since}); this one did not start. "
        "Try again when it ends.",
    },
    "status": {
        "es": "Índice: {snapshot} ({documents} documentos, {chunks} fragmentos, creado {built}). "
        "Casos abiertos: {cases}.",
        "en": "Index: {snapshot} ({documents} documents, {chunks} passages, built {built}). "
        "Open cases: {cases}.",
    },
    "status_problems": {
        "es": "{count} problemas en la última reindexación:",
        "en": "{count} problems in the last reindex:",
    },
    "status_no_index": {
        "es": "Aún no hay índice. Casos abiertos: {cases}.",
        "en": "There is no index yet. Open cases: {cases}.",
    },
    "case_claimed": {
        "es": "{human} se encarga del caso #{case_id}.",
        "en": "{human} has taken case #{case_id}.",
    },
    "case_resolved_employee": {
        "es": "Tu caso #{case_id} está resuelto. ¿Te ha servido?",
        "en": "Your case #{case_id} is resolved. Did this help?",
    },
    "case_resolved_team": {
        "es": "Caso #{case_id} resuelto por {human}.",
        "en": "Case #{case_id} resolved by {human}.",
    },
    "case_announcement": {
        "es": "Caso #{case_id} de {user}:\n>{question}\n{summary}",
        "en": "Case #{case_id} from {user}:\n>{question}\n{summary}",
    },
    "claim_button": {"es": "Me lo quedo", "en": "Claim"},
    "resolve_button": {"es": "Resolver", "en": "Resolve"},
    "human_says": {"es": "Respuesta del equipo: {text}", "en": "From the team: {text}"},
    "employee_says": {"es": "{user} escribe: {text}", "en": "{user} writes: {text}"},
    "searching": {"es": "Buscando en la normativa…", "en": "Searching the norms…"},
    "working": {
        "es": "Estoy en ello; te respondo aquí en cuanto lo tenga.",
        "en": "I'm on it; I'll answer here as soon as I have it.",
    },
    "no_reference": {
        "es": "No puedo escribir en esa conversación: instala la app en ese equipo.",
        "en": "I can't post in that conversation: install the app in that team.",
    },
    "case_not_open": {
        "es": "El caso #{case_id} no existe o ya está resuelto.",
        "en": "Case #{case_id} does not exist or is already resolved.",
    },
    "button_unknown": {
        "es": "Ese botón ya no hace nada; escríbeme lo que necesitas.",
        "en": "That button no longer does anything; just tell me what you need.",
    },
    "thanks_feedback": {"es": "¡Gracias por tu valoración!", "en": "Thanks for the feedback!"},
    "norm_proposed": {
        "es": "La respuesta del caso #{case_id} queda propuesta como norma para revisión: {path}",
        "en": "The answer to case #{case_id} is proposed as a new norm for review: {path}",
    },
    # --- tool replies -------------------------------------------------------------------------------------
    "no_knowledge_base": {
        "es": "No hay base de conocimiento configurada.",
        "en": "No knowledge base is configured.",
    },
    "index_updated": {
        "es": "Índice actualizado: {added} añadidos, {updated} actualizados, {removed} eliminados, "
        "{unchanged} sin cambios, {failed} con errores.",
        "en": "Index updated: {added} added, {updated} updated, {removed} removed, {unchanged} unchanged, "
        "{failed} failed.",
    },
    "kind_vacation": {"es": "vacaciones", "en": "vacation"},
    "kind_sick": {"es": "baja por enfermedad", "en": "sick leave"},
    "kind_personal": {"es": "asuntos propios", "en": "personal time"},
    "kind_other": {"es": "otro", "en": "other"},
    "time_off_proposal": {
        "es": "Solicitar {kind} del {start:%d/%m/%Y} al {end:%d/%m/%Y} ({days} días laborables)",
        "en": "Request {kind} from {start:%Y-%m-%d} to {end:%Y-%m-%d} ({days} working days)",
    },
    "time_off_approve_proposal": {
        "es": "Aprobar la solicitud de ausencia #{request_id}",
        "en": "Approve time-off request #{request_id}",
    },
    "time_off_reject_proposal": {
        "es": "Rechazar la solicitud de ausencia #{request_id}",
        "en": "Reject time-off request #{request_id}",
    },
    "time_off_end_before_start": {
        "es": "La fecha final es anterior a la inicial.",
        "en": "The end date is before the start.",
    },
    "time_off_in_past": {
        "es": "No se puede pedir tiempo libre en el pasado.",
        "en": "Time off can't start in the past.",
    },
    "time_off_overlap": {
        "es": "Ya tienes la solicitud #{request_id} en esas fechas.",
        "en": "Request #{request_id} already covers those dates.",
    },
    "time_off_filed": {
        "es": "Solicitud #{request_id} registrada ({days} días laborables); tu responsable la revisará.",
        "en": "Request #{request_id} filed ({days} working days); your manager will review it.",
    },
    "time_off_balance": {
        "es": "{kind}: {left} de {allowance} días disponibles",
        "en": "{kind}: {left} of {allowance} days left",
    },
    "time_off_no_pending": {
        "es": "No hay ninguna solicitud pendiente #{request_id}.",
        "en": "There is no pending request #{request_id}.",
    },
    "time_off_own_request": {
        "es": "No puedes decidir tu propia solicitud.",
        "en": "You can't decide your own request.",
    },
    "time_off_approved": {"es": "Solicitud #{request_id} aprobada.", "en": "Request #{request_id} approved."},
    "time_off_rejected": {
        "es": "Solicitud #{request_id} rechazada.",
        "en": "Request #{request_id} rejected.",
    },
    "ticket_open_proposal": {
        "es": "Abrir un ticket para {category}: «{summary}»",
        "en": "Open a ticket for {category}: “{summary}”",
    },
    "ticket_comment_proposal": {
        "es": "Comentar en el ticket #{ticket_id}: «{text}»",
        "en": "Comment on ticket #{ticket_id}: “{text}”",
    },
    "ticket_opened": {
        "es": "Ticket #{ticket_id} abierto para {category}: «{summary}». Te avisaré de los cambios.",
        "en": "Ticket #{ticket_id} opened with {category}: “{summary}”. You'll hear about changes here.",
    },
    "ticket_not_found": {
        "es": "No encuentro el ticket #{ticket_id} entre los tuyos.",
        "en": "I can't find ticket #{ticket_id} among yours.",
    },
    "ticket_status": {
        "es": "Ticket #{ticket_id} ({category}): {status}. «{summary}»{last}",
        "en": "Ticket #{ticket_id} ({category}): {status}. “{summary}”{last}",
    },
    "no_open_tickets": {"es": "No tienes tickets abiertos.", "en": "You have no open tickets."},
    "open_tickets": {"es": "Tus tickets abiertos:", "en": "Your open tickets:"},
    "ticket_commented": {
        "es": "Comentario añadido al ticket #{ticket_id}.",
        "en": "Comment added to ticket #{ticket_id}.",
    },
    # --- the weekly digest ----------------------------------------------------------------------------
    "digest_title": {
        "es": "Resumen semanal del back office · {week}",
        "en": "Back-office weekly digest · {week}",
    },
    "digest_empty": {"es": "Sin actividad esta semana.", "en": "No activity this week."},
    "digest_volume": {"es": "Volumen", "en": "Volume"},
    "digest_conversations": {"es": "Conversaciones", "en": "Conversations"},
    "digest_questions": {"es": "Consultas", "en": "Requests"},
    "digest_actions": {"es": "Acciones ejecutadas", "en": "Actions executed"},
    "digest_rate": {"es": "Resolución automática", "en": "Auto-resolution"},
    "digest_rate_note": {
        "es": "resueltas sin persona = respondidas o acción hecha, sin escalar y sin 👎, o una sugerencia "
        "que sirvió; {confirmed} con 👍, {assumed} supuestas",
        "en": "resolved without a human = answered or action done, not escalated, no 👎, or a suggestion "
        "that helped; {confirmed} confirmed by 👍, {assumed} assumed",
    },
    "digest_outcomes": {
        "es": "Consultas sobre la normativa: {answered} respondidas, {suggested} con sugerencia ({accepted} "
        "le sirvieron, {rejected} pidieron una persona, {ignored} sin respuesta), {handed_over} pasadas a "
        "una persona",
        "en": "Questions about the norms: {answered} answered, {suggested} suggested ({accepted} helped, "
        "{rejected} asked for a person, {ignored} no word back), {handed_over} handed over",
    },
    "digest_escalations": {"es": "Escalados", "en": "Escalations"},
    "digest_median_reply": {
        "es": "Mediana hasta la primera respuesta humana: {value}",
        "en": "Median time to first human reply: {value}",
    },
    "digest_median_resolution": {
        "es": "Mediana hasta la resolución: {value}",
        "en": "Median time to resolution: {value}",
    },
    "digest_stale": {
        "es": "Casos abiertos hace más de {days} días",
        "en": "Cases open for more than {days} days",
    },
    "digest_gaps": {
        "es": "Preguntas que la normativa no responde",
        "en": "Questions the norms could not answer",
    },
    "digest_feedback": {"es": "Valoraciones", "en": "Feedback"},
    "digest_worst": {"es": "Peor valoradas", "en": "Worst rated"},
    "digest_topics": {"es": "Temas", "en": "Topics"},
    "digest_platforms": {"es": "Plataformas", "en": "Platforms"},
    "digest_none": {"es": "—", "en": "—"},
    "digest_chart_auto": {"es": "Resueltas sin persona", "en": "Auto-resolved"},
    "digest_chart_escalated": {"es": "Escaladas", "en": "Escalated"},
    "digest_chart_other": {"es": "Otras", "en": "Other"},
    "digest_chart_per_day": {"es": "Consultas por día", "en": "Requests per day"},
    "digest_chart_week": {"es": "Semana {week}", "en": "Week {week}"},
    # --- what adapters show around a reply -------------------------------------------------------------
    "sources_header": {"es": "Fuentes:", "en": "Sources:"},
}


def say(key: str, lang: str, **values: object) -> str:
    """A user-facing sentence in `lang` (English when the language is not one we speak)."""
    texts = _USER[key]
    return texts.get(lang, texts["en"]).format(**values)
