"""The claims guard's safety net: a disease or therapy claim the grammar cannot parse still blocks.

The grammar (:mod:`~k2publisher.guard.claims_detect`) decides *what kind* of claim a sentence
makes and how serious it is; it is precise but only knows the structures it was written for.
The net is deliberately coarse, for recall: a sentence that

* names a disease, condition or symptom (:func:`~k2publisher.guard.lexicon.diseases`: ICD-10-CM,
  lay names, disease-shaped words) or a therapy or drug (:func:`~k2publisher.guard.lexicon.
  therapies`), and
* connects it to an effect: any change or effect word in any tense or voice (helps, relief,
  protection, works, gone ...), "for"/"against" the disease, a testimonial ("my asthma ..."),
  or, for a therapy, a pairing, a replacement or its side effects,

and is none of the harmless kinds of sentence (a question, an interaction or safety warning, a
precaution, a negated or debunked statement, a definition of the disease with no effect, a
statement in which care, the body, a clinician or a therapy acts: one policy with the grammar,
:func:`~k2publisher.guard.claims_context.care_acts`) gets a
``block`` finding -- unless the grammar already blocked that class. A disease statement the
grammar only qualified (attributed to a study) blocks too: "never published with a disease
claim" is the standard, and the editor who keeps an attributed study note records an override
with a reason (``guard_overrides``), which :mod:`~k2publisher.guard.check` honours per rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from k2publisher.guard import claims_discourse as discourse
from k2publisher.guard.claims_context import (
    care_acts,
    clauses,
    consults,
    debunked,
    is_precaution,
    is_warning,
    names_the_product,
    taken_back,
    therapy_is_subject,
)
from k2publisher.guard.claims_grammar import about_a_process, made_worse, runs_its_own_course
from k2publisher.guard.lexicon import Mention, diseases, therapies
from k2publisher.guard.text import is_negated

__all__ = ["DISEASE_RULE", "THERAPY_RULE", "catch"]

DISEASE_RULE = "N01-possible-disease-claim"
THERAPY_RULE = "N02-possible-therapy-claim"
_F = re.IGNORECASE
#: an effect on a molecule, not on the disease: "inhibits fluoroquinolone resistance genes"
_MOLECULAR = re.compile(
    r"\w*\s+(?:[\w-]+\s+){0,3}?(?:genes?|pathways?|enzymes?|receptors?|expression|markers?|"
    r"proteins?|signall?ing|kinases?)\b", re.IGNORECASE)
_MOLECULE_BEFORE = re.compile(
    r"\b(?:[Gg]enes?|[Pp]athways?|[Ee]nzymes?|[Rr]eceptors?|[Ee]xpression|[Mm]arkers?|"
    r"[Pp]roteins?|[Kk]inases?|[Cc]ycle|[A-Z][A-Za-z0-9/-]*[A-Z0-9][A-Za-z0-9/-]*)\s+$")
_REACH = 70  # characters between a disease and the effect that acts on it

#: a change or an effect, as a verb in any tense or voice or as its noun
_EFFECT = re.compile(
    r"\b(?:help|support|improv|reduc(?!tase)|lower|eas(?:e|es|ed|ing)\b|relie[fv]|sooth|calm\b|calm(?:s|ed|er|ing)\b|protect|"
    r"prevent|fight|combat|beat|cure|heal|treat|remed|benefi|work(?:s|ed|ing)?\b|"
    r"result(?:s|ed|ing)? in\b|(?:real|great|amazing|fast|quick|visible|lasting) results|clear|"
    r"stop|shrink|kill|destroy|revers|restor|boost|enhanc|strengthen|better|fix|answer|manag|"
    r"control|alleviat|tackl|defeat|banish|rid\b|gone\b|goodbye|disappear|vanish|recover|fewer|"
    r"less(?:en)?\b|decreas|drop|fell\b|falls?\b|cut(?:s|ting)?\b|slow|delay|halt|block|inhibit|"
    r"suppress|shorten|loosen|flush(?!ing\b)|detox|(?<!up)(?<!down)regulat|normali|bounce|weapon|shield|defen[cs]|"
    r"ward(?:s|ed|ing)? off|keep\w* (?:\w+ ){1,3}?(?:away|at bay|free)|at bay|free (?:of|from)\b|"
    r"(?:is|are|was|were) history\b|(?:has|have|got) you covered|"
    r"tak\w* (?:the |your )?\w+ out of|brought (?:\w+ ){0,3}?down|knock\w* out|shake\w* off|"
    r"kick\w*|no more\b|never (?:again|had|got)|remission|effective|efficac|against|"
    r"good for|used (?:for|to|against)|use (?:it )?(?:for|to|against)|solution|rescue|repair|"
    r"rebuild|regrow|grew back|come back|came back|bounce\w* back|opens? up|brings? \w+ down|"
    r"bring\w* (?:\w+ )?down|settl\w*|overc[oa]m\w*|"
    r"switch\w* (?:\w+ ){0,2}?(?:back )?(?:on|off)\b|went (?:from|down)|go(?:es)? away|went away|"
    r"disappear|resolv|soften|(?:goes|go|went|gone|come|comes|came) down\b|"
    r"nature's (?:answer|cure|remedy)|natural (?:fix|cure|remedy|answer|solution|alternative)|"
    # easing, as verbs and comparatives: "their side effects fade", "breathed easier"
    r"fad(?:e|es|ed|ing)\b|subsid|relax|quiet|tam(?:e|es|ed|ing)\b|lift|comfort|soothe|"
    r"easier|calmer|lighter|clearer|freer|no longer|thing of the past|"
    # a testimonial's time: "since I started", "haven't had one since"
    r"since (?:i |we |you )?(?:started|starting|began|beginning|taking|switching|using)|"
    # a recommendation for the condition: "the first thing I reach for", "a lifeline"
    r"reach for|go-to|lifeline|best friend|must-have|swear by|godsend|saviou?r|does the trick|"
    r"secret weapon|staple|"
    # life without the condition, a difference made, resistance built
    r"without (?:that|those|your|the usual|any more|another)\b|"
    r"(?:make|makes|made|making) (?:a |the |all the )?(?:\w+ )?difference|"
    r"build\w* (?:up )?(?:\w+ )?(?:resistance|immunity|defen[cs]es))",
    _F)
#: "for <condition>", "sufferers", "a must-have for kids with ..."
_FOR = re.compile(r"\b(?:for|against)\s+(?:\w+\s+){0,3}$", _F)
_SUFFERER = re.compile(r"\b(?:sufferers?|patients?|people|women|men|kids|children|anyone|those)"
                       r"\b", _F)
#: a testimonial: the reader's or writer's own condition
_MINE = re.compile(r"\b(?:my|our|your) (?:\w+ ){0,2}$", _F)

#: what a therapy claim does with the therapy: pairs with it, replaces it, eases its harm
_SUBSTITUTE = re.compile(
    r"\binstead of\b|\bforget (?:about )?(?:the |your )?|\bwho needs\b|\balternative\b|"
    r"\breplac\w*|\bin place of\b|\bskip\b|\bditch\b|"
    r"\bthrow (?:away|out)\b|\bno (?:more )?need\b|\bnever (?:need|take|use)\b|"
    r"\bwhy (?:reach for|take|get|use|pay for|bother with)\b|\bsame (?:job|thing|effect|as)\b|"
    r"\bdoes the same\b|\bas (?:well|good|effective|strong) as\b|\bbetter than\b|\bswap\w*|"
    r"\bswitch\w* (?:from|off)\b|\bcome off\b|\bget off\b|\bquit\b|\bwean\w*|"
    r"\bstop(?:ped)? (?:taking|using|needing)\b|\bdone (?:exactly )?that\b|\blooked back\b|"
    r"\bgets the job done\b|\bwithout (?:the|your|any) ", _F)
_ADVERSE = re.compile(
    r"\bside[- ]effects?\b|\bcomes? with (?:the |their |your )?(?:treatment|therapy|drugs?|"
    r"medication)s?\b|\b(?:having|undergoing|receiving|getting|on) (?:\w+ )?(?=\w*(?:therap|"
    r"chemo|radiat|dialysis|surgery|transplant))|\btoxicit\w*|\bdamage\b|"
    r"\bwhile (?:you(?:'re| are) )?(?:on|taking|"
    r"having|undergoing)\b|\bduring (?:\w+ )?(?:treatment|therapy|chemo\w*|radiation)\b|"
    r"\b(?:the )?(?:drug|treatment|therapy|medication|medicine)(?:'s)? (?:causes?|brings?)\b|"
    r"\bcaused by\b|\bleft (?:behind )?by\b|"
    r"\bfrom (?:the |your |my |their )?(?:drug|treatment|chemo\w*|medication)s?\b|"
    r"\bsoften the blow\b|\bthe edge off\b|\bblow of\b|\bget (?:from|on)\b", _F)
_AUGMENT = re.compile(
    r"\balongside\b|\btogether with\b|\badd\w* (?:it |this |"
    r"them )?to\b|\bpair\w*|\bstack\w*|\bcombin\w*|\bplus\b|\bon top of\b|\bsupercharg\w*|"
    r"\bwork\w* (?:better|harder|faster|more)\b|\bgo(?:es)? further\b|\bmore effective\b|"
    r"\bbigger\b|\bstronger\b|\bfaster\b|\bmakes? (?:\w+ ){0,3}?work\b|\bhelps? (?:the|your) "
    r"(?:drug|medicine|medication|treatment|therapy)\b|\bboost\w*|\benhanc\w*|\bpotentiat\w*|"
    r"\bsynerg\w*|\bsensiti[sz]\w*|\bamplif\w*|\bprimes?\b|"
    r"\b(?:an? )?(?:extra |helping |little )?(?:push|hand|kick|edge|lift)\b", _F)

#: doing better: "so they need a lower dose", "twice as fast", "go further"
_BETTER = re.compile(r"\b(?:better|faster|further|harder|bigger|stronger|sooner|more|extra|lower "
                     r"dose|twice|double)\b", _F)
#: what a harmless sentence about a drug says: an interaction, a risk, a precaution
_INTERACTION = re.compile(
    r"\binteract\w*|\binterfer\w*|\bless effective\b|\bnever combine\b|\bdo not combine\b|"
    r"\bdon't combine\b|\bnot (?:be )?(?:combined|taken|used)\b|\bshould not\b|\bavoid\b|"
    r"\b(?:ask|talk to|tell|consult|check with|speak to) (?:your|a|their|the)\b|"
    r"\bcan (?:fall|drop) (?:sharply|too low)\b|\btoo low\b|\brisk\b|\bcareful\b|\bcaution\b|"
    r"\bbreaks? down\b|\bchange how\b|\bmetaboli[sz]\w*|\bblood levels?\b|\bno substitute\b|"
    r"\bnot (?:a |an )?(?:substitute|replacement|alternative)\b|\bneeds? (?:a doctor|medical)\b|"
    r"\bdangerous\b|\bstopping\b|\b(?:can|may|could|will) (?:cause|lead to|trigger)\b|"
    r"\b(?:work|act)\w* less (?:well|effectively|strongly)\b|"
    r"\bif you (?:are|have|take|use)\b|\babsorb\w*", _F)
#: an effect on a risk is a benefit, not a warning: "lowers the risk of heart disease"
_RISK_BENEFIT = re.compile(
    r"\b(?:reduc|lower|cut|decreas|halv|slash|minimi[sz])\w* (?:the |your |their |its )?"
    r"(?:\w+ )?risks?\b", _F)
#: a sentence that defines the disease or counts who has it: "Diabetes is a chronic condition"
_DEFINES = re.compile(
    r"^\W*(?:(?:a|an|the|most|some|many)\s+)?(?:[\w'-]+\s+){0,4}?(?:is|are|was|were|means|"
    r"affects?|occurs?|develops?|happens?|starts?|begins?|needs?|requires?|can be|may be|"
    r"usually|often|is diagnosed|are diagnosed|is caused|are caused|runs? in)\b", _F)
_STUDY_ONLY = re.compile(
    r"\b(?:studied|tested|investigated|examined|compared|enrolled|recruited|randomi[sz]ed|"
    r"measured|is being|are being|under study|ongoing|will test|to see whether|to find out)\b",
    _F)


_OBLIGATION = re.compile(r"\b(?:should|must|needs? to|ought to|have to)\b", _F)
#: a disease word that only names a drug, a doctor or a clinic: "HIV drugs", "diabetes medicines"
_NAMES_A_TREATMENT = re.compile(
    r"\s*(?:drugs?|medic\w+|treatments?|therap\w+|specialists?|doctors?|clinics?|nurses?|"
    r"care team|team|units?|wards?|screening|tests?|research\w*|charit\w*)\b", _F)


#: a sentence whose subject is a negation: "No group has been shown to benefit from ..."
_NO_SUBJECT = re.compile(r"^\W*(?:no|none|nothing|neither|nobody|no one)\b", _F)


#: a question that asserts a substitution: "Who needs a prescription when ...?"
_RHETORICAL = re.compile(r"^\W*(?:who needs|why (?:reach for|take|pay for|bother with|use|get|"
                         r"risk))\b", _F)
#: a sentence about a study's design: "A 2000 trial of X for Y had 69 participants"
_A_STUDY = re.compile(
    r"^\W*(?:a|an|the|one|this|that|each)?\s*(?:[\w-]+\s+){0,3}?(?:trial|study|review|"
    r"analysis|meta-analysis)\s+(?:of|in|on|with)\b(?:(?!\b(?:found|showed|reported|helped|"
    r"worked)\b).)*\b(?:had|lasted|enrolled|included|ran|used|gave|involved|recruited|took)\b",
    _F)


def _clause_negated(sentence: str, at: int) -> bool:
    if _NO_SUBJECT.match(sentence) and at < _clause_of(sentence, 0)[1]:
        return True
    return debunked(sentence, at) or is_negated(sentence, at, window=90)


def _clause_of(sentence: str, at: int) -> tuple[int, int]:
    return next(((a, b) for a, b in clauses(sentence) if a <= at < b), (0, len(sentence)))


def _disease_linked(sentence: str, mention: Mention) -> bool:
    """True when, in its clause, an effect word, "for"/"against", a sufferer or "my" ties
    ``mention`` to an effect."""
    if _clause_negated(sentence, mention.start) or made_worse(sentence, mention):
        return False
    start, end = _clause_of(sentence, mention.start)
    before = sentence[start:mention.start]
    if _MINE.search(before) or _FOR.search(before):
        return True
    # the effect acts on the disease when it is near it (a clause of a long sentence may be
    # about a gene, a pathway or another study)
    lo, hi = max(start, mention.start - _REACH), min(end, mention.end + _REACH)
    for m in _EFFECT.finditer(sentence, lo, hi):
        if _MOLECULAR.match(sentence, m.end()) or _MOLECULE_BEFORE.search(sentence, 0, m.start()):
            continue
        if not (mention.start <= m.start() < mention.end) and \
                not _clause_negated(sentence, m.start()):
            return True
    after = sentence[mention.end:mention.end + 14]
    if re.match(r"\s*sufferers?(?:'s|\u2019s)?\b", after, _F):
        return True
    return bool(re.match(r"\s*patients?\b", after, _F)) and bool(names_the_product(sentence))


def _harmless(sentence: str) -> bool:
    """True when ``sentence`` is one of the harmless kinds: a question, a warning or
    precaution, a result taken back by its caveat, a bare study design, a statement whose
    agent is a therapy or the body."""
    if (sentence.rstrip().endswith("?") or discourse.is_yes_no_question(sentence)) and \
            not _RHETORICAL.match(sentence):
        return True
    if is_precaution(sentence) or consults(sentence) or taken_back(sentence) or \
            care_acts(sentence) or therapy_is_subject(sentence):
        return True
    if is_warning(_RISK_BENEFIT.sub(" ", sentence)) and not _RISK_BENEFIT.search(sentence):
        return True
    obligation = _OBLIGATION.search(sentence)
    if obligation and not _EFFECT.search(sentence, obligation.end()):
        return True
    if _A_STUDY.match(sentence):
        return True
    return bool(_STUDY_ONLY.search(sentence)) and not re.search(
        r"\b(?:found|showed|reported|saw|had|led|improv|reduc|lower|fewer|less)\w*", sentence, _F)


def _defines(sentence: str, mention: Mention) -> bool:
    """True when ``sentence`` opens with the disease and says what it is or who has it (not
    what was done to it: "pain was reduced by ..."), with no product in it."""
    rest = sentence[mention.start:]
    verb = _DEFINES.match(rest)
    if mention.start > 40 or verb is None or names_the_product(sentence):
        return False
    return not _EFFECT.match(rest, verb.end() + 1) and \
        not re.match(r"\s*(?:\w+ )?(?:by|with)\b", rest[verb.end():], _F)


#: a symptom by its shape when no list names it: a body part with how it feels ("swollen
#: ankles", "tickly coughs"), an episode of a condition ("flare-ups", "outbreaks"), the adjective
#: of a condition ("colicky", "asthmatic")
_SYMPTOM_SHAPE = re.compile(
    r"\b(?:sore|swollen|puffy|painful|stiff|aching|achy|itchy|irritated|inflamed|upset|weak|"
    r"brittle|thinning|blocked|runny|stuffy|tickly|hacking|congested|racing|pounding|burning|"
    r"nervous|bloated|cramping|restless|foggy|creaky|leaky) (?:[\w-]+ )?(?:throats?|joints?|"
    r"knees?|backs?|skin|eyes?|nose|stomach|tummy|gut|bones?|muscles?|legs?|feet|ankles?|chest|"
    r"lungs?|bladder|head|coughs?|heart|hair|mind|brain|thoughts|bowels?|sinuses)\b|"
    r"\b(?:flare-?ups?|outbreaks?|breakouts?|attacks?|crises|relapses?|bone loss|hair loss|"
    r"memory loss|hearing loss|muscle loss)\b|"
    r"\b(?:colicky|asthmatic|arthritic|diabetic|anxious|depressed|allergic|feverish|"
    r"nauseous|insomniac|eczema-prone|acne-prone)\b", _F)


def _mentions(sentence: str, acronyms: frozenset[str]) -> list[Mention]:
    found = diseases(sentence, acronyms)
    found += [Mention(m.start(), m.end(), m.group()) for m in _SYMPTOM_SHAPE.finditer(sentence)]
    return sorted(set(found), key=lambda x: (x.start, -x.end))


def _disease_hit(sentence: str, acronyms: frozenset[str]) -> Mention | None:
    mentions = _mentions(sentence, acronyms)
    if runs_its_own_course(sentence, mentions):
        return None
    for mention in mentions:
        if _NAMES_A_TREATMENT.match(sentence, mention.end) or _defines(sentence, mention):
            continue
        if _disease_linked(sentence, mention):
            return mention
    return None


#: a therapy by its shape when no list names it: "your little blue pill", "prescription
#: antivirals", "an antiviral cream"
_THERAPY_SHAPE = re.compile(
    r"\b(?:your|the|their|my|his|her|a|an) (?:[\w-]+ ){0,2}?(?:pills?|prescriptions?|meds|jabs?|"
    r"shots|injections?|inhalers?)\b|\bprescription (?:[\w-]+ )?\w+|"
    r"\banti-?[a-z]{4,} (?:cream|gel|ointment|spray|patch|pill|tablet|drug|medicine|"
    r"medication)s?\b", _F)


def _therapy_mentions(sentence: str) -> list[Mention]:
    found = therapies(sentence)
    found += [Mention(m.start(), m.end(), m.group()) for m in _THERAPY_SHAPE.finditer(sentence)]
    return sorted(set(found), key=lambda x: (x.start, -x.end))


def _therapy_kind(sentence: str) -> tuple[str, Mention] | None:
    """The therapy claim class ``sentence`` makes about a therapy it names, if any."""
    found = _therapy_mentions(sentence)
    if not found or _INTERACTION.search(sentence):
        return None
    inside = [range(t.start, t.end) for t in found]
    # easing a harm or pairing with a therapy is a claim only with what it does for the reader
    outcome = any(not any(m.start() in r for r in inside) and
                  not m.group().lower().startswith(("result", "work"))
                  for m in _EFFECT.finditer(sentence)) or bool(_BETTER.search(sentence))
    # "with your statin" pairs; "treated with medicines" is care, not the product
    paired = any(re.search(r"\bwith (?:\w+ ){0,2}$", sentence[:t.start], _F) and
                 not re.search(r"\b(?:treated|managed|controlled|prescribed) with (?:\w+ ){0,2}$",
                               sentence[:t.start], _F) for t in found)
    for kind, pattern in (("therapy:substitute", _SUBSTITUTE), ("therapy:adverse", _ADVERSE),
                          ("therapy:augment", _AUGMENT)):
        if kind != "therapy:substitute" and not outcome:
            continue
        if kind == "therapy:augment" and paired and not _clause_negated(sentence, 0):
            return kind, found[0]
        for m in pattern.finditer(sentence):
            if any(m.start() in r for r in inside):
                continue
            if not _clause_negated(sentence, m.start()):
                return kind, found[0]
    return None


#: an answer that says no or not really
_DENIES = re.compile(r"^\W*(?:no|not|nope|never|none|unlikely|sadly|unfortunately|there is no)\b",
                     _F)


def _question_before(parts: Sequence[str], at: int) -> str:
    """The question(s) ``parts[at]`` answers ("What is X good for?", "Gout? Arthritis?"), or ""
    when it answers none, says no, or the question is a precaution ("Who should avoid X?")."""
    asked: list[str] = []
    i = at - 1
    while i >= 0 and parts[i].rstrip().endswith("?") and (not asked or len(parts[i]) <= 40):
        asked.insert(0, parts[i])
        i -= 1
    question = " ".join(asked)
    if not question or _DENIES.match(parts[at]) or _OBLIGATION.search(question) or \
            is_warning(question) or consults(question):
        return ""
    return question


def catch(parts: Sequence[str], at: int, acronyms: frozenset[str],
          blocked: frozenset[str]) -> list[tuple[str, str, int, int]]:
    """What the net catches in ``parts[at]`` that the grammar did not block.

    ``blocked`` holds the claim classes the grammar already blocks in this sentence. Returns
    ``(rule id, class, start, end)`` per catch: at most one disease and one therapy catch. An
    answer is read with its question, a list item with its heading.
    """
    sentence = parts[at]
    # a bodily process as subject says how the body works (the grammar's physiology rule)
    if _harmless(sentence) or about_a_process(sentence, parts[at - 1] if at else ""):
        return []
    frame = _question_before(parts, at) or discourse.list_heading(parts, at) or ""
    if frame and _harmless(frame.rstrip().rstrip("?")):
        frame = ""  # "X has been tested against these cancers:", "Who should avoid X?"
    out: list[tuple[str, str, int, int]] = []
    if "disease" not in blocked:
        hit = _disease_hit(sentence, acronyms)
        if hit is None and frame and (_EFFECT.search(sentence) or _mentions(sentence, acronyms)) \
                and not _clause_negated(sentence, len(sentence)):
            framed = _disease_hit(f"{frame} {sentence}", acronyms)
            if framed is not None:
                out.append((DISEASE_RULE, "disease", 0, len(sentence)))
        elif hit is not None:
            out.append((DISEASE_RULE, "disease", hit.start, hit.end))
    if not any(c.startswith("therapy") for c in blocked):
        kind = _therapy_kind(sentence)
        if kind is not None:
            out.append((THERAPY_RULE, kind[0], kind[1].start, kind[1].end))
    return out
