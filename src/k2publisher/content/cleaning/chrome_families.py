"""The families of page chrome, each recognised by what it is.

Every recogniser looks at the page's lines from index ``i`` and returns the index after the
block when a block of its family starts there, else None. They describe kinds of chrome
that WordPress-style sites share (a share row is a run of network names, a comment is an
author line and a date line, a newsletter box asks for an e-mail address), never strings
of one page. :mod:`k2publisher.content.cleaning.chrome` runs them in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from k2publisher.content.cleaning.normalise import fold, heading_key

_I = re.IGNORECASE
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
DATE = rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|" \
       r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})"
_TIME = r"(?:\s*(?:at|@|,)?\s*\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?)?"
#: a comment's date line: "March 14, 2024 at 9:12 am", "2 days ago"
COMMENT_DATE = re.compile(rf"^(?:on\s+)?{DATE}{_TIME}$|^\d+\s+(?:minutes?|hours?|days?|weeks?|"
                          r"months?|years?)\s+ago$", _I)
#: a person's name as a byline gives it: two to four capitalised words, titles allowed
NAME = r"(?:(?:Dr|Prof|Mr|Mrs|Ms)\.?\s+)?[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]*){1,3}"
_CREDENTIALS = re.compile(r",?\s+(?:PhD|MD|RD|RDN|MSc|MS|BSc|PharmD|DO|ND|MPH|CNS)\b.*$")
_TITLE = re.compile(r"^(?:Dr|Prof|Mr|Mrs|Ms)\.?\s+")

SHARE_WORDS = frozenset(["share", "shares", "sharing", "tweet", "pin", "pinit", "email", "e-mail",
                         "mail", "print", "facebook", "twitter", "x", "whatsapp", "linkedin",
                         "pinterest", "reddit", "telegram", "messenger", "flipboard", "pocket",
                         "tumblr", "sms", "copy", "link", "copylink", "mix", "threads", "bluesky",
                         "mastodon", "like", "save"])

COMMENT_HEADING = re.compile(
    r"^(?:\d+\s+(?:comments?|responses?|replies|thoughts? on\b.*)|comments?|responses|"
    r"leave a (?:reply|comment)(?: cancel reply)?|join the discussion|add a comment|"
    r"what do you think\??)$", _I)
COMMENT_FORM = re.compile(
    r"^(?:your email address will not be published.*|required fields are marked.*|"
    r"(?:comment|name|email|e-mail|website|url)\s*\*?|(?:name|email|website)(?:\s+\*?\s*"
    r"(?:name|email|website)\s*\*?)+|save my name, email,? and website.*|post comment|"
    r"submit comment|cancel reply|logged in as .*|notify me of (?:follow-up comments|new posts)"
    r".*|reply|reply to .*|\(required\))$", _I)
COMMENT_AUTHOR = re.compile(rf"^(?:{NAME}|[A-Z][\w'’-]*\.?|\S+(?:\s+\S+){{0,3}})\s+says:?$|"
                            rf"^(?:{NAME}|[A-Z][\w'’-]*\.?)$")
RELATED_HEADING = re.compile(
    r"^(?:related(?: posts?| articles?| reading| content)?|you (?:may|might) also "
    r"(?:like|enjoy)|recommended(?: for you| reading| posts| articles)?|read next|"
    r"more (?:from|on|articles)\b.*|popular(?: posts| articles| now)?|keep reading|"
    r"similar posts|trending(?: now)?|more supplements)$", _I)
INLINE_RELATED = re.compile(r"^(?:related|read also|also read|see also|read more|recommended"
                            r"|you might like|don't miss|check out)\s*:\s+\S.*$", _I)
TOC_HEADING = re.compile(r"^(?:table of contents|contents|in this article|on this page|"
                         r"jump to|what's inside|article contents|quick navigation|"
                         r"quick links|in this post|overview of this article)"
                         r"(?:\s*\[(?:hide|show|toggle)\])?\s*:?$", _I)
REFERENCE_HEADING = re.compile(r"^(?:references?|sources|bibliography|citations|works cited|"
                               r"(?:scientific|medical) (?:references|sources)|studies cited|"
                               r"literature cited|reference list|further reading|suggested "
                               r"reading|selected references|footnotes)\s*:?$", _I)
AUTHOR_HEADING = re.compile(rf"^(?:(?i:about the (?:author|writer|reviewer)|author bio(?:graphy)?|"
                            rf"meet the (?:author|writer))|(?i:about|written by) (?P<name>{NAME})"
                            rf"(?:,\s*\w+\.?)?)$")
BYLINE = re.compile(
    rf"^(?:(?:written |posted |published )?by\s+(?P<by>{NAME})(?:,?\s+\w+\.?)?"
    rf"(?:\s*[|·•—–-]\s*.*)?|posted (?:on\s+)?{DATE}\s+by\s+(?P<posted>{NAME})(?:\s*[|·•—–-]\s*.*)?"
    rf"|(?:posted|published|updated|last updated)(?: on)?:?\s+{DATE}.*|"
    rf"(?:medically |fact[- ]checked |reviewed )+(?:reviewed )?by\s+.*|\d+\s+min(?:ute)?s?\s+read|"
    rf"author:\s+(?P<author>{NAME}).*)$", _I)
#: an affiliate call to action: an imperative commerce verb and a shop or price word
CTA = re.compile(
    r"^(?:[^\w]*(?:our (?:top )?pick|top pick|best price|deal)\s*[:\-–—]\s*)?"
    r"(?:check|see|view|compare|shop|buy|order|get|grab|claim|save)\b.{0,60}"
    r"\b(?:price|prices|deals?|discount|amazon|iherb|store|shop|now|today|here|off|code|"
    r"coupon)\b", _I)
#: an affiliate disclosure or discount line
DISCLOSURE = re.compile(r"\baffiliate (?:links?|disclosure)\b|^affiliate disclosure\b|"
                        r"\bamazon associate\b|\bearn (?:a )?(?:small )?commission\b|"
                        r"\b\d+\s?% off\b|\b(?:promo|coupon|discount) code\b|"
                        r"\bwith code [A-Z0-9]{3,}\b|\(affiliate\)", _I)
COOKIE = re.compile(r"\bcookies?\b", _I)
COOKIE_CONTEXT = re.compile(r"\b(?:accept|consent|agree|experience|opt[- ]out|privacy|settings|"
                            r"browsing|got it)\b", _I)
COOKIE_BUTTONS = re.compile(r"^(?:(?:accept(?: all)?|reject(?: all)?|decline|got it!?|ok(?:ay)?|"
                            r"i agree|settings|cookie settings|manage (?:cookies|preferences)|"
                            r"privacy policy|read more|learn more)\s*[|·]?\s*)+$", _I)
#: cue families of a newsletter or lead-magnet box
NEWSLETTER_CUES: dict[str, re.Pattern[str]] = {
    "signup": re.compile(r"\b(?:subscribe|sign up|sign-up|newsletter|join \d[\d,]*\+?|inbox|"
                         r"weekly email|mailing list)\b", _I),
    "magnet": re.compile(r"\bfree\b.{0,40}\b(?:guide|e-?book|checklist|plan|report|course|"
                         r"cheat ?sheet|pdf|download)\b|\bdownload\b", _I),
    "field": re.compile(r"^(?:your |enter your )?(?:e-?mail(?: address)?|first name|name)\s*\*?$"
                        r"|enter your e-?mail", _I),
    "privacy": re.compile(r"\b(?:respect your privacy|unsubscribe|no spam|never share your "
                          r"email|spam)\b", _I),
}
_BUTTON = re.compile(r"^(?:subscribe|sign me up|sign up|join(?: now)?|yes[,!].*|send (?:me|it)\b.*"
                     r"|get (?:instant access|the guide|my|it|access)\b.*|download(?: now)?|"
                     r"claim .*|i want .*)!?$", _I)


@dataclass
class Context:
    """What the recognisers know about the page while stripping it."""

    lines: list[str]
    known: frozenset[str] = frozenset()  # heading keys of the layout's sections
    author: str | None = None
    references: list[str] = field(default_factory=list)
    #: heading keys a table of contents listed: the page's own top-level sections
    contents: set[str] = field(default_factory=set)
    max_ref: int | None = None

    def key(self, i: int) -> str:
        """The heading key of line ``i``."""
        return heading_key(self.lines[i])

    def is_known(self, i: int) -> bool:
        """True when line ``i`` is one of the layout's known section headings."""
        return self.key(i) in self.known


