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
from k2publisher.guard.claims_context import (
    care_acts,
    clauses,
    consults,
    debunked,
    is_precaution,
    is_warning,
    names_who_takes_care,
    neutral_report,
    therapy_is_subject,
)
from k2publisher.guard.lexicon import Mention, diseases, therapies
from k2publisher.guard.text import is_negated

__all__ = ["Hit", "disease_claims", "names_a_disease", "nootropic_claims", "safety_claims",
           "therapy_claims"]

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
    r"regenerat\w*|counteract\w*|(?:say|said|says|saying) goodbye to|goodbye to|farewell to|"
    r"no more|banish\w*|(?:put|puts|putting) an end to|freedom from|free (?:\w+ )?from|"
    r"respond(?:s|ed)? to|remed(?:y|ies)|resolv\w*|ended|ends (?:my|your|their)|"
    r"(?:got|gets?|getting) rid of|wip(?:e|es|ed|ing) out|slow(?:s|ed|ing)?|"
    r"shr(?:ink|inks|ank|unk|inking)|"
    r"reduc(?:e|es|ed|ing|tions?)|lower(?:s|ed|ing)?|decreas\w*|lessen\w*|mitigat\w*|"
    r"prolong\w*|extend(?:s|ed|ing)? survival|works? (?:for|against)|"
    r"(?:faster|quicker|speedier|speedy|rapid|full|complete) recover\w* (?:from|after)|"
    r"(?:support\w*|speed\w*(?: up)?|aid\w*|boost\w*|hasten\w*|accelerat\w*) (?:\w+ )?"
    r"recovery (?:after|from)|"
    r"(?:drops?|falls?|declines?|cuts?|shrinkage|improvements?) (?:\w+ )?in|shrinkage of|"
    r"help(?:s|ed|ing)? (?:with|against)|good for|"
    r"promising (?:results|outcomes|effects|activity|responses)|"
    r"(?:agent|adjunct|candidate|role|efficacy|effectiveness|promise|benefits?) "
    r"(?:in|for|as|against)|(?:power|powers|properties|action|activity|effects?|strength) "
    r"against|(?:adjunct\w*|alternative|stand-?alone) (?:\w+ )?therap(?:y|ies) "
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
    r"prevent(?:s|ed|ing|ion|ive|ative)?|(?:protect|shield|guard|defend|safeguard)(?:s|ed|ing|"
    r"ion|ive)? (?:\w+ ){0,3}?(?:against|from)|wards? off|warded off|"
    r"keeps? (?:\w+ ){0,2}away|avert\w*|"
    r"(?:keeps?|kept|keeping) (?:[\w-]+ ){0,3}?at bay|"
    r"(?:reduc(?:e|es|ed|ing|tions?)|lower\w*|decreas\w*|cut\w*|slash\w*|halv\w*|lessen\w*|"
    r"minimi[sz]\w*|drop\w*|(?:bring\w*|brought) down) (?:\w+ ){0,3}?risks?|"
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
    r"(?:ldl|cholesterol|triglycerides?|blood pressure|blood sugars?|sugar levels|"
    r"blood glucose|glucose|hba1c|a1c|insulin resistance|inr|platelet aggregation|cortisol|"
    r"uric acid|homocysteine|c-reactive protein|crp)\b|"
    r"\b(?:ldl|cholesterol|blood pressure|blood sugar|glucose)[- ](?:lowering|reduction)\b|"
    r"\b(?:brought|bring\w*|got|gets?|getting|kept|keeps?|keeping) (?:(?:my|your|their|his|her|"
    r"the|our) )?(?:\w+ )?(?:blood sugars?|sugar levels|sugars|blood glucose|cholesterol|blood "
    r"pressure|numbers|readings) (?:levels )?(?:under control|down|in check|back to normal)\b|"
    # the swings of a marker smoothed: "flattens the blood sugar spikes"
    r"\b(?:flatten|blunt|curb|tam|smooth|steady|steadies|steadied|even\w* out|level\w* out)\w* "
    r"(?:the |your |their |those )?(?:blood sugar|glucose|insulin|sugar|blood pressure) "
    r"(?:spikes?|swings?|surges?|peaks?|crash(?:es)?|rollercoaster)\b|"
    r"\b(?:better|improved|tighter|lower|healthier) (?:blood sugar|blood glucose|glucose|"
    r"cholesterol|blood pressure|hba1c) (?:control|levels|readings|numbers)\b|"
    # the marker as subject: "saw their HbA1c fall", "cholesterol dropped by 20%"
    r"\b(?:ldl|cholesterol|triglycerides|blood pressure|blood sugar|blood glucose|hba1c|a1c|"
    r"crp|homocysteine|uric acid|liver enzymes)\s+(?:levels?\s+|readings?\s+)?(?:fell|fall|"
    r"falls|dropped|drop|drops|declined|decreased|went down|came down|came back normal|"
    r"normali[sz]ed|improved|(?:is|are|was|were) (?:\w+ )?(?:normal|lower|down|under control|"
    r"back to normal))\b", _F)
#: the reader's or writer's own disease, gone: "the reason my asthma is gone"
_GONE = re.compile(r"\s+(?:is|are|was|were|has|have)\s+(?:\w+\s+)?(?:gone|cured|healed|clear|"
                   r"under control|in remission|history|a thing of the past|no more|vanished|"
                   r"disappeared)\b", _F)
_OWNER = re.compile(r"\b(?:my|his|her|our|their|your)\s+(?:\w+\s+)?$", _F)
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


def _targets(sentence: str, acronyms: frozenset[str]) -> list[Mention]:
    """Disease mentions that can be the object of a claim (not inside a drug's name)."""
    drugs = therapies(sentence)
    found = []
    for m in diseases(sentence, acronyms):
        if any(d.start <= m.start and m.end <= d.end and d != m for d in drugs):
            continue
        if _MODIFIER_HEAD.match(sentence, m.end) or names_who_takes_care(sentence, m.start, m.end):
            continue
        found.append(m)
    return found


#: a disease in a compound adjective or naming the product: "cancer-fighting compounds",
#: "flu-fighting flavonoids", "the diabetes herb"
_COMPOUND = re.compile(
    r"\b(?P<disease>[a-z'\u2019]+(?: [a-z'\u2019]+)?)-(?:fighting|busting|beating|preventing|"
    r"protective|killing|shrinking|reversing|blocking|curing|healing|relieving|easing|reducing|"
    r"lowering|defying|crushing|proof)\b", _F)
_NAMED_FOR_IT = re.compile(
    r"\s+(?:herb|remedy|supplement|tea|tonic|pill|mineral|vitamin|mushroom|plant|spice|root|"
    r"fix|formula|gumm(?:y|ies)|superfood|miracle|secret|support|protocol|diet)s?\b", _F)


_ANTI_ANY = re.compile(r"\banti-(?P<disease>[a-z'\u2019]+)\b", _F)


def _compound_claims(sentence: str, targets: list[Mention]) -> list[Hit]:
    hits = []
    for m in _ANTI_ANY.finditer(sentence):
        if diseases(m.group("disease")) and not debunked(sentence, m.start()):
            hits.append(Hit("C01-disease-cure", m.start(), m.end()))
            return hits
    for m in _COMPOUND.finditer(sentence):
        if diseases(m.group("disease")) and not debunked(sentence, m.start()):
            hits.append(Hit("C01-disease-cure", m.start(), m.end()))
            return hits
    if is_warning(sentence):
        return hits
    for t in targets:
        if _NAMED_FOR_IT.match(sentence, t.end) and not debunked(sentence, t.start):
            named = _NAMED_FOR_IT.match(sentence, t.end)
            hits.append(Hit("C01-disease-cure", t.start, named.end() if named else t.end))
            break
    return hits


