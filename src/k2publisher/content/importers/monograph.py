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
from k2publisher.content.cleaning.citations import MAX_REF, PageEvidence
from k2publisher.content.cleaning.normalise import heading_key
from k2publisher.content.importers.base import (
    ImportedItem,
    PageNotes,
    clean,
    guess_evidence,
    slugify,
)
from k2publisher.content.importers.text import Block, parse_blocks, render_blocks
from k2publisher.errors import ImportSourceError
from k2publisher.models import Kind

#: the site's section headings (lowercase) -> (id slug, title)
SECTIONS: dict[str, tuple[str, str]] = {
    "full supplement details": ("overview", "overview of the research"),
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
    (r"demographic|most likely to benefit|patient groups?|who (?:might|may|could) benefit",
     "patient-demographics",
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


#: the same tables keyed the way headings are compared (quotes, dashes, case, spacing folded)
_SECTION_KEYS = {heading_key(k): v for k, v in SECTIONS.items()}
_MECHANISM_KEYS = frozenset(heading_key(m) for m in MECHANISMS)
_QA_KEYS = frozenset(heading_key(q) for q in QA_HEADINGS)


@dataclass
class _Section:
    heading: str
    kind: str  # section, answer, mechanism
    blocks: list[Block] = field(default_factory=list)
    topic: str | None = None


def _topic(text: str) -> str | None:
    """The Q&A topic (id slug) an answer's opening words name, if any."""
    lowered = text.lower()
    return next((slug for pattern, slug, _ in QA_TOPICS if re.search(pattern, lowered)), None)


def looks_like_monograph(text: str) -> bool:
    """True when ``text`` has the monograph header and at least two known sections."""
    lines = {heading_key(line) for line in text.splitlines()[:400]}
    return "supplement" in lines and len(lines & set(_SECTION_KEYS)) >= 2


def _header(blocks: list[Block]) -> tuple[str, str, int]:
    """(supplement name, definition, index of the first block after the header)."""
    for i, block in enumerate(blocks):
        if block.kind == "heading" and heading_key(block.text) in _SECTION_KEYS:
            head = blocks[:i]
            break
    else:
        raise ImportSourceError("no monograph section found (expected e.g. 'Dosage' or "
                                "'Side Effects'); try --layout article or markdown")
    names = [b.text for b in head if b.kind == "heading"]
    keys = [heading_key(n) for n in names]
    if "supplement" not in keys or keys.index("supplement") + 1 >= len(names):
        raise ImportSourceError("not a monograph: the header has no 'Supplement' line followed "
                                "by the supplement's name; try --layout article or markdown")
    name = names[keys.index("supplement") + 1]
    definition = next((b.text for b in head if b.kind == "para" and len(b.text) > 40), "")
    return name, definition, i


def _split(blocks: list[Block], contents: frozenset[str] = frozenset()) -> list[_Section]:
    """The page's sections; ``contents`` are headings its table of contents listed."""
    sections: list[_Section] = []
    mode = "section"
    answer: _Section | None = None
    concluded = False
    for block in blocks:
        lowered = heading_key(block.text) if block.kind == "heading" else ""
        if lowered in _MECHANISM_KEYS or (mode == "mechanism" and block.kind == "heading"):
            mode = "mechanism"
            sections.append(_Section(block.text, "mechanism"))
            continue
        if mode != "mechanism" and (lowered in _SECTION_KEYS or lowered in contents) \
                and lowered not in _QA_KEYS:
            mode = "section"
            sections.append(_Section(block.text, "section"))
            continue
        if mode != "mechanism" and lowered in _QA_KEYS:
            mode, answer, concluded = "qa", None, False
            continue
        if mode == "qa":
            topic = _topic(block.text) if block.kind == "para" and not block.indent else None
            new_topic = answer is not None and topic is not None and answer.topic is not None \
                and topic != answer.topic and len(answer.blocks) >= 2
            if answer is None or new_topic or (concluded and block.kind == "para"
                                               and answer.blocks[-1].kind == "para"):
                # an answer ends at its Conclusion, or where the next one's topic begins
                answer = _Section("", "answer", topic=topic)
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


def import_monograph(text: str, source_file: str,
                     notes: PageNotes | None = None) -> list[ImportedItem]:
    """Items for every section, answer and mechanism explainer of a monograph page.

    ``notes`` receives the blocks stripped as chrome and the page's reference list.
    """
    chrome = strip_chrome(text.splitlines(),
                          known_headings=MECHANISMS | QA_HEADINGS | frozenset(SECTIONS))
    if notes is not None:
        notes.stripped, notes.references, notes.max_ref = \
            chrome.blocks, chrome.references, chrome.max_ref
    page = PageEvidence.of("\n".join(chrome.lines), chrome.max_ref or MAX_REF)
    blocks = parse_blocks(chrome.lines)
    name, definition, start = _header(blocks)
    supp = slugify(name)
    items: list[ImportedItem] = []
    answers = 0
    for section in _split(blocks[start:], chrome.contents):
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
            slug, title = _SECTION_KEYS.get(heading_key(section.heading),
                                            (slugify(section.heading), section.heading))
            item = ImportedItem(id=f"{supp}/{slug}", kind=Kind.SUPPLEMENT_SECTION,
                                title=f"{name}: {title}", body="", source_file=source_file,
                                heading=section.heading, supplement=name,
                                tags=[supp, slug, "cancer"])
        item.sources = sources
        item.author = chrome.author
        if not items and definition and section.kind == "section":
            body_blocks = [Block("para", text=definition), *body_blocks]  # the page's lead
        item.body = render_blocks(body_blocks, lambda t, it=item: clean(t, it, page),
                                  item.review)
        item.evidence = guess_evidence(item.body) if item.supplement else []
        items.append(item)
    if not items:
        raise ImportSourceError(f"{source_file}: no sections found in the monograph")
    return items