def clean_name(name: str) -> str:
    """A byline name without its credentials or title: "Dr. Priya Raman, PhD" -> "Priya Raman"."""
    return _TITLE.sub("", _CREDENTIALS.sub("", name.strip())).strip(" ,")


def _text(line: str) -> str:
    return " ".join(line.split())


def _next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _chunk_end(lines: list[str], i: int) -> int:
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _short(line: str, words: int = 25) -> bool:
    return len(line.split()) <= words


# -- single lines ----------------------------------------------------------------------------

def share_line(line: str) -> bool:
    """A line made only of share labels: "Tweet", "Share on X", "Facebook / X / WhatsApp"."""
    folded = fold(line)
    text = re.sub(r"\(opens in new window\)|\bclick to\b|\b(?:this|on|via|it|post|article|page|"
                  r"now)\b|\d[\d,.]*k?", " ", folded)
    parts = [p.strip() for p in re.split(r"[/|·•,:]|\s+", text) if p.strip()]
    return bool(parts) and len(line) < 120 and all(p in SHARE_WORDS for p in parts)


def breadcrumb_line(line: str) -> bool:
    """"Home › Nootropics › Lion's Mane" or a navigation row "Home | About | Contact"."""
    parts = re.split(r"\s+[›»>/|→]\s+", line.strip())
    if len(parts) < 3 and not (len(parts) == 2 and fold(parts[0]) == "home"):
        return False
    return all(p and len(p.split()) <= 6 and not re.search(r"[.!?;]$", p) for p in parts)