def names_a_disease(sentence: str, acronyms: frozenset[str] = frozenset()) -> bool:
    """True when ``sentence`` names a disease that can be a claim's object."""
    return bool(_targets(sentence, acronyms))


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
    if _AUTHORISED.search(sentence) or therapy_is_subject(sentence) or \
            care_acts(sentence) or \
            (not headline and grammar.about_a_process(sentence, before)):
        return hits
    for m in _TESTIMONIAL.finditer(sentence):
        hits.append(Hit("C19-disease-testimonial", m.start(), m.end()))
    # moving a marker in an interaction warning ("may lower blood sugar, so people on
    # diabetes drugs should check their levels") warns; it claims nothing
    interaction = (is_warning(sentence) and bool(therapies(sentence) or consults(sentence))) or \
        is_precaution(sentence)
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
    if grammar.runs_its_own_course(sentence, targets):
        return hits
    hits += _compound_claims(sentence, targets)
    for t in targets:
        if _OWNER.search(sentence[:t.start]) and _GONE.match(sentence, t.end) and \
                not debunked(sentence, t.start):
            hits.append(Hit("C19-disease-testimonial", t.start, _GONE.match(sentence, t.end).end()))
            break
    if headline and not targets:
        death = next((m for m in _CELL.finditer(sentence) if _DEATH.search(m.group())), None)
        if death and not debunked(sentence, death.start()):
            hits.append(Hit("C02-kills-cancer-cells", death.start(), death.end()))
    before_targets = _targets(before, acronyms) if before and not targets else []
    if before_targets:
        span = grammar.anaphoric_claim(sentence, before_targets)
        if span:
            hits.append(Hit("C01-disease-cure", *span))
        elif grammar.offer_claim(sentence, before, before_targets):
            hits.append(Hit("C01-disease-cure", 0, len(sentence)))
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
                 grammar.use_for_claim, grammar.title_for_claim, grammar.holder_claim):
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
_NATURAL_DRUG = re.compile(
    r"\b(?:nature['\u2019]s|natural|herbal|plant-based|drug-free)\s+(?:(?:own|very own)\s+)?"
    r"(?:(?:answer|alternative|"
    r"option|substitute|replacement|swap|version|equivalent|rival)\s+(?:to|for|of)\s+)?$", _F)
_GENERIC_THERAPY = re.compile(r"medicines?|medications?|drugs?|treatments?|therap(?:y|ies)|"
                              r"remed(?:y|ies)|pills|prescriptions?", _F)
#: a harm a therapy did, right before the therapy: "the immune cells destroyed by chemotherapy"
_HARMED_BY = re.compile(
    r"\b(?:destroyed|damaged|depleted|killed|lost|harmed|caused|induced|brought on|triggered|"
    r"wiped out|weakened|suppressed|drained|left behind)\s+(?:by|from|during)\s+"
    r"(?:\w+\s+)?$", _F)
#: augmenting that needs no drug named: "adjunct", "the effect of X", "drug resistance"
_AUGMENT_ALONE = _rx(
    r"adjunct\w*|adjuvant|synerg\w*|sensiti(?:[sz]\w*|ve|vity) (?:\w+ )?to|"
    r"(?:boost|enhanc|potentiat|augment|amplif|increas|turbocharg|supercharg|magnif|"
    r"strengthen|multipl|doubl|intensif)\w* (?:the |their |its )?(?:[\w-]+ )?"
    r"(?:effects?|efficacy|effectiveness|action|power) of|"
    r"(?:inhibit|suppress|reduc|block|lower|overcom|revers|mitigat|counter)\w* (?:[\w-]+ ){0,6}?"
    r"(?:multi)?(?:drug|chemo|treatment)[- ]?resistance|"
    r"(?:ideal|suitable|perfect|well suited) for combination|combination regimens?")
#: the text pairs the product with another treatment
_COMBINED = _rx(r"combin\w* with|in combination|co-treatment|alongside|together with|"
                r"combination (?:therapy|therapies|treatments?)")
_SUBSTITUTE = _rx(
    r"instead of|in place of|in lieu of|alternatives? (?:to|for|in)|substitutes? for|"
    r"replacements? for|"
    r"replac(?:e|es|ed|ing)|swap(?:s|ped|ping)?|trad(?:e|es|ed|ing)|exchang\w*|"
    r"come off|coming off|get off|wean\w* off|"
    r"no longer need\w*|"
    # "may not need statins"; not the precaution "doses may need adjusting"
    r"(?:(?:may|might|will|would) (?:\w+ )?(?:not|never|no longer)|won't|wouldn't|do not|"
    r"don't|does not|doesn't) (?:\w+ )?need(?! (?:to be )?(?:adjust|chang|"
    r"monitor|check|watch|lower|reduc|review|more|extra|frequent|regular|closer|to)\w*)|"
    r"(?:haven't|have not|hasn't|has not|never|no longer|didn't|did not) (?:\w+ )?needed|"
    r"(?:threw|throw|thrown|binned|ditched|tossed|flushed) (?:\w+ ){0,3}?(?:away|out)?|"
    r"eliminat\w* (?:\w+ ){0,2}?need for|without (?:the )?need for|"
    r"(?:works?|worked|working) (?:as well as|better than|as effectively as)|"
    r"as (?:effective|effectively|good) as|(?:works?|worked|working|does|did|performs?|"
    r"performed) (?:just |every bit )?as well as|better than|stand-?alone|"
    r"more effective (?:\w+ ){0,8}?(?:than|compared (?:to|with))|outperform\w*|rival(?:s|led|ing)?|"
    r"(?:reduc(?:e|es|ed|ing)|lower\w*|cut\w*) (?:the |your |their )?(?:doses? of|dosage of)|"
    # the drug made needless, beaten or switched from
    r"unnecessary|redundant|obsolete|beats? (?:any|every|all|the)|"
    r"switch\w* to (?:\w+ ){0,3}?instead")
#: giving up a drug, with the drug right after: "would rather not take statins"
_GIVE_UP = re.compile(
    r"\b(?:(?:get|got|gets|getting) (?:me|you|him|her|them|people|patients|us) off|"
    r"would rather not|prefer(?:s)? not to|(?:do|does|don't|doesn't|do not|does not) "
    r"(?:want|wish) to|want(?:s|ed)? to (?:stop|avoid|quit|come off|get off|ditch)|"
    r"(?:stop|quit|ditch|give up|come off|get off|wean\w* off|cut out|avoid|skip)"
    r"(?:ping|ped|s)?|(?:gave|given|giving) up|cancel(?:l?ed|l?ing|s)?|"
    r"used to (?:need|take|rely on|depend on)|"
    r"no longer (?:take|takes|use|uses|rely on|depend on)|"
    r"no need to (?:put (?:\w+ ){0,2}?on|take|use|start|go on|stay on)|"
    # no more of the drug: "no need for antidepressants", "say goodbye to insulin"
    r"no (?:more |further |longer any )?need (?:for|of)|(?:never|won't|will not|don't|do not) "
    r"(?:\w+ )?need (?:\w+ )?(?:any more|again)?|no more|"
    r"(?:say|says|said|saying|bid|bids|wave|waved) (?:\w+ )?(?:goodbye|good-bye|farewell|bye) "
    r"to|rather than|spar(?:e|es|ed|ing) (?:yourself|yourselves|you|them|him|her|patients)|"
    r"(?:avoid|avoided|avoiding|escape\w*|dodg\w*) (?:going on|being put on|starting|needing|"
    r"having)|"
    r"(?:step|stepp|taper|kick|put|cut|drop|dropp|bin|binn|postpon|delay|refus|reject|declin)"
    r"(?:s|ed|ing|e|es)? ?(?:down|off|back on|down on|out|the need for)?|"
    r"(?:said|say|saying|says) no to|turn(?:s|ed|ing)? down|"
    r"(?:cho(?:se|sen|ose|osing)|opt(?:s|ed|ing)? for|prefer\w*|pick\w*|recommend\w*|went with|"
    r"go(?:es)? with) (?:[\w'-]+ ){1,4}?over)"
    r"(?:\s+(?:take|use|taking|using|their|your|my|his|her|our|the|all|on|off|of|a|an|"
    r"prescription))*\s+$", _F)
