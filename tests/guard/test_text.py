"""The guard reads text in the units `render/splitting.py` decides (one place for sentence
boundaries), ended also at ";", blank lines and list items, each as written."""

from __future__ import annotations

import pytest

from k2publisher.guard.text import sentences
from k2publisher.render import splitting


@pytest.mark.parametrize(("text", "expected"), [
    ("Dr. Smith says it works. Ask your doctor.", ["Dr. Smith says it works.",
                                                   "Ask your doctor."]),
    ("Low in vitamin D. It cures flu.", ["Low in vitamin D.", "It cures flu."]),
    ("Can it cure cancer? No. It cannot.", ["Can it cure cancer?", "No.", "It cannot."]),
    ("H. pylori lives there; e.g. in the stomach.", ["H. pylori lives there;",
                                                      "e.g. in the stomach."]),
    ("Benefits:\n- less  pain\n2. better sleep\n\nEnd.", ["Benefits:", "- less  pain",
                                                        "2. better sleep", "End."]),
])
def test_the_guard_cuts_where_the_renderer_does_and_at_statement_breaks(
        text: str, expected: list[str]) -> None:
    assert sentences(text) == expected == splitting.statements(text)


def test_within_a_paragraph_the_guard_and_the_renderer_agree_on_sentence_ends() -> None:
    text = "Take 100 mg. See https://example.org/a.b. Results in the U.S. held. Done!"
    assert sentences(text) == splitting.sentences(text) == [
        "Take 100 mg.", "See https://example.org/a.b.", "Results in the U.S. held.", "Done!"]
