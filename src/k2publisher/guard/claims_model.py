"""The claims guard's learned second opinion: a linear model over delexicalised sentences.

The rules (:mod:`~k2publisher.guard.claims`) find claims by phrase structure; on pages nobody
tuned them on they miss many. This model reads the same sentence by what it is about rather
than by its names: diseases, drugs and supplements become placeholders (``DIS``, ``DRUG``,
``SUPP``) taken from the guard's own lexicons and the interaction catalogue, so "garlic
reverses neuropathy" and "berberine reverses diabetes" are the same features. Its features
are word uni- and bigrams and character n-grams of that text, which placeholders it holds, and
the rule engine's own context signals (negation, debunking, attribution, hedges, warnings).

The weights are learned at build time by ``scripts/build-claims-model`` (scikit-learn, a test
dependency only) from the corpus parts declared in
:data:`k2publisher.guard.lexicon.claims_train.TRAINING` and stored in
``lexicon/claims-model.json``; scoring here is a dot product in pure Python. :func:`opinion`
gives, per class (``disease``, ``therapy``, ``safety``), the probability and the features that
pushed it most, so an editor can see why.
How the opinion is combined with the rules' verdict lives in one place:
:func:`k2publisher.guard.claims.learned_level`, called by ``claims.scan`` (see
``docs/architecture.md``).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from k2publisher.guard.claims_context import (
    attributed,
    consults,
    debunked,
    is_precaution,
    is_warning,
    names_the_product,
)
from k2publisher.guard.lexicon import Mention, diseases, therapies
from k2publisher.guard.text import is_negated

__all__ = ["MODEL_FILE", "Model", "Opinion", "delexicalise", "features", "load_model",
           "opinion"]

MODEL_FILE = "claims-model.json"
_F = re.IGNORECASE
_WORD = re.compile(r"[a-z]+|[A-Z]{3,5}\b|0")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_HEDGE = re.compile(r"\b(?:may|might|could|can|possibly|potentially|appears?|seems?|suggests?|"
                    r"linked|associated)\b", _F)
_CHAR = (3, 5)
#: words too plain to explain anything to an editor (never shown as a reason)
_PLAIN = frozenset(f"w:{w}" for w in (
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or",
    "but", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these",
    "those", "you", "your", "my", "our", "their", "they", "we", "he", "she", "his", "her",
    "as", "so", "than", "then", "out", "up", "off", "do", "does", "did", "has", "have", "had",
    "not", "no",))


@dataclass(frozen=True)
class Opinion:
    """The model's reading of one sentence for one class: probability, threshold, and the
    features that pushed the score up most (for the editor)."""

    kind: str
    score: float
    threshold: float
    block: float
    drivers: tuple[str, ...]

    @property
    def level(self) -> str | None:
        """``block`` at or above the block threshold, ``review`` at or above the threshold,
        else None."""
        if self.score >= self.block:
            return "block"
        return "review" if self.score >= self.threshold else None

    def __str__(self) -> str:
        why = ", ".join(self.drivers) or "no single feature"
        block = f"block from {self.block:.2f}" if self.block <= 1 else "it never blocks"
        return (f"learned second opinion: {self.kind} claim, score {self.score:.2f} (review from "
                f"{self.threshold:.2f}, {block}), mostly from {why}")


@lru_cache(maxsize=1)
def _supplement_names() -> re.Pattern[str]:
    from k2publisher.guard.interactions import builtin_catalogue

    names = {n.strip() for s in builtin_catalogue().supplements
             for n in (s.name, *s.aliases, *s.forms) if len(n.strip()) > 2}
    alternatives = sorted((re.escape(n) for n in names), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", _F)


def delexicalise(sentence: str, acronyms: frozenset[str] = frozenset()) -> str:
    """``sentence`` with its diseases, drugs and supplements replaced by ``DIS``, ``DRUG`` and
    ``SUPP`` and its numbers by ``0``: what it says, without whom it names."""
    spans: list[tuple[int, int, str]] = []
    for tag, found in (("DIS", diseases(sentence, acronyms)), ("DRUG", therapies(sentence)),
                       ("SUPP", _as_mentions(_supplement_names().finditer(sentence)))):
        spans += [(m.start, m.end, tag) for m in found]
    out, at = [], 0
    for start, end, tag in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < at:
            continue  # overlapping: the first, longest mention wins
        out += [sentence[at:start], f" {tag} "]
        at = end
    out.append(sentence[at:])
    return _NUMBER.sub("0", "".join(out))


def _as_mentions(matches: Iterable[re.Match[str]]) -> list[Mention]:
    return [Mention(m.start(), m.end(), m.group()) for m in matches]


def _words(text: str) -> list[str]:
    return [w if w.isupper() else w.lower() for w in _WORD.findall(text)]


def signals(sentence: str) -> list[str]:
    """The rule engine's context signals for ``sentence``: the tests the rules use for negation,
    debunking, attribution, warnings, precautions, hedges and questions. (What the rules found
    is no feature: on the pages they were tuned on they are nearly always right, and a model
    that learned to trust them would add nothing where they miss.)"""
    out = []
    end = len(sentence)
    tests = (("negated", is_negated(sentence, end)), ("debunked", debunked(sentence, end)),
             ("attributed", attributed(sentence)), ("warning", is_warning(sentence)),
             ("precaution", is_precaution(sentence)), ("consults", consults(sentence)),
             ("product", names_the_product(sentence)), ("hedge", bool(_HEDGE.search(sentence))),
             ("question", sentence.rstrip().endswith("?")))
    out += [f"sig:{name}" for name, on in tests if on]
    return out or ["sig:none"]


def features(sentence: str, acronyms: frozenset[str] = frozenset()) -> dict[str, float]:
    """The model's features of ``sentence``, each with its value. (The sentence before is no
    feature: cross-validated by page it added little, and it read the page's style, not the
    sentence.)"""
    text = delexicalise(sentence, acronyms)
    words = _words(text)
    grams = {f"w:{w}" for w in words} | {f"b:{a} {b}" for a, b in itertools.pairwise(words)}
    padded = f" {' '.join(words)} "
    grams |= {f"c:{padded[i:i + n]}" for n in range(_CHAR[0], _CHAR[1] + 1)
              for i in range(len(padded) - n + 1)}
    weight = 1.0 / math.sqrt(len(grams) or 1)
    out = dict.fromkeys(grams, weight)
    tags = {"DIS", "DRUG", "SUPP"} & set(words)
    out.update(dict.fromkeys((f"has:{t}" for t in tags), 1.0))
    out.update(dict.fromkeys(signals(sentence), 1.0))
    return out


@dataclass(frozen=True)
class Model:
    """Per class: ``bias``, ``threshold`` (review), ``block`` (None or missing: never) and
    ``weights`` (feature -> weight)."""

    classes: dict[str, dict[str, object]]
    trained_on: str = ""

    def opinion(self, feats: dict[str, float]) -> list[Opinion]:
        """One :class:`Opinion` per class for the features ``feats``."""
        out = []
        for kind, spec in self.classes.items():
            weights: dict[str, float] = spec["weights"]  # type: ignore[assignment]
            parts = {f: v * weights[f] for f, v in feats.items() if f in weights}
            z = float(spec["bias"]) + sum(parts.values())  # type: ignore[arg-type]
            score = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            # what an editor can read: words, word pairs, names and signals (a character
            # n-gram only when nothing else pushed)
            up = sorted((f for f, p in parts.items() if p > 0), key=lambda f: -parts[f])
            top = ([f for f in up if not f.startswith("c:") and f not in _PLAIN] or up)[:4]
            out.append(Opinion(kind, score, float(spec["threshold"]),  # type: ignore[arg-type]
                               float(spec.get("block") or 2.0),  # type: ignore[arg-type]
                               tuple(_explain(f) for f in top)))
        return out


def _explain(feature: str) -> str:
    """A feature as an editor reads it: ``b:reverses DIS`` -> ``"reverses <disease>"``."""
    kind, _, value = feature.partition(":")
    value = (value.replace("DIS", "<disease>").replace("DRUG", "<drug>")
             .replace("SUPP", "<supplement>").strip())
    if kind in ("w", "b", "c"):
        return f"\u201c{value}\u201d"
    return value


@lru_cache(maxsize=1)
def load_model() -> Model | None:
    """The built-in model (``lexicon/claims-model.json``), or None when it is not built."""
    path = files("k2publisher.guard.lexicon") / MODEL_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Model(data["classes"], data.get("trained_on", ""))


def opinion(sentence: str, acronyms: frozenset[str] = frozenset()) -> list[Opinion]:
    """The built-in model's opinions on ``sentence`` (none when no model is built)."""
    model = load_model()
    if model is None:
        return []
    return model.opinion(features(sentence, acronyms))