#: the product doing what the drug does: "does what Xanax does", "works like a natural
#: beta-blocker" (in a warning it is pharmacology: "acts like a statin, so it can cause ...")
_DOES_WHAT = re.compile(
    r"\b(?:does|do|did) (?:exactly |just )?(?:for (?:[\w'-]+ ){1,3}?)?(?:what|everything|all)"
    r"(?: that)?\s+(?:(?:the|a|an|your|my|his|her|their|any)\s+)?$|"
    r"\b(?:works?|acts?|worked|acted|working|acting|functions?) (?:just |much |a lot )?(?:like|"
    r"as) (?:an? )?(?:natural |herbal |gentle |gentler |plant-based |mild )?$|"
    r"\bbefore (?:you )?(?:agree to|agreeing to|resort to|resorting to|consent to|book|start|"
    r"go on|accept|commit to|schedule)\s+(?:\w+\s+){0,2}?$", _F)
_A_HARM_DONE = _rx(r"caus\w*|side[- ]effects?|risks?|upset|harm\w*|toxic\w*|danger\w*")
#: the rhetorical question: "Why take statins when ...?", "Why put up with antacids if ...?"
_WHY_TAKE = re.compile(
    r"\bwhy (?:\w+ ){0,2}?(?:take|use|pay for|put up with|risk|bother with|reach for|swallow|"
    r"rely on|stay on|stick with|keep taking|suffer (?:with|through|on)|put yourself through|"
    r"depend on|spend \w+ on|be (?:a slave|dependent|hooked|stuck) (?:to|on|with)|wait for)"
    r"\s+(?:\w+\s+){0,4}?$", _F)
_WHEN_ALTERNATIVE = re.compile(r"^[^?.]*?\b(?:when|if|while)\b", _F)
_SUBSTITUTE_ALONE = _rx(
    r"alternative (?:cancer )?(?:therap(?:y|ies)|treatments?|medicine)|"
    r"(?:stand-?alone|alternative) (?:or|and) (?:adjunct\w*|alternative)|"
    r"(?:adjunct|alternative) or (?:alternative|adjunct)|stand-?alone (?:therapy|treatment)|"
    r"(?:drug|medication|medicine|pill|prescription)-free (?:way|alternative|option|approach|"
    r"treatment|remedy|solution|answer|cure)|"
    r"(?:better than|beats?|outperforms?|as well as|as good as) (?:anything|any drug|any medicine|"
    r"what) (?:a |an |your )?(?:[\w-]+ )?(?:doctor|gp|physician|[a-z]+ist|[a-z]+ian) (?:can |"
    r"could |would |will )?(?:prescribe|give|offer)\w*")
_EASE = _rx(
    r"reduc(?:e|es|ed|ing|tions?)|eas(?:e|es|ed|ing)|mitigat\w*|lessen\w*|alleviat\w*|reliev\w*|prevent\w*|"
    r"protect\w*|counter\w*|fight\w*|minimi[sz]\w*|lower\w*|fewer|less|recover\w* from|"
    r"without the|help\w*|spar(?:e|es|ed|ing)|shield\w*|sooth\w*|revers\w*|undo\w*|"
    r"restor\w*|rebuild\w*|rebuilt|replenish\w*|repair\w*|settl\w*|calm\w*|"
    r"stop(?:s|ped|ping)? the")
_HARM = _rx(
    r"side[- ]effects?|toxicit(?:y|ies)|toxic effects|adverse (?:effects?|events?|reactions?)|"
    r"nerve damage|neuropathy|nausea|fatigue|mouth sores|hair loss|weight loss|muscle wasting|"
    r"burns?|white blood cells?|white blood cell counts?|damage|burden|withdrawal|"
    r"(?:harsh|toxic|damaging|harmful|negative|nasty|punishing|brutal|unpleasant|debilitating|"
    r"ill|unwanted) (?:side[- ])?effects?|toll|ravages|misery|sting|drowsiness|exhaustion")
#: symptoms that are a therapy's adverse effects only when a therapy is named beside them
_SYMPTOM = _rx(
    r"(?:muscle|joint|nerve|stomach) (?:pain|aches?|cramps?)|cramps|constipation|diarrh(?:o)?ea|"
    r"insomnia|weight gain|dry mouth|sexual (?:side effects|dysfunction)|hot (?:flushes|flashes)|"
    r"mucositis|[a-z]*toxicity|[\w-]+-(?:induced|related|associated) [\w-]+|wasting|"
    r"(?:liver|kidney|heart|nerve|hearing) (?:damage|injury)")


#: the product paired with a therapy: "taken alongside", "teams up with", "added to"
_PARTNER = _rx(
    r"combin\w*|pair(?:s|ed|ing)? (?:\w+ )?with|team(?:s|ed|ing)? up|partner(?:s|ed|ing)?|"
    r"alongside|together with|hand in hand|in tandem|on top of|as well as|"
    r"add(?:s|ed|ing)? (?:\w+ ){0,3}?to|added|complement\w*|plus|back(?:s|ed|ing)? up|"
    r"with (?:\w+ ){1,3}on board|in addition to|besides|(?:taken|used|given) (?:\w+ )?with|"
    r"(?:take|use|try|pair) (?:it|them|this|these) (?:\w+ )?with")
#: what gets better when it is paired: the therapy does more, faster, at a lower dose
_MORE = _rx(
    r"more|better|faster|quicker|sooner|further|stronger|harder|extra|greater|higher|"
    r"improv\w*|boost\w*|enhanc\w*|in half the time|the difference|lower doses?|less of|"
    r"smaller doses?|(?:same|full) (?:effect|benefit)|respon\w*|surviv\w*|success\w*|longer|"
    r"beautifully|perfectly|wonders|a treat")
#: the therapy as the object of help: "gives metformin a helping hand", "supercharges your
#: statin", "helps ulcer drugs heal faster", "lets the treatment do more"
_HELPS_DRUG = re.compile(
    r"\b(?:giv(?:e|es|ing)|gave|lend(?:s|ing)?|lent)\s+$|"
    r"\b(?:supercharg|turbocharg|complement|support|back(?:s|ed|ing)? up|help|strengthen|"
    r"amplif|magnif|prim)\w*\s+(?:\w+\s+){0,2}?$|\b(?:lets?|allows?|helps?|makes?)\s+$|"
    r"\bso (?:that )?(?:the |your |their )?$|"
    r"\bpartner (?:for|to|of|in)\s+(?:\w+\s+){0,2}?$|\bget (?:more|the most) (?:out )?of\s+"
    r"(?:\w+\s+){0,2}?$", _F)
_HELPS_AFTER = re.compile(
    r"^\s+(?:(?:can|could|will|would|may|might) )?(?:an? (?:helping hand|hand|boost|push|lift|"
    r"edge|head start|kick|leg up)|"
    r"(?:do|work|act|heal|clear|reach|fight|kill|hit|get|bring)\w* (?:[\w-]+ ){0,4}?"
    r"(?:more|better|faster|harder|further|sooner|deeper|quicker)|"
    r"(?:work|act|do)\w* (?:\w+ )?(?:its|their) (?:\w+ )?(?:job|work|magic))", _F)
_GENERIC_DRUG_SUBJECT = re.compile(r"^\s*(?:the|your|their|his|her|my|our)\s+", _F)


_OWN_REGIMEN = re.compile(r"combination|mono|co-?treatment|regimen", _F)
_PARTNER_GAP = 45


def _gap(span: tuple[int, int], d: Mention) -> int:
    return d.start - span[1] if d.start >= span[1] else span[0] - d.end


def _augments(sentence: str, drugs: list[Mention]) -> tuple[int, int] | None:
    """The span of a therapy augmented by the product, found by its grammar: paired with it and
    doing better ("Taken alongside your chemo, X lets the treatment do more"), or the object
    of help ("gives metformin a helping hand", "supercharges your statin")."""
    for d in drugs:
        head = _HELPS_DRUG.search(sentence[:d.start])
        if head and not _GENERIC_DRUG_SUBJECT.fullmatch(sentence[:d.start]):
            tail = sentence[d.end:]
            supportive = re.match(r"giv|gave|lend|lent|let|allow|help|make|so\b",
                                  head.group().strip(), _F)
            if not supportive or _HELPS_AFTER.match(tail):
                return head.start(), d.end
    # paired with another therapy, close to it: not "X plus D3 combination therapy", which
    # names the product's own regimen
    others = [d for d in drugs if not _OWN_REGIMEN.search(d.text)]
    partner = next((m for m in _PARTNER.finditer(sentence)
                    if not debunked(sentence, m.start())
                    and any(_gap(m.span(), d) <= _PARTNER_GAP for d in others)), None)
    if partner is None:
        return None
    more = _MORE.search(sentence)
    if more and not debunked(sentence, more.start()):
        return min(partner.start(), more.start()), max(partner.end(), more.end())
    return None


