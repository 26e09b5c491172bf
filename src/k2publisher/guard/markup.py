"""Well-formedness checks for what the guard lets out: HTML tag balance and XML parsing.

HTML is checked with the standard library's tolerant :class:`html.parser.HTMLParser`:
void elements (``<br>``, ``<img>``) need no end tag and elements whose end tag HTML allows a
writer to omit (``<p>``, ``<li>``, ``<td>`` ...) may stay open, but every other element must
be closed, in order. XML is parsed with :mod:`xml.etree.ElementTree`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})
# elements whose end tag HTML lets a writer leave out
_OPTIONAL_END = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot",
                           "option", "colgroup", "html", "head", "body"})
#: characters XML 1.0 does not allow anywhere in a document
XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Balance(HTMLParser):
    """Tracks open elements and records each unbalanced end tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in _VOID:
            return
        if not any(open_tag == tag for open_tag, _ in self.stack):
            self.problems.append(f"stray </{tag}> at line {line}")
            return
        # close everything opened inside ``tag``, as browsers do, reporting what needed closing
        while True:
            open_tag, opened = self.stack.pop()
            if open_tag == tag:
                return
            if open_tag not in _OPTIONAL_END:
                self.problems.append(f"</{tag}> at line {line} closes <{open_tag}> "
                                     f"opened at line {opened}")


def html_problems(text: str) -> list[str]:
    """Unclosed, mismatched or stray tags in ``text`` (an HTML document or fragment)."""
    parser = _Balance()
    parser.feed(text)
    unterminated = parser.rawdata.lstrip().startswith("<")
    parser.close()
    problems = list(parser.problems)
    problems += [f"unclosed <{tag}> from line {line}"
                 for tag, line in parser.stack if tag not in _OPTIONAL_END]
    if unterminated:
        problems.append("unterminated tag at the end")
    return problems


def xml_problems(text: str) -> list[str]:
    """Why ``text`` is not well-formed XML (empty list when it is)."""
    bad = XML_FORBIDDEN.search(text)
    if bad:
        return [f"character U+{ord(bad.group()):04X} is not allowed in XML"]
    try:
        ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    return []
