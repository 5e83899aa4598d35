"""From what happened in a turn to the `Reply`: citations numbered as the text cites them, the outcome,
and the buttons the adapter should offer."""

from __future__ import annotations

import re

from bot import messages
from bot.agent import TurnState
from bot.types import Action, Button, ButtonKind, Citation, Outcome, Reply

__all__ = ["build_reply", "buttons", "outcome_of", "plain_reply"]

_REF = re.compile(r"\[(\d{1,2})\]")
# Outcomes after which a person may still help, so the "talk to a human" button is offered.
_HELPABLE = frozenset(
    {Outcome.ANSWERED, Outcome.CLARIFY, Outcome.REFUSED, Outcome.ACTION_DONE, Outcome.ACTION_FAILED}
)


def plain_reply(key: str, lang: str, outcome: Outcome, **values: object) -> Reply:
    """A fixed sentence from the catalogue as the whole reply."""
    return Reply(text=messages.say(key, lang, **values), lang=lang, outcome=outcome)


def build_reply(state: TurnState, answer: str) -> Reply:
    """The reply for the agent's `answer`: only the passages it cites, renumbered in citation order."""
    cited = [int(n) for n in dict.fromkeys(_REF.findall(answer)) if int(n) in state.quotes]
    number: dict[str, int] = {}  # chunk id -> its 1-based place in the citations
    renumber: dict[int, int] = {}  # the model's [n] -> the citation it refers to
    citations: list[Citation] = []
    for ref in cited:
        q = state.quotes[ref]
        # the passage itself, then the pages it points to for the details
        for chunk, snippet in ((q.chunk, q.text), *((c, "") for c in q.see_also)):
            if chunk.chunk_id not in number:
                number[chunk.chunk_id] = len(citations) + 1
                citations.append(
                    Citation(
                        title=chunk.doc_title,
                        section=list(chunk.heading_path),
                        source=chunk.doc_path,
                        snippet=snippet,
                        restricted=bool(chunk.audience),
                    )
                )
        renumber[ref] = number[q.chunk.chunk_id]
    # Two quotes from one passage share its citation number, so [n] always matches the sources list.
    answer = _REF.sub(lambda m: f"[{renumber.get(int(m.group(1)), int(m.group(1)))}]", answer)
    confidence = state.confidence if state.confidence is not None else (1.0 if state.actions else 0.0)
    return Reply(
        text=answer,
        lang=state.lang,
        outcome=outcome_of(state.case_id, state.actions, bool(citations), state.suggested),
        citations=citations,
        actions=state.actions,
        escalated=state.case_id is not None,
        case_id=state.case_id,
        confidence=round(confidence, 3),
    )


def outcome_of(case_id: int | None, actions: list[Action], cited: bool, suggested: bool = False) -> Outcome:
    """What the turn achieved; a tool that only failed did nothing, so it is not `action_done`."""
    statuses = {a.status for a in actions}
    if case_id is not None:
        return Outcome.ESCALATED
    if cited and statuses <= {"proposed", "succeeded", "failed", "denied"}:
        # the norms answered; an action offered beside the answer (proposed, a look-up done or not found,
        # one the user may not run) leaves the answer standing: "60 en plantilla" is no ticket 60
        return Outcome.SUGGESTED if suggested else Outcome.ANSWERED
    if "proposed" in statuses:
        return Outcome.ACTION_PROPOSED
    if "denied" in statuses:
        return Outcome.REFUSED
    if "succeeded" in statuses:
        return Outcome.ACTION_DONE
    if "failed" in statuses:
        return Outcome.ACTION_FAILED
    return Outcome.CLARIFY


def buttons(reply: Reply) -> list[Button]:
    """Confirm/cancel for a proposal, feedback for an answer, and a way to a person where it helps."""
    lang, turn = reply.lang, str(reply.turn_id or "")
    offered: list[Button] = []
    for action in reply.actions:
        if action.status == "proposed":
            offered += [
                Button(
                    kind=ButtonKind.CONFIRM,
                    label=messages.say("confirm_button", lang),
                    value=action.confirmation_id,
                ),
                Button(
                    kind=ButtonKind.CANCEL,
                    label=messages.say("cancel_button", lang),
                    value=action.confirmation_id,
                ),
            ]
    if reply.outcome == Outcome.SUGGESTED and reply.turn_id is not None:
        # "Yes" is a 👍 on the turn; "No" opens a case that carries what was suggested.
        return offered + [
            Button(kind=ButtonKind.FEEDBACK_UP, label=messages.say("suggest_yes_button", lang), value=turn),
            Button(kind=ButtonKind.HUMAN, label=messages.say("suggest_no_button", lang), value=turn),
        ]
    if reply.outcome == Outcome.ANSWERED:
        offered += [
            Button(kind=ButtonKind.FEEDBACK_UP, label=messages.say("feedback_up", lang), value=turn),
            Button(kind=ButtonKind.FEEDBACK_DOWN, label=messages.say("feedback_down", lang), value=turn),
        ]
    if reply.outcome in _HELPABLE and reply.turn_id is not None:
        offered.append(Button(kind=ButtonKind.HUMAN, label=messages.say("human_button", lang), value=turn))
    return offered
