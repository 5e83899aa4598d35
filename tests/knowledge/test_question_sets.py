"""The question sets are data the benchmarks trust: every gold pointer must land on real text.

Covers our own informal sets (benchmarks/questions/, dev and holdout halves) and the shared informal ones.
Gold documents are checked against the corpus an item names: the combined corpus the shared script lays out
(`"corpus": "all"`) or the bundled sample handbook (`"corpus": "sample"`); no model, no index.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter, ValidationError

from benchmarks.questions.split import SETS, half_paths, read_jsonl, split, stratum
from bot.tools import CORE_TOOLS
from bot.tools.builtin import TOOLS
from knowledge import fold, sample_corpus_path
from tests.conftest import SHARED, shared_or_skip

Item = dict[str, Any]

OWN = [path for name in SETS for path in half_paths(name)]
SHARED_INFORMAL = ["informal-qa.jsonl", "informal-actions.jsonl"]
QUESTION_FIELDS = {"id", "question", "lang", "corpus", "answerable", "gold_docs", "gold_sections", "facts"}
ACTION_FIELDS = {"id", "question", "lang", "now", "expected_tool", "expected_args"}
BUILTIN = {t.name: t for t in TOOLS}
COMPANY_ZONE = ZoneInfo("Europe/Madrid")  # the zone the requests' `now` offsets are written in

_HTML_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.S | re.I)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _own() -> list[Item]:
    return [item for path in OWN for item in read_jsonl(path)]


def _shared(name: str) -> list[Item]:
    return read_jsonl(shared_or_skip("qa", name))


def _all_sets() -> Iterator[tuple[str, list[Item]]]:
    for path in OWN:
        yield path.name, read_jsonl(path)
    for name in SHARED_INFORMAL:
        if (SHARED / "qa" / name).exists():
            yield name, read_jsonl(SHARED / "qa" / name)


@pytest.fixture(scope="module")
def combined(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The combined corpus exactly as `combined-corpus.sh` lays it out for `"corpus": "all"` sets."""
    script = shared_or_skip("combined-corpus.sh")
    target = tmp_path_factory.mktemp("combined")
    subprocess.run(["bash", str(script), str(target)], check=True, capture_output=True)
    return target


def headings(text: str) -> list[tuple[int, int, str]]:
    """(line, level, title) of the Markdown headings outside code fences, cleaned like chunk headings."""
    found, in_fence = [], False
    for n, line in enumerate(text.splitlines()):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            title = re.sub(r"[*_`]", "", re.sub(r"\{#[^}]*\}", "", match.group(2))).strip()
            found.append((n, len(match.group(1)), title))
    return found


def names_heading(title: str, gold: str) -> bool:
    """The eval's rule: "Artículo 21. Vacaciones." is named by "Artículo 21" but not by "Artículo 2"."""
    t, g = fold(title).strip(), fold(gold).strip()
    return t == g or (t.startswith(g) and not re.match(r"[a-z0-9]", t[len(g) : len(g) + 1]))


def section_texts(text: str, gold: str) -> list[str]:
    """The text under each heading `gold` names, subsections included. Page titles (level 1) do not
    count: the chunker leaves the page title out of heading paths, so no chunk could ever hit them."""
    lines, found = text.splitlines(), headings(text)
    texts = []
    for k, (start, level, title) in enumerate(found):
        if level > 1 and names_heading(title, gold):
            end = next((n for n, lvl, _ in found[k + 1 :] if lvl <= level), len(lines))
            texts.append("\n".join(lines[start:end]))
    return texts


def corpus_of(item: Item, combined: Path) -> Path:
    """The folder an item's gold paths are relative to."""
    return sample_corpus_path() if item.get("corpus") == "sample" else combined