def cta_line(line: str) -> bool:
    """An affiliate call to action or disclosure: "Check the price on Amazon"."""
    text = line.strip()
    return (_short(text, 16) and CTA.search(text) is not None) or (
        _short(text, 30) and DISCLOSURE.search(text) is not None)


def inline_related(line: str) -> bool:
    """A "Related: Title" or "Read also: Title" link line."""
    return _short(line, 20) and INLINE_RELATED.match(line.strip()) is not None


# -- blocks ----------------------------------------------------------------------------------

Recogniser = Callable[[Context, int], int | None]


def share_row(ctx: Context, i: int) -> int | None:
    """Consecutive lines of share labels (blank lines between them allowed)."""
    if not share_line(ctx.lines[i]):
        return None
    end = i + 1
    j = _next_content(ctx.lines, end)
    while j < len(ctx.lines) and share_line(ctx.lines[j]):
        end = j + 1
        j = _next_content(ctx.lines, end)
    return end


def breadcrumb(ctx: Context, i: int) -> int | None:
    """A breadcrumb or navigation line."""
    return i + 1 if breadcrumb_line(ctx.lines[i]) else None


def cookie_notice(ctx: Context, i: int) -> int | None:
    """A cookie banner (its text and buttons)."""
    line = ctx.lines[i]
    if not (COOKIE.search(line) and COOKIE_CONTEXT.search(line)) or not _short(line, 45):
        return None
    end = i + 1
    while end < len(ctx.lines) and COOKIE_BUTTONS.match(ctx.lines[end].strip() or "x"):
        end += 1
    j = _next_content(ctx.lines, end)
    if j < len(ctx.lines) and COOKIE_BUTTONS.match(ctx.lines[j].strip()):
        end = j + 1
    return end


def affiliate(ctx: Context, i: int) -> int | None:
    """An affiliate call to action or disclosure line."""
    return i + 1 if cta_line(ctx.lines[i]) else None


def related_link(ctx: Context, i: int) -> int | None:
    """An inline related-post link."""
    return i + 1 if inline_related(ctx.lines[i]) else None


def byline(ctx: Context, i: int) -> int | None:
    """A post-meta line: "By NAME | Updated DATE", "Posted on DATE by NAME", "9 min read"."""
    text = _text(ctx.lines[i])
    match = BYLINE.match(text)
    if match is None:
        return None
    name = match.group("by") or match.group("posted") or match.group("author")
    if name and ctx.author is None:
        ctx.author = clean_name(name)
    return i + 1