#: a therapy named in the sentence before, replaced in this one: "Is your doctor pushing
#: statins? Red clover may be all you need instead."
_INSTEAD = _rx(r"instead(?! of)|in (?:its|their) place|all (?:you|they|we) (?:need|needed)|"
               r"without (?:it|them|those|these)(?! \w)|"
               r"no need for (?:it|them|that|those)|(?:do|does|did) the same job|"
               r"just as well|just as good|(?:a|the) (?:natural|gentler|safer) (?:way|option|"
               r"alternative|choice)")
#: a harm a therapy does, in the sentence before: "Chemotherapy is exhausting."
_THERAPY_HARM = _rx(
    r"exhaust\w*|drain\w*|tir(?:ing|ed)|sore|sick|nause\w*|burn\w*|hair loss|weak\w*|"
    r"toll|harsh|brutal|punishing|rough|side[- ]effects?|toxic\w*|damag\w*|sores|"
    r"red and|wip\w* out|knock\w* (?:you |patients )?(?:out|down|flat)|leaves? (?:\w+ ){0,3}?"
    r"(?:red|sore|weak|tired|drained|sick|raw)")
#: easing that harm in this one: "gives patients their energy back", "calm those burns"
_EASE_BACK = _rx(
    r"(?:give|gives|gave|bring|brings|brought|get|gets|got) (?:\w+ ){0,2}?(?:energy|strength|"
    r"appetite|hair|life|spark|sparkle|vitality|zest) back|bounce back|back on (?:their|your) "
    r"feet|(?:calm|sooth|eas|reliev|heal|settl|quiet|cool|tam|lessen|lift|restor|rebuild|"
    r"replenish|undo|counter|fight|beat|protect|shield|spar|guard|stop|prevent|melt|fix|sort|"
    r"knock)\w* (?:\w+ ){0,2}?(?:those|these|that|the|this|it|them|their|your)\b")


#: a harm tied to a therapy: "the mouth sores of chemotherapy", "the pain that comes with
#: statins", "the gut flora that antibiotics wipe out", "during radiotherapy", "on aromatase
#: inhibitors", "from chemo"
_TIED_BEFORE = re.compile(
    r"\bpost-$|\b(?:of|from|after|during|while (?:\w+ ){0,3}?on|while (?:taking|having|receiving|"
    r"undergoing)|through|throughout|on|with|caused by|induced by|brought on by|due to|"
    r"(?:that|which) (?:\w+ )?(?:comes?|came|goes|go) with|receiving|undergoing|having|"
    r"taking|on (?:their|your|his|her|a|an)|left (?:behind )?by)\s+(?:\w+\s+){0,2}?$", _F)
_TIED_AFTER = re.compile(
    r"^\s*(?:[\w-]+\s+){0,2}?(?:cause[sd]?|bring|brings|brought|wipe[sd]? out|destroy\w*|"
    r"kill[sd]?|damage[sd]?|deplete[sd]?|drain[sd]?|strip\w*|leave[sd]?|left|trigger\w*|"
    r"made|makes?|(?:give|gives|gave|given) (?:you|them|patients|people|him|her|me|us))\b|"
    # a compound harm: "statin side effects", "radiation burns", "chemo nausea"
    r"^[-\s]+(?:side[- ]effects?|burns?|nausea|fatigue|sores?|toxicity|damage|rash(?:es)?|"
    r"fog|hair loss|weight gain|cramps?|aches?|pains?|constipation|insomnia|brain|"
    r"diarrh(?:o)?ea|mucositis|sickness|tiredness|exhaustion)\b|"
    r"^[-\s]*(?:induced|related|associated|caused)\b", _F)
#: what easing, sparing or restoring that harm looks like
_SPARE = _rx(
    r"reduc(?:e|es|ed|ing)|eas(?:e|es|ed|ing)|mitigat\w*|lessen\w*|alleviat\w*|reliev\w*|"
    r"prevent\w*|protect\w*|counter\w*|minimi[sz]\w*|fewer|less|spar(?:e|es|ed|ing)|"
    r"shield\w*|sooth\w*|revers\w*|undo\w*|restor\w*|rebuil\w*|replenish\w*|repair\w*|"
    r"heal(?:s|ed|ing)?\b|end(?:s|ed)?|tam(?:e|es|ed)|calm\w*|settl\w*|"
    r"(?:take|takes|taking|took) the edge off|"
    r"keep(?:s|ing)? (?:\w+ ){0,3}?(?:up|on|going|strong|intact|safe|healthy|on (?:your|their) "
    r"head)|kept (?:\w+ ){0,3}?(?:up|on|their|your|intact)|take(?:s|n)? away|took away|"
    r"get (?:\w+ )?through|(?:easier|better) to (?:tolerate|bear|cope)|tolerat\w*|"
    r"(?:hold|holds|held) on to|maintain\w*|preserv\w*|guard\w*|fight\w* off|"
    r"bounce back|recover\w*|help\w*|"
    # more verbs of relief: any that undoes, blunts or banishes a harm
    r"keep(?:s|ing)? (?:\w+ ){0,4}?(?:at bay|under control|in check|away)|kept (?:\w+ ){0,4}?"
    r"(?:at bay|under control|in check|away)|blunt\w*|banish\w*|cool(?:s|ed|ing)?|"
    r"beat(?:s|ing)?|soften\w*|cushion\w*|buffer\w*|offset\w*|neutrali[sz]\w*|rescu\w*|"
    r"sav(?:e|es|ed|ing)|flush\w* (?:\w+ )?out|detox\w*|clear(?:s|ed|ing)?|fix(?:es|ed|ing)?|"
    r"lift(?:s|ed|ing)?|defend\w*|"
    r"counteract\w*|combat\w*|(?:take|takes|taking|took) the sting out|"
    r"(?:goodbye|good-bye|farewell|bye) to|no more|an end to|relief from|free (?:you )?from|"
    r"back on (?:\w+ )?feet|(?:brings?|brought|bringing|gives?|gave|giving) (?:\w+ ){0,3}?back|"
    r"knock\w* out|cancel\w* out|melt\w*|sort\w*|got (?:\w+ )?through|gets (?:\w+ )?through|"
    r"(?:swear\w*|swore) by|(?:great|brilliant|good|perfect|ideal|wonderful|best) for|"
    r"(?:uses?|used|using|takes?|took|taking|eats?|drinks?|recommends?|recommended) (?:it |them |"
    r"this |\w+ )?for (?=the |my |your |her |his |their |those |that )|"
    r"keep(?:s|ing)? (?:[\w-]+ ){0,5}?from")


_DURING = re.compile(r"post-|(?:during|while|through|throughout|receiving|undergoing|having|on "
                     r"(?:their|your|his|her|a|an))\b", _F)
_HARM_WORD = _rx(r"aches?|pains?|sores?|sickness|loss|wasting|burns?|scarring|dryness|"
                 r"numbness|tingling|cramps?|exhaustion|tiredness|swelling|bruis\w*|"
                 r"redness|flush(?:es|ing)|ulcers?|drowsiness|fog|weakness|thinning|brittle|"
                 r"swollen|puffy|aching|achy|sore|dry|dryness|cracked|itchy|blister\w*|"
                 r"diarrh(?:o)?ea|thrush|taste|tingling|wasting")
