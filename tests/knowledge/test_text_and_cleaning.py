from knowledge._cleaning import strip_template_noise
from knowledge._text import Analyzer, detect_language, fold


def test_fold_removes_accents_and_case() -> None:
    assert fold("Días de VACACIÓN, señor") == "dias de vacacion, senor"


def test_language_detection_on_chat_messages() -> None:
    assert detect_language("cuantos dias de vacaciones tengo") == "es"
    assert detect_language("¿Puedo teletrabajar?") == "es"
    assert detect_language("How much PTO do I get?") == "en"
    assert detect_language("vpn", default="es") == "es"


def test_abbreviations_expand_before_stemming() -> None:
    analyzer = Analyzer({"x": "por", "vacas": "vacaciones"})
    assert analyzer.terms("vacas x favor", "es") == analyzer.terms("vacaciones por favor", "es")


def test_spanish_stemming_joins_inflections() -> None:
    analyzer = Analyzer()
    assert analyzer.terms("permisos", "es") == analyzer.terms("permiso", "es")


def test_liquid_tags_keep_their_visible_text() -> None:
    text = (
        'Ask in {% slack_channel "people-ops" %} or see {% page "/travel/" %}.'
        "{% comment %}hidden{% endcomment %}"
    )
    assert strip_template_noise(text) == "Ask in #people-ops or see /travel/."


def test_admonitions_and_tabs_become_plain_text() -> None:
    text = (
        '!!! tip "Book early"\n    Trains are cheaper a month ahead.\n\n=== "Spain"\n    Use Renfe.\nAfter.'
    )
    cleaned = strip_template_noise(text)
    assert "!!!" not in cleaned and "===" not in cleaned
    assert "Book early\nTrains are cheaper a month ahead." in cleaned
    assert "Spain\nUse Renfe.\nAfter." in cleaned


def test_icons_and_html_tags_are_dropped_but_text_stays() -> None:
    text = '<div class="grid"> :material-rocket-launch: **[Onboarding](a.md)** </div>'
    assert strip_template_noise(text).strip() == "**[Onboarding](a.md)**"


def test_a_table_row_is_quoted_under_its_tables_header() -> None:
    from knowledge._windows import cut_windows

    header = "| Área | Grupo | Nivel | Salario base |"
    rows = "\n".join(f"| Área 1. | {g} | 1 | {19000 - 1000 * i},00 |" for i, g in enumerate("ABCDEFG"))
    # the passage starts inside the table: the header comes from the chunk
    quotes = [q for w, q in cut_windows(rows, header) if "| Área 1. | F |" in w]
    assert quotes and all(q.startswith(header) for q in quotes)
    # a table the passage holds whole: the header is the row above the |---| rule
    whole = cut_windows(f"Importes.\n\n{header}\n|---|---|---|---|\n{rows}")
    far = [q for w, q in whole if w.startswith("| Área 1. | G |")]
    assert far and all(header in q for q in far)
    assert all(header not in q for w, q in cut_windows("Plain prose. Nothing tabular here at all."))
