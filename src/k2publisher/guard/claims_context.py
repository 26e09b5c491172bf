"""What around a claim changes its verdict: negation and debunking, attribution to a study and
its evidence level, safety and interaction warnings.

Used by :mod:`k2publisher.guard.claims_detect`; every test here reads one sentence.
"""

from __future__ import annotations

import re

from k2publisher.guard.text import is_negated

__all__ = ["attributed", "clauses", "debunked", "is_precaution", "is_warning", "neutral_report",
           "reported_then_denied"]

_F = re.IGNORECASE

#: a frame that says the claim is *not* supported, anywhere before it in the sentence
_DEBUNK = re.compile(
    r"\b(?:there is|there's|there are) (?:still )?(?:no|little|not enough)\b|"
    r"\bno (?:good |strong |reliable |convincing |clinical |human |solid )?"
    r"(?:evidence|proof|trials?|stud(?:y|ies)|research|data)\b|"
    r"\b(?:not|never) (?:been )?(?:shown|proven|established|demonstrated|confirmed|approved)\b|"
    r"\b(?:is|are|was) not (?:an? )?(?:approved |proven |established )?"
    r"(?:treatment|cure|therapy|remedy|substitute|replacement)\b|"
    r"\b(?:none|nothing)\b(?: of (?:this|these|them|it|the \w+))? (?:shows?|proves?|means|"
    r"suggests?)\b|\b(?:not|cannot|can't|never) (?:show|prove)s?\b|"
    r"\bmyth\b|\bunproven\b|"
    r"^\W*no (?:[\w-]+ ){0,4}?(?:has|have|is|are|was|were|can|will) (?:\w+ )?(?:been )?"
    r"(?:shown|proven|found|demonstrated)\b|"
    # how a product is marketed is reported, not asserted ("sold online as a cancer remedy")
    r"\b(?:sold|marketed|promoted|touted|advertised|billed|pitched|hyped|branded) "
    r"(?:\w+ ){0,2}?as\b|"
    # what is under "whether" is asked, not asserted ("disagree on whether it lowers ...")
    r"\bwhether\b|"
    # what is under study is not asserted ("are studied for their ability to block it")
    r"\b(?:studied|investigated|tested|researched|explored|examined|being studied) "
    r"(?:\w+ ){0,3}?(?:for|as|to see)\b|\bdebunk\w*\b|\bno substitute\b|\bdoes not replace\b", _F)

#: the source of a statement is named, with an evidence level (FTC: attribute and qualify):
#: a lab or animal setting, a kind of study, a study reporting, "in a trial", case reports
_ATTRIBUTION = re.compile(
    r"\bin (?:vitro|vivo)\b|\bxenografts?\b|\bmice\b|\brats\b|\bmouse\b|\bmurine\b|"
    # a lab setting, not the reader's body: "in cell lines", "in animal models", not "in your cells"
    r"\b(?:in|from) (?!(?:your|our|my|his|her|their|the body's|the human body's) )"
    r"(?:\w+ ){0,2}(?:animals?|cells?|cell lines?|models?|cultures?)\b|"
    r"\b(?:cell|animal|mouse|rat|lab|laboratory|pre-?clinical|clinical|observational|"
    r"epidemiological|cohort|pilot|case|human|small|early|phase (?:i|ii|iii|1|2|3)|randomi[sz]ed|"
    r"controlled|open-label|single-arm|population) (?:\w+ )?(?:stud(?:y|ies)|trials?|reports?|"
    r"data|evidence|research|models?|settings|experiments?)\b|"
    r"\b(?:stud(?:y|ies)|trials?|meta-analys[ie]s|reviews?|reports?|research|data|evidence|"
    r"researchers|findings) (?:\w+ ){0,3}?(?:found|find|finds|showed|shown|show|reported|report|"
    r"reports|suggests?|suggested|indicates?|indicated|observed|documented|highlights?|"
    r"highlighted|linked|noted|describe[ds]?|points? to|supports?|demonstrated?)\b|"
    r"\b(?:in|from) (?:a|an|one|two|three|several|some|many|multiple|these|those|this|that|"
    r"such|the|\d+) "
    # "in several cases" says how often, not where from; reported cases are a source
    r"(?:[\w,-]+ ){0,5}?(?:stud(?:y|ies)|trials?|meta-analys[ie]s|reports?|"
    r"(?:reported|documented|published|clinical) cases)\b|"
    r"\bcase (?:reports?|series)\b", _F)

#: who a finding is about ("in women with osteoporosis", "has been linked to"): it names the
#: people or the kind of finding, not the evidence, so it attributes only beside an evidence word
_POPULATION_OR_ASSOCIATION = re.compile(
    r"\bin (?:some |several |many |most )?(?:patients|people|participants|adults|women|men|"
    r"children|those) (?:with|who)\b|"
    r"\b(?:has|have|had|was|were|is|are) (?:been )?(?:associated|linked) (?:with|to)\b", _F)