#: the body, or a part of it, that a therapy harms and the product is said to spare: "shields
#: healthy cells from radiotherapy", "repairs the gut after a course of antibiotics"
_BODY = _rx(r"(?:healthy )?cells|gut|guts|gut lining|flora|microbiome|liver|kidneys?|nerves?|"
            r"bones?|skin|hair|scalp|heart|hearing|mouth|stomach|bladder|bowels?|muscles?|"
            r"joints?|immune system|blood counts?|white (?:blood )?cells|tissues?|organs?|"
            r"body|bodies|eyes|teeth|gums|energy|appetite|fertility|ovaries|libido")
#: the harm subsides after the drug: "the drowsiness from antihistamines fades"
_SUBSIDES = re.compile(
    r"^\s*(?:[\w,-]+\s+){0,4}?(?:fad(?:e|es|ed|ing)|disappear\w*|vanish\w*|melt\w* away|"
    r"go(?:es)? away|went away|subsid\w*|lift(?:s|ed)?|eas(?:e|es|ed)|(?:is|are|was|were) gone|"
    r"clear(?:s|ed)? up|settl(?:e|es|ed)|improv(?:e|es|ed)|(?:went|go|goes|came|come|comes) "
    r"down|calm(?:s|ed)? down|stopped|got better|never came back)\b", _F)
_NO_LONGER = re.compile(r"^\s*(?:no longer|won't|will not|doesn't|does not|never|can't|cannot|"
                        r"stops?|stopped)\b", _F)
_SO_THAT = re.compile(r"\bso (?:that )?(?:\w+ ){0,2}$", _F)
#: the people a therapy is given to: "patients on tamoxifen", "steroid users", "chemo patients"
_ON_IT_BEFORE = re.compile(
    r"\b(?:patients|people|women|men|those|anyone|users|children|kids|adults|survivors)\s+"
    r"(?:who (?:are|were) )?(?:on|taking|having|receiving|undergoing|using|treated with|"
    r"prescribed)\s+(?:long-term\s+|daily\s+|regular\s+)?$", _F)
_LIFESTYLE = re.compile(r"\b(?:exercise|physiotherapy|physical therapy|diet|rest|sleep|lifestyle|"
                        r"weight loss|counselling|counseling|cbt|talking therap\w+)\b", _F)
#: advice given to the people a therapy is given to: "are advised to", "should"
_ADVISED = re.compile(r"\b(?:are|is|were|was|get|gets) (?:\w+ )?(?:advised|told|asked|"
                      r"encouraged|urged|recommended|taught)\b|\bshould\b|\bmust\b|"
                      r"\bneeds? to\b|\bha(?:ve|s) to\b|\bought to\b", _F)
#: keeping the body going, for the people a therapy is given to ("keep their joints moving")
_KEEP = _rx(r"keep(?:s|ing)?|kept")
_ON_IT_AFTER = re.compile(r"^[-\s]+(?:users|patients|takers|recipients|survivors)\b", _F)
_MAKES_TOLERABLE = re.compile(r"\bmak(?:e|es|ing)\s+$|\bmade\s+$", _F)
_TOLERABLE = re.compile(r"^\s+(?:\w+\s+)?(?:easier|more (?:bearable|tolerable|comfortable)|"
                        r"gentler|kinder|less (?:harsh|toxic|brutal|punishing|draining))\b", _F)


def _eases_its_harm(sentence: str, drugs: list[Mention]) -> tuple[int, int] | None:
    """The span of a therapy's harm being eased, spared or undone: "L-glutamine heals the
    mouth sores of chemotherapy", "ends the muscle pain that comes with statins", "helps you
    keep weight on during radiotherapy", "takes away the joint aches the drugs cause"."""
    for d in drugs:
        if _MAKES_TOLERABLE.search(sentence[:d.start]) and \
                _TOLERABLE.match(sentence[d.end:]):
            return 0, d.end
        harm_after = _TIED_AFTER.match(sentence[d.end:])
        tied = _TIED_BEFORE.search(sentence[:d.start])
        if not (tied or harm_after):
            continue
        during = tied is not None and bool(_DURING.search(tied.group()))
        # "reduces the absorption of levothyroxine" ties no harm to the drug: a harm must be
        # named between the verb and the drug, or said to be the drug's doing, or the time
        # of treatment ("during radiotherapy") must frame what is kept
        if harm_after and _NO_LONGER.match(sentence[d.end:]) and \
                _SO_THAT.search(sentence[:d.start]):
            return 0, len(sentence)  # "... so your statin no longer gives you aching muscles"
        end = len(sentence) if during else d.start
        before_drug = sentence[max(0, tied.start() - 40):tied.start()] if tied else ""
        if tied and not during and (_HARM.search(before_drug) or _HARM_WORD.search(
                before_drug)) and _SUBSIDES.match(sentence[d.end:]):
            return tied.start(), d.end
        for v in _SPARE.finditer(sentence):
            if v.start() >= end or debunked(sentence, v.start()):
                continue
            # "keeps the nausea of chemotherapy at bay": the verb's object before the drug
            between = sentence[v.end():d.start] if v.end() <= d.start else \
                sentence[v.start():d.start]
            # a disease right before the drug names the drug ("HIV drugs"), not a harm
            named = [m for m in diseases(between) if m.end < len(between.rstrip())]
            if during or harm_after or _HARM.search(between) or _SYMPTOM.search(between) or \
                    named or _HARM_WORD.search(between) or _BODY.search(between):
                return min(v.start(), d.start), max(v.end(), d.end)
    return _eased_for_its_takers(sentence, drugs)


def _eased_for_its_takers(sentence: str, drugs: list[Mention]) -> tuple[int, int] | None:
    """The span of relief given to the people a therapy is given to: "Patients on tamoxifen
    use it to cool their hot flushes", "Steroid users rely on it to protect their bones"."""
    for d in drugs:
        if not (_ON_IT_BEFORE.search(sentence[:d.start]) or _ON_IT_AFTER.match(sentence[d.end:])):
            continue
        relief = sorted([*_SPARE.finditer(sentence, d.end), *_KEEP.finditer(sentence, d.end)],
                        key=lambda m: m.start())
        for v in relief:
            if re.match(r"less|fewer", v.group(), _F):
                continue  # "need far less of it": a substitution's cue, not relief
            if _ADVISED.search(sentence, d.end, v.start()):
                break  # "are advised to protect their bones with calcium": care advice
            if re.match(r"help|maintain|recover|keep|kept", v.group(), _F) and \
                    not _HARM_WORD.search(sentence, v.end()) and \
                    not _HARM.search(sentence, v.end()) and not _BODY.search(sentence, v.end()):
                continue  # "helps" alone is too weak: the harm must be named
            if not debunked(sentence, v.start()):
                return d.start, v.end()
        tail = sentence[d.end:]
        if _SUBSIDES.search(tail) and (_HARM_WORD.search(tail) or _HARM.search(tail)):
            return d.start, len(sentence)
    return None


#: what a product does for a therapy, in general: a benefit word anywhere in the sentence
_STRONGER = re.compile(
    r"\b(?:more|better|faster|quicker|sooner|further|stronger|harder|extra|double[sd]?|"
    r"boost\w*|amplif\w*|power|improv\w*|speed\w*)\b", _F)
#: easing what a therapy does to the body
_EASING = re.compile(
    r"\b(?:eas(?:e|es|ed|ier)|calm\w*|sooth\w*|relie\w*|soften\w*|protect\w*|preserv\w*|"
    r"repair\w*|rebuil\w*|restor\w*|heal\w*|fight\w*|under control|in check|goodbye|"
    r"farewell|stay on|full-dose)\b", _F)
#: ... which, with a harm named, is easing the therapy's adverse effects
_ADVERSE_CUE = re.compile(
    r"\b(?:side[- ]effects?|nausea|fatigue|ulcers?|sores?|damage|muscle|liver|kidneys?|"
    r"immune system|hair|stay on|full-dose|stop (?:\w+ ){0,2}?early|had to stop|tolerat\w*|"
    r"exhaust\w*|recover\w* from)\b", _F)
