"""The one helper that makes text safe to put in XML 1.0: illegal characters removed."""

from __future__ import annotations

import re

# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_illegal_xml(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (C0 controls, surrogates, U+FFFE/F)."""
    return _ILLEGAL.sub("", text)
