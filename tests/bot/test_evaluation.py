"""How `backoffice eval` scores a reply: answered, suggested or handed over, as DESIGN.md defines them."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.evaluation import _answer_metrics, _score_question, outcome_for_question, proposed_tool
from bot.types import Action, Citation, Outcome, Reply
from knowledge._evaluation import QAItem

GOLD = "en/pto-policy.md"
PTO = QAItem(
    id="pto",
    question="How many vacation days do I get?",
    gold_docs=(GOLD,),
    gold_sections=("How much PTO you get",),
    facts=(("25",), ("working days", "business days")),
)
GYM = QAItem(id="gym", question="Do you pay for the gym?", answerable=False)
FULL = "You get 25 working days of PTO a year [1]."
HALF = "You get 25 days of PTO a year [1]."  # the second fact is missing


def cite(source: str = GOLD, section: str = "How much PTO you get") -> Citation:
    return Citation(title="Time off (PTO) policy", section=[section], source=source, snippet="")


def reply(outcome: Outcome, text: str = FULL, *citations: Citation, escalated: bool = False) -> Reply:
    return Reply(text=text, outcome=outcome, citations=list(citations), escalated=escalated)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (reply(Outcome.ANSWERED, FULL, cite()), "answered"),
        (reply(Outcome.ANSWERED, FULL), "other"),  # an answer without a source is no answer from the norms
        (reply(Outcome.SUGGESTED, FULL, cite()), "suggested"),
        (reply(Outcome.ESCALATED, "case #1", escalated=True), "escalated"),
        (reply(Outcome.SUGGESTED, FULL, cite(), escalated=True), "escalated"),  # a case says it all
        (reply(Outcome.CLARIFY, "What do you need?"), "other"),
    ],
)
def test_each_reply_ends_in_one_of_three_outcomes_or_other(given: Reply, expected: str) -> None:
    assert outcome_for_question(given) == expected


@pytest.mark.parametrize(
    ("given", "item", "marks"),
    [
        (reply(Outcome.ANSWERED, FULL, cite()), PTO, ["answerable_answered", "resolved", "first_gold"]),
        (
            reply(Outcome.ANSWERED, FULL, cite("en/onboarding.md"), cite()),
            PTO,
            ["answerable_answered", "resolved"],  # right, but it does not lead with the gold passage
        ),
        (reply(Outcome.ANSWERED, HALF, cite()), PTO, ["answerable_answered", "answered_wrong"]),
        (
            reply(Outcome.ANSWERED, FULL, cite(section="Sick days")),
            PTO,
            ["answerable_answered", "answered_wrong"],
        ),
        (reply(Outcome.SUGGESTED, FULL, cite()), PTO, ["answerable_suggested", "suggested_useful"]),
        (reply(Outcome.SUGGESTED, HALF, cite()), PTO, ["answerable_suggested"]),  # not useful, never wrong
        (reply(Outcome.ESCALATED, "case", escalated=True), PTO, ["answerable_escalated"]),
        (reply(Outcome.ANSWERED, FULL, cite()), GYM, ["unanswerable_answered"]),
        (reply(Outcome.SUGGESTED, FULL, cite()), GYM, ["unanswerable_suggested"]),
        (reply(Outcome.ESCALATED, "case", escalated=True), GYM, ["unanswerable_escalated"]),
    ],
)
def test_what_one_question_adds_to_the_tally(given: Reply, item: QAItem, marks: list[str]) -> None:
    assert _score_question(given, item) == marks


def test_the_answer_metrics_count_suggestions_apart_from_answers() -> None:
    scored = [
        (reply(Outcome.ANSWERED, FULL, cite()), PTO),  # resolved
        (reply(Outcome.ANSWERED, HALF, cite()), PTO),  # wrong
        (reply(Outcome.SUGGESTED, FULL, cite()), PTO),  # useful suggestion
        (reply(Outcome.SUGGESTED, HALF, cite()), PTO),  # a suggestion that missed: not wrong
        (reply(Outcome.ESCALATED, "case", escalated=True), PTO),  # a false escalation
        (reply(Outcome.ANSWERED, FULL, cite()), GYM),  # answered what the norms do not say: wrong
        (reply(Outcome.SUGGESTED, FULL, cite()), GYM),
        (reply(Outcome.ESCALATED, "case", escalated=True), GYM),
    ]
    tally = Counter(mark for r, item in scored for mark in _score_question(r, item))
    assert _answer_metrics(tally, answerable=5, unanswerable=3) == {
        "resolved": 1,
        "resolved_rate": 0.2,
        "wrong_answers": 2,
        "false_escalation_rate": 0.2,
        "escalation_recall": 0.3333,
        "first_source_gold_rate": 1.0,
        "suggested": 3,
        "suggested_useful": 1,
        "self_served_rate": 0.4,  # (1 resolved + 1 useful suggestion) / 5 answerable
        "unanswerable_answered": 1,
        "unanswerable_suggested": 1,
    }


def test_the_answer_metrics_of_an_empty_set_are_zero_not_an_error() -> None:
    metrics = _answer_metrics(Counter(), answerable=0, unanswerable=0)
    assert metrics["self_served_rate"] == metrics["resolved_rate"] == metrics["escalation_recall"] == 0.0


def _action(tool: str, status: str) -> Action:
    return Action(tool=tool, status=status)


@pytest.mark.parametrize(
    ("given", "tool"),
    [
        (Reply(text="", actions=[_action("open_ticket", "proposed")]), "open_ticket"),
        (Reply(text="", actions=[_action("my_tickets", "succeeded")]), "my_tickets"),
        (Reply(text="", actions=[_action("ticket_status", "failed")]), "ticket_status"),
        # a refused or cancelled action was not chosen: the first one that was counts
        (
            Reply(
                text="", actions=[_action("decide_time_off", "denied"), _action("open_ticket", "proposed")]
            ),
            "open_ticket",
        ),
        (Reply(text="", actions=[_action("open_ticket", "cancelled")], escalated=True), "escalate_to_human"),
        (Reply(text="", escalated=True, citations=[cite()]), "escalate_to_human"),  # a person over the norms
        (Reply(text="", citations=[cite()]), "search_norms"),
        (Reply(text="", actions=[_action("open_ticket", "denied")]), None),
        (Reply(text=""), None),
    ],
)
def test_the_tool_the_agent_chose(given: Reply, tool: str | None) -> None:
    assert proposed_tool(given) == tool
