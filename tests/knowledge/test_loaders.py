from __future__ import annotations

from pathlib import Path

import docx
import pytest

from knowledge._loaders import CorpusRules, DocumentError, load_document, scan_corpus


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF with one line of text, written by hand so the test needs no PDF writer."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _load_all(root: Path) -> dict[str, object]:
    files, problems = scan_corpus(root)
    assert problems == []
    return {f.path: load_document(f) for f in files}


def test_every_supported_format_loads(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: Travel\n---\n\n## Per diem\n\n60 euros.\n")
    (tmp_path / "b.txt").write_text("Plain norms text.\n")
    (tmp_path / "c.html").write_text(
        "<html><head><title>Remote</title></head><body><h2>Who</h2><p>All.</p></body></html>"
    )
    (tmp_path / "d.pdf").write_bytes(_minimal_pdf("Expenses within 30 days"))
    word = docx.Document()
    word.add_heading("Security", level=1)
    word.add_paragraph("Use two-factor authentication.")
    word.save(str(tmp_path / "e.docx"))
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")

    docs = _load_all(tmp_path)
    assert sorted(docs) == ["a.md", "b.txt", "c.html", "d.pdf", "e.docx"]
    assert docs["a.md"].title == "Travel" and "## Per diem" in docs["a.md"].text
    assert docs["b.txt"].title == "B"
    assert docs["c.html"].title == "Remote" and "## Who" in docs["c.html"].text
    assert "Expenses within 30 days" in docs["d.pdf"].text and "# p. 1" in docs["d.pdf"].text
    assert "# Security" in docs["e.docx"].text and "two-factor" in docs["e.docx"].text


def test_access_rules_from_folder_and_front_matter(tmp_path: Path) -> None:
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / ".access.yaml").write_text("audience: [HR]\n")
    (tmp_path / "hr" / "pay.md").write_text("# Pay\n\nBands.")
    (tmp_path / "hr" / "sub").mkdir()
    (tmp_path / "hr" / "sub" / "more.md").write_text("# More\n\nText.")
    (tmp_path / "mgr.md").write_text("---\naudience: [managers, hr]\n---\n# Approvals\n\nText.")
    (tmp_path / "public.md").write_text("# Public\n\nText.")
    docs = _load_all(tmp_path)
    assert docs["hr/pay.md"].audience == {"hr"}
    assert docs["hr/sub/more.md"].audience == {"hr"}
    assert docs["mgr.md"].audience == {"managers", "hr"}
    assert docs["public.md"].audience == frozenset()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.docx", b"this is not a zip file", "cannot be parsed"),
        ("broken.pdf", b"%PDF-1.4 garbage", "cannot be parsed"),
        ("empty.md", b"---\ntitle: x\n---\n\n", "has no text"),
        ("latin1.txt", "año".encode("latin-1"), "cannot be parsed"),
        ("bad-front.md", b"---\ntitle: [unclosed\n---\ntext", "front matter"),
    ],
)
def test_a_broken_file_says_why(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    files, _ = scan_corpus(tmp_path)
    with pytest.raises(DocumentError, match=reason):
        load_document(files[0])


def test_a_broken_access_rule_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / ".access.yaml").write_text("audience: {not: a list}\n")
    (tmp_path / "x" / "doc.md").write_text("# Doc\n\nText.")
    (tmp_path / "ok.md").write_text("# Ok\n\nText.")
    files, problems = scan_corpus(tmp_path)
    assert [f.path for f in files] == ["ok.md"]
    assert problems[0][0] == "x/.access.yaml" and "audience" in problems[0][1]


def test_exclude_patterns_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "answers.md").write_text("# A\n\nanswers")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.md").write_text("# x")
    (tmp_path / "doc.md").write_text("# D\n\ntext")
    files, _ = scan_corpus(tmp_path, exclude=["qa/*"])
    assert [f.path for f in files] == ["doc.md"]


# --- nothing outside the norms folder is read (symlinks) ------------------------------------------------


def test_links_that_leave_the_norms_folder_are_skipped_with_a_reason(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash")
    (outside / "more").mkdir()
    (outside / "more" / "also.md").write_text("# Also\n\nsecret")
    root = tmp_path / "norms"
    root.mkdir()
    (root / "ok.md").write_text("# Ok\n\nText.")
    (root / "passwd.txt").symlink_to("/etc/passwd")
    (root / "secret.txt").symlink_to(outside / "secret.txt")
    (root / "linked-folder").symlink_to(outside / "more", target_is_directory=True)
    (root / "inner.md").symlink_to(root / "ok.md")  # a link that stays inside is fine
    files, problems = scan_corpus(root)
    assert [f.path for f in files] == ["inner.md", "ok.md"]
    reasons = dict(problems)
    assert set(reasons) == {"passwd.txt", "secret.txt", "linked-folder"}
    assert all("outside the norms folder" in r for r in reasons.values())


def test_a_source_given_through_a_link_or_dots_reads_only_inside_it(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "doc.md").write_text("# Doc\n\nText.")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    for given in (tmp_path / "alias", real / "sub" / ".." / "sub"):
        files, problems = scan_corpus(given)
        assert problems == [] and [f.path for f in files] == (
            ["sub/doc.md"] if given.name == "alias" else ["doc.md"]
        )


# --- access rules fail closed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        ("audiences: [hr]\n", ".access.yaml:1: unknown key `audiences`"),
        ("# only a comment\n", "empty"),
        ("", "empty"),
        ('audience: ""\n', "list of group names"),
        ("audience: []\n", "is empty"),
        ("# who\naudience: [hr]\ngroups: [payroll]\n", ".access.yaml:3: unknown key `groups`"),
        ("audience: [hr, payrol]\n", ".access.yaml:1: unknown group payrol"),
        ("- hr\n", "expected `audience"),
    ],
)
def test_an_access_rule_that_cannot_be_understood_hides_its_folder(
    tmp_path: Path, rules: str, reason: str
) -> None:
    (tmp_path / "hr" / "deep").mkdir(parents=True)
    (tmp_path / "hr" / ".access.yaml").write_text(rules)
    (tmp_path / "hr" / "pay.md").write_text("# Pay\n\nBands.")
    (tmp_path / "hr" / "deep" / "more.md").write_text("# More\n\nBands.")
    (tmp_path / "public.md").write_text("# Public\n\nText.")
    files, problems = scan_corpus(tmp_path, rules=CorpusRules(frozenset({"hr", "payroll", "managers"})))
    assert [f.path for f in files] == ["public.md"]
    ((where, why),) = problems
    assert where == "hr/.access.yaml" and reason in why and "readable by nobody" in why


def test_a_front_matter_audience_naming_an_unknown_group_is_refused(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text("---\naudience: [managrs]\n---\n# Doc\n\nText.")
    (files,), _ = scan_corpus(tmp_path)
    with pytest.raises(DocumentError, match="unknown group managrs"):
        load_document(files, CorpusRules(frozenset({"managers"})))


# --- huge documents ---------------------------------------------------------------------------------------


def test_a_document_over_the_size_limit_is_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "huge.txt").write_bytes(b"word " * 300_000)  # 1.5 MB
    (tmp_path / "small.md").write_text("# Small\n\nText.")
    rules = CorpusRules(max_document_mb=1.0)
    files, problems = scan_corpus(tmp_path, rules=rules)
    assert problems == [] and [f.path for f in files] == ["huge.txt", "small.md"]
    with pytest.raises(DocumentError, match=r"larger than 1 MiB \(knowledge.max_document_mb\)"):
        load_document(files[0], rules)
    assert load_document(files[1], rules).title == "Small"
