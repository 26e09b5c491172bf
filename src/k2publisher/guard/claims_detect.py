"""The structural claim detectors: a claim verb (any tense or voice, or its noun) near a disease,
a therapy or a harm, in the same clause, unless the context disarms it.

Each detector takes one sentence and returns :class:`Hit` s naming the claims rule (ids of
:data:`k2publisher.guard.claims.RULES`). The vocabulary (diseases, drugs) comes from
:mod:`k2publisher.guard.lexicon`; the context tests from :mod:`k2publisher.guard.claims_context`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from k2publisher.guard import claims_grammar as grammar
from k2publisher.guard.claims_context import clauses, debunked, is_warning, neutral_report
from k2publisher.guard.lexicon import Mention, diseases, therapies
from k2publisher.guard.text import is_negated

__all__ = ["Hit", "disease_claims", "nootropic_claims", "safety_claims", "therapy_claims"]

_F = re.IGNORECASE
_NEAR = 90  # characters between a claim verb and what it acts on


@dataclass(frozen=True)
class Hit:
    """One detected claim: the rule it falls under and the span of the sentence it covers."""

    rule: str
    start: int
    end: int


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b", _F)


#: acting on a disease, its signs or its course
_CURE = _rx(
    r"cur(?:e|es|ed|ing|ative|atives)|treat(?:s|ed|ing|ment|ments)?|heal(?:s|ed|ing)?|"
    r"revers(?:e|es|ed|ing|al)|fight(?:s|ing)?|fought|combat(?:s|ed|ing|ting|ted)?|"
    r"beat(?:s|ing|en)?|defeat\w*|eradicat\w*|eliminat\w*|alleviat\w*|reliev\w*|relief|"
    r"eas(?:e|es|ed|ing)|improv\w*|remission|regress\w*|normali[sz]\w*|restor\w*|"
    r"regenerat\w*|counteract\w*|"
    r"respond(?:s|ed)? to|remed(?:y|ies)|resolv\w*|ended|ends (?:my|your|their)|"
    r"got rid of|get rid of|slow(?:s|ed|ing)?|shr(?:ink|inks|ank|unk|inking)|"
    r"reduc(?:e|es|ed|ing|tions?)|lower(?:s|ed|ing)?|decreas\w*|lessen\w*|mitigat\w*|"
    r"prolong\w*|extend(?:s|ed|ing)? survival|works? (?:for|against)|"
    r"help(?:s|ed|ing)? (?:with|against)|good for|"
    r"promising (?:results|outcomes|effects|activity|responses)|"
    r"(?:agent|adjunct|candidate|role|efficacy|effectiveness|promise|benefits?) "
    r"(?:in|for|as|against)|(?:adjunct\w*|alternative|stand-?alone) (?:\w+ )?therap(?:y|ies) "
    r"(?:in|for|against)")
#: verbs that claim only with the disease as their object, right after them ("stops X")
_CURE_OBJECT = _rx(
    r"stop(?:s|ped|ping)?|halt\w*|limit(?:s|ed|ing)?|control(?:s|ling)?|"
    r"manag(?:e|es|ed|ing)|clear(?:s|ed|ing)?|beat(?:s|ing)?|knock\w* out|less|fewer|better")
_OBJECT_GAP = 30
#: outcomes that only a disease has: improving them is a disease claim on its own
_OUTCOME = re.compile(
    r"\b(?:reduc(?:e|es|ed|ing|tions?)|improv\w*|prolong\w*|extend\w*|lower\w*|decreas\w*|longer|better|"
    r"fewer|suppress\w*)\b (?:\w+ ){0,2}?(?:recurrence|relapse|prognosis|survival|mortality|"
    r"transfusion need|need for (?:\w+ )?transfusions|disease burden|remission rates?)\b|"
    r"\b(?:higher|better|improved|greater|increased) (?:\w+ )?response rates?\b|"
    r"\b(?:complete |led to |achieved |induced |in )?remission\b|\bdisease control\b", _F)
#: a claim whose disease is named only in the sentence before ("... prostate cancer. This
#: suggests a possible preventive effect.")
_DISEASE_HITS = ("C01-disease-cure", "C02-kills-cancer-cells", "C06-disease-prevention")
_ELLIPTICAL = _rx(
    r"prevent(?:ive|ative) (?:\w+ )?(?:effects?|benefits?|role|potential|properties)|"
    r"(?:especially |particularly )?beneficial (?:for|in) (?:these|this|such|those)|"
    r"therapeutic (?:effects?|potential|benefits?|role)|"
    r"benefit (?:more |most )?from (?:supplementation|it|vk2|treatment)")
#: lacking the product leads to a disease (an implied prevention claim)
_LACK = re.compile(
    r"\b(?:without (?:adequate|enough|sufficient)|lack of|deficien\w*|sub-?optimal|"
    r"low (?:levels?|intake|status)|poor (?:dietary )?(?:\w+ )?(?:intake|status))\b", _F)
_LEADS_TO = re.compile(r"\b(?:risks?|lead\w* to|linked to|caus\w*|contribut\w* to)\b", _F)
_NEGATION_WORD = re.compile(r"\b(?:not|no|never|nor|without)\b", _F)
#: lowering the risk of a disease
_PREVENT = _rx(
    r"prevent(?:s|ed|ing|ion|ive|ative)?|protect(?:s|ed|ing|ion|ive)? (?:\w+ ){0,3}?"
    r"(?:against|from)|wards? off|warded off|keeps? (?:\w+ ){0,2}away|avert\w*|"
    r"(?:reduc(?:e|es|ed|ing|tions?)|lower\w*|decreas\w*|cut\w*) (?:\w+ ){0,3}?risks?|"
    r"risk reduction|"
    r"less likely to (?:die|develop|get)")
#: acting on cancer cells or tumours
_CELL = _rx(
    r"kill(?:s|ed|ing)?|destroy(?:s|ed|ing)?|shr(?:ink|inks|ank|unk|inking|inkage)|"
    r"(?:induc|trigger|caus|promot|activat)\w* (?:\w+ ){0,4}?(?:apoptosis|cell death|death|"
    r"autophag\w*|cell-cycle arrest|arrest)|starv\w*|attack\w*|anti-?proliferat\w*|"
    r"(?:target|disrupt|suppress|inhibit|block|limit)\w* (?:\w+ ){0,3}?(?:growth|proliferation|"
    r"invasion|metasta\w*|progression|spread|recurrence|angiogenesis|survival|cells?)|"
    r"(?:growth|proliferation|invasion|tumou?r|cancer) (?:suppression|inhibition)|"
    r"(?:lead\w* to|led to|result\w* in) (?:[\w-]+ ){0,5}?(?:cell death|apoptosis)|"
    r"act(?:s|ed|ing)? (?:on|against)|effects? (?:of \w+ )?(?:on|against)|"
    r"(?:tumou?r|cancer)[- ]suppress\w*|(?:apoptosis|cell death|autophagy) induction|"
    r"induction of (?:apoptosis|cell death|autophagy)|(?:enhanc|increas|more)\w* apoptosis")
_DEATH = re.compile(r"apoptosis|cell death|autophag|kill|destroy|shr[iau]nk", _F)
_CANCER = re.compile(r"cancer|tumou?r|malignan|carcinoma|leuka?em|lymphoma|metasta|neoplas|"
                     r"myeloma|sarcoma|melanoma|glioma|blastoma", _F)
_ANTI = re.compile(
    r"\banti-?(?:cancer|tumou?r|carcinogenic|diabetic|leuka?emic)\s+(?:effects?|properties|"
    r"agents?|activit(?:y|ies)|efficacy|actions?|mechanisms?|potential|benefits?|drugs?|"
    r"compounds?)\b", _F)
#: implied disease claims: moving a risk marker (FDA S/F guide, 2002)
_MARKER = re.compile(
    r"\b(?:lower\w*|reduc(?:e|es|ed|ing|tions?)|decreas\w*|normali[sz]\w*|control\w*|balanc\w*|regulat\w*|"
    r"stabili[sz]\w*|drops?|cut\w*|improv\w*|inhibit\w*|(?:bring\w*|brought|push\w*) down|"
    r"keeps? (?:\w+ )?(?:down|in check|under control))\b (?:[\w-]+ ){0,4}?"
    r"(?:ldl|cholesterol|triglycerides?|blood pressure|blood sugar|blood glucose|glucose|"
    r"hba1c|a1c|insulin resistance|inr|platelet aggregation|cortisol|uric acid|homocysteine|"
    r"c-reactive protein|crp)\b|"
    r"\b(?:ldl|cholesterol|blood pressure|blood sugar|glucose)[- ](?:lowering|reduction)\b", _F)
_TESTIMONIAL = re.compile(r"\b(?:cured|healed|fixed|ended|reversed|got rid of|cleared)\s+(?:my|"
                          r"our|his|her)\b", _F)
#: a noun after a disease name that makes the disease a modifier ("seizure thresholds")
_MODIFIER_HEAD = re.compile(
    r"\s*(?:thresholds?|research|researchers|trials?|stud(?:y|ies)|screening|tests?|"
    r"specialists?|doctors?|teams?|clinics?|indications?|contexts?|settings|care|drugs?|"
    r"medications?|medicines?|pills|risk factors?|awareness|charity|charities)\b", _F)
#: an authorised EU/GB health claim's wording, which names a function, not a disease
_AUTHORISED = re.compile(r"\bcontribut\w* to (?:the )?(?:maintenance of )?(?:normal|"
                         r"reduction of tiredness)", _F)
_DETERMINER = re.compile(r"^\s*(?:the|a|an|some|several|many|most|these|those|such|other|"
                         r"certain)\s+", _F)
_LABEL = re.compile(r"^\s*(?:[A-Z][\w-]*\s){0,3}[A-Z]?[\w-]*:\s+")
_LEADING_BY = re.compile(r"^\s*by\b[^,]{0,120},\s*", _F)


def _targets(sentence: str, acronyms: frozenset[str]) -> list[Mention]:
    """Disease mentions that can be the object of a claim (not inside a drug's name)."""
    drugs = therapies(sentence)
    found = []
    for m in diseases(sentence, acronyms):
        if any(d.start <= m.start and m.end <= d.end and d != m for d in drugs):
            continue
        if _MODIFIER_HEAD.match(sentence, m.end):
            continue
        found.append(m)
    return found


def _drug_is_subject(sentence: str) -> bool:
    """True when the sentence is about a drug or therapy, not the product ("Immunotherapy ...")."""
    rest = _DETERMINER.sub("", _LABEL.sub("", _LEADING_BY.sub("", sentence)))
    offset = len(sentence) - len(rest)
    head = rest[:40]
    first = next(iter(therapies(head)), None)
    return first is not None and first.start <= 4 and \
        not re.search(r"\bsupplements?\b", sentence[offset:offset + 60], _F)


def _near(a: tuple[int, int], b: Mention) -> bool:
    gap = b.start - a[1] if b.start >= a[1] else a[0] - b.end
    return gap <= _NEAR


def _in_clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    return next(((s, e) for s, e in clauses(sentence) if s <= start < e), (0, len(sentence)))


def disease_claims(sentence: str, acronyms: frozenset[str] = frozenset(), *,
                   headline: bool = False, before: str = "") -> list[Hit]:
    """Claims that the product affects a disease, its signs, its course or its risk.

    In a ``headline`` (a subject line or title travels alone), causing cell death is a claim
    on its own: "Inducing apoptosis" reads as an anti-cancer promise without a disease named.
    ``before`` is the sentence before: a claim that names no disease ("This suggests a
    preventive effect") refers to the diseases named there, and so does an effect on cells
    whose cancer the heading or sentence before names.
    """
    hits: list[Hit] = []
    if _AUTHORISED.search(sentence) or _drug_is_subject(sentence) or \
            (not headline and grammar.about_a_process(sentence, before)):
        return hits
    for m in _TESTIMONIAL.finditer(sentence):
        hits.append(Hit("C19-disease-testimonial", m.start(), m.end()))
    # moving a marker in an interaction warning ("may lower blood sugar, so people on
    # diabetes drugs should check their levels") warns; it claims nothing
    interaction = is_warning(sentence) and bool(therapies(sentence))
    for m in _MARKER.finditer(sentence):
        if not interaction and not debunked(sentence, m.start()):
            hits.append(Hit("C07-implied-drug-effect", m.start(), m.end()))
    for m in _ANTI.finditer(sentence):
        if not debunked(sentence, m.start()):
            rule = "C02-kills-cancer-cells" if _CANCER.search(m.group()) else "C01-disease-cure"
            hits.append(Hit(rule, m.start(), m.end()))
    for m in _OUTCOME.finditer(sentence):
        if not debunked(sentence, m.start()):
            hits.append(Hit("C01-disease-cure", m.start(), m.end()))
            break
    targets = _targets(sentence, acronyms)
    if headline and not targets:
        death = next((m for m in _CELL.finditer(sentence) if _DEATH.search(m.group())), None)
        if death and not debunked(sentence, death.start()):
            hits.append(Hit("C02-kills-cancer-cells", death.start(), death.end()))
    before_targets = _targets(before, acronyms) if before and not targets else []
    if before_targets:
        span = grammar.anaphoric_claim(sentence, before_targets)
        if span:
            hits.append(Hit("C01-disease-cure", *span))
    if before_targets and not hits:
        for pattern, rule in ((_ELLIPTICAL, "C06-disease-prevention"),
                              (_CELL, "C02-kills-cancer-cells")):
            m = pattern.search(sentence)
            if m and not debunked(sentence, m.start()) and \
                    (pattern is _ELLIPTICAL or _CANCER.search(before)):
                hits.append(Hit(rule, m.start(), m.end()))
                break
    if not targets:
        _grammar_claims(sentence, targets, before_targets, hits)
        return hits
    lack = _LACK.search(sentence)
    if lack and _LEADS_TO.search(sentence, lack.end()) and \
            any(t.start > lack.end() for t in targets):
        hits.append(Hit("C06-disease-prevention", lack.start(), targets[-1].end))
    for rule, verbs in (("C06-disease-prevention", _PREVENT), ("C02-kills-cancer-cells", _CELL),
                        ("C01-disease-cure", _CURE), ("C01-disease-cure", _CURE_OBJECT)):
        if any(h.rule == rule for h in hits):
            continue
        for v in verbs.finditer(sentence):
            if debunked(sentence, v.start()):
                continue
            lo, hi = _in_clause(sentence, v.start(), v.end())
            # acting on cancer cells: anywhere in the clause ("In X cancer cells, ... led to
            # cell death"); other claims: close to the disease they name
            near = [t for t in targets if lo <= t.start < hi
                    and (verbs is _CELL or _near(v.span(), t))
                    and not _NEGATION_WORD.search(sentence, v.end(), max(v.end(), t.start))]
            if verbs is _CURE_OBJECT:
                near = [t for t in near if 0 <= t.start - v.end() <= _OBJECT_GAP]
            if rule == "C02-kills-cancer-cells":
                near = [t for t in near if _CANCER.search(t.text) or t.text.isupper()]
            if near:
                t = near[0]
                hits.append(Hit(rule, min(v.start(), t.start), max(v.end(), t.end)))
                break
    _grammar_claims(sentence, targets, before_targets, hits)
    return hits


def _grammar_claims(sentence: str, targets: list[Mention], before_targets: list[Mention],
                    hits: list[Hit]) -> None:
    """Add what :mod:`~k2publisher.guard.claims_grammar` finds when the verb lists found
    no disease claim: any verb on a disease (or a pronoun standing for one), a disease that
    gets better, a use for a disease, any verb in cancer cells."""
    if any(h.rule in _DISEASE_HITS for h in hits):
        return
    objects = targets + grammar.pronoun_objects(sentence, targets, bool(before_targets))
    if targets:
        span = grammar.anaphoric_claim(sentence, [], targets)
        if span:
            hits.append(Hit("C01-disease-cure", *span))
            return
    for find in (grammar.verb_object_claim, grammar.disease_subject_claim,
                 grammar.use_for_claim):
        span = find(sentence, objects if find is grammar.verb_object_claim else targets)
        if span:
            hits.append(Hit("C01-disease-cure", *span))
            return
    span = grammar.cancer_cell_claim(sentence)
    if span:
        hits.append(Hit("C02-kills-cancer-cells", *span))


# --- therapy: augment, substitute, ease its adverse effects ((g)(2)(vi), (vii), (ix)) -------

_AUGMENT = _rx(
    r"boost\w*|enhanc\w*|potentiat\w*|augment\w*|amplif\w*|synerg\w*|sensiti[sz]\w*|"
    r"(?:increas|improv|strengthen|doubl)\w* (?:the |their |its )?(?:\w+ )?(?:effects?|efficacy|"
    r"effectiveness|sensitivity|response|responses|response rates?|potency|outcomes?|action)|"
    r"makes? (?:\w+ ){0,4}?(?:work better|more effective|more sensitive|more susceptible)|"
    r"more (?:susceptible|sensitive|responsive) to|add(?:s|ed|ing)? to (?:\w+ ){0,3}?effects?|"
    r"(?:overcom|revers|mitigat|counter)\w* (?:\w+ ){0,2}?resistance|resistance reversal|"
    r"adjunct\w*|adjuvant|allow(?:s|ed)? for lower doses|"
    r"(?:work|act|respond)\w* (?:better|faster|quicker|more quickly|more strongly)|"
    r"more (?:toxic|lethal|deadly|potent|powerful) (?:to|against)|"
    r"(?:better|improved|stronger|greater) (?:results|outcomes|responses?) (?:with|when|from|on)|"
    r"(?:work|act)\w* (?:more \w+ly|harder)")
#: the product named as a natural version of a drug: "nature's antibiotic", "natural Prozac"
_NATURAL_DRUG = re.compile(r"\b(?:nature['\u2019]s|natural|herbal|plant-based|drug-free)\s+$",
                           _F)
#: a harm a therapy did, right before the therapy: "the immune cells destroyed by chemotherapy"
_HARMED_BY = re.compile(
    r"\b(?:destroyed|damaged|depleted|killed|lost|harmed|caused|induced|brought on|triggered|"
    r"wiped out|weakened|suppressed|drained|left behind)\s+(?:by|from|during)\s+"
    r"(?:\w+\s+)?$", _F)
#: augmenting that needs no drug named: "adjunct", "the effect of X", "drug resistance"
_AUGMENT_ALONE = _rx(
    r"adjunct\w*|adjuvant|synerg\w*|sensiti[sz]\w* (?:\w+ )?to|"
    r"(?:boost|enhanc|potentiat|augment|amplif|increas)\w* (?:the |their |its )?(?:[\w-]+ )?"
    r"(?:effects?|efficacy|effectiveness|action) of|"
    r"(?:inhibit|suppress|reduc|block|lower|overcom|revers|mitigat|counter)\w* (?:[\w-]+ ){0,6}?"
    r"(?:multi)?(?:drug|chemo|treatment)[- ]?resistance|"
    r"(?:ideal|suitable|perfect|well suited) for combination|combination regimens?")
#: the text pairs the product with another treatment
_COMBINED = _rx(r"combin\w* with|in combination|co-treatment|alongside|together with|"
                r"combination (?:therapy|therapies|treatments?)")
_SUBSTITUTE = _rx(
    r"instead of|in place of|alternatives? (?:to|for|in)|substitutes? for|replacements? for|"
    r"replac(?:e|es|ed|ing)|swap(?:s|ped|ping)?|come off|coming off|get off|wean\w* off|"
    r"no longer need\w*|"
    r"(?:may|might|will|won't|do not|don't) (?:\w+ )?need|"
    r"eliminat\w* (?:\w+ ){0,2}?need for|without (?:the )?need for|"
    r"(?:works?|worked|working) (?:as well as|better than|as effectively as)|"
    r"as (?:effective|effectively|good|well) as|better than|stand-?alone|"
    r"more effective (?:\w+ ){0,8}?(?:than|compared (?:to|with))|outperform\w*|rival(?:s|led|ing)?|"
    r"(?:reduc(?:e|es|ed|ing)|lower\w*|cut\w*) (?:the |your |their )?(?:doses? of|dosage of)")
#: giving up a drug, with the drug right after: "would rather not take statins"
_GIVE_UP = re.compile(
    r"\b(?:would rather not|prefer(?:s)? not to|(?:do|does|don't|doesn't|do not|does not) "
    r"(?:want|wish) to|want(?:s|ed)? to (?:stop|avoid|quit|come off|get off|ditch)|"
    r"(?:stop|quit|ditch|give up|come off|get off|wean\w* off|cut out|avoid|skip)"
    r"(?:ping|ped|s)?)"
    r"(?:\s+(?:take|use|taking|using|their|your|the|all|on|off|of|prescription))*\s+$", _F)
_SUBSTITUTE_ALONE = _rx(
    r"alternative (?:cancer )?(?:therap(?:y|ies)|treatments?|medicine)|"
    r"(?:stand-?alone|alternative) (?:or|and) (?:adjunct\w*|alternative)|"
    r"(?:adjunct|alternative) or (?:alternative|adjunct)|stand-?alone (?:therapy|treatment)")
_EASE = _rx(
    r"reduc(?:e|es|ed|ing|tions?)|eas(?:e|es|ed|ing)|mitigat\w*|lessen\w*|alleviat\w*|reliev\w*|prevent\w*|"
    r"protect\w*|counter\w*|fight\w*|minimi[sz]\w*|lower\w*|fewer|less|recover\w* from|"
    r"without the|help\w*|spar(?:e|es|ed|ing)|shield\w*|sooth\w*|revers\w*|undo\w*|"
    r"restor\w*|rebuild\w*|rebuilt|replenish\w*|repair\w*")
_HARM = _rx(
    r"side[- ]effects?|toxicit(?:y|ies)|toxic effects|adverse (?:effects?|events?|reactions?)|"
    r"nerve damage|neuropathy|nausea|fatigue|mouth sores|hair loss|weight loss|muscle wasting|"
    r"burns?|white blood cells?|white blood cell counts?|damage|burden|withdrawal")
#: symptoms that are a therapy's adverse effects only when a therapy is named beside them
_SYMPTOM = _rx(
    r"(?:muscle|joint|nerve|stomach) (?:pain|aches?|cramps?)|cramps|constipation|diarrh(?:o)?ea|"
    r"insomnia|weight gain|dry mouth|sexual (?:side effects|dysfunction)|hot (?:flushes|flashes)|"
    r"mucositis|[a-z]*toxicity|[\w-]+-(?:induced|related|associated) [\w-]+|wasting|"
    r"(?:liver|kidney|heart|nerve|hearing) (?:damage|injury)")


def therapy_claims(sentence: str) -> list[Hit]:
    """Claims that the product augments a therapy, replaces one or eases its adverse effects."""
    drugs = therapies(sentence)
    hits: list[Hit] = []
    for m in _SUBSTITUTE_ALONE.finditer(sentence):
        if not debunked(sentence, m.start()):
            hits.append(Hit("C05-replaces-treatment", m.start(), m.end()))
            break
    warning = is_warning(sentence)
    if not warning:
        combined = _COMBINED.search(sentence) or diseases(sentence)
        for m in _AUGMENT_ALONE.finditer(sentence):
            alone = not re.match(r"synerg|sensiti", m.group(), _F) or combined
            if alone and not debunked(sentence, m.start()):
                hits.append(Hit("C03-boosts-therapy", m.start(), m.end()))
                break
        if not any(h.rule == "C03-boosts-therapy" for h in hits) and _COMBINED.search(sentence):
            m = _AUGMENT.search(sentence)
            if m and not debunked(sentence, m.start()):
                hits.append(Hit("C03-boosts-therapy", m.start(), m.end()))
    if not drugs:
        return hits
    if not warning:
        for d in drugs:
            give_up = _GIVE_UP.search(sentence[:d.start]) or \
                _NATURAL_DRUG.search(sentence[:d.start])
            if give_up and not debunked(sentence, give_up.start()):
                hits.append(Hit("C05-replaces-treatment", give_up.start(), d.end))
                break
        for d in drugs:
            harmed = _HARMED_BY.search(sentence[:d.start])
            ease = harmed and next((v for v in _EASE.finditer(sentence, 0, harmed.start())
                                    if not debunked(sentence, v.start())), None)
            if ease and not any(h.rule == "C04-therapy-side-effects" for h in hits):
                hits.append(Hit("C04-therapy-side-effects", ease.start(), d.end))
                break
    for rule, verbs in (("C03-boosts-therapy", _AUGMENT), ("C05-replaces-treatment", _SUBSTITUTE)):
        if warning and rule == "C03-boosts-therapy":
            continue
        if any(h.rule == rule for h in hits):
            continue
        for v in verbs.finditer(sentence):
            if debunked(sentence, v.start()):
                continue
            near = [d for d in drugs if _near(v.span(), d)]
            if near:
                hits.append(Hit(rule, min(v.start(), near[0].start), max(v.end(), near[0].end)))
                break
    for v in _EASE.finditer(sentence):
        harm = _HARM.search(sentence, v.end(), min(len(sentence), v.end() + 45)) or \
            (_SYMPTOM.search(sentence, v.end(), min(len(sentence), v.end() + 45))
             if any(d.start > v.end() for d in drugs) else None)
        if harm and not debunked(sentence, v.start()) and not warning:
            hits.append(Hit("C04-therapy-side-effects", v.start(), harm.end()))
            break
    return hits


# --- absolute safety -------------------------------------------------------------------------

_SAFE_WITH_DRUG = re.compile(
    r"\bsafe(?:ly)?\b (?:\w+ ){0,4}?(?:with|alongside|to (?:combine|take|use) with|even with|"
    r"for (?:people|patients|anyone) (?:on|taking))\b|\bno (?:known )?(?:drug )?interactions?\b|"
    r"\bdoes(?:n't| not) interact\b", _F)
_ABSOLUTE = re.compile(
    r"\b(?:completely|totally|perfectly|entirely|absolutely|100\s?%|100 percent|remarkably|"
    r"extremely|inherently|utterly|always|very) (?:safe|harmless|non-?toxic|well[- ]tolerated)\b|"
    r"\bharmless\b|\bnon-?toxic\b|\bfree (?:from|of) (?:\w+ ){0,2}?(?:side[- ]effects|toxicity|"
    r"adverse|harm|risks?)\b|\b(?:can ?not|can't|impossible to|never) overdose\b|"
    r"\bsafe (?:at|in) any (?:dose|amount|quantity|age)\b|"
    r"\bsafe (?:for|to) (?:everyone|anyone|all|children|kids|babies|everybody|daily use|"
    r"long-term use)\b|"
    r"\bsafe (?:\w+ )?(?:for|in|during) (?:the whole family|all ages|every age|toddlers|infants|"
    r"newborns|pregnant women|pregnancy|breastfeeding|the elderly|seniors|life|years)\b|"
    r"\b(?:can ?not|can't|impossible to|never) (?:\w+ )?(?:take too much|overdo it|harm|hurt)\b|"
    r"\b(?:zero|no) (?:\w+ )?risks?\b|\brisk-free\b|"
    # a degree with its result: "so safe that it can be given to babies"
    r"\bso (?:safe|gentle|mild|harmless) (?:that|it)\b|"
    r"\b(?:safe|gentle|mild|harmless) enough (?:to|for)\b|"
    r"\bsafe across\b|\bsafe (?:at|in) (?:both|all|high|higher|large|much|"
    r"therapeutic)\b|\bsafe and (?:effective|non-toxic|natural)\b|"
    r"\b(?:excellent|strong|remarkable|outstanding|exceptional|favou?rable|impeccable|perfect|"
    r"proven) safety (?:profile|margin|record)\b|\bsupport\w* (?:its|the) safety\b|"
    r"\bsafety for long-term use\b|\bsafer (?:and non-toxic|candidate|choice|option)\b|"
    r"\b(?:no|without any) (?:risk|danger)s?\b|\bsafe (?:adjunct|alternative|option|choice|"
    r"treatment|therapy|remedy)\b|\bsafe\b (?:[\w-]+ ){0,3}?dos(?:e|es|age|ages)\b",
    _F)
_NO_HARM = re.compile(
    r"\b(?:no|zero|none|without(?: any)?|absence of|devoid of|nil)\b (?:\w+ ){0,2}?"
    r"(?:side[- ]effects?|adverse (?:effects?|events?|reactions?)|toxicity|toxic effects|harm|"
    r"dependence|hypercoagula\w*|impact on (?:coagulation|clotting)|effect on "
    r"(?:coagulation|clotting|inr))\b|"
    r"\b(?:minimal|negligible|few if any) (?:\w+ )?(?:side[- ]effects?|toxicity|adverse)\b|"
    r"\b(?:not|never|n't)\b (?:\w+ ){0,3}?(?:associated with|linked to|cause[sd]?|induce[sd]?|"
    r"introduce[sd]?|impair\w*|produce[sd]?) (?:\w+ ){0,4}?(?:any )?(?:significant |serious |"
    r"notable )?(?:side[- ]effects?|adverse|toxicity|hypercoagula\w*|harm)\b|"
    r"\bside effects:? (?:minimal|none|nil)\b", _F)
_NO_EVIDENCE_OF = re.compile(r"\bno (?:evidence|reports?|data|signs?) of\b|\bwithout reports\b",
                             _F)
_AMPLIFIER = re.compile(
    r"\beven (?:at|with|in|when)\b|\b(?:high|higher|large|therapeutic|any|all|massive|much "
    r"higher) (?:\w+ )?doses?\b|\bat any\b|\bin any\b|\bany (?:clinical )?stud|\bfor "
    r"(?:everyone|anyone|all|most patients)\b|\bconsistently\b|\blong-term\b|\bexcellent\b|"
    r"\bremarkabl\w*|\bmaking (?:it|them)\b|\bsupport\w* (?:its|the)\b|\bideal\b|\bsafer\b|"
    r"\bcompletely\b|\btotally\b|\bperfectly\b|\b100\s?%|\bnatural\b", _F)


def _negated_here(sentence: str, start: int) -> bool:
    """A negation of the statement at ``start``, not of the one before an "and" ("causes no
    upset and is safe for everyone" is not negated)."""
    head = re.split(r"\b(?:and|or)\b", sentence[:start])[-1]
    return is_negated(head, len(head))


def safety_claims(sentence: str) -> list[Hit]:
    """Absolute safety claims: no side effects, non-toxic, safe at any dose, safe with a drug."""
    hits: list[Hit] = []
    for m in _SAFE_WITH_DRUG.finditer(sentence):
        if is_negated(sentence, m.start()) or (m.group().lower().startswith("safe") and
                                               not therapies(sentence[m.start():])):
            continue
        hits.append(Hit("C08-safe-with-anticoagulants", m.start(), m.end()))
        break
    absolute = next((m for m in _ABSOLUTE.finditer(sentence)
                     if not _negated_here(sentence, m.start())), None)
    if absolute is None:
        no_harm = next((m for m in _NO_HARM.finditer(sentence)
                        if not _NO_EVIDENCE_OF.search(sentence, max(0, m.start() - 3),
                                                      m.end())), None)
        if no_harm and (_AMPLIFIER.search(sentence) or not neutral_report(sentence)):
            absolute = no_harm
    if absolute is not None:
        hits.append(Hit("C09-absolute-safety", absolute.start(), absolute.end()))
    return hits


# --- cognitive enhancement -------------------------------------------------------------------

_NOOTROPIC_ALONE = re.compile(
    r"\bnootropics?\b|\bbrain[- ](?:boost\w*|food|power)\b|\bneuroprotect\w*|"
    r"\bcognitive[- ](?:enhanc\w*|benefits?|boost\w*|well-being|wellbeing|performance)\b|"
    r"\b(?:memory|focus|brain) (?:support|enhancement|booster|boost)\b|\blaser focus\b|"
    r"\bsharper mind\b|\bsmart drugs?\b|\bcognitive (?:[\w-]+ ){0,3}?benefits\b", _F)
_COGNITIVE_VERB = _rx(
    r"enhanc\w*|improv\w*|boost\w*|sharpen\w*|optimi[sz]\w*|supercharg\w*|support\w*|"
    r"promot\w*|protect\w*|increas\w*|maximi[sz]\w*|strengthen\w*|keeps? (?:\w+ ){0,3}?sharp|"
    r"positively impact\w*|benefit\w*|positive effects? on")
_COGNITIVE = _rx(
    r"memory|focus|concentration|cognition|cognitive (?:function|functioning|processing|"
    r"performance|health)|learning|attention|brain health|brain function|brain cells|"
    r"mental (?:clarity|performance|focus|energy)|neuronal function|neurons|your brain|the brain|"
    r"synaptic plasticity|intelligence|iq")


def nootropic_claims(sentence: str) -> list[Hit]:
    """Cognitive-enhancement claims: nootropic, brain booster, improves memory or focus."""
    if _AUTHORISED.search(sentence):
        return []
    alone = _NOOTROPIC_ALONE.search(sentence)
    if alone and not debunked(sentence, alone.start()):
        return [Hit("C14-nootropic", alone.start(), alone.end())]
    for v in _COGNITIVE_VERB.finditer(sentence):
        target = _COGNITIVE.search(sentence, v.end(), min(len(sentence), v.end() + 60))
        if target and not debunked(sentence, v.start()):
            return [Hit("C14-nootropic", v.start(), target.end())]
    return []
