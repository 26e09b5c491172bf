"""The monograph layout: one supplement page of a cancer-supplement site.

Expected shape (seed ``004_...txt``): a header (site name, the word "Supplement", the
supplement's name, a one-line definition), then the site's fixed sections (Full Supplement
Details, Dosage, Cancer Types Tested Against, Side Effects, Combination Therapies, Quality
of Life Effects), then an "Answers to all your questions" block whose question headings
were lost (each answer ends with a Conclusion), then generic mechanism explainers
(Inducing Apoptosis, ...) shared by every page of the site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from k2publisher.content.cleaning.chrome import SOURCES_MARKER, strip_chrome
from k2publisher.content.importers.base import (
    ImportedItem,
    clean,
    guess_evidence,
    slugify,
)
from k2publisher.content.importers.text import Block, parse_blocks, render_blocks
from k2publisher.errors import ImportSourceError
from k2publisher.models import Kind

#: the site's section headings (lowercase) -> (id slug, title)
SECTIONS: dict[str, tuple[str, str]] = {
    "full supplement details": ("overview", "overview and anti-cancer mechanisms"),
    "overview": ("overview", "overview"),
    "dosage": ("dosage", "dosage"),
    "cancer types tested against": ("cancer-types", "cancer types tested against"),
    "side effects": ("side-effects", "side effects"),
    "combination therapies": ("combination-therapies", "combination therapies"),
    "quality of life effects": ("quality-of-life", "quality of life effects"),
    "drug interactions": ("drug-interactions", "drug interactions"),
    "interactions": ("drug-interactions", "interactions"),
    "food sources": ("food-sources", "food sources"),
    "mechanism of action": ("mechanism-of-action", "mechanism of action"),
}
QA_HEADINGS = frozenset({"answers to all your questions", "frequently asked questions",
                         "faq", "faqs", "your questions answered"})
#: the generic explainers the site appends to every page (lowercase)
MECHANISMS = frozenset({
    "inducing apoptosis", "inhibiting cell proliferation", "targeting specific pathways",
    "angiogenesis inhibition", "role in immunotherapy", "anti-inflammatory properties",
    "calcium regulation", "antioxidant and anti-inflammatory effects", "inducing autophagy",
    "cell cycle arrest", "metastasis inhibition", "antioxidant properties",
    "metabolic modulation", "immune modulation", "epigenetic modulation",
})
#: (pattern on an answer's opening, id slug, title with {name}) for Q&A answers
QA_TOPICS: tuple[tuple[str, str, str], ...] = (
    (r"demographic|most likely to benefit", "patient-demographics",
     "Who might benefit from {name}? Patient groups in the research"),
    (r"resistance markers?|resistance to", "resistance-markers",
     "Resistance markers that may blunt {name} in cancer"),
    (r"pre-?clinical", "pre-clinical-studies", "{name} in pre-clinical cancer studies"),
    (r"clinical trials?", "clinical-trials", "{name} in clinical trials"),
    (r"genetic markers?|polymorphism", "genetic-markers",
     "Genetic markers that influence {name}"),
    (r"interact", "interactions", "{name} interactions"),
)
QA_REVIEW = ("question heading lost in the source: title derived from the answer's text; "
             "check title and summary")


@dataclass
class _Section:
    heading: str
    kind: str  # section, answer, mechanism
    blocks: list[Block] = field(default_factory=list)


def looks_like_monograph(text: str) -> bool:
    """True when ``text`` has the monograph header and at least two known sections."""
    lines = {line.strip().lower() for line in text.splitlines()[:400]}
    return "supplement" in lines and len(lines & set(SECTIONS)) >= 2


def _header(blocks: list[Block]) -> tuple[str, str, int]:
    """(supplement name, definition, index of the first block after the header)."""
    for i, block in enumerate(blocks):
        if block.kind == "heading" and block.text.lower() in SECTIONS:
            head = blocks[:i]
            break
    else:
        raise ImportSourceError("no monograph section found (expected e.g. 'Dosage' or "
                                "'Side Effects'); try --layout article or markdown")
    names = [b.text for b in head if b.kind == "heading"]
    if "Supplement" not in names or names.index("Supplement") + 1 >= len(names):
        raise ImportSourceError("not a monograph: the header has no 'Supplement' line followed "
                                "by the supplement's name; try --layout article or markdown")
    name = names[names.index("Supplement") + 1]
    definition = next((b.text for b in head if b.kind == "para" and len(b.text) > 40), "")
    return name, definition, i


def _split(blocks: list[Block]) -> list[_Section]:
    sections: list[_Section] = []
    mode = "section"
    answer: _Section | None = None
    concluded = False
    for block in blocks:
        lowered = block.text.lower() if block.kind == "heading" else ""
        if lowered in MECHANISMS or (mode == "mechanism" and block.kind == "heading"):
            mode = "mechanism"
            sections.append(_Section(block.text, "mechanism"))
            continue
        if mode != "mechanism" and lowered in SECTIONS:
            mode = "section"
            sections.append(_Section(block.text, "section"))
            continue
        if mode != "mechanism" and lowered in QA_HEADINGS:
            mode, answer, concluded = "qa", None, False
            continue
        if mode == "qa":
            if answer is None or (concluded and block.kind == "para"
                                  and answer.blocks[-1].kind == "para"):
                answer = _Section("", "answer")
                sections.append(answer)
                concluded = False
            answer.blocks.append(block)
            if lowered == "conclusion":
                concluded = True
            continue
        if sections:
            sections[-1].blocks.append(block)
    return sections


def _answer_topic(blocks: list[Block], name: str, n: int) -> tuple[str, str]:
    opening = " ".join(b.text for b in blocks[:2]).lower()
    for pattern, slug, title in QA_TOPICS:
        if re.search(pattern, opening):
            return slug, title.format(name=name)
    words = " ".join(b.text for b in blocks[:1]).split()[:8]
    return f"question-{n}", " ".join(words).rstrip(",.;:")


def import_monograph(text: str, source_file: str) -> list[ImportedItem]:
    """Items for every section, answer and mechanism explainer of a monograph page."""
    chrome = strip_chrome(text.splitlines(), known_headings=MECHANISMS | frozenset(SECTIONS))
    blocks = parse_blocks(chrome.lines)
    name, definition, start = _header(blocks)
    supp = slugify(name)
    items: list[ImportedItem] = []
    answers = 0
    for section in _split(blocks[start:]):
        sources = [s for b in section.blocks if b.text.startswith(SOURCES_MARKER)
                   for s in b.text[len(SOURCES_MARKER):].split("|")]
        body_blocks = [b for b in section.blocks if not b.text.startswith(SOURCES_MARKER)]
        if not body_blocks:
            continue
        if section.kind == "mechanism":
            item = ImportedItem(id=f"mechanisms/{slugify(section.heading)}",
                                kind=Kind.MECHANISM_EXPLAINER, title=section.heading,
                                body="", source_file=source_file, heading=section.heading,
                                tags=["mechanisms", slugify(section.heading)])
        elif section.kind == "answer":
            answers += 1
            slug, title = _answer_topic(body_blocks, name, answers)
            item = ImportedItem(id=f"{supp}/{slug}", kind=Kind.SUPPLEMENT_SECTION,
                                title=title, body="", source_file=source_file,
                                heading="Answers to all your questions", supplement=name,
                                tags=[supp, slug, "cancer"], review=[QA_REVIEW])
        else:
            slug, title = SECTIONS.get(section.heading.lower(),
                                       (slugify(section.heading), section.heading))
            item = ImportedItem(id=f"{supp}/{slug}", kind=Kind.SUPPLEMENT_SECTION,
                                title=f"{name}: {title}", body="", source_file=source_file,
                                heading=section.heading, supplement=name,
                                tags=[supp, slug, "cancer"])
        item.sources = sources
        if not items and definition and section.kind == "section":
            body_blocks = [Block("para", text=definition), *body_blocks]  # the page's lead
        item.body = render_blocks(body_blocks, lambda t, it=item: clean(t, it), item.review)
        item.evidence = guess_evidence(item.body) if item.supplement else []
        items.append(item)
    if not items:
        raise ImportSourceError(f"{source_file}: no sections found in the monograph")
    return items