#: a word that names where a finding comes from
_EVIDENCE_WORD = re.compile(
    r"\b(?:stud(?:y|ies)|trials?|meta-analys[ie]s|reviews?|reports?|research|data|evidence|"
    r"cohorts?|experiments?|participants|observational|epidemiolog\w*|randomi[sz]ed|placebo|"
    r"survey|analys[ie]s)\b", _F)

#: what an interaction or safety warning talks about: a harm, a precaution, a professional
_WARNING = re.compile(
    r"\bbleed\w*|\bbruis\w*|\bhypoglyc\w*|\blow blood (?:sugar|glucose|pressure)\b|"
    r"\bdrows\w*|\bsleepiness\b|\bserotonin syndrome\b|\bseizures?\b|\bdangerous\w*|"
    r"\binteract\w*|\binterfer\w*|\bless effective\b|"
    # weakening a drug is an interaction: "may reduce how well some drugs work"
    r"\b(?:reduc|lower|lessen|weaken|decreas|cut|block|impair)\w* (?:how well|the "
    r"(?:(?!side\b|adverse\b|toxic\b)\w+ )?"
    r"(?:effects?|effectiveness|efficacy|absorption|levels?) of|(?:its|their) (?:effects?|"
    r"absorption|levels?))\b|\b(?:raise|raises|increase|increases) "
    r"(?:its|their|the) (?:blood )?levels\b|\b(?:risk|risks) of\b|"
    r"\b(?:ask|talk to|talking to|consult|consult with|consulting(?: with)?|check with|tell|"
    r"speak to|speak with|see) (?:your|a|their|the) "
    r"(?:doctor|pharmacist|clinician|prescriber|specialist|oncolog\w*|health\w*|care team|gp)\b|"
    r"\bunder (?:medical|a doctor's) supervision\b|\bshould (?:not|never|avoid|stop)\b|"
    r"\b(?:should|must|need to) (?:be careful|take care|use caution|be cautious)\b|"
    r"\btoo (?:much|low|far|strongly|quickly)\b|\b(?:dangerously|excessively)\b|"
    r"\b(?:stop|stops|keep|keeps|prevent|prevents)\s+(?:\w+\s+){0,3}?from (?:working|being "
    r"absorbed)\b|"
    r"\b(?:which|that|and|so) (?:can|may|could|might) (?:\w+ )?(?:cause|lead to|trigger|"
    r"result in)\b|"
    r"^\W*(?:do not|don't|never) (?:take|use|combine|give|start|stop|mix)\b|"
    r"\b(?:ask|asking|tell|telling|consult|consulting|check with|checking with) (?:your|a|their|"
    r"the) (?:\w+ )?(?:team|nurse|midwife|dietitian|consultant)\b|"
    # an instruction to stop, not a wish to ("for anyone who wants to stop taking ...")
    r"(?<!wants to )(?<!want to )(?<!wish to )(?<!trying to )"
    r"\b(?:avoid|stop) (?:it|them|taking|using)\b|\bbefore surgery\b|\bcaution\b|"
    # pharmacology's word for an interaction: an additive effect is a risk, not a benefit
    r"\badd(?:s|ed|ing)? to (?:the |their |its )?(?:[\w-]+ )?effects? of\b|"
    # "may increase the effect of anticoagulants": a possible interaction (NIH ODS wording);
    # "efficacy", "effectiveness", "work better" are benefits, not this
    r"\b(?:may|might|can|could) (?:also )?(?:increase|enhance|intensify|strengthen|potentiate|"
    r"amplify|prolong) (?:the |their |its )?(?:[\w-]+ )?effects? of\b|"
    # a consequence that asks for monitoring: "..., so people on X should check their levels"
    r"\bshould (?:monitor|check|watch|measure|have (?:\w+ ){0,3}?(?:checked|monitored))\b|"
    r"\bmonitor (?:their|your|blood|levels)\b|"
    # a dose to adjust is an interaction's consequence: "so doses may need adjusting"
    r"\b(?:doses?|dosage|dosing) (?:\w+ )?(?:may|might|could|will|can) (?:\w+ )?need (?:to be )?"
    r"(?:adjust|chang|lower|reduc|review)\w*", _F)

#: a neutral report of what a study saw ("were reported", "compared with placebo")
_REPORTED = re.compile(
    r"\b(?:reported|observed|seen|noted|recorded|documented|showed|shown|found)\b|"
    r"\bin (?:the|a|this|that|these|both|one|two|several)? ?(?:\w+ )?(?:trials?|stud(?:y|ies))\b|"
    r"\bcompared (?:to|with) placebo\b|\bvs\.? placebo\b|\bin (?:\w+ )?(?:animals?|mice|rats)\b",
    _F)