def read_doc(path: Path) -> str:
    """A gold document's text; an HTML page's <h1>-<h6> become Markdown headings, as the loader makes them."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in {".html", ".htm"}:
        text = _HTML_HEADING.sub(lambda m: f"\n{'#' * int(m.group(1))} {m.group(2).strip()}\n", text)
        text = re.sub(r"<[^>]+>", "", text)
    return text


def gold_text(item: Item, corpus: Path) -> str:
    docs = [read_doc(corpus / doc) for doc in item["gold_docs"]]
    if not item["gold_sections"]:
        return "\n".join(docs)
    return "\n".join(t for doc in docs for gold in item["gold_sections"] for t in section_texts(doc, gold))


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_own_files_hold_one_json_object_per_line(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path.name} is empty"
    for n, line in enumerate(lines, 1):
        assert isinstance(json.loads(line), dict), f"{path.name}:{n} is not a JSON object"


@pytest.mark.parametrize("name", SHARED_INFORMAL)
def test_shared_informal_files_hold_one_json_object_per_line(name: str) -> None:
    for n, line in enumerate(shared_or_skip("qa", name).read_text(encoding="utf-8").splitlines(), 1):
        assert isinstance(json.loads(line), dict), f"{name}:{n} is not a JSON object"


def test_every_item_has_its_required_fields() -> None:
    for name, items in _all_sets():
        for item in items:
            required = ACTION_FIELDS if "expected_tool" in item else QUESTION_FIELDS
            missing = required - item.keys()
            assert not missing, f"{name} {item.get('id')}: missing {sorted(missing)}"
            assert item["lang"] in {"en", "es"}, f"{name} {item['id']}: lang {item['lang']!r}"
            assert item["question"].strip(), f"{name} {item['id']}: empty question"


def test_ids_are_unique_across_every_set() -> None:
    ids = Counter(item["id"] for _, items in _all_sets() for item in items)
    assert not [i for i, n in ids.items() if n > 1]


def test_own_ids_follow_the_naming_scheme() -> None:
    pattern = re.compile(r"^(own|hb)-(en|es|un)-\d{3}$|^own-a\d{3}$")
    assert not [i["id"] for i in _own() if not pattern.match(i["id"])]
    for item in _own():
        prefix = item["id"].split("-")[0]
        if "expected_tool" in item:
            assert item["id"].startswith("own-a")
        elif not item["answerable"]:
            assert item["id"].startswith(f"{prefix}-un-")
        else:
            assert item["id"].startswith(f"{prefix}-{item['lang']}-")


def _questions() -> list[tuple[str, Item]]:
    own = [("own", i) for i in _own() if "expected_tool" not in i]
    shared = [("shared", i) for i in read_jsonl(SHARED / "qa" / "informal-qa.jsonl")]
    return own + shared


def test_answerable_gold_docs_exist_in_the_combined_corpus(combined: Path) -> None:
    for origin, item in _questions():
        if item["answerable"]:
            assert item["gold_docs"], f"{origin} {item['id']}: answerable without a gold document"
            missing = [d for d in item["gold_docs"] if not (corpus_of(item, combined) / d).is_file()]
            assert not missing, f"{origin} {item['id']}: {missing} not in its corpus"


def test_gold_sections_are_headings_of_their_gold_docs(combined: Path) -> None:
    for origin, item in _questions():
        texts = [read_doc(corpus_of(item, combined) / d) for d in item["gold_docs"]]
        for gold in item["gold_sections"]:
            assert any(section_texts(t, gold) for t in texts), f"{origin} {item['id']}: no heading {gold!r}"


def test_every_fact_group_occurs_in_the_gold_text(combined: Path) -> None:
    """Folded for case and accents, but not for line breaks: a reply quotes the passage as written."""
    for origin, item in _questions():
        text = fold(gold_text(item, corpus_of(item, combined)))
        for group in item["facts"]:
            assert group and all(isinstance(alt, str) and alt for alt in group)
            assert any(fold(alt) in text for alt in group), f"{origin} {item['id']}: none of {group} in gold"


def test_unanswerable_items_carry_no_gold() -> None:
    for _, item in _questions():
        if not item["answerable"]:
            assert item["gold_docs"] == item["gold_sections"] == item["facts"] == [], item["id"]


def _actions() -> list[Item]:
    shared = read_jsonl(SHARED / "qa" / "informal-actions.jsonl")
    return [i for i in _own() if "expected_tool" in i] + shared


def test_action_items_name_built_in_tools() -> None:
    known = set(BUILTIN) | CORE_TOOLS
    for item in _actions():
        tool = item["expected_tool"]
        assert tool is None or tool in known, f"{item['id']}: unknown tool {tool!r}"
        if tool is None:
            assert item["expected_args"] == {}, f"{item['id']}: arguments for no tool"
        assert set(item.get("user_groups", [])) <= {"managers", "admins"}, item["id"]


def test_expected_arguments_have_the_tools_types() -> None:
    """Strict JSON validation per argument: a date must be a real ISO day, an id a JSON integer."""
    for item in _actions():
        tool = BUILTIN.get(item["expected_tool"] or "")
        if tool is None:
            continue
        fields = tool.args.model_fields
        for name, value in item["expected_args"].items():
            assert name in fields, f"{item['id']}: {tool.name} has no argument {name!r}"
            try:
                TypeAdapter(fields[name].annotation).validate_json(json.dumps(value), strict=True)
            except ValidationError as exc:
                pytest.fail(f"{item['id']}: {name}={value!r} is not a valid {tool.name} argument: {exc}")


def test_time_off_ranges_do_not_run_backwards() -> None:
    for item in _actions():
        args = item["expected_args"]
        if "start" in args and "end" in args:
            assert date.fromisoformat(args["start"]) <= date.fromisoformat(args["end"]), item["id"]


def test_now_is_a_moment_in_the_company_time_zone() -> None:
    for item in _actions():
        now = datetime.fromisoformat(item["now"])
        assert now.utcoffset() in {timedelta(hours=1), timedelta(hours=2)}, f"{item['id']}: {item['now']}"
        assert now.utcoffset() == now.astimezone(COMPANY_ZONE).utcoffset(), f"{item['id']}: wrong DST offset"


def test_own_requests_are_not_in_the_past() -> None:
    """A request dated before its own `now` would test nothing but a typo."""
    for item in _own():
        if item.get("expected_tool") == "request_time_off":
            today = datetime.fromisoformat(item["now"]).date()
            assert date.fromisoformat(item["expected_args"]["start"]) >= today, item["id"]


def test_own_sets_have_the_promised_size_and_spread() -> None:
    own = _own()
    questions = [i for i in own if "expected_tool" not in i]
    answerable = Counter(i["lang"] for i in questions if i["answerable"])
    unanswerable = Counter(i["lang"] for i in questions if not i["answerable"])
    assert len(questions) >= 110 and answerable["en"] >= 40 and answerable["es"] >= 30
    assert unanswerable["en"] >= 12 and unanswerable["es"] >= 12
    assert len({d for i in questions for d in i["gold_docs"]}) >= 25, "too few distinct gold documents"
    sections = {(d, s) for i in questions for d in i["gold_docs"] for s in i["gold_sections"]}
    assert len(sections) >= 60, "too few distinct gold sections"
    actions = [i for i in own if "expected_tool" in i]
    tools = Counter(i["expected_tool"] for i in actions)
    assert len(actions) >= 64
    assert set(BUILTIN) | CORE_TOOLS | {None} <= set(tools), "every tool and the refusal are covered"
    assert len({i["now"][:10] for i in actions}) >= 20, "too few distinct `now` days"
    kinds = {i["expected_args"].get("kind") for i in actions} - {None}
    assert kinds == {"vacation", "sick", "personal", "other"}


def test_own_questions_are_not_copies_of_the_shared_ones() -> None:
    shared = {fold(i["question"]).strip() for name in SHARED_INFORMAL for i in _shared(name)}
    assert not [i["id"] for i in _own() if fold(i["question"]).strip() in shared]


@pytest.mark.parametrize("name", SETS)
def test_halves_are_the_seeded_stratified_split(name: str) -> None:
    dev_path, holdout_path = half_paths(name)
    dev, holdout = read_jsonl(dev_path), read_jsonl(holdout_path)
    assert not {i["id"] for i in dev} & {i["id"] for i in holdout}
    assert (dev, holdout) == split(dev + holdout), "an item was moved between halves by hand"
    dev_strata, holdout_strata = Counter(map(stratum, dev)), Counter(map(stratum, holdout))
    for key in dev_strata | holdout_strata:
        assert abs(dev_strata[key] - holdout_strata[key]) <= 1, f"{name}: stratum {key} unbalanced"


def test_split_is_deterministic_and_balanced_on_its_own() -> None:
    items = [{"id": f"x{n:02d}", "lang": "en", "answerable": n % 3 > 0} for n in range(11)]
    first, second = split(items), split(list(reversed(items)))
    assert first == second
    assert abs(len(first[0]) - len(first[1])) <= 1
    assert split(items, seed=1) != split(items, seed=2)
