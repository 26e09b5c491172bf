"""Markdown to HTML (safe) and to plain text (tables aligned, lists, wrapped)."""

from __future__ import annotations

from k2publisher.render.markdown import to_html, to_text

BODY = """## Dosage

Studies used **50–180 mcg** a day of MK-7 in adults over several years, according
to a long review paper.

- MK-7 from natto
- MK-4 synthetic, used at doses up to 45 mg a day in Japan in studies of bone loss

| Form | Daily amount |
|---|---|
| MK-7 | 50–180 mcg |
| MK-4 | 45 mg |
"""


def test_html_has_gfm_table_and_escapes_raw_html() -> None:
    html = to_html(BODY + "\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n")
    assert "<table>" in html and "<td>MK-4</td>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_text_keeps_tables_aligned_and_lists_dashed_and_wraps() -> None:
    text = to_text(BODY, 60)
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert "- MK-7 from natto" in lines
    header = next(line for line in lines if line.startswith("Form"))
    row = next(line for line in lines if line.startswith("MK-4 "))
    assert header.index("Daily amount") == row.index("45 mg")
    assert "**" not in text and "|" not in text


def test_text_removes_xml_illegal_control_characters() -> None:
    assert "\x01" not in to_text("a\x01b") and "ab" in to_text("a\x01b")


def test_wide_tables_wrap_their_cells_inside_the_width() -> None:
    table = ("| Form | Common daily amount in studies | Safety evidence |\n|---|---|---|\n"
             "| MK-4 | 1–45 mg (1,000–45,000 mcg) in long Japanese trials of bone loss | "
             "No toxicity reported in two years of use |\n")
    text = to_text(table, 50)
    lines = text.rstrip("\n").splitlines()
    assert all(len(line) <= 50 for line in lines)
    assert "1–45 mg" in text and "two years" in text
    rule = next(line for line in lines if set(line) <= {"-", " "})
    assert len(rule.split()) == 3                       # still three aligned columns
