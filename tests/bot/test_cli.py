"""The command line over the real bundled model (slower: it loads all-MiniLM-L6-v2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import shared_or_skip

pytestmark = pytest.mark.model
runner = CliRunner()


def _run(*args: str, home: Path) -> str:
    result = runner.invoke(app, list(args), env={"BACKOFFICE_HOME": str(home)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_reindex_then_search_the_bundled_handbook(tmp_path: Path) -> None:
    out = _run("reindex", "--json", home=tmp_path)
    counts = json.loads(out)
    assert counts["added"] == 13 and counts["failed"] == 0 and counts["chunks"] > 20
    again = json.loads(_run("reindex", "--json", home=tmp_path))
    assert again["unchanged"] == 13 and again["snapshot"] is None

    hits = json.loads(
        _run("search", "cuánto me pagan de dieta si duermo fuera", "--json", "--k", "3", home=tmp_path)
    )
    assert hits[0]["doc"] == "es/gastos-y-viajes.md" and hits[0]["section"] == ["Dietas"]
    assert "60 euros" in hits[0]["text"]
    hits = json.loads(_run("search", "how much PTO do I get", "--json", home=tmp_path))
    assert hits[0]["doc"] == "en/pto-policy.md"


def test_search_as_a_user_applies_their_groups(tmp_path: Path) -> None:
    config = tmp_path / "backoffice.yaml"
    config.write_text("groups:\n  hr: ['console:ana']\n")
    _run("reindex", home=tmp_path)
    query = "bandas salariales ingeniería nivel 3"
    plain = json.loads(_run("search", query, "--json", "--k", "20", "--config", str(config), home=tmp_path))
    assert all(h["doc"] != "hr/bandas-salariales.md" for h in plain)
    as_hr = json.loads(
        _run("search", query, "--json", "--user", "console:ana", "--config", str(config), home=tmp_path)
    )
    assert as_hr[0]["doc"] == "hr/bandas-salariales.md"


def test_search_without_an_index_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["search", "vacaciones"], env={"BACKOFFICE_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert "backoffice reindex" in result.stderr


def test_eval_on_the_spanish_agreement_meets_the_retrieval_bar(tmp_path: Path) -> None:
    qa = shared_or_skip("qa", "convenio-tic-xix-es.jsonl")
    corpus = shared_or_skip("convenio-tic-xix-es")
    result = json.loads(_run("eval", "--corpus", str(corpus), "--qa", str(qa), "--json", home=tmp_path))
    assert result["n"] == 23 and result["answerable"] == 18 and result["unanswerable"] == 5
    assert result["retrieval"]["hit@5"] >= 0.90
    assert result["retrieval"]["mrr@10"] >= 0.75
    answers = result["answers"]
    assert answers["resolved_rate"] >= 0.80
    assert answers["self_served_rate"] >= answers["resolved_rate"]
    # what the agreement does not cover is suggested or handed over; at most one is answered with
    # confidence (the bar the issue sets for the informal set)
    assert answers["unanswerable_answered"] <= 1
    assert answers["false_escalation_rate"] <= 0.10


def test_eval_of_action_requests_proposes_the_right_tools(tmp_path: Path) -> None:
    qa = shared_or_skip("qa", "actions.jsonl")
    corpus = Path(__file__).resolve().parents[2] / "knowledge" / "sample_corpus"
    result = json.loads(_run("eval", "--corpus", str(corpus), "--qa", str(qa), "--json", home=tmp_path))
    assert result["actions"]["n"] == 17
    assert result["actions"]["tool_accuracy"] >= 0.90
    assert result["actions"]["args_accuracy"] >= 0.85


def test_ask_builds_the_index_on_first_use_and_prints_the_reply_as_json(tmp_path: Path) -> None:
    reply = json.loads(_run("ask", "¿Cuántos días de vacaciones tengo al año?", "--json", home=tmp_path))
    assert reply["outcome"] == "answered" and reply["lang"] == "es"
    assert "25 días" in reply["text"]
    assert reply["citations"][0]["source"] == "es/vacaciones.md"
    assert {b["kind"] for b in reply["buttons"]} >= {"feedback_up", "feedback_down"}
    escalated = json.loads(_run("ask", "Does the company pay for my gym?", "--json", home=tmp_path))
    assert escalated["escalated"] is True and escalated["case_id"] == 1


def test_chat_reads_a_pipe_and_confirms_with_y(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "How do I request time off?",
            "Open an IT ticket: my laptop does not boot",
            "y",
            "What tickets do I have open?",
        ]
    )
    result = runner.invoke(
        app, ["chat"], input=script, env={"BACKOFFICE_HOME": str(tmp_path)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "en/pto-policy.md" in out  # the first answer's citation
    assert "Ticket #1 opened with it" in out
    assert "#1 · it · open · my laptop does not boot" in out