def _newsletter_cues(lines: list[str]) -> set[str]:
    cues = {name for line in lines for name, p in NEWSLETTER_CUES.items() if p.search(line)}
    if any(_BUTTON.match(line.strip()) for line in lines):
        cues.add("button")
    return cues


def newsletter_box(ctx: Context, i: int) -> int | None:
    """A sign-up or lead-magnet box: short chunks asking for an e-mail address.

    The box is a run of short chunks each showing a newsletter cue (sign-up words, a free
    guide, an e-mail field, a privacy promise, a button); it counts when it shows at least
    two kinds of cue, one of them a form part (field, button, privacy or sign-up words).
    A one-line question or exclamation right before it ("Want more research like this?")
    belongs to it.
    """
    lines = ctx.lines
    start = i
    first_end = _chunk_end(lines, i)
    chunk = lines[i:first_end]
    if len(chunk) == 1 and re.search(r"[?!]$", chunk[0].strip()) and _short(chunk[0], 12):
        i = _next_content(lines, first_end)  # a lead-in question
    cues: set[str] = set()
    end = None
    j = i
    while j < len(lines):
        stop = _chunk_end(lines, j)
        block = lines[j:stop]
        found = _newsletter_cues(block)
        if not found or not all(_short(line, 30) for line in block) or any(
                ctx.is_known(k) for k in range(j, stop)):
            break
        cues |= found
        end = stop
        j = _next_content(lines, stop)
    if end is None or len(cues) < 2 or not cues & {"field", "button", "privacy", "signup"}:
        return None
    return end if start <= end else None


def table_of_contents(ctx: Context, i: int) -> int | None:
    """A contents heading and the entries after it (copies of headings further down)."""
    if not TOC_HEADING.match(_text(ctx.lines[i])):
        return None
    end = i + 1
    j = _next_content(ctx.lines, end)
    while j < len(ctx.lines):
        entry = re.sub(r"^\s*(?:\d+(?:\.\d+)*[.)]?|[•●▪◦‣*-])\s*", "", ctx.lines[j])
        key = heading_key(entry)
        later = {heading_key(line) for line in ctx.lines[j + 1:] if line.strip()}
        if not key or not _short(entry, 14) or key not in later:
            break
        ctx.contents.add(key)
        end = j + 1
        j = _next_content(ctx.lines, end)
    return end if end > i + 1 else None


def _teaser_like(block: list[str]) -> bool:
    """Chunks of a related-posts block: titles, cut-off excerpts, dates, "Read More"."""
    for line in block:
        text = line.strip()
        if re.fullmatch(r"read more.*", text, _I) or re.search(r"(…|\.\.\.|\[…\]|\[\.\.\.\])$",
                                                              text):
            continue
        if re.search(DATE, text, _I) or re.search(r"\bmin(?:ute)?s? read\b", text, _I):
            continue
        if not re.search(r"[.!?]\"?$", text) and _short(text, 30):
            continue  # a title, an image caption, or an excerpt cut off mid-sentence
        if re.search(r"[?!]\"?$", text) and _short(text, 12):
            continue  # a title that asks ("Ashwagandha for Sleep: Does It Work?")
        return False
    return True


def related_posts(ctx: Context, i: int) -> int | None:
    """A related-posts heading and its teasers, up to a known heading or other content."""
    if not RELATED_HEADING.match(_text(ctx.lines[i])):
        return None
    end = i + 1
    for k in range(i + 1, len(ctx.lines)):  # the last "Read More" before a known heading
        if ctx.is_known(k):
            break
        if re.fullmatch(r"read more.*", ctx.lines[k].strip(), _I):
            end = k + 1
    j = _next_content(ctx.lines, end)
    while j < len(ctx.lines) and not ctx.is_known(j):
        stop = _chunk_end(ctx.lines, j)
        block = ctx.lines[j:stop]
        if not _teaser_like(block) or _starts_other_block(ctx, j) or any(
                "latest posts by" in fold(line) for line in block):
            break
        end = stop
        j = _next_content(ctx.lines, stop)
    return end


