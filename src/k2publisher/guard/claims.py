"""The claims guard: health claims in the text a reader will see, found by their structure.

A claim is a claim verb in any tense or voice (or its noun: "prevention", "remission") acting on
a disease, a therapy or a harm in the same clause: disease names come from ICD-10-CM plus lay
names, drugs from a list of classes and names plus WHO INN stems
(:mod:`~k2publisher.guard.lexicon`); the detectors are in
:mod:`~k2publisher.guard.claims_detect`. Context changes the verdict
(:mod:`~k2publisher.guard.claims_context`): a negated or debunked statement ("does not cure",
"there is no evidence that ...") is no claim, an interaction warning ("can enhance the effect of
blood thinners and raise the risk of bleeding") is no therapy claim, and a disease statement
attributed to a study with its evidence level ("in mice, ...") is ``qualify`` rather than
``block``. Therapy claims (augmenting, replacing a therapy, easing its adverse effects) always
block: no disclaimer cures them (21 CFR 101.93(g)(2)(vi), (vii), (ix)).

Each :class:`ClaimRule` has an id, a class (:data:`CLASSES`), a level, the regulatory basis and
a safer rewrite. Levels:

* ``block``   -- do not publish as written (an editor rewrites, or records an override);
* ``review``  -- a human checks the evidence behind it;
* ``qualify`` -- publishable only with its qualifier or disclaimer beside it.

:func:`scan` works sentence by sentence on the visible text with our own disclaimers cut out
(:func:`~k2publisher.guard.disclaimers.strip_disclaimers`) and reports each rule once per
sentence. A clean scan means "no known pattern matched", never "approved".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from k2publisher.guard import claims_deficiency as deficiency
from k2publisher.guard import claims_detect as detect
from k2publisher.guard import claims_discourse as discourse
from k2publisher.guard import claims_model as model
from k2publisher.guard import claims_net as net
from k2publisher.guard.claims_context import (
    attributed,
    debunked,
    is_precaution,
    is_warning,
    neutral_report,
    qualifiers,
    reported_then_denied,
    taken_back,
)
from k2publisher.guard.disclaimers import (
    DisclaimerRules,
    builtin_rules,
    prose,
    strip_disclaimers,
)
from k2publisher.guard.lexicon import defined_acronyms, therapies
from k2publisher.guard.text import is_negated, normalise, sentences

__all__ = ["BINDING_KINDS", "CLASSES", "LEARNED_RULES", "LEVELS", "RULES", "ClaimRule",
           "Finding", "binds", "by_class", "get_rule", "learned_level", "qualifier_beside", "scan",
           "stops_publication", "strip_disclaimers"]

LEVELS = ("block", "review", "qualify")
#: what a claim is about (the labels of the corpus in ``tests/guard/corpus``)
CLASSES = ("disease", "therapy:augment", "therapy:substitute", "therapy:adverse", "safety",
           "certainty", "nootropic", "fear", "evidence", "dose", "weight")
#: the classes whose ``qualify`` finding binds: it is published only with its evidence
#: qualifier beside it (:func:`stops_publication`)
BINDING_KINDS = frozenset({"disease", "therapy:augment", "therapy:substitute",
                           "therapy:adverse"})
_F = re.IGNORECASE

#: a plain statement of what has not been shown: turns "promising" or a lab result into a
#: qualified statement
_HUMAN_CAVEAT = re.compile(
    r"\bnot (?:yet )?(?:been )?(?:shown|proven|confirmed|tested|established|studied)\b|"
    r"\bonly in (?:cells|animals|mice|rats|the lab)\b|"
    r"\b(?:cell|animal|lab|mouse)(?:/animal)? (?:studies|data|results|work) only\b|"
    r"\b(?:lab|cell or animal) results only\b|"
    r"\bno (?:human|clinical) (?:trials?|evidence|data)\b|\bunproven in (?:people|humans)\b", _F)
_BENEFIT = re.compile(
    r"\b(?:inhibit|suppress|reduc|prevent|kill|improv|protect|slow|block|induc|trigger|shrink|"
    r"promot|enhanc|boost|lower|extend|decreas|restor|revers|stop|halt)\w*", _F)
_HEALTH = re.compile(
    r"\b(?:cancer|tumou?r|disease|cure|treat|heal|health|heart|bone|brain|memory|immun|symptom|"
    r"therap|pain|diabet|dementia|blood|arter|weight|clinical|medic)\w*", _F)
_SEVERE_COGNITIVE = re.compile(r"\b(?:dementia|alzheimer\w*|adhd|depressi\w*|autism)\b", _F)
_DISEASE_RULES = frozenset({"C01-disease-cure", "C02-kills-cancer-cells",
                            "C06-disease-prevention", "C07-implied-drug-effect"})

Detector = Callable[[str, frozenset[str]], list[detect.Hit]]


@dataclass(frozen=True)
class ClaimRule:
    """One claims rule: what it matches, its class, how serious it is, why, what to write instead.

    A rule either has a ``pattern`` (a regular expression) or is found by a structural
    detector of :mod:`~k2publisher.guard.claims_detect` (``pattern`` is None).
    ``requires``: the sentence must also match this for the rule to apply.
    ``unless``: the sentence is already qualified when it (or the next one) matches this.
    ``negatable``: a negation earlier in the clause ("does not ...") disarms the match.
    """

    id: str
    kind: str
    pattern: re.Pattern[str] | None
    level: str
    basis: str
    suggestion: str
    negatable: bool = True
    requires: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None

    def level_for(self, sentence: str, *, headline: bool, around: str = "") -> str:
        """The level of a match in ``sentence`` (some rules depend on their context).

        A disease statement attributed to a study with its evidence level (in the sentence,
        or ``around`` it for a table's caption) is ``qualify`` except in a headline.
        """
        if self.id in _DISEASE_RULES or self.id == "L01-learned-disease-claim":
            if headline or not attributed(around or sentence):
                return "block"
            # a study's result taken back by its own caveat is a study note
            return "review" if taken_back(sentence) else "qualify"
        if self.id == "C11-hype":
            return "block" if _HEALTH.search(sentence) else "review"
        if self.id == "C14-nootropic":
            return "block" if _SEVERE_COGNITIVE.search(sentence) else "review"
        return self.level


@dataclass(frozen=True)
class Finding:
    """One match of a claims rule: the rule id, its level, where, a safer rewrite, its class.

    ``claim`` is the matched words, ``sentence`` the sentence they stand in; ``qualifier``
    (a binding ``qualify`` finding, :func:`binds`) the evidence qualifier phrases that made
    it ``qualify`` ("in mice", "small clinical studies"), which must stay beside it.
    """

    rule: str
    level: str
    excerpt: str
    suggestion: str
    basis: str = ""
    kind: str = ""
    claim: str = ""
    sentence: str = ""
    qualifier: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.rule} ({self.level}): \u201c{self.excerpt}\u201d; {self.suggestion}"


def binds(finding: Finding) -> bool:
    """True when ``finding`` is a disease or therapy claim rated ``qualify`` (an attributed
    study note): publishable only with its evidence qualifier beside it."""
    return finding.level == "qualify" and finding.kind in BINDING_KINDS


def stops_publication(finding: Finding, carried: str | None = None,
                      rules: DisclaimerRules | None = None) -> bool:
    """The one definition of "this finding stops publication", for the guard
    (:func:`k2publisher.guard.check.check`, so ``Pipeline.prepare``) and the bench's scoring
    (:mod:`k2publisher.guard.claims_corpus`).

    A ``block`` always stops (an editor's override is the guard's to honour, not this
    function's). A binding ``qualify`` (:func:`binds`) stops unless its evidence qualifier is
    beside it in ``carried`` (:func:`qualifier_beside`): the reader-visible unit the claim
    goes out in -- one post (a thread's part travels alone), an email body, a feed entry or
    summary, a page. ``carried=None`` asks about the claim bare, nothing beside its words:
    does the guard hold it (the bench's question)? ``review`` and other ``qualify`` findings
    never stop publication (their disclaimers are the disclaimer check's).
    """
    if finding.level == "block":
        return True
    if not binds(finding):
        return False
    return carried is None or not qualifier_beside(finding, carried, rules)


def qualifier_beside(finding: Finding, carried: str,
                     rules: DisclaimerRules | None = None) -> bool:
    """True when ``carried`` holds ``finding``'s claim with all of its evidence qualifier
    phrases beside it: in the same sentence, or in the caption or list heading right before
    that sentence (a table's "Summary (cell and animal studies)", a list's "In mice:").

    Anything else is not beside: another post of the thread, the link card, a footer, a
    disclaimer (ours are cut out first), a paragraph further up the page.
    """
    if not finding.qualifier:
        return False
    parts = sentences(prose(carried, rules or builtin_rules()))
    # a claim read from the item's Markdown keeps its list marker ("-Metabolic ..."), which
    # an HTML rendering carries as <li> instead
    claim = _LIST_MARK.sub("", normalise(finding.claim or finding.sentence)).casefold()
    # word by word: a plain-text table wraps a cell ("small" and "trials" on two lines)
    wanted = {w for q in finding.qualifier for w in _WORD.findall(q.casefold())}
    for at, part in enumerate(parts):
        if claim not in normalise(part).casefold():
            continue
        beside = " ".join((_with_caption(parts, at), discourse.list_heading(parts, at)))
        if wanted <= set(_WORD.findall(normalise(beside).casefold())):
            return True
    return False


_WORD = re.compile(r"\w+(?:-\w+)*")
_LIST_MARK = re.compile(r"^\s*[-*+\u2022]\s*")


def _rule(ident: str, kind: str, pattern: str | None, level: str, basis: str,
          suggestion: str, *, negatable: bool = True, requires: re.Pattern[str] | None = None,
          unless: re.Pattern[str] | None = None) -> ClaimRule:
    compiled = re.compile(pattern, _F) if pattern else None
    return ClaimRule(ident, kind, compiled, level, basis, suggestion, negatable, requires,
                     unless)


_STUDY_CERTAINTY = (
    r"\b(?:clinically|scientifically|medically) (?:proven|shown|validated|tested)\b|"
    r"\b(?:stud(?:y|ies)|research|science|trials?|evidence|data) (?:\w+ ){0,2}?(?:show|shows|"
    r"prove|proves|proven|confirm|confirms|confirmed|validates?|validated|have shown|has shown|"
    r"has proven|have proven|has demonstrated|have demonstrated)\b|\bproven to\b|"
    r"\b(?:it is|it's) (?:\w+ )?proven\b|\bscience-backed\b|\bworks? for everyone\b|"
    r"\bdemonstrat\w* (?:\w+ )?(?:significant|broad|clear|strong|remarkable|positive)\b|"
    r"\bhighlight\w* (?:\w+ ){0,2}?(?:clinical )?potential\b|\bnow validates?\b|"
    r"\bsupports? (?:its|the) (?:use|potential|role)\b|"
    r"\b(?:backed|supported|proven) by (?:\w+ ){0,3}?(?:studies|research|science|trials|"
    r"evidence|data)\b|\bthe science is (?:settled|clear|in)\b|\bbeyond (?:any |all )?doubt\b")
_FEAR = (
    r"\b(?:everyone|everybody|most people|almost everyone|most of us|you|\d+ ?(?:%|percent) of "
    r"(?:people|adults|us|americans))\b(?: \w+){0,4}? (?:deficient|can'?t get enough|lacking)\b|"
    r"\b(?:normal|modern|balanced|typical|healthy) diet (?:\w+ ){0,2}?(?:can ?not|can't|no longer|"
    r"doesn't|does not|won't|will not|fails to) (?:\w+ ){0,2}?(?:provide|give|supply|deliver|"
    r"enough)\b|\b(?:challenging|difficult|hard|impossible) to (?:obtain|get) (?:\w+ ){0,4}?"
    r"(?:through|from|solely through) (?:\w+ )?diet\b|\bwithout (?:adequate|enough|sufficient) "
    r"[^,]{1,40},|\bsilently (?:damag|kill|harm|destroy)\w*|\bdangerously (?:high|low)\b|"
    r"\bevery day without\b|\bout of control\b|\bstart(?:s)? dying\b|"
    r"\bsub-?optimal\b[^.]{0,40}\bcommon\b|\bdeficiency risks?\b|"
    r"\b(?:poor|low|inadequate) (?:dietary )?(?:\w+ ){0,3}?(?:intake|status)\b[^.]{0,40}"
    r"\bbenefit\w* (?:\w+ )?from supplement|"
    # the reader's body in danger: "your thyroid is starving", "your body falls behind"
    r"\byour (?:\w+ )?(?:body|brain|heart|bones|thyroid|liver|gut|cells|immune system|energy|"
    r"skin|joints|arteries|hormones|microbiome)\b (?:\w+ )?(?:is|are|keeps|will)? ?(?:starving|"
    r"drained|being drained|depleted|failing|dying|at risk|paying the price|suffering|crying out|"
    r"falls? behind|running (?:on empty|dry)|run dry|breaking down)\b|"
    r"\b(?:every|each) (?:day|meal|year|week) without\b|"
    r"\b(?:quietly|silently|slowly|secretly) (?:ruin|destroy|damag|starv|kill|drain|rob)\w*|"
    r"\b(?:soil|food|farmland|crops?) (?:is|are) (?:now )?(?:depleted|stripped|empty)\b|"
    r"\bno longer (?:gives|provides|supplies|contains) (?:you )?(?:the |enough )?(?:nutrients|"
    r"vitamins|minerals)\b")

#: the rules, in the order of reference §6 (C01-C20; C01-C09, C14 and C19 are structural), then
#: C21 (a classical nutrient-deficiency disease, :mod:`~k2publisher.guard.claims_deficiency`),
#: then the safety net's two (N01, N02; :mod:`~k2publisher.guard.claims_net`) and the learned
#: second opinion's three (L01-L03; :mod:`~k2publisher.guard.claims_model`)
RULES: tuple[ClaimRule, ...] = (
    _rule("C01-disease-cure", "disease", None,
          "block", "21 CFR 101.93(g)(2); EU FIC 1169/2011 Art 7(3); UK CAP 15.6.2",
          '"<Supplement> has been studied in <condition>, mostly in labs; there is no evidence '
          'it helps people." + the condition\'s warning'),
    _rule("C02-kills-cancer-cells", "disease", None,
          "block", "FDA warning letters (2008, 2017): killing cancer cells",
          'Headline: remove. Body: "In a cell study, <supplement> triggered cell death '
          '(lab only)." + EVIDENCE_PRECLINICAL + ONCOLOGY'),
    _rule("C03-boosts-therapy", "therapy:augment", None,
          "block", "21 CFR 101.93(g)(2)(vii): augments a therapy; no disclaimer cures it",
          'Remove the claim; at most "A few small studies combined <supplement> with '
          '<therapy>; ask your specialist."'),
    _rule("C04-therapy-side-effects", "therapy:adverse", None,
          "block", "21 CFR 101.93(g)(2)(ix): mitigates adverse events of a therapy",
          "Remove, or a neutral study note + the therapy's warning"),
    _rule("C05-replaces-treatment", "therapy:substitute", None,
          "block", "21 CFR 101.93(g)(2)(vi): substitutes for a therapy",
          "Delete the sentence"),
    _rule("C06-disease-prevention", "disease", None,
          "block", "21 CFR 101.93(g)(2); EU FIC Art 7(3); ASA",
          'US: a structure/function statement ("supports normal ...*") + FDA_SF_1; EU/UK: the '
          "authorised claim's wording"),
    _rule("C07-implied-drug-effect", "disease", None,
          "block", "FDA S/F Small Entity Compliance Guide (2002): implied disease claims",
          "Remove; keep any interaction warning (INR, blood sugar, blood pressure)"),
    _rule("C08-safe-with-anticoagulants", "safety", None,
          "block", "Absolute safety claim; FTC: disclose serious risks",
          "Replace with the item's interaction warning in full"),
    _rule("C09-absolute-safety", "safety", None,
          "block", "Absolute safety claim (FTC)",
          '"Side effects were uncommon in studies; safety data are limited."'),
    _rule("C10-proven", "certainty", _STUDY_CERTAINTY,
          "review", "FTC 2022: health claims need randomized controlled human trials",
          "Name the trial: design, size, length, citation"),
    _rule("C11-hype", "certainty",
          r"\b(?:miracle|breakthrough|secret|magic|guaranteed?|superfood)\b",
          "review", "FTC 2022; EU 1924/2006 Art 10(3)",
          "Drop the hype word (blocked in a health context)"),
    _rule("C12-weak-qualifier", "evidence", r"\b(?:promising|preliminary|pilot|emerging)\b",
          "qualify", "FTC 2022: 'promising'/'preliminary' read as positives, not qualifiers",
          'Say what is not shown: "(cell studies only; not shown in people)"',
          negatable=False, unless=_HUMAN_CAVEAT),
    _rule("C13-unqualified-lab-finding", "evidence",
          r"\bin (?:vitro|mice|rats)\b|\bcell (?:lines?|cultures?)\b",
          "qualify", "FTC 2022: animal and in vitro studies alone do not substantiate",
          '"In a mouse study, ..." + EVIDENCE_PRECLINICAL',
          negatable=False, requires=_BENEFIT, unless=_HUMAN_CAVEAT),
    _rule("C14-nootropic", "nootropic", None,
          "review", "UK ASA: 'nootropic' is a cognitive claim; FDA implied disease claims",
          '"<Supplement>\'s role in the brain is under study." + COGNITIVE_NOOTROPIC'),
    _rule("C15-doctor-recommended", "certainty",
          r"\b(?:doctors?|experts?|physicians?)[- ](?:recommend\w*|approved)\b",
          "review", "EU 1924/2006 Art 12(c) (block for EU/UK audiences)",
          "Cite the guideline or the study instead"),
    _rule("C16-fda-approved", "certainty",
          r"\bfda[- ](?:approved|cleared|certified)\b|\bapproved by the (?:fda|food and drug "
          r"administration)\b",
          "block", "FDA does not approve dietary supplements",
          "Delete the claim"),
    _rule("C17-deficiency-fear", "fear", _FEAR,
          "review", "EU/UK general conditions: do not imply a balanced diet is inadequate or "
          "exploit fear",
          "Name the food sources instead; drop the fear"),
    _rule("C18-dose-instruction", "dose",
          r"\btake \d+(?:[.,]\d+)?\s?(?:mcg|\u00b5g|\u03bcg|mg)\b",
          "qualify", "Safety: a dose instruction needs its warnings beside it",
          '"Studies used X-Y mcg/day." + CONSULT_BEFORE_USE and the item\'s warnings'),
    _rule("C19-disease-testimonial", "disease", None,
          "block", "UK ASA rulings: testimonials count as claims",
          "No disease testimonials"),
    _rule("C20-weight-loss-amount", "weight",
          r"\b(?:lose|burn)\s+\d+\s*(?:kg|lbs?|pounds)\b",
          "block", "EU 1924/2006 Art 12(b); CAP 13",
          "Delete the number"),
    _rule("C21-deficiency-disease", "disease", None,
          "review", "21 CFR 101.93(g)(1): a classical nutrient-deficiency disease is no disease "
          "for a structure/function statement; FD&C Act 403(r)(6)(A): a benefit related to one "
          "must disclose the disease's prevalence in the United States",
          "Say how common the disease is in the US beside the benefit (the source below), or "
          "drop the benefit"),
    # the safety net (claims_net): what the grammar above could not classify still blocks
    _rule(net.DISEASE_RULE, "disease", None,
          "block", "21 CFR 101.93(g)(2): a disease named and tied to an effect",
          "Possible disease claim the guard could not classify: rewrite without the disease, "
          "or record an override with a reason (guard_overrides)"),
    _rule(net.THERAPY_RULE, "therapy:augment", None,
          "block", "21 CFR 101.93(g)(2)(vi), (vii), (ix): a therapy named and paired, replaced "
          "or its harm eased",
          "Possible therapy claim the guard could not classify: remove it, or record an "
          "override with a reason (guard_overrides)"),
    # the learned second opinion (claims_model): what reads like a claim to a model trained on
    # the training corpus, where the rules found none (review) or none that blocks (block)
    _rule("L01-learned-disease-claim", "disease", None,
          "review", "21 CFR 101.93(g)(2): reads like a disease claim (learned second opinion)",
          "Check it: rewrite without the disease claim, or record an override with a reason "
          "(guard_overrides)"),
    _rule("L02-learned-therapy-claim", "therapy:augment", None,
          "review", "21 CFR 101.93(g)(2)(vi), (vii), (ix): reads like a therapy claim (learned "
          "second opinion)",
          "Check it: remove a therapy claim, or record an override with a reason "
          "(guard_overrides)"),
    _rule("L03-learned-safety-claim", "safety", None,
          "review", "Absolute safety claim (FTC): reads like one (learned second opinion)",
          "Check it: replace with what the studies found (side effects, interactions, limits), "
          "or record an override with a reason (guard_overrides)"),
)
#: the learned second opinion's classes (:mod:`~k2publisher.guard.claims_model`) -> its rule
LEARNED_RULES = {"disease": "L01-learned-disease-claim", "therapy": "L02-learned-therapy-claim",
                 "safety": "L03-learned-safety-claim"}
_SAFE_WORD = re.compile(r"\bsafe(?:ly)?\b", _F)
_UNSAFE = re.compile(r"\bunsafe\b", _F)
#: what the model may block: a sentence of six words or more that ends like one
_FULL_SENTENCE = re.compile(r"^\W*(?:\S+\s+){5,}\S*[.!?][\"'\u201d\u2019)]*\s*$")

_BY_ID = {r.id: r for r in RULES}


def get_rule(rule_id: str) -> ClaimRule:
    """The claims rule called ``rule_id``; raises KeyError naming the known ids."""
    try:
        return _BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"no claims rule {rule_id!r} (known: {', '.join(_BY_ID)})") from None


_SEVERITY = {"block": 0, "qualify": 1, "review": 2}


def by_class(findings: list[Finding]) -> dict[str, str]:
    """The worst level found per claim class: ``{"disease": "block", "nootropic": "review"}``."""
    out: dict[str, str] = {}
    for f in findings:
        if f.kind not in out or _SEVERITY[f.level] < _SEVERITY[out[f.kind]]:
            out[f.kind] = f.level
    return out


def _excerpt(sentence: str, start: int, end: int, width: int = 50) -> str:
    left, right = max(0, start - width), min(len(sentence), end + width)
    text = sentence[left:right].strip()
    return ("\u2026" if left else "") + text + ("\u2026" if right < len(sentence) else "")


def _with_caption(parts: list[str], at: int) -> str:
    """The sentence at ``at`` with the heading or caption right before it (a line without
    final punctuation: "Summary table (lab and animal studies)"), which attributes it."""
    before = parts[at - 1].strip() if at else ""
    if before and before[-1] not in ".!?;:" and len(before) <= 120:
        return f"{before} {parts[at]}"
    return parts[at]


def _structural(sentence: str, acronyms: frozenset[str], headline: bool,
                before: str) -> list[detect.Hit]:
    return (detect.disease_claims(sentence, acronyms, headline=headline, before=before)
            + detect.therapy_claims(sentence, before)
            + detect.safety_claims(sentence) + detect.nootropic_claims(sentence))


def _sentence_findings(parts: list[str], at: int, acronyms: frozenset[str],
                       headline: bool) -> list[Finding]:
    """The findings of ``parts[at]`` on its own (with the sentence before it as context)."""
    sentence = parts[at]
    # a qualifier counts when it is in the same sentence or the one right after it
    beside = " ".join(parts[at:at + 2])
    if at + 1 < len(parts) and reported_then_denied(sentence, parts[at + 1]):
        return []
    spans: dict[str, tuple[int, int]] = {}
    for hit in _structural(sentence, acronyms, headline, parts[at - 1] if at else ""):
        spans.setdefault(hit.rule, (hit.start, hit.end))
    findings: list[Finding] = []
    for rule in RULES:
        if rule.pattern is None:
            span = spans.get(rule.id)
        else:
            match = next((m for m in rule.pattern.finditer(sentence)
                          if not (rule.negatable and (is_negated(sentence, m.start())
                                                      or debunked(sentence, m.start())))),
                         None)
            span = match.span() if match else None
        if span is None:
            continue
        if rule.requires and not rule.requires.search(sentence):
            continue
        if rule.unless and rule.unless.search(beside):
            continue
        if rule.id == "C07-implied-drug-effect" and at + 1 < len(parts) and \
                _precaution_follows(sentence, parts[at + 1]):
            continue
        around = _with_caption(parts, at)
        level = rule.level_for(sentence, headline=headline, around=around)
        findings.append(_finding(rule, level, sentence, span, around))
    return findings


def _finding(rule: ClaimRule, level: str, sentence: str, span: tuple[int, int],
             around: str = "", excerpt: str = "", kind: str = "") -> Finding:
    """``rule``'s finding on ``sentence[span]``; a binding one carries its qualifier, from the
    sentence, else from ``around`` it (a caption, a list heading)."""
    found = Finding(rule.id, level, excerpt or _excerpt(sentence, *span), rule.suggestion,
                    rule.basis, kind or rule.kind, claim=sentence[span[0]:span[1]].strip(),
                    sentence=sentence)
    if binds(found):
        found = replace(found, qualifier=qualifiers(sentence) or qualifiers(around))
    return found


def _precaution_follows(sentence: str, after: str) -> bool:
    """True when ``sentence`` ends in ";" and the clause after it is the precaution its effect
    calls for ("Fenugreek can lower blood sugar; people on insulin should monitor ...")."""
    return sentence.rstrip().endswith(";") and (
        is_precaution(after) or (is_warning(after) and bool(therapies(after))))


#: what a yes/no question in running text asks is only asserted by its answer
_ASKED = frozenset({"disease", "therapy:augment", "therapy:substitute", "therapy:adverse",
                    "safety", "certainty", "nootropic"})


def _in_discourse(parts: list[str], at: int, acronyms: frozenset[str], headline: bool,
                  own: list[Finding]) -> list[Finding]:
    """``own`` (the findings of ``parts[at]``) as the text around it changes them: a question
    asks (``review``), its affirmative answer asserts what it asked, a list heading that
    frames a claim ("Conditions X helps with:") makes an item naming a disease a claim."""
    sentence = parts[at]
    out = own
    if not headline and discourse.is_yes_no_question(sentence):
        out = [replace(f, level="review") if f.kind in _ASKED and f.level != "review" else f
               for f in own]
    if at and discourse.answers(parts[at - 1], sentence):
        have = {f.rule for f in out}
        for f in _sentence_findings(parts, at - 1, acronyms, headline):
            if f.kind in _ASKED and f.rule not in have:
                rule = get_rule(f.rule)
                level = rule.level_for(sentence, headline=headline, around=sentence)
                if f.kind == "safety" and is_warning(sentence):
                    continue  # "Yes, but only under your doctor's eye": a precaution
                out.append(_finding(rule, level, sentence, (0, min(len(sentence), 60)),
                                    kind=f.kind))
    heading = discourse.list_heading(parts, at)
    if heading and discourse.frames_a_claim(heading) and \
            not any(f.kind == "disease" for f in out) and \
            detect.names_a_disease(sentence, acronyms) and not is_negated(sentence, len(sentence)):
        rule = get_rule("C01-disease-cure")
        out.append(_finding(rule, rule.level_for(heading + " " + sentence, headline=headline),
                            sentence, (0, len(sentence)), heading,
                            _excerpt(f"{heading} {sentence}", 0,
                                     len(heading) + len(sentence) + 1)))
    return out


def scan(text: str, rules: DisclaimerRules | None = None, *,
         headline: bool = False, context: str = "", before: str = "",
         learned: bool = True) -> list[Finding]:
    """Every claims finding in ``text`` (HTML or plain), in text order.

    Our own disclaimers (from ``rules``, default the built-in ones), links and hashtags are
    cut out first. ``headline`` marks a subject line or title, where even an attributed
    disease statement blocks. ``context`` is the page ``text`` comes from, when it is only a
    part: the disease acronyms the page defines ("hepatocellular carcinoma (HCC)") count.
    ``before`` is the text that comes right before ``text`` on that page (one sentence or
    more): a claim that names no disease ("This suggests a preventive effect") refers to the
    sentence before, an answer to the question before it, a list item to its heading.
    ``learned=False`` leaves out the learned second opinion (the rules alone).
    """
    rules = rules or builtin_rules()
    clean = prose(text, rules)
    acronyms = defined_acronyms(clean + " " + context)
    lead = sentences(prose(before, rules)) if before else []
    parts = lead + sentences(clean)
    findings: list[Finding] = []
    for at in range(len(lead), len(parts)):
        own = _sentence_findings(parts, at, acronyms, headline)
        here = _in_discourse(parts, at, acronyms, headline, own)
        here += _caught(parts, at, acronyms, here)
        here = _deficiency_benefit(parts, at, acronyms, here)
        if learned:
            here = _deficiency_benefit(
                parts, at, acronyms, here + _second_opinion(parts, at, acronyms, headline, here))
        findings += here
    return findings


#: disease findings that a classical nutrient-deficiency disease tied to its nutrient turns into
#: ``C21-deficiency-disease`` (a cancer-cell claim or an implied drug effect stays what it is)
_DEFICIENCY_DEMOTES = frozenset({"C01-disease-cure", "C06-disease-prevention",
                                 "C19-disease-testimonial", net.DISEASE_RULE,
                                 "L01-learned-disease-claim"})


def _deficiency_benefit(parts: list[str], at: int, acronyms: frozenset[str],
                        found: list[Finding]) -> list[Finding]:
    """``found`` with its disease findings replaced by one ``C21-deficiency-disease`` review note
    when the only diseases ``parts[at]`` names are classical nutrient-deficiency diseases tied
    to their nutrient (:func:`~k2publisher.guard.claims_deficiency.tie`): 21 CFR
    101.93(g)(1) does not count them as diseases, and 403(r)(6)(A) asks for their US
    prevalence beside the benefit."""
    if not any(f.rule in _DEFICIENCY_DEMOTES for f in found):
        return found
    tied = deficiency.tie(parts[at], parts[at - 1] if at else "", acronyms)
    if tied is None:
        return found
    rule = get_rule("C21-deficiency-disease")
    span = (tied.start, tied.end) if tied.end else (0, len(parts[at]))
    note = _finding(rule, "review", parts[at], span)
    why = (f"Classical nutrient-deficiency disease ({tied.disease}, tied to {tied.nutrient}): "
           f"no disease claim, but say how common {tied.disease} is in the US beside the "
           f"benefit (source: {tied.row.source}), or drop the benefit")
    return [f for f in found if f.rule not in _DEFICIENCY_DEMOTES] + [
        replace(note, suggestion=why)]


def learned_level(kind: str, score_level: str | None, sentence: str, flagged: set[str], *,
                  headline: bool = False, around: str = "") -> str | None:
    """The level the learned second opinion gets for ``kind`` (a key of :data:`LEARNED_RULES`) in
    ``sentence``, or None: the one place where the verdicts of rules and model combine.

    ``score_level`` is what the model's score reaches (``review``, ``block`` or None),
    ``flagged`` the classes the rules flagged in the sentence at any level. The model speaks
    only for a class the rules did not flag -- what they classified is theirs to rate, as for
    the safety net -- so it never lowers or removes a rule's finding. A block is the rules' own
    ``qualify`` for a disease statement attributed to a study, and ``review`` for what is no
    full sentence (a heading, a tag line), which the model was not trained to read, and for an
    absolute-safety opinion on a study's report of what it observed ("no serious side effects
    were reported"), which the rules' own safety detector does not count as a claim either. A
    sentence that denies safety ("X is not safe in pregnancy", by the rules' negation test) gets
    no safety opinion: the model reads "safe" and a negation, not which governs which. A
    disease opinion on a classical nutrient-deficiency disease tied to its nutrient
    (:mod:`~k2publisher.guard.claims_deficiency`) is at most ``review``; :func:`scan` turns it
    into ``C21-deficiency-disease``.
    """
    if score_level is None or kind in flagged:
        return None
    if kind == "disease" and deficiency.tie(sentence) is not None:
        return "review"  # a classical nutrient-deficiency disease tied to its nutrient: C21
    if score_level == "block" and not _FULL_SENTENCE.search(sentence):
        return "review"
    if kind == "safety" and _denies_safety(sentence):
        return None
    if score_level == "block" and kind == "safety" and neutral_report(sentence):
        return "review"
    if score_level == "block" and kind == "disease":
        return get_rule(LEARNED_RULES[kind]).level_for(sentence, headline=headline, around=around)
    return score_level


def _denies_safety(sentence: str) -> bool:
    """True when ``sentence`` says something is not safe ("unsafe", "is not safe for")."""
    return bool(_UNSAFE.search(sentence)) or any(
        is_negated(sentence, m.start()) for m in _SAFE_WORD.finditer(sentence))


def _second_opinion(parts: list[str], at: int, acronyms: frozenset[str], headline: bool,
                    found: list[Finding]) -> list[Finding]:
    """The learned model's findings for ``parts[at]`` (levels by :func:`learned_level`)."""
    kinds = {f.kind.split(":")[0] for f in found}
    if set(LEARNED_RULES) <= kinds:
        return []
    out = []
    for op in model.opinion(parts[at], acronyms):
        around = _with_caption(parts, at)
        level = learned_level(op.kind, op.level, parts[at], kinds, headline=headline,
                              around=around)
        if level is None:
            continue
        rule = get_rule(LEARNED_RULES[op.kind])
        finding = _finding(rule, level, parts[at], (0, len(parts[at])), around)
        out.append(replace(finding, suggestion=f"{op}. {rule.suggestion}"))
    return out


def _caught(parts: list[str], at: int, acronyms: frozenset[str],
            found: list[Finding]) -> list[Finding]:
    """The safety net's findings for ``parts[at]``: a disease or therapy claim the grammar
    (``found``) did not block."""
    # what the grammar classified (at any level: an attributed study note is its ``qualify``)
    # is the grammar's to rate; the net covers what it did not see
    blocked = frozenset(f.kind for f in found)
    if at + 1 < len(parts) and reported_then_denied(parts[at], parts[at + 1]):
        return []  # someone else's claim, denied right after: not made
    out = []
    for rule_id, kind, start, end in net.catch(parts, at, acronyms, blocked):
        rule = get_rule(rule_id)
        out.append(_finding(rule, "block", parts[at], (start, end), kind=kind))
    return out
