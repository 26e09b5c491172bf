"""Markdown bodies, rendered once to HTML and once to clean plain text.

Items are untrusted: raw HTML in a body is shown as text, never passed through, and
markdown-it's link validation drops ``javascript:`` and similar URLs. GFM tables and
strikethrough are on; every table sits in a ``<div class="table-scroll">`` so a wide one
scrolls inside its own box instead of widening a phone's screen. The plain text keeps
tables as aligned columns, lists as ``- `` and wraps paragraphs at the configured width.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from k2publisher.render.xml import strip_illegal_xml


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The one configured Markdown parser (CommonMark + tables + strikethrough, no raw HTML)."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(
        ["table", "strikethrough"])
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


def _table_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return '<div class="table-scroll">\n' + str(self.renderToken(tokens, idx, options, env))


def _table_close(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return str(self.renderToken(tokens, idx, options, env)) + "</div>\n"


def to_html(markdown: str) -> str:
    """Safe HTML for a Markdown body (raw HTML escaped, control characters removed)."""
    return parser().render(strip_illegal_xml(markdown))


def to_text(markdown: str, width: int = 76) -> str:
    """Readable plain text for a Markdown body, wrapped at ``width`` columns."""
    tree = SyntaxTreeNode(parser().parse(strip_illegal_xml(markdown)))
    blocks = [_block(child, width) for child in tree.children]
    return "\n\n".join(b for b in blocks if b).strip() + "\n"


def inline_text(node: SyntaxTreeNode) -> str:
    """The visible text of an inline node; links become ``text (url)``."""
    out: list[str] = []
    for child in node.children:
        t = child.type
        if t in ("text", "code_inline"):
            out.append(child.content)
        elif t in ("softbreak", "hardbreak"):
            out.append("\n" if t == "hardbreak" else " ")
        elif t == "link":
            label = inline_text(child)
            href = str(child.attrs.get("href", ""))
            out.append(label if not href or href == label else f"{label} ({href})")
        elif t == "image":
            out.append(str(child.attrs.get("alt", "")) or inline_text(child))
        else:
            out.append(inline_text(child))
    return "".join(out)


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> str:
    lines = []
    for i, line in enumerate(text.split("\n")):
        lines.append(textwrap.fill(line, width, initial_indent=first if i == 0 else rest,
                                   subsequent_indent=rest, break_long_words=False,
                                   break_on_hyphens=False) or (first if i == 0 else rest))
    return "\n".join(lines)


def _block(node: SyntaxTreeNode, width: int, indent: str = "") -> str:
    t = node.type
    if t == "paragraph":
        return _wrap(inline_text(node.children[0]), width, indent, indent)
    if t == "heading":
        title = inline_text(node.children[0])
        rule = "=" if node.tag == "h1" else "-"
        return f"{indent}{title}\n{indent}{rule * min(len(title), width - len(indent))}"
    if t in ("bullet_list", "ordered_list"):
        items = []
        start = int(node.attrs.get("start", 1) or 1)
        for n, item in enumerate(node.children):
            marker = "- " if t == "bullet_list" else f"{start + n}. "
            pad = " " * len(marker)
            inner = [_block(c, width, indent + pad) for c in item.children]
            body = "\n".join(x for x in inner if x)
            body = body[len(indent) + len(pad):] if body.startswith(indent + pad) else body
            items.append(f"{indent}{marker}{body}")
        return "\n".join(items)
    if t in ("code_block", "fence"):
        return "\n".join(f"{indent}    {line}" for line in node.content.rstrip("\n").split("\n"))
    if t == "blockquote":
        inner = "\n\n".join(_block(c, width - 2) for c in node.children)
        return "\n".join(f"{indent}> {line}".rstrip() for line in inner.split("\n"))
    if t == "hr":
        return indent + "-" * min(20, width)
    if t == "table":
        return _table(node, indent, width)
    if t == "html_block":
        return _wrap(node.content.strip(), width, indent, indent)
    return "\n\n".join(_block(c, width, indent) for c in node.children)


def _table(node: SyntaxTreeNode, indent: str, width: int = 76) -> str:
    """A table as aligned columns; cells wrap inside their column when it is too wide."""
    rows: list[list[str]] = []
    for section in node.children:               # thead, tbody
        for tr in section.children:
            rows.append([" ".join(inline_text(td.children[0]).split()) if td.children else ""
                         for td in tr.children])
    if not rows:
        return ""
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    widths = [max(len(r[c]) for r in rows) for c in range(ncols)]
    room = width - len(indent) - 2 * (ncols - 1)
    while sum(widths) > room and max(widths) > 6:
        widths[widths.index(max(widths))] -= 1

    def lines(cells: list[str]) -> list[str]:
        wrapped = [textwrap.wrap(c, w, break_on_hyphens=False) or [""]
                   for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped)
        return [(indent + "  ".join((w[i] if i < len(w) else "").ljust(widths[n])
                                    for n, w in enumerate(wrapped))).rstrip()
                for i in range(height)]

    out = [*lines(rows[0]), indent + "  ".join("-" * w for w in widths)]
    for row in rows[1:]:
        out.extend(lines(row))
    return "\n".join(out)