def comment_start(ctx: Context, i: int) -> bool:
    """True when a comment (author line + date line) starts at line ``i``."""
    lines = ctx.lines
    return i + 1 < len(lines) and _short(lines[i], 6) and bool(
        COMMENT_AUTHOR.match(_text(lines[i]))) and bool(COMMENT_DATE.match(_text(lines[i + 1])))


def comment_section(ctx: Context, i: int) -> int | None:
    """A comments heading ("3 thoughts on ...", "Leave a Reply") and everything under it.

    The section runs to the layout's next known heading, the byline, or the start of
    another family of chrome (related posts, references, ...), else to the end.
    """
    text = _text(ctx.lines[i])
    if not (COMMENT_HEADING.match(text) or comment_start(ctx, i)):
        return None
    first = _next_content(ctx.lines, i + 1)
    if not comment_start(ctx, i) and not (first < len(ctx.lines) and _comment_part(ctx, first)):
        return None  # a "Comments" heading over anything but comments or a form is content
    k = i + 1
    in_comment = comment_start(ctx, i)
    while k < len(ctx.lines):
        line = ctx.lines[k]
        if not line.strip():
            k += 1
            continue
        if ctx.is_known(k) or _starts_other_block(ctx, k, comments=False) or re.search(
                r"latest posts by .+\(see all\)", line, _I) or _looks_like_author(ctx, k):
            break
        if comment_start(ctx, k):
            in_comment = True
        elif fold(_text(line)) == "reply" or fold(_text(line)).startswith("reply to "):
            in_comment = False
        elif not in_comment and not _comment_part(ctx, k) and not _short(line, 12):
            break  # a paragraph outside any comment: the page goes on
        k += 1
    while k > i + 1 and not ctx.lines[k - 1].strip():
        k -= 1
    return k


def _comment_part(ctx: Context, k: int) -> bool:
    text = _text(ctx.lines[k])
    return bool(COMMENT_FORM.match(text) or COMMENT_HEADING.match(text) or comment_start(ctx, k)
                or COMMENT_DATE.match(text))


def _looks_like_author(ctx: Context, k: int) -> bool:
    """The byline's author name on its own line (the byline follows after the comments)."""
    return ctx.author is not None and _text(ctx.lines[k]) == ctx.author and k + 1 < len(
        ctx.lines) and "latest posts by" in fold(ctx.lines[k + 1])


def comment_form(ctx: Context, i: int) -> int | None:
    """A comment-form line on its own ("Your email address will not be published.")."""
    return i + 1 if COMMENT_FORM.match(_text(ctx.lines[i])) and _text(
        ctx.lines[i]).lower() not in ("name", "website", "comment") else None


def author_box(ctx: Context, i: int) -> int | None:
    """An author box: "About the Author" (or the byline's name) and a short bio.

    Without a heading, the box is the author's name on a line of its own followed by a
    bio that starts with the name ("Daniel is a pharmacist ...").
    """
    lines = ctx.lines
    text = _text(lines[i])
    heading = AUTHOR_HEADING.match(text)
    if heading:
        end = _chunk_end(lines, i)
        j = _next_content(lines, end)
        named = clean_name(heading.group("name")) if heading.group("name") else None
        if named:
            if not (j < len(lines) and _is_bio(ctx, lines[j], named)):
                return None  # "About Bacopa Monnieri" is a section, not an author box
            ctx.author = ctx.author or named
        if j < len(lines) and re.fullmatch(NAME, _text(lines[j])) and _chunk_end(lines, j) == j + 1:
            if ctx.author is None:
                ctx.author = clean_name(_text(lines[j]))
            end = j + 1
            j = _next_content(lines, end)
        if j < len(lines) and _is_bio(ctx, lines[j], named):
            end = _chunk_end(lines, j)
        return end
    name = clean_name(text)
    if ctx.author is not None and re.fullmatch(NAME, text) and name == ctx.author:
        nxt = i + 1 if i + 1 < len(lines) and lines[i + 1].strip() else _next_content(lines, i + 1)
        if nxt < len(lines) and _is_bio(ctx, lines[nxt], name):
            ctx.author = ctx.author or name
            return _chunk_end(lines, nxt)
    return None


