"""HTML pages: converted to Markdown (headings, paragraphs, lists, tables), then imported
section by section like a Markdown file. Scripts, styles, navigation, headers, footers,
asides and forms are dropped as page chrome.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from k2publisher.content.importers.base import ImportedItem, PageNotes
from k2publisher.content.importers.markdown import import_markdown

_SKIP = frozenset({"script", "style", "nav", "footer", "header", "aside", "form", "noscript",
                   "svg", "template", "iframe"})
_BLOCK = frozenset({"p", "div", "section", "article", "blockquote", "ul", "ol", "table",
                    "main", "figure", "figcaption", "dl", "dd", "dt", "pre"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "source", "wbr", "col",
                   "area", "base", "embed", "param", "track"})


class _ToMarkdown(HTMLParser):
    """A forgiving HTML -> Markdown converter for article-like pages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.line: list[str] = []
        self.row: list[str] | None = None
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.list_depth = 0
        self.strong = 0

    def _flush(self, prefix: str = "") -> None:
        text = " ".join("".join(self.line).split())
        self.line = []
        if text:
            self.out.append(prefix + text)
            self.out.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip or tag in _VOID:
            if tag == "br" and not self.skip:
                self.line.append(" ")
            return
        if re.fullmatch(r"h[1-6]", tag) or tag in _BLOCK or tag == "li":
            self._flush()
        if tag in ("ul", "ol"):
            self.list_depth += 1
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in ("strong", "b"):
            self.line.append("**")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip or tag in _VOID:
            return
        heading = re.fullmatch(r"h([1-6])", tag)
        if heading:
            self._flush("#" * int(heading.group(1)) + " ")
        elif tag == "li":
            self._flush("- ")
            if self.out and self.out[-1] == "":
                self.out.pop()  # list items stay on adjacent lines
        elif tag in ("ul", "ol"):
            self.list_depth = max(0, self.list_depth - 1)
            self.out.append("")
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()).replace("|", "\\|"))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row:
                self.rows.append(self.row)
            self.row = None
        elif tag == "table":
            self._table()
        elif tag in ("strong", "b"):
            self.line.append("**")
        elif tag in _BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.line.append(data)

    def _table(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        self.out.append("| " + " | ".join(rows[0]) + " |")
        self.out.append("| " + " | ".join("---" for _ in rows[0]) + " |")
        self.out.extend("| " + " | ".join(r) + " |" for r in rows[1:])
        self.out.append("")

    def markdown(self) -> str:
        self._flush()
        text = "\n".join(self.out)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def html_to_markdown(html: str) -> str:
    """Markdown for an HTML document or fragment."""
    parser = _ToMarkdown()
    parser.feed(html)
    parser.close()
    return parser.markdown()


def import_html(text: str, source_file: str,
                notes: PageNotes | None = None) -> list[ImportedItem]:
    """Items for the sections of an HTML page."""
    return import_markdown(html_to_markdown(text), source_file, notes=notes)