_CLAUSE_BREAK = re.compile(r";|\s[\u2013\u2014]\s|\b(?:but|whereas|although|though|while)\b", _F)


_LEADING_SUBORDINATE = re.compile(r"^\s*(?:while|although|though|whereas|if|unless)\b[^,]*,",
                                  _F)


def clauses(sentence: str) -> list[tuple[int, int]]:
    """The (start, end) spans of ``sentence``'s clauses (cut at ";", "but", "although" ...;
    a leading "While ...," clause ends at its comma)."""
    spans, start = [], 0
    lead = _LEADING_SUBORDINATE.match(sentence)
    if lead:
        spans.append((0, lead.end()))
        start = lead.end()
    for m in _CLAUSE_BREAK.finditer(sentence, start):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


#: "with/without vitamin D", "with or without food": an alternative, not a negation
_EITHER_WAY = re.compile(r"\bwith(?:/| or )without\b", _F)


#: an idea named, then denied after it: "The idea that ... cures cancer is a myth"
_DENIED_IDEA = re.compile(
    r"^\W*(?:the |this |that )?(?:idea|claim|belief|notion|suggestion|story|rumou?r|myth|"
    r"promise)s? that\b.*\b(?:is|are|was|were|remains?) (?:\w+ )?(?:a myth|false|untrue|not "
    r"true|unproven|nonsense|wrong|misleading|a fantasy|baseless|unfounded)\b", _F)


def debunked(sentence: str, at: int) -> bool:
    """True when the statement at ``at`` is negated in its clause or debunked before it, or the
    sentence names it as an idea and then denies it."""
    sentence = _EITHER_WAY.sub(lambda m: " " * len(m.group()), sentence)
    return is_negated(sentence, at) or bool(_DEBUNK.search(sentence[:at])) or \
        bool(_DENIED_IDEA.match(sentence))


def attributed(text: str) -> bool:
    """True when ``text`` names the study or evidence a statement comes from.

    A population ("in women with osteoporosis") or an association ("has been linked to")
    alone is not a source: it counts only beside an evidence word ("a trial in women with
    osteoporosis", "in observational studies, ... has been linked to ...")."""
    if _ATTRIBUTION.search(text):
        return True
    return bool(_POPULATION_OR_ASSOCIATION.search(text) and _EVIDENCE_WORD.search(text))


def is_warning(text: str) -> bool:
    """True when ``text`` reads as a safety or interaction warning (a harm or a precaution)."""
    return bool(_WARNING.search(text))


#: a consequence that asks for monitoring, whoever does it: "..., so I check mine"
_PRECAUTION = re.compile(
    r"\bso (?:i|you|we|they|people|patients|anyone|users) (?:\w+ ){0,3}?(?:should |must |need "
    r"to )?(?:check|monitor|watch|measure|test)\b|\bshould (?:monitor|check|watch|measure)\b|"
    r"\b(?:doses?|dosage) (?:\w+ )?(?:may|might|could|will) (?:\w+ )?need (?:to be )?(?:adjust|"
    r"chang|lower|reduc)\w*",
    _F)


def is_precaution(text: str) -> bool:
    """True when ``text`` follows an effect with the monitoring it calls for ("may lower blood
    sugar, so people on insulin should check their levels"): a precaution, not a claim."""
    return bool(_PRECAUTION.search(text))


#: a claim reported as someone else's: "The source page says that ...", "Some sites claim ..."
_REPORTED_CLAIM = re.compile(
    r"^\W*(?:[\w'-]+ ){0,5}?(?:says?|said|claims?|claimed|argues?|argued|writes?|wrote|"
    r"promis\w*|insists?|asserts?|tells? (?:you|readers|us))\b(?: that)?", _F)
#: the next sentence distances itself from it
_DISTANCED = re.compile(
    r"\b(?:leave|left|leaves) (?:that|it|this|those|these) out\b|\bnot (?:true|so|supported|"
    r"correct)\b|\bfalse\b|\bmisleading\b|\bwrong\b", _F)


def reported_then_denied(sentence: str, after: str) -> bool:
    """True when ``sentence`` reports someone else's claim ("The source page says that ...")
    and the sentence after it distances itself from it or debunks it ("We leave that out: no
    supplement is shown to ...")."""
    return bool(_REPORTED_CLAIM.match(sentence)) and bool(
        _DISTANCED.search(after) or _DEBUNK.search(after))


def neutral_report(text: str) -> bool:
    """True when ``text`` reports what a study observed rather than asserting it in general."""
    return bool(_REPORTED.search(text))