#: ... or, with less of the therapy or none, substituting for it
_SUBSTITUTE_CUE = re.compile(
    r"\bneeds? (?:\w+ )?less\b|\bneeded (?:\w+ )?less\b|\bwho needs\b|\bhaven't (?:touched|"
    r"used|needed)\b|\bhave not (?:touched|used|needed)\b|\bnot (?:touched|used|needed)\b|"
    r"\bsince (?:starting|taking|switching)\b|\binstead\b|\bswap\w*|\bwithout (?:the )?need\b",
    _F)
_APPOSITIVE = re.compile(r"^\W*[\w' -]{2,40}:\s+(?:the|a|an|your)\s+(?:[\w-]+\s+){0,2}?$", _F)


#: the product doing something to or for the therapy ("gives ... an extra boost", "helps ...")
_GIVES = _rx(r"help\w*|giv(?:e|es|ing)|gave|mak(?:e|es|ing)|made|lets?|allows?|prim\w*|"
             r"amplif\w*|boost\w*|doubl\w*|supercharg\w*|strengthen\w*")
_THERAPY_RULES = frozenset({"C03-boosts-therapy", "C04-therapy-side-effects",
                            "C05-replaces-treatment"})


def _any_therapy_claim(sentence: str, drugs: list[Mention]) -> Hit | None:
    """A therapy claim found by the company it keeps: a therapy named, a benefit said, and
    no warning, precaution, negation or debunk around them ("Amla gives your diabetes
    medication an extra boost", "Guggul: the Ayurvedic statin"); the cues then tell an
    adverse-effect claim and a substitution from an augmentation."""
    if not drugs or is_precaution(sentence) or care_acts(sentence):
        return None
    for d in drugs:
        # a label naming the product as the drug: "Guggul: the Ayurvedic statin"
        if _APPOSITIVE.match(sentence[:d.start]):
            return Hit("C05-replaces-treatment", 0, d.end)
    if therapy_is_subject(sentence):
        return None
    d = drugs[0]
    cue = _SUBSTITUTE_CUE.search(sentence)
    if cue and not debunked(sentence, cue.start()):
        return Hit("C05-replaces-treatment", min(cue.start(), d.start), max(cue.end(), d.end))
    if _ADVERSE_CUE.search(sentence):
        easing = next((m for m in _EASING.finditer(sentence)
                       if not debunked(sentence, m.start())), None)
        if easing:
            return Hit("C04-therapy-side-effects", min(easing.start(), d.start),
                       max(easing.end(), d.end))
    stronger = next((m for m in _STRONGER.finditer(sentence)
                     if not debunked(sentence, m.start())), None)
    if stronger and (_PARTNER.search(sentence) or _GIVES.search(sentence)):
        return Hit("C03-boosts-therapy", min(stronger.start(), d.start),
                   max(stronger.end(), d.end))
    return None


def _across(sentence: str, before: str, drugs_here: list[Mention]) -> list[Hit]:
    """Therapy claims whose therapy is named only in the sentence before."""
    if drugs_here or not before or is_warning(sentence) or is_warning(before):
        return []
    named = therapies(before)
    if not named:
        return []
    hits: list[Hit] = []
    m = _INSTEAD.search(sentence)
    if m and not debunked(sentence, m.start()):
        hits.append(Hit("C05-replaces-treatment", m.start(), m.end()))
    harm = _THERAPY_HARM.search(before)
    ease = _EASE_BACK.search(sentence)
    if harm and ease and not debunked(sentence, ease.start()):
        hits.append(Hit("C04-therapy-side-effects", ease.start(), ease.end()))
    elif before.rstrip().endswith("?") and (_HARM.search(sentence) or _HARM_WORD.search(
            sentence) or _HARM.search(before) or _HARM_WORD.search(before)):
        # "On steroids for your asthma? Krill oil protects your bones from the thinning they
        # cause": the therapy asked about, its harm eased in the answer
        spare = next((v for v in _SPARE.finditer(sentence)
                      if not debunked(sentence, v.start())), None)
        if spare:
            hits.append(Hit("C04-therapy-side-effects", spare.start(), spare.end()))
    return hits


_BECAUSE = re.compile(r"\s+(?:\w+\s+)?(?:because|due to|owing to|over (?:fears|worries|"
                      r"concerns))\b", _F)
#: a comparison the drug wins: "Statins lower cholesterol better than any supplement does"
_COMPARED = re.compile(r"better than|as well as|as effective|more effective|outperform\w*|"
                       r"rival\w*", _F)
_OPENS = re.compile(r"\W*(?:(?:the|most|many|some|newer|older|prescription|standard)\s+)?", _F)
#: a prescription the product does not need: "You don't need a prescription for it"
_FOR_THE_PRODUCT = re.compile(r"\s+(?:for (?:it|this|them|these)|to (?:buy|get|order))\b", _F)


def _not_replaced(sentence: str, verb: re.Match[str], drug: Mention) -> bool:
    """True when the substitution verb near ``drug`` replaces nothing: the drug is the subject
    of a comparison it wins, or the prescription is one the product does not need."""
    if _COMPARED.fullmatch(verb.group()) and drug.end <= verb.start() and (
            therapy_is_subject(sentence) or _OPENS.fullmatch(sentence[:drug.start])):
        return True
    return drug.text.lower().startswith("prescription") and drug.start >= verb.end() and \
        bool(_FOR_THE_PRODUCT.match(sentence, drug.end))


_NEEDED = re.compile(r"\s+(?:needed|required|necessary)\b", _F)
_FROM_HARMING = re.compile(r"\s+from\s+(?:\w+ing)\b", _F)
#: the drug failed and the product worked: "the only thing that helped after the pills failed"
_FAILED = re.compile(r"\s+(?:\w+\s+)?(?:failed|didn't work|did not work|stopped working|never "
                     r"worked|did nothing|could not|couldn't|never could|let me down)\b", _F)
_WORKED_INSTEAD = re.compile(
    r"\b(?:the only thing that (?:helped|worked)|(?:it|this) (?:helped|worked|did)|finally "
    r"(?:found|something)|(?:did|does|do) for (?:\w+ ){1,3}?what|have(?: not|n't) (?:gone|looked) "
    r"back)\b", _F)
#: the product put in the drug's place, after the drug: "... and use nettle instead"
_SWAPPED_IN = re.compile(r"\b(?:instead|in (?:its|their) place)\s*[.!]?\s*$", _F)
#: how a drug is taken or absorbed, which a supplement page reports without claiming anything
_TAKING_A_DRUG = re.compile(
    r"\b(?:absorb\w*|absorption|on an empty stomach|with (?:food|meals)|in the (?:evening|"
    r"morning)|at (?:night|bedtime)|finish the course)\b", _F)
#: an agent besides the drug, when a drug is the subject: "Chemo works better when the body is
#: primed with royal jelly"
_AGENT_BESIDE = _rx(r"primed|combined|added|paired|on board|thanks to|together with|alongside|"
                    r"when (?:\w+ ){0,3}?(?:takes?|taken|given|adds?|uses?)|with (?:the )?help")


