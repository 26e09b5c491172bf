"""Property tests: arbitrary text never crashes the importers or the queue loader.

The only exceptions allowed are the project's own (:class:`~k2publisher.errors.K2Error`
subclasses, which carry a message for the editor), and whatever an importer does produce
must pass queue validation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k2publisher.content.cleaning.citations import clean_citations, split_run
from k2publisher.content.cleaning.tables import recover
from k2publisher.content.frontmatter import split
from k2publisher.content.importers.detect import LAYOUTS, import_text
from k2publisher.content.queue import read_item
from k2publisher.content.schema import parse_item
from k2publisher.errors import K2Error

#: text that looks like the pages: headings, bullets, digits glued to words, table titles
PAGE_BITS = st.sampled_from([
    "Supplement", "Vitamin K2", "Dosage", "Side Effects", "Summary Table: Doses",
    "Answers to all your questions", "Conclusion", "Inducing Apoptosis", "Related Posts",
    "Read More", "  • Title", "    text with cancers157.", "1. Point", "MK-7 50 mcg No toxicity",
    "Links to Scientific Studies", "Pubmed", "Latest posts by A B (see all)", "# Heading",
    "## Section", "<h2>x</h2>", "<?xml version='1.0'?><rss>", "---", "id: x", "", "\n", " ",
    "Mechanism of Action", "Vitamin K2, Nootropics", "HCC5.", "D39", "1012", ":", "|", "\t",
    # chrome families and glued names of unseen pages
    "Home › Nootropics › X", "Tweet", "Facebook / X / WhatsApp", "Leave a Reply",
    "3 thoughts on “X”", "Jane D.", "March 3, 2024 at 9:12 am", "Reply", "Table of Contents",
    "1. Dosage", "References", "1. Smith J, et al. Title. J Med. 2019;12(3):45-67.",
    "About the Author", "Jane Doe is a nutrition writer.", "By Jane Doe | Updated May 2, 2024",
    "Subscribe", "Enter your email", "We use cookies to improve your experience.", "Accept",
    "Check the price on Amazon", "You May Also Like", "IL-128", "40%12", "47%)9", "mg3",
    "GLP-16", "CD3412", "Food Sources of Lion's Mane", "Side-Effects", "Frequently Asked Questions",
])
PAGES = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(PAGE_BITS, st.text(max_size=30)), max_size=40).map("\n".join),
)
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(text=PAGES, layout=st.sampled_from(LAYOUTS))
def test_importers_raise_only_project_errors_and_emit_valid_items(text: str, layout: str) -> None:
    try:
        items = import_text(text, "page.txt", layout)
    except K2Error:
        return
    for item in items:
        doc = split(item.text())
        parsed, problems = parse_item(doc, Path(item.id + ".md"))
        assert problems == [], (item.id, problems)
        assert parsed is not None and parsed.id == item.id


@FAST
@given(data=st.one_of(st.binary(max_size=300), PAGES.map(lambda t: t.encode("utf-8"))))
def test_queue_loader_never_raises_on_any_file_content(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "item.md"
        path.write_bytes(data)
        item, problems = read_item(path)
    assert item is not None or problems
    for problem in problems:
        assert problem.line >= 1 and problem.message


@FAST
@given(text=st.text(max_size=200))
def test_citation_cleaning_only_removes_digits(text: str) -> None:
    result = clean_citations(text)
    assert len(result.text) <= len(text)
    assert result.text.split() == [w for w in result.text.split()]
    kept = [c for c in text if not c.isdigit()]
    assert [c for c in result.text if not c.isdigit()] == kept


@FAST
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=6))
def test_split_run_gives_distinct_numbers_within_range(digits: str) -> None:
    numbers = split_run(digits)
    if numbers is not None:
        assert "".join(map(str, numbers)) == digits
        assert len(set(numbers)) == len(numbers)
        assert all(1 <= n <= 20 for n in numbers)


@FAST
@given(lines=st.lists(st.text(max_size=60), max_size=6))
def test_table_recovery_keeps_every_word(lines: list[str]) -> None:
    table = recover("t", lines)
    if table.ok:
        assert [" ".join(r) for r in table.rows] == [" ".join(line.split()) for line in lines[1:]]
