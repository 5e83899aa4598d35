from knowledge._chunking import chunk_document, sections
from knowledge._documents import Document


def _doc(text: str, title: str = "Handbook") -> Document:
    return Document("h.md", title, text, "0" * 64)


def test_heading_paths_follow_the_outline() -> None:
    doc = _doc("# Handbook\n\nIntro.\n\n## Travel\n\n### Per diem\n\n60 euros.\n\n## IT\n\nLaptops.\n")
    paths = [s.path for s in sections(doc)]
    assert paths == [(), ("Travel", "Per diem"), ("IT",)]


def test_headings_inside_code_fences_are_text() -> None:
    doc = _doc("## Setup\n\n```\n# not a heading\n```\n\nDone.\n")
    assert [s.path for s in sections(doc)] == [("Setup",)]


def test_chunk_spans_point_at_the_text() -> None:
    text = "## A\n\n" + "\n\n".join(f"Paragraph {i} " + "word " * 40 for i in range(10))
    doc = _doc(text)
    chunks = chunk_document(doc, max_words=100, overlap_words=0)
    assert len(chunks) > 3
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end].strip() == chunk.text
        assert len(chunk.text.split()) <= 100
        assert chunk.heading_path == ("A",)
    assert "Paragraph 9" in chunks[-1].text


def test_overlap_carries_the_last_paragraph_forward() -> None:
    paras = [f"P{i} " + "w " * 20 for i in range(6)]
    chunks = chunk_document(_doc("\n\n".join(paras)), max_words=50, overlap_words=25)
    assert len(chunks) >= 2
    assert chunks[1].text.startswith(chunks[0].text.split("\n\n")[-1][:3])


def test_a_huge_line_is_cut_into_word_windows() -> None:
    chunks = chunk_document(_doc("x " * 1000), max_words=200, overlap_words=0)
    assert len(chunks) == 5
    assert all(len(c.text.split()) == 200 for c in chunks)


def test_citation_joins_title_and_headings() -> None:
    chunk = chunk_document(_doc("## Travel\n\n### Per diem\n\n60 euros a day."), 100, 0)[0]
    assert chunk.citation == "Handbook › Travel › Per diem"


def test_a_chunk_that_starts_inside_a_table_carries_the_tables_header_row() -> None:
    header = "| Área | Grupo | Nivel | Salario base |"
    rows = "\n".join(f"| Área {i}. | A | {i} | {19000 + i},00 € anuales brutos |" for i in range(60))
    doc = _doc(f"## Tablas salariales\n\nImportes de 2025.\n\n{header}\n|---|---|---|---|\n{rows}\n")
    chunks = chunk_document(doc, max_words=120, overlap_words=0)
    assert len(chunks) >= 3
    first, later = chunks[0], chunks[1:]
    assert header in first.text and first.table_header == ""  # it holds the header itself
    assert all(c.text.startswith("| Área") and c.table_header == header for c in later)
    assert all(header in c.search_text() for c in chunks)  # the index sees what each column means
    assert all(doc.text[c.start : c.end].strip() == c.text for c in chunks)  # spans still point at text


def test_prose_and_a_table_with_no_header_rule_carry_no_header() -> None:
    text = "## A\n\n| a | b |\n| c | d |\n\n" + "word " * 300
    assert all(c.table_header == "" for c in chunk_document(_doc(text), max_words=50, overlap_words=0))