def therapy_claims(sentence: str, before: str = "") -> list[Hit]:
    """Claims that the product augments a therapy, replaces one or eases its adverse effects.

    ``before`` is the sentence before: a therapy it names can be what this one replaces
    ("... instead") or whose harm this one eases ("Chemo is exhausting. X gives you your
    energy back").
    """
    drugs = therapies(sentence)
    if care_acts(sentence) or _TAKING_A_DRUG.search(sentence):
        return []
    hits: list[Hit] = _across(sentence, before, drugs)
    for m in _SUBSTITUTE_ALONE.finditer(sentence):
        if re.search(r"-free", m.group()) and _LIFESTYLE.search(sentence):
            continue  # "a drug-free approach ... starts with exercise": care, not the product
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
        span = _augments(sentence, drugs) if drugs and not any(
            h.rule == "C03-boosts-therapy" for h in hits) else None
        if span:
            hits.append(Hit("C03-boosts-therapy", *span))
    if not drugs:
        return hits
    # "Stop taking your antihistamine and use nettle instead" reads as an instruction to stop,
    # but the swap after it makes it a substitution
    if not warning or _SWAPPED_IN.search(sentence):
        for d in drugs:
            natural = _NATURAL_DRUG.search(sentence[:d.start])
            if natural and not natural.group().rstrip().endswith(("to", "for", "of")) and \
                    _GENERIC_THERAPY.fullmatch(d.text):
                natural = None  # "herbal medicine" is a practice, not a natural drug
            why = _WHY_TAKE.search(sentence[:d.start])
            if why and not _WHEN_ALTERNATIVE.match(sentence[d.end:]):
                why = None
            does = _DOES_WHAT.search(sentence[:d.start])
            if does and (_HARM.search(sentence) or is_warning(sentence) or
                         _A_HARM_DONE.search(sentence)):
                does = None
            give_up = _GIVE_UP.search(sentence[:d.start]) or natural or why or does
            # "say goodbye to statin side effects" gives up the harm, not the drug
            its_harm = _HARM.match(sentence, d.end + 1) if sentence[d.end:d.end + 1] == " " \
                else None
            # "give up their statin because of muscle pain" reports why, and claims nothing
            why_quit = _BECAUSE.match(sentence, d.end)
            if give_up and _FROM_HARMING.match(sentence, d.end):
                # "stops metformin from upsetting your stomach" spares the drug's harm
                hits.append(Hit("C04-therapy-side-effects", give_up.start(), d.end))
                break
            if give_up and not its_harm and not why_quit and \
                    not debunked(sentence, give_up.start()):
                hits.append(Hit("C05-replaces-treatment", give_up.start(), d.end))
                break
            no = re.search(r"\bno\s+$", sentence[:d.start], _F)
            if no and _NEEDED.match(sentence, d.end) and not debunked(sentence, no.start()):
                hits.append(Hit("C05-replaces-treatment", d.start, d.end))  # "no statins needed"
                break
            if _FAILED.match(sentence, d.end) and _WORKED_INSTEAD.search(sentence) and \
                    not debunked(sentence, d.start):
                hits.append(Hit("C05-replaces-treatment", d.start, len(sentence)))
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
            if rule == "C05-replaces-treatment" and any(_not_replaced(sentence, v, d)
                                                        for d in near):
                continue
            if near:
                hits.append(Hit(rule, min(v.start(), near[0].start), max(v.end(), near[0].end)))
                break
    if not warning and not any(h.rule == "C04-therapy-side-effects" for h in hits):
        span = _eases_its_harm(sentence, drugs)
        if span:
            hits.append(Hit("C04-therapy-side-effects", *span))
    if not warning and not any(h.rule in _THERAPY_RULES for h in hits):
        hit = _any_therapy_claim(sentence, drugs)
        if hit:
            hits.append(hit)
    if therapy_is_subject(sentence) and not _AGENT_BESIDE.search(sentence):
        hits = [h for h in hits if h.rule != "C03-boosts-therapy"]  # the drug's own effect
    for v in _EASE.finditer(sentence):
        if any(h.rule == "C04-therapy-side-effects" for h in hits):
            break
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
    r"for (?:people|patients|anyone) (?:on|taking))\b|\b(?:no|zero) (?:known )?(?:drug )?"
    r"interactions?\b|"
    r"\b(?:does(?:n't| not)|won't|will not|never|can(?:'t|not)|could(?:n't| not)) interacts?\b",
    _F)
_ABSOLUTE = re.compile(
    r"\b(?:completely|totally|perfectly|entirely|absolutely|100\s?%|100 percent|remarkably|"
    r"extremely|inherently|utterly|always|very) (?:safe|harmless|non-?toxic|well[- ]tolerated)\b|"
    r"\bharmless\b|\bnon-?toxic\b|\bfree (?:from|of) (?:\w+ ){0,2}?(?:side[- ]effects|toxicity|"
    r"adverse|harm|risks?|interactions)\b|\b(?:can ?not|can't|impossible to|never) "
    r"(?:overdose|od|o\.d\.)\b|"
    r"\bsafe (?:at|in) any (?:dose|amount|quantity|age)\b|"
    r"\bsafe (?:for|to) (?:everyone|anyone|all|children|kids|babies|everybody|daily use|"
    r"long-term use)\b|"
    r"\bsafe (?:\w+ )?(?:for|in|during) (?:the whole family|all ages|every age|toddlers|infants|"
    r"newborns|pregnant women|pregnancy|breastfeeding|the elderly|seniors|life|years)\b|"
    r"\b(?:can ?not|can't|impossible to|never) (?:\w+ )?(?:take too much|overdo it|harm|hurt)\b|"
    r"\b(?:zero|no) (?:\w+ )?risks?\b|\brisk-free\b|"
    # a degree with its result: "so safe that it can be given to babies"
    r"\bso (?:safe|gentle|mild|harmless) (?:that|it|you|even|anyone|everyone)\b|"
    r"\bno way to (?:overdose|take too much|overdo it)\b|"
    r"\b(?:safe|gentle|mild|harmless) enough (?:to|for)\b|"
    r"\bsafe across\b|\bsafe (?:at|in) (?:both|all|high|higher|large|much|"
    r"therapeutic)\b|\bsafe and (?:effective|non-toxic|natural)\b|"
    r"\b(?:excellent|strong|remarkable|outstanding|exceptional|favou?rable|impeccable|perfect|"
    r"proven|unblemished|spotless|clean|flawless|stellar|unrivalled|unmatched|superb|great|"
    r"unbeatable) safety (?:profile|margin|record)\b|\bsupport\w* (?:its|the) safety\b|"
    r"\bsafety for long-term use\b|\bsafer (?:and non-toxic|candidate|choice|option)\b|"
    r"\b(?:no|without any) (?:risk|danger)s?\b|\bsafe (?:adjunct|alternative|option|choice|"
    r"treatment|therapy|remedy)\b|\bsafe\b (?:[\w-]+ ){0,3}?dos(?:e|es|age|ages)\b|"
    # a quantifier of safety: who may take it, how much, with what
    r"\b(?:everyone|anyone|everybody) (?:\w+ )?(?:can|could|may) (?:safely (?:take|use)|(?:take|"
    r"use) (?:it|them|this) safely)\b|"
    r"\b(?:suitable|fine|ideal|safe|okay|ok) for (?:everyone|anyone|everybody|all ages|every age|"
    r"the whole family|young and old|all the family)\b|"
    r"\b(?:well[- ]tolerated|tolerated) by (?:everyone|anyone|all)\b|"
    r"\bno (?:known )?contra-?indications?\b|"
    r"\b(?:in|at) (?:unlimited|limitless) (?:amounts?|quantit(?:y|ies)|doses?)\b|"
    r"\bno (?:\w+ )?(?:upper |safe )?limit\b(?:,? (?:so|and so|which means)\b|:)|"
    r"\bas much (?:[\w-]+ ){0,2}?as you (?:like|want|wish|please)\b|"
    r"\bno (?:amount|dose|quantity)\b[^.;]{0,40}\b(?:harm|hurt|too much)\b|"
    r"\bhowever (?:much|many) (?:you )?(?:take|use|eat|drink)\b|"
    r"\bone of the safest (?:\w+ )?(?:supplements|herbs|products|remedies|vitamins|minerals)\b|"
    r"\bsafe (?:to (?:take|use) )?(?:indefinitely|forever|for life)\b|"
    r"\bsafe for (?:teenagers|teens|infants|toddlers|newborns|the elderly|seniors|pregnant women|"
    r"diabetics|kidney patients|heart patients|liver patients)\b(?![^.;]*\b(?:if|unless|but|"
    r"only|when|should|ask|check|consult)\b)|"
    r"\bno such thing as (?:too much|an overdose|a toxic dose)\b|"
    r"\bside[- ]effects?[- ]free\b|\bnon-?addictive\b|"
    r"\bsafe for\b[^.;]{0,60}\b(?:everyone|everybody|anyone|all ages)\b|"
    r"\beven (?:people|patients|those|anyone|children|kids|babies|pregnant women|diabetics)\b"
    r"[^.;]{0,50}\bcan (?:\w+ )?(?:take|use|have)\b|"
    r"\bcan (?:take|use|have) (?:it|them|this) (?:freely|safely|without (?:worry|concern|risk|"
    r"fear))\b|"
    r"\b(?:(?:combine|mix|pair)\w* (?:it|them|this)|(?:take|use)\w* (?:it|them|this) "
    r"(?:with|alongside)) (?:\w+ ){0,5}?without (?:any )?"
    r"(?:problems?|issues?|worr(?:y|ies)|risks?|concerns?|trouble)\b|"
    r"\bno matter how (?:much|many|often|long)\b[^.;]*\b(?:safe|harmless|fine|no harm)\b|"
    r"\b(?:taken?|used?|takes|uses) (?:\w+ )?in any (?:amount|dose|quantity)\b|"
    r"\bas (?:safe|harmless|gentle) as (?:\w+ )?(?:water|food|milk|tea|fruit|vegetables|a "
    r"vitamin|vitamins|air)\b|"
    r"\b(?:entirely|completely|totally|utterly|quite|is|are) without (?:any )?(?:risks?|"
    r"dangers?|side[- ]effects?)\b|"
    r"\bnon-?habit[- ]forming\b|"
    r"\b(?:is|are) the safest (?:\w+ )?(?:supplements?|herbs?|products?|remed(?:y|ies)|"
    r"formulas?|adaptogens?|nootropics?|vitamins?|minerals?)\b|"
    r"\bnothing (?:\w+ ){0,3}?(?:that )?(?:could|can|will|would|might) (?:\w+ )?(?:hurt|harm|"
    r"damage)\b|"
    r"\b(?:no one|nobody|not (?:one|a single) (?:person|customer|user|patient)) (?:has )?"
    r"(?:ever )?(?:had|reported|experienced|suffered|complained of) (?:a |an |any )?(?:\w+ )?"
    r"(?:reactions?|side[- ]effects?|problems?|issues?|complaints?)\b|"
    r"\b(?:toxicity|an overdose|overdosing|side effects|harm) (?:is|are) (?:\w+ )?(?:impossible|"
    r"unheard of|non-?existent)\b|"
    r"\b(?:take|give|use|taken|given|used|takes|gives|uses)\b[^.;]{0,40}\bwithout (?:a second "
    r"thought|(?:any )?worr(?:y|ies)|(?:any )?concerns?|fear|hesitation|a care in the world)\b|"
    r"\binteracts? with (?:nothing|no (?:other )?(?:drugs?|medicines?|medications?))\b|"
    r"\b(?:take|taken|use|used|combine[sd]?|mix(?:ed)?|works?|pairs?) (?:\w+ )?(?:with|alongside) "
    r"(?:any|every|all) (?:other |my |your |of my |of your )?(?:medicines?|medications?|meds|"
    r"drugs?|prescriptions?|pills|treatments?)\b",
    _F)