def _is_bio(ctx: Context, line: str, name: str | None = None) -> bool:
    names = {n for n in (name, ctx.author) if n}
    first = {n.split()[0] for n in names} | names | {f"Dr. {n}" for n in names}
    opening = re.match(rf"^(?:(?:Dr|Prof)\.?\s+)?({NAME}|[A-Z][\w'’-]+)\s+(?:is|was|has)\b",
                       line.strip())
    if opening is None:
        return False
    who = clean_name(opening.group(1))
    person = re.search(r"\b(?:writer|editor|author|journalist|nutritionist|dietitian|"
                       r"pharmacist|pharmacologist|doctor|physician|practitioner|researcher|"
                       r"scientist|coach|nurse|phd|degree|writes|covers|reviews|she|he|her|"
                       r"his|years of experience)\b", line, _I)
    return person is not None and (not names or who in first or who.split()[0] in first)


def reference_list(ctx: Context, i: int) -> int | None:
    """A references heading and its entries; numbered entries bound the citation numbers."""
    text = _text(ctx.lines[i])
    if REFERENCE_HEADING.match(text):
        end = i + 1
    elif _numbered_reference(text) and _references_follow(ctx, i + 1, 1):
        end = i  # a numbered list of references without a heading of its own
    elif _short(text, 6) and not re.search(r"[.!?]$", text) and _references_follow(ctx, i + 1, 2):
        end = i + 1  # a heading of any wording over numbered references ("Key Studies")
    else:
        return None
    entries: list[str] = []
    highest = 0
    j = _next_content(ctx.lines, end)
    while j < len(ctx.lines):
        text = _text(ctx.lines[j])
        number = _numbered_reference(text)
        plain = re.match(r"^\[?(\d{1,3})[\].)]\s+\S", text)
        if plain and highest and int(plain.group(1)) == highest + 1:
            number = plain  # the list's next number, however the entry is written
        if not (number or _reference_like(text)):
            break
        if number:
            highest = max(highest, int(number.group(1)))
        entries.append(text)
        end = j + 1
        j = _next_content(ctx.lines, end)
    if not entries:
        return None
    ctx.references.extend(entries)
    if highest:
        ctx.max_ref = max(ctx.max_ref or 0, highest)
    return end


def _numbered_reference(text: str) -> re.Match[str] | None:
    """The number of a numbered reference entry ("1. Smith J, et al. ... 2019;12:4-9.")."""
    match = re.match(r"^\[?(\d{1,3})[\].)]\s+\S", text)
    return match if match and _reference_like(text) else None


def _references_follow(ctx: Context, i: int, count: int) -> bool:
    """True when the next ``count`` lines with text are numbered references."""
    for _ in range(count):
        i = _next_content(ctx.lines, i)
        if i >= len(ctx.lines) or not _numbered_reference(_text(ctx.lines[i])):
            return False
        i += 1
    return True


def _reference_like(text: str) -> bool:
    """An unnumbered reference: authors, a year, and journal-style punctuation or an id."""
    return bool(re.search(r"\b(?:19|20)\d{2}\b", text)) and bool(
        re.search(r"\bet al\b|;\s*\d+|\bdoi\b|\bpmid\b|https?://|\d+\(\d+\):\d+", text, _I))


def _starts_other_block(ctx: Context, k: int, comments: bool = True) -> bool:
    text = _text(ctx.lines[k])
    return bool(RELATED_HEADING.match(text) or REFERENCE_HEADING.match(text)
                or (comments and (COMMENT_HEADING.match(text) or share_line(text)))
                or TOC_HEADING.match(text) or AUTHOR_HEADING.match(text)
                or (COOKIE.search(text) and COOKIE_CONTEXT.search(text)))


#: (kind, recogniser) in the order they are tried at each line
FAMILIES: tuple[tuple[str, Recogniser], ...] = (
    ("author-box", author_box),
    ("share-row", share_row),
    ("breadcrumb", breadcrumb),
    ("cookie-notice", cookie_notice),
    ("table-of-contents", table_of_contents),
    ("byline", byline),
    ("comment-section", comment_section),
    ("comment-form", comment_form),
    ("related-posts", related_posts),
    ("related-link", related_link),
    ("reference-list", reference_list),
    ("newsletter-box", newsletter_box),
    ("affiliate", affiliate),
)
