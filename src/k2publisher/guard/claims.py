"""The claims guard: risky health-claim patterns in the text a reader will see.

Each :class:`ClaimRule` is one row of the claims table in
``shared/reference/health-disclaimers.md`` §6: a case-insensitive pattern, a level, the
regulatory basis and a safer rewrite. Levels:

* ``block``   -- do not publish as written (an editor rewrites, or records an override);
* ``review``  -- a human checks the evidence behind it;
* ``qualify`` -- publishable only with its qualifier or disclaimer beside it.

:func:`scan` works sentence by sentence on the visible text with our own disclaimers cut out
(:func:`~k2publisher.guard.disclaimers.strip_disclaimers`), skips statements that are negated
in their own clause ("does not cure cancer"), and reports each rule once per sentence. A clean
scan means "no known pattern matched", never "approved".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from k2publisher.guard.disclaimers import (
    DisclaimerRules,
    builtin_rules,
    prose,
    strip_disclaimers,
)
from k2publisher.guard.text import is_negated, sentences

__all__ = ["LEVELS", "RULES", "ClaimRule", "Finding", "get_rule", "scan", "strip_disclaimers"]

LEVELS = ("block", "review", "qualify")
_F = re.IGNORECASE

#: a plain statement of what has not been shown: turns "promising" or a lab result into a
#: qualified statement
_HUMAN_CAVEAT = re.compile(
    r"\bnot (?:yet )?(?:been )?(?:shown|proven|confirmed|tested|established|studied)\b|"
    r"\bonly in (?:cells|animals|mice|rats|the lab)\b|"
    r"\b(?:cell|animal|lab|mouse)(?:/animal)? (?:studies|data|results|work) only\b|"
    r"\b(?:lab|cell or animal) results only\b|"
    r"\bno (?:human|clinical) (?:trials?|evidence|data)\b|\bunproven in (?:people|humans)\b", _F)
_LAB = re.compile(
    r"\bin vitro\b|\bcell[- ](?:lines?|cultures?|stud(?:y|ies))\b|\bin (?:mice|rats|animals?)\b|"
    r"\banimal (?:models?|stud(?:y|ies))\b|\blab(?:oratory)?\b|\bpre-?clinical\b|\bmouse\b|"
    r"\bmurine\b|\bxenografts?\b", _F)
_BENEFIT = re.compile(
    r"\b(?:inhibit|suppress|reduc|prevent|kill|improv|protect|slow|block|induc|trigger|shrink|"
    r"promot|enhanc|boost|lower|extend|decreas|restor|revers|stop|halt)\w*", _F)
_HEALTH = re.compile(
    r"\b(?:cancer|tumou?r|disease|cure|treat|heal|health|heart|bone|brain|memory|immun|symptom|"
    r"therap|pain|diabet|dementia|blood|arter|weight|clinical|medic)\w*", _F)
_SEVERE_COGNITIVE = re.compile(r"\b(?:dementia|alzheimer\w*|adhd|depressi\w*|autism)\b", _F)


@dataclass(frozen=True)
class ClaimRule:
    """One claims pattern: what it matches, how serious it is, why, and what to write instead.

    ``requires``: the sentence must also match this for the rule to apply.
    ``unless``: the sentence is already qualified when it also matches this.
    ``negatable``: a negation earlier in the clause ("does not ...") disarms the match.
    """

    id: str
    pattern: re.Pattern[str]
    level: str
    basis: str
    suggestion: str
    negatable: bool = True
    requires: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None

    def level_for(self, sentence: str, *, headline: bool, around: str = "") -> str:
        """The level of a match in ``sentence`` (some rules depend on their context).

        ``around`` is the sentence with its neighbours: a lab study named there (a table's
        caption, the sentence before) makes a cell-death finding a ``qualify``.
        """
        if self.id == "C02-kills-cancer-cells":
            lab = _LAB.search(around or sentence)
            return "qualify" if lab and not headline else "block"
        if self.id == "C11-hype":
            return "block" if _HEALTH.search(sentence) else "review"
        if self.id == "C14-nootropic":
            return "block" if _SEVERE_COGNITIVE.search(sentence) else "review"
        return self.level


@dataclass(frozen=True)
class Finding:
    """One match of a claims rule: the rule id, its level, where, and a safer rewrite."""

    rule: str
    level: str
    excerpt: str
    suggestion: str
    basis: str = ""

    def __str__(self) -> str:
        return f"{self.rule} ({self.level}): \u201c{self.excerpt}\u201d; {self.suggestion}"


def _rule(ident: str, pattern: str, level: str, basis: str, suggestion: str, *,
          negatable: bool = True, requires: re.Pattern[str] | None = None,
          unless: re.Pattern[str] | None = None) -> ClaimRule:
    return ClaimRule(ident, re.compile(pattern, _F), level, basis, suggestion,
                     negatable, requires, unless)


_CANCER = r"(?:cancers?|tumou?rs?|leuka?emias?|lymphomas?)\b(?!\s*cells?)"

#: the 20 patterns of reference §6, in its order
RULES: tuple[ClaimRule, ...] = (
    _rule("C01-disease-cure",
          rf"\b(?:cur(?:e[sd]?|ing)|treat(?:s|ing)?|prevent(?:s|ing)?|fight(?:s|ing)?|"
          rf"heal(?:s|ing)?)\b.{{0,40}}?\b{_CANCER}",
          "block", "21 CFR 101.93(g); EU FIC 1169/2011 Art 7(3); UK CAP 15.6.2",
          '"K2 is studied in cancer, mostly in labs; no evidence it helps people." + ONCOLOGY'),
    _rule("C02-kills-cancer-cells",
          r"\b(?:kills?|destroys?|targets?|shrinks?)\b.{0,30}?\b(?:cancer|tumou?r)\s*cells?\b|"
          r"\bshrinks?\b.{0,30}?\btumou?rs?\b|\banti-?cancer\b|"
          r"\b(?:induc|trigger|promot|enhanc|caus|activat)\w*\b.{0,40}?\bapoptosis\b|"
          r"\bapoptosis\b.{0,20}?\binduc\w*",
          "block", "FDA warning letters (2008, 2017): killing cancer cells",
          'Headline: remove. Body: "In a cell study, MK-4 triggered cell death (lab only)." '
          "+ EVIDENCE_PRECLINICAL + ONCOLOGY"),
    _rule("C03-boosts-therapy",
          r"\b(?:boosts?|enhances?|potentiates?|augments?|synerg\w*)\b.{0,30}?"
          r"\b(?:chemo\w*|radiother\w*|drugs?)\b",
          "block", "21 CFR 101.93(g)(2)(vii): augments a therapy",
          '"A few small studies combined K2 with chemotherapy; ask your oncologist."'),
    _rule("C04-therapy-side-effects",
          r"\b(?:reduces?|prevents?|eases?|mitigates?|relieves?|lessens?)\b.{0,30}?"
          r"\b(?:side[- ]effects?|toxicity)\b.{0,30}?\bchemo",
          "block", "21 CFR 101.93(g)(2)(ix): mitigates adverse events of a therapy",
          "Remove, or a neutral study note + ONCOLOGY"),
    _rule("C05-replaces-treatment",
          r"\b(?:instead of|replaces?|replacing|alternative to)\b.{0,30}?"
          r"\b(?:chemo\w*|surgery|medications?|warfarin|drugs?|treatments?)\b|"
          r"\balternative (?:cancer )?(?:therapy|therapies|treatments?)\b",
          "block", "21 CFR 101.93(g)(2)(vi): substitutes for a therapy",
          "Delete the sentence"),
    _rule("C06-disease-prevention",
          r"\b(?:prevent(?:s|ing)?|revers(?:es|ing|e)|treat(?:s|ing)?|combat(?:s|ing)?|"
          r"protects? against)\b.{0,40}?\b(?:osteoporosis|heart disease|arterial calcification|"
          r"stroke|dementia|alzheimer\w*|diabetes|depression|adhd|"
          r"(?:neurodegenerative|cardiovascular) diseases?)",
          "block", "21 CFR 101.93(g); EU FIC Art 7(3); ASA",
          'US: "K2 supports bone health.*" + FDA_SF_1; EU/UK: the authorised bone claim'),
    _rule("C07-implied-drug-effect",
          r"\b(?:lowers?|lowering|reduces?|reducing)\b.{0,20}?\b(?:cholesterol|blood pressure|"
          r"inr)\b|\binhibits? platelet aggregation\b",
          "block", "FDA S/F Small Entity Compliance Guide (2002): implied disease claims",
          "Remove; add WARFARIN_VKA where INR is discussed"),
    _rule("C08-safe-with-anticoagulants",
          r"\b(?:safe|no interactions?)\b.{0,30}?\b(?:warfarin|coumadin|blood thinners?|"
          r"anticoagulants?)\b",
          "block", "Absolute safety claim; FTC: disclose serious risks",
          "Replace with the full WARFARIN_VKA warning"),
    _rule("C09-absolute-safety",
          r"\b(?:no|zero|without any) (?:known )?side[- ]effects?\b|"
          r"\b(?:100\s?%|completely|totally|perfectly) safe\b|\bharmless\b",
          "block", "Absolute safety claim (FTC)",
          '"Side effects were uncommon in studies; safety data are limited."'),
    _rule("C10-proven",
          r"\b(?:clinically|scientifically) (?:proven|shown)\b|\bstudies (?:show|prove)\b",
          "review", "FTC 2022: health claims need randomized controlled human trials",
          "Name the trial: design, size, length, citation"),
    _rule("C11-hype",
          r"\b(?:miracle|breakthrough|secret|magic|guaranteed?|superfood)\b",
          "review", "FTC 2022; EU 1924/2006 Art 10(3)",
          "Drop the hype word (blocked in a health context)", negatable=False),
    _rule("C12-weak-qualifier",
          r"\b(?:promising|preliminary|pilot|emerging)\b",
          "qualify", "FTC 2022: 'promising'/'preliminary' read as positives, not qualifiers",
          'Say what is not shown: "(cell studies only; not shown in people)"',
          negatable=False, unless=_HUMAN_CAVEAT),
    _rule("C13-unqualified-lab-finding",
          r"\bin (?:vitro|mice|rats)\b|\bcell (?:lines?|cultures?)\b",
          "qualify", "FTC 2022: animal and in vitro studies alone do not substantiate",
          '"In a mouse study, ..." + EVIDENCE_PRECLINICAL',
          negatable=False, requires=_BENEFIT, unless=_HUMAN_CAVEAT),
    _rule("C14-nootropic",
          r"\b(?:nootropics?|brain[- ]boost\w*|cognitive[- ]enhanc\w*)\b",
          "review", "UK ASA: 'nootropic' is a cognitive claim; FDA implied disease claims",
          "\"K2's role in the brain is under study.\" + COGNITIVE_NOOTROPIC", negatable=False),
    _rule("C15-doctor-recommended",
          r"\b(?:doctors?|experts?|physicians?)[- ](?:recommend\w*|approved)\b",
          "review", "EU 1924/2006 Art 12(c) (block for EU/UK audiences)",
          "Cite the guideline or the study instead"),
    _rule("C16-fda-approved",
          r"\bfda[- ](?:approved|cleared|certified)\b|\bapproved by the (?:fda|food and drug "
          r"administration)\b",
          "block", "FDA does not approve dietary supplements",
          "Delete the claim"),
    _rule("C17-deficiency-fear",
          r"\b(?:everyone|most people|you)\b.{0,20}?\b(?:deficient|can'?t get enough)\b",
          "review", "EU/UK general conditions: do not imply a balanced diet is inadequate",
          '"K2 is in natto, some cheeses and egg yolks."'),
    _rule("C18-dose-instruction",
          r"\btake \d+(?:[.,]\d+)?\s?(?:mcg|\u00b5g|\u03bcg|mg)\b",
          "qualify", "Safety: a dose instruction needs its warnings beside it",
          '"Studies used X-Y mcg/day." + CONSULT_BEFORE_USE, WARFARIN_VKA, PREGNANCY_LACTATION'),
    _rule("C19-disease-testimonial",
          r"\b(?:it|this|k2)\b.{0,20}?\b(?:cured|healed)\s+my\b",
          "block", "UK ASA rulings: testimonials count as claims",
          "No disease testimonials"),
    _rule("C20-weight-loss-amount",
          r"\b(?:lose|burn)\s+\d+\s*(?:kg|lbs?|pounds)\b",
          "block", "EU 1924/2006 Art 12(b); CAP 13",
          "Delete the number"),
)

_BY_ID = {r.id: r for r in RULES}


def get_rule(rule_id: str) -> ClaimRule:
    """The claims rule called ``rule_id``; raises KeyError naming the known ids."""
    try:
        return _BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"no claims rule {rule_id!r} (known: {', '.join(_BY_ID)})") from None


def _excerpt(sentence: str, start: int, end: int, width: int = 50) -> str:
    left, right = max(0, start - width), min(len(sentence), end + width)
    text = sentence[left:right].strip()
    return ("\u2026" if left else "") + text + ("\u2026" if right < len(sentence) else "")


def scan(text: str, rules: DisclaimerRules | None = None, *,
         headline: bool = False) -> list[Finding]:
    """Every claims finding in ``text`` (HTML or plain), in text order.

    Our own disclaimers (from ``rules``, default the built-in ones), links and hashtags are
    cut out first. ``headline`` marks a subject line or title, where even a qualified lab
    finding (rule C02) blocks.
    """
    clean = prose(text, rules or builtin_rules())
    findings: list[Finding] = []
    parts = sentences(clean)
    for at, sentence in enumerate(parts):
        # a qualifier counts when it is in the same sentence or the one right after it
        beside = " ".join(parts[at:at + 2])
        for rule in RULES:
            match = next((m for m in rule.pattern.finditer(sentence)
                          if not (rule.negatable and is_negated(sentence, m.start()))), None)
            if match is None:
                continue
            if rule.requires and not rule.requires.search(sentence):
                continue
            if rule.unless and rule.unless.search(beside):
                continue
            around = " ".join(parts[max(0, at - 1):at + 2])
            level = rule.level_for(sentence, headline=headline, around=around)
            findings.append(Finding(rule.id, level,
                                    _excerpt(sentence, match.start(), match.end()),
                                    rule.suggestion, rule.basis))
    return findings