_NO_HARM = re.compile(
    r"(?:\b(?:no|zero|none|without(?: any)?|absence of|devoid of|nil)\b|\b0\s?%) (?:\w+ ){0,2}?"
    r"(?:side[- ]effects?|adverse (?:effects?|events?|reactions?)|toxicity|toxic effects|harm|"
    r"(?:dangerous|harmful|negative|unwanted|ill|bad|nasty) effects?|"
    r"dependence|hypercoagula\w*|impact on (?:coagulation|clotting)|effect on "
    r"(?:coagulation|clotting|inr))\b|"
    r"\b(?:minimal|negligible|few if any) (?:\w+ )?(?:side[- ]effects?|toxicity|adverse)\b|"
    r"\b(?:not|never|n't)\b (?:\w+ ){0,3}?(?:associated with|linked to|cause[sd]?|induce[sd]?|"
    r"introduce[sd]?|impair\w*|produce[sd]?) (?:\w+ ){0,4}?(?:any )?(?:significant |serious |"
    r"notable )?(?:side[- ]effects?|adverse|toxicity|hypercoagula\w*|harm|problems|issues|"
    r"trouble|complications)\b|"
    r"\bside effects:? (?:minimal|none|nil)\b", _F)
_NO_EVIDENCE_OF = re.compile(r"\bno (?:evidence|reports?|data|signs?) of\b|\bwithout reports\b",
                             _F)
_AMPLIFIER = re.compile(
    r"\beven (?:at|with|in|when)\b|\b(?:high|higher|large|therapeutic|any|all|massive|much "
    r"higher) (?:\w+ )?doses?\b|\bat any\b|\bin any\b|\bany (?:clinical )?stud|\bfor "
    r"(?:everyone|anyone|all|most patients)\b|\bconsistently\b|\blong-term\b|\bexcellent\b|"
    r"\bremarkabl\w*|\bmaking (?:it|them)\b|\bever\b|\bsupport\w* (?:its|the)\b|\bideal\b|"
    r"\bsafer\b|"
    r"\bcompletely\b|\btotally\b|\bperfectly\b|\b100\s?%|\bnatural\b", _F)


#: safety asked about, not asserted: "Ask a pharmacist whether it is safe with ..."
_ASKED = re.compile(r"\bwhether\b|\b(?:ask|check|find out|wonder\w*)\b (?:\w+ ){0,4}?if\b", _F)
#: "..., which is harmless": the relative clause describes the effect before it, not the product
_OF_AN_EFFECT = re.compile(r",\s*(?:which|that) (?:is|are|was|were) (?:\w+ )?$", _F)


def _negated_here(sentence: str, start: int) -> bool:
    """A negation of the statement at ``start``, not of the one before an "and" ("causes no
    upset and is safe for everyone" is not negated)."""
    head = re.split(r"\b(?:and|or)\b", sentence[:start])[-1]
    return is_negated(head, len(head))


def safety_claims(sentence: str) -> list[Hit]:
    """Absolute safety claims: no side effects, non-toxic, safe at any dose, safe with a drug."""
    hits: list[Hit] = []
    for m in _SAFE_WITH_DRUG.finditer(sentence):
        # what it is safe with, or does not interact with, in the same clause: a drug
        clause = re.split(r"\bbut\b|;|\bhowever\b", sentence[m.start():], maxsplit=1)[0]
        with_a_drug = bool(therapies(clause)) or bool(
            re.search(r"\b(?:anything|any\b|every|all\b)", clause, _F))
        if debunked(sentence, m.start()) or (not m.group().lower().startswith("no") and
                                               not with_a_drug):
            continue
        hits.append(Hit("C08-safe-with-anticoagulants", m.start(), m.end()))
        break
    absolute = next((m for m in _ABSOLUTE.finditer(sentence)
                     if not _negated_here(sentence, m.start())
                     and not _ASKED.search(sentence, 0, m.start())
                     and not _OF_AN_EFFECT.search(sentence, 0, m.start())), None)
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
    r"\bsharper (?:mind|memory|thinking|brain|focus)\b|\bsmart drugs?\b|"
    r"\bcognitive (?:[\w-]+ ){0,3}?benefits\b|"
    r"\b(?:grow|grows|grew|build|builds|regrow\w*|generat\w*) (?:new )?(?:brain cells|neurons)\b",
    _F)
_COGNITIVE_VERB = _rx(
    r"enhanc\w*|improv\w*|boost\w*|sharpen\w*|optimi[sz]\w*|supercharg\w*|support\w*|"
    r"promot\w*|protect\w*|increas\w*|maximi[sz]\w*|strengthen\w*|keeps? (?:\w+ ){0,3}?sharp|"
    r"positively impact\w*|benefit\w*|positive effects? on|revers\w*|slow\w*|halt\w*|"
    r"clear\w*|lift\w*|"
    r"prevent\w*|fight\w*|turn\w* back")
_COGNITIVE = _rx(
    r"memory|focus|concentration|cognition|cognitive (?:function|functioning|processing|"
    r"performance|health)|learning|attention|brain health|brain function|brain cells|"
    r"mental (?:clarity|performance|focus|energy)|neuronal function|neurons|your brain|the brain|"
    r"synaptic plasticity|intelligence|iq|brain ag(?:e)?ing|(?:brain|cognitive) decline|"
    r"brain fog")


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
