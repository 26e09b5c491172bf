"""What around a claim changes its verdict: negation and debunking, attribution to a study and
its evidence level, safety and interaction warnings, and who acts (care, the body, a clinician
or a therapy rather than the product).

Used by :mod:`k2publisher.guard.claims_detect` and the safety net
(:mod:`k2publisher.guard.claims_net`), so both read a sentence the same way; every test here
reads one sentence.
"""

from __future__ import annotations

import re

from k2publisher.guard.lexicon import therapies
from k2publisher.guard.text import is_negated

__all__ = ["attributed", "care_acts", "cared_for_by_others", "clauses", "consults", "debunked",
           "gives_care", "is_precaution",
           "is_warning", "names_the_product", "names_who_takes_care", "neutral_report",
           "qualifiers", "reported_then_denied", "taken_back", "therapy_is_subject"]

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
    # doubted: "It is unlikely to help with arthritis"
    r"\b(?:unlikely|not likely|doubtful) (?:to|that)\b|"
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
    r"\b(?:work|act)\w* less (?:well|effectively|strongly)\b|"
    # a list of the product's own side effects: "Side effects include headache and flushing"
    r"^\W*(?:(?:the )?(?:most )?(?:common|possible|reported|rare|mild|known) )?side[- ]effects?\s+"
    r"(?:\w+\s+)?(?:include|includes|included|are|were|such as|like|can be|may be)\b|"
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
    r"^\W*(?:the |this |that |these |those |such |some |many |most )?(?:[\w-]+ )?"
    r"(?:(?:idea|claim|belief|notion|suggestion|story|stories|rumou?r|myth|promise|report|"
    r"assertion|evidence|proof|data|case)s? (?:\w+ ){0,2}?that|(?:evidence|proof|data|support|"
    r"case) (?:for|behind) (?:it|its use|this|them|\w+))\b.*\b"
    r"(?:(?:is|are|was|were|remains?|seems?|looks?) (?:\w+ )?(?:a myth|false|untrue|not "
    r"true|unproven|nonsense|wrong|misleading|a fantasy|baseless|unfounded|weak|thin|limited|"
    r"mixed|poor|lacking|inconclusive|conflicting|contradictory|unconvincing|flimsy|shaky|"
    r"sparse|scant|slim|anecdotal|overstated|exaggerated|(?:not|un)(?:supported|backed|tested|"
    r"confirmed|replicated)|not (?:well )?(?:supported|backed|borne out|established|"
    r"convincing|strong))|"
    r"(?:has|have|had) (?:not|never) been (?:\w+ )?(?:proven|shown|tested|confirmed|replicated|"
    r"established|supported|demonstrated)|"
    r"(?:lacks?|lacked) (?:\w+ )?(?:evidence|support|proof|data)|"
    # its only source named: "Reports that it shrinks fibroids come from a single case series"
    r"(?:comes?|came|stems?|rests?|relies|rely) (?:only |mostly |mainly |largely )?(?:from|on) "
    r"(?:a single|one|two|three|only|just|a handful of|a few|a couple of|small|tiny|old|older|"
    r"anecdot\w*|tradition\w*|folklore|testimonials?|animal|test-tube|lab|cell)|"
    r"(?:does|do|did) not (?:hold up|stand up))\b", _F)


#: a claim reported as the product's reputation or someone's promise, then distanced in the
#: same sentence: "Its reputation as a hangover cure rests on anecdotes", "It is claimed to
#: cure everything from acne to cancer, which should make you suspicious"
_REPORTED_HERE = re.compile(
    r"\b(?:reputation|fame|name|popularity) (?:as|for)\b|\b(?:claimed|promised|said|supposed|"
    r"alleged|purported|rumou?red|believed) to\b|\bpromises? to\b|\ballegedly\b|"
    r"\bpurportedly\b|\bsupposedly\b", _F)
_DISTANCED_HERE = re.compile(
    r"\b(?:anecdot\w*|folklore|suspicious|sceptical|skeptical|illegal|unlawful|unproven|"
    r"unfounded|baseless|hype|not (?:backed|supported|true|borne out)|no (?:good |real )?"
    r"(?:evidence|trials?|stud(?:y|ies)|proof|data)|(?:never|not) been (?:tested|shown|proven))\b",
    _F)


#: the effect seen as much without the product: "fell in both the treatment and the placebo
#: groups", "no better than placebo"
_AS_PLACEBO = re.compile(
    r"\bin both (?:the )?(?:[\w-]+ )?(?:and (?:the )?)?(?:[\w-]+ )?groups\b|\b(?:no|not) "
    r"(?:any )?(?:better|more effective) than (?:a )?(?:placebo|dummy pills?|sugar pills?)\b|"
    r"\b(?:same|similar) (?:as|to) (?:in )?(?:the )?placebo\b|\bas much as (?:in )?(?:the )?"
    r"placebo\b", _F)


def _distanced_report(sentence: str, at: int) -> bool:
    reported = _REPORTED_HERE.search(sentence, 0, at + 1) or _REPORTED_HERE.search(sentence)
    return bool(reported) and reported.start() <= at + 40 and \
        bool(_DISTANCED_HERE.search(sentence, reported.end()))


def debunked(sentence: str, at: int) -> bool:
    """True when the statement at ``at`` is negated in its clause or debunked before it, or the
    sentence names it as an idea and then denies it."""
    sentence = _EITHER_WAY.sub(lambda m: " " * len(m.group()), sentence)
    return is_negated(sentence, at) or bool(_DEBUNK.search(sentence[:at])) or \
        bool(_DENIED_IDEA.match(sentence)) or _distanced_report(sentence, at) or \
        bool(_AS_PLACEBO.search(sentence))


def attributed(text: str) -> bool:
    """True when ``text`` names the study or evidence a statement comes from.

    A population ("in women with osteoporosis") or an association ("has been linked to")
    alone is not a source: it counts only beside an evidence word ("a trial in women with
    osteoporosis", "in observational studies, ... has been linked to ...")."""
    return bool(qualifiers(text))


def qualifiers(text: str) -> tuple[str, ...]:
    """The evidence qualifier of ``text``: every phrase that names where a statement comes
    from and its evidence level ("in mice", "in vitro", "small clinical studies", "a trial
    found"), or a population or association with the evidence word beside it; () when
    :func:`attributed` would say no. A rendering that keeps the statement keeps all of them
    (:func:`k2publisher.guard.claims.stops_publication`)."""
    found = tuple(dict.fromkeys(m.group().strip() for m in _ATTRIBUTION.finditer(text)))
    if found:
        return found
    population = _POPULATION_OR_ASSOCIATION.search(text)
    evidence = _EVIDENCE_WORD.search(text)
    return (population.group(), evidence.group()) if population and evidence else ()


def is_warning(text: str) -> bool:
    """True when ``text`` reads as a safety or interaction warning (a harm or a precaution)."""
    return bool(_WARNING.search(text))


#: a consequence that asks for monitoring, whoever does it: "..., so I check mine"
_PRECAUTION = re.compile(
    r"\bso (?:i|you|we|they|people|patients|anyone|users) (?:\w+ ){0,3}?(?:should |must |need "
    r"to )?(?:check|monitor|watch|measure|test)\b|"
    r"\bso (?:check|monitor|watch|measure|test) (?:your|their|blood)\b|"
    r"\bshould (?:monitor|check|watch|measure)\b|"
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


#: a caveat that takes a result back: "but the trials were of low quality", "but trials
#: elsewhere found no effect", "which do not show that it helps people"
_TAKEN_BACK = re.compile(
    r"\b(?:but|though|although|however|yet|whereas)\b[^.;]{0,60}\b(?:(?:low|poor|weak|"
    r"variable|mixed) quality|too small|uncontrolled|"
    r"no (?:control|placebo|comparison) group|(?:was|were) not (?:blinded|controlled)|"
    r"(?:found|showed|saw|reported) (?:no|none)\b|no (?:clear |real |significant |lasting )?"
    r"(?:effect|benefit|difference|change)|far (?:fewer|less|smaller|weaker)|"
    r"(?:the )?question (?:is|remains) open|(?:far|much) from (?:proven|settled|clear))\b|"
    r"\b(?:too small|not (?:been )?(?:repeated|replicated)|inconsistent|conflicting|"
    r"mixed results)\b|\bresults (?:were |are |have been |remain )?(?:mixed|inconclusive|"
    r"inconsistent|conflicting|unclear)\b|\b(?:unclear|inconclusive|disappointing|no clear) "
    r"results\b|"
    r"\b(?:nobody|no one) knows\b|\b(?:it is|it's) (?:not |un)clear\b|"
    # the result compared down: "..., far fewer than antibiotic therapy does"
    r",\s*(?:far|much|many) (?:fewer|less|smaller|weaker|worse|lower) than\b|"
    r"\b(?:for|through|due to|because of) (?:a |the )?lack of (?:evidence|proof|benefit)\b|"
    # "..., but trials have not shown a benefit": the result taken back in the same sentence
    r"\b(?:but|though|although|however|yet|which|that)\b[^.;]{0,60}\b(?:(?:have|has|did|do|"
    r"does|could|can) not|cannot|can't|couldn't|haven't|hasn't|didn't|don't|doesn't|never) "
    r"(?:yet )?(?:been )?(?:shown?|"
    r"proven?|found|confirmed?|tell|mean|establish\w*)\b", _F)


def taken_back(text: str) -> bool:
    """True when ``text`` reports a result and takes it back in the same sentence (its caveat:
    low-quality or small trials, no effect elsewhere, "which do not show that it helps
    people"): a study note, not a claim."""
    return bool(_TAKEN_BACK.search(text))


def neutral_report(text: str) -> bool:
    """True when ``text`` reports what a study observed rather than asserting it in general."""
    return bool(_REPORTED.search(text))


# --- who acts: care, the body, a clinician or a therapy, not the product ---------------------

#: a nominalised claim whose agent is care, not a product: "Prevention of heart disease starts
#: with not smoking", "Relief from hay fever usually comes from antihistamines"
_CARE_AGENT = re.compile(
    r"^\W*(?:the )?(?:prevention|treatment|management|relief|control|cure|recovery|"
    r"first line|mainstay)\b[^.]{0,60}?\b(?:starts?|begins?|comes?|relies|depends|is|are|"
    r"means|involves|includes?|requires?)\b(?: (?:mainly|mostly|usually|largely|often|"
    r"generally|typically|still|first|on|with|from|by))*\s+(?P<agent>.*)$", _F)
_CARE = re.compile(
    r"^(?:\w+ ){0,2}?(?:exercise|diet|weight loss|losing weight|not smoking|quitting smoking|"
    r"stopping smoking|sleep|rest|fluids|physiotherapy|physical therapy|surgery|vaccination|"
    r"vaccines?|screening|lifestyle|a (?:doctor|gp|pharmacist)|medical care|your doctor)\b", _F)
#: care as the subject of the sentence: "A heart-healthy diet is ideal for ...", "Doctors use
#: several drugs to keep gout flare-ups at bay"
_CARE_SUBJECT = re.compile(
    r"^\W*(?:(?:a|an|the|regular|daily|good|healthy|balanced|[\w]+-healthy|low-[\w]+|most|"
    r"many|some|your)\s+){0,2}(?:(?:diets?|exercise|physiotherapy|surgery|rehabilitation|"
    r"weight loss|losing weight|quitting smoking)\b|(?:doctors?|gps?|physicians?|specialists?|"
    r"surgeons?|pharmacists?|nurses?)\s+(?:(?:may|might|can|will|often|usually|should)\s+)?"
    r"(?:use|prescribe|treat|manage|give|inject|operate|lower|reduce|adjust|change|stop|check|"
    r"monitor|test|tell|advise|explain)\b(?!\s+(?:it|them|this)\b))", _F)
#: the body or a clinician as the subject: "The immune system clears most colds"
_BODY_OR_CLINICIAN = re.compile(
    r"^\W*(?:the |your |our |a )?(?:body|immune system|immune cells|liver|kidneys|doctors?|"
    r"surgeons?|oncologists?)\b", _F)
#: the course of care, told by how long it takes or what it depends on: "Recovery from flu
#: usually takes a week", "Recovery after a stroke depends mostly on rehabilitation" (not
#: "Prevention of X is another area where <product> shines")
_CARE_COURSE = re.compile(
    r"^\W*(?:the )?(?:prevention|recovery|treatment|relief|management|care|cure|healing|"
    r"remission|control) (?:of|from|for|after)\b[^.;]{0,60}?\b(?:(?:usually|mostly|often|"
    r"typically|generally|normally|can|may) )?(?:takes?|lasts?|depends|varies|vary)\b", _F)
#: the product, a dose of it, or the reader doing something with it (a course of care that
#: names it is the product's)
_PRODUCT = re.compile(
    r"\b(?:it|its|this|these|our|supplement\w*|capsules?|tablets?|extract|formula|drops|tea|"
    r"powder|gumm\w*|dose|product|taking|took|users?|customers?|readers?)\b", _F)
#: care advice for people who have the condition: "Eye tests are important for anyone with"
_CARE_ADVICE = re.compile(
    r"\b(?:important|essential|ideal|vital|crucial|recommended|advisable|necessary) for "
    r"(?:people|anyone|those|patients|adults|children|everyone) (?:who|with)\b", _F)
#: "talk to your doctor if you have ...": a clinician is the one to act
_CONSULT = re.compile(
    r"\b(?:consult|ask|talk|speak|check)\w*(?: with| to)? (?:a|your|the|their) (?:\w+ )?"
    r"(?:doctor|pharmacist|healthcare|health care|professional|physician|gp|provider|"
    r"specialist|oncologist|clinician)", _F)
_DETERMINER = re.compile(r"^\s*(?:the|a|an|some|several|many|most|these|those|such|other|"
                         r"certain)\s+", _F)
_LABEL = re.compile(r"^\s*(?:[A-Z][\w-]*\s){0,3}[A-Z]?[\w-]*:\s+")
#: a leading adverbial before the subject: "By cutting off ..., ", "In Japan, "
_LEADING_BY = re.compile(r"^\s*(?:by\b[^,]{0,120}|(?:in|across|throughout|outside) "
                         r"(?:the )?[A-Z][\w-]+(?: [\w-]+)?),\s*", _F)
_ADJECTIVE = re.compile(
    r"(?:new|old|modern|standard|conventional|common|oral|injectable|prescription|generic|"
    r"current|usual|traditional|typical|certain|other|all|most|many|some|both|[A-Za-z]+er|"
    r"[A-Za-z]+est) ", _F)
#: a therapy's users, not the therapy, as the subject: "Statin users ...", "Chemo patients ..."
_ITS_USERS = re.compile(r"\s*(?:patients?|users?|people|sufferers?)\b", _F)


#: the condition cared for by others: in the passive ("are treated with talking therapies and
#: medicines", "its treatment should be planned with a doctor", "treated as your doctor
#: advises"), or responding to care ("Tension headaches usually respond to rest and painkillers")
_CARED_FOR_BY = re.compile(
    r"\b(?:is|are|was|were|be|been|being|gets?|got|usually|often|mainly|mostly|best|and)\s+"
    r"(?:\w+\s+)?(?:treated|managed|controlled|relieved|eased|prevented|cured|planned|"
    r"supervised|handled|overseen|diagnosed|discussed|agreed|decided|checked|assessed)\s+"
    r"(?:\w+\s+)?(?:with|by|using|through|under|as)\s+|"
    r"\b(?:usually|generally|often|mostly|typically|normally)\s+respond(?:s)?\s+(?:well\s+)?to\s+",
    _F)
#: who gives care: a clinician, a care measure, or a therapy named first
_CLINICIAN = re.compile(
    r"\s*(?:(?:a|an|the|your|their|his|her|our)\s+)?(?:doctors?|gps?|physicians?|"
    r"specialists?|clinicians?|pharmacists?|nurses?|midwi(?:fe|ves)|teams?|medical|"
    r"dermatologists?|dentists?|(?:health )?professionals?)\b", _F)
#: the reader or a person as a patient under treatment: "If you are being treated for cancer"
_UNDER_TREATMENT = re.compile(
    r"\b(?:you|they|he|she|we|i|anyone|someone|people|patients|those|children|women|men)\s+"
    r"(?:who\s+)?(?:are|is|were|was|have been|has been|am|'re|'ve been)\s+(?:being\s+|currently\s+|"
    r"already\s+|now\s+)?(?:treated|diagnosed|seen|followed|operated on)\s+(?:\w+\s+)?for\b", _F)
#: a contrast after which another statement may make the claim
_CONTRAST = re.compile(r"\b(?:but|yet|however|instead|whereas|while|though|although)\b", _F)


def gives_care(text: str) -> bool:
    """True when ``text`` opens with who gives care: a clinician ("a doctor"), a care measure
    ("rest, fluids ...", "surgery") or a therapy among its first words ("levodopa",
    "talking therapies and medicines")."""
    first = next(iter(therapies(text[:40])), None)
    return bool(_CLINICIAN.match(text)) or bool(_CARE.match(text.lstrip())) or \
        first is not None


def cared_for_by_others(text: str) -> bool:
    """True when ``text`` says the condition is treated, managed or checked by a clinician, a
    care measure or a therapy, or responds to one ("is treated with levodopa", "should be
    checked by a doctor", "usually responds to rest")."""
    return any(gives_care(text[m.end():]) for m in _CARED_FOR_BY.finditer(text))


def care_acts(sentence: str) -> bool:
    """True when care (a diet, surgery, a doctor), the body or a clinician -- not the product --
    is what acts in ``sentence``: as its subject ("Doctors use several drugs to ..."), as the
    agent of a nominalised claim ("Prevention of X starts with not smoking"), as the course of
    care with no product in it ("Recovery from flu takes a week"), as the one who treats the
    condition in the passive, with no contrast after which a claim may follow ("Anxiety
    disorders are treated with talking therapies and medicines"), or as advice for people
    with the condition ("Eye tests are important for anyone with diabetes")."""
    if _CARE_SUBJECT.match(sentence) or _BODY_OR_CLINICIAN.match(sentence) or \
            _CARE_ADVICE.search(sentence) or _UNDER_TREATMENT.search(sentence):
        return True
    if (_CARE_COURSE.match(sentence) and not _PRODUCT.search(sentence)) or \
            (cared_for_by_others(sentence) and not _CONTRAST.search(sentence)):
        return True
    m = _CARE_AGENT.match(sentence)
    if not m:
        return False
    agent = m.group("agent")
    first = next(iter(therapies(agent)), None)
    return bool(_CARE.match(agent)) or (first is not None and first.start <= 12)


def therapy_is_subject(sentence: str) -> bool:
    """True when a drug or therapy is what ``sentence`` is about ("Immunotherapy ...", "Newer
    blood thinners ..."), not the product or the therapy's users ("Statin users ...")."""
    rest = _DETERMINER.sub("", _LABEL.sub("", _LEADING_BY.sub("", sentence)))
    offset = len(sentence) - len(rest)
    head = rest[:40]
    first = next(iter(therapies(head)), None)
    if first is None or _ITS_USERS.match(head, first.end):
        return False
    # the drug first, or after one adjective ("Newer blood thinners ..."), not after a verb
    # ("Forget prescription antivirals; ...") or a disease ("Hepatocellular sorafenib ...")
    lead = head[:first.start]
    return (first.start <= 4 or _ADJECTIVE.fullmatch(lead) is not None) and \
        not re.search(r"\bsupplements?\b", sentence[offset:offset + 60], _F)


#: a disease that names who must take care: "so people with diabetes should check their
#: levels", "anyone on warfarin with heart disease must ask first"
_POPULATION = re.compile(
    r"\b(?:people|anyone|those|patients|women|men|children|kids|adults|users|readers|you)\s+"
    r"(?:who (?:have|had|live with)|with|living with|on|taking)\s+(?:(?:an?|the|their|your)\s+)?"
    r"(?:[\w-]+\s+){0,2}?$", _F)
_OBLIGED = re.compile(r"^[^.;]{0,80}?\b(?:should|must|need to|needs to|ought to|are advised to|"
                      r"is advised to|have to)\b", _F)


def names_who_takes_care(sentence: str, start: int, end: int) -> bool:
    """True when the disease at ``start:end`` names the people a precaution is for ("so people
    with diabetes should check their levels"): their condition, not the product's target."""
    return bool(_POPULATION.search(sentence[max(0, start - 60):start])) and \
        bool(_OBLIGED.match(sentence[end:]))


def names_the_product(text: str) -> bool:
    """True when ``text`` names the product, a dose of it or someone taking it ("it", "our
    capsules", "taking", "customers")."""
    return bool(_PRODUCT.search(text))


def consults(text: str) -> bool:
    """True when ``text`` sends the reader to a clinician ("talk to your doctor if ...")."""
    return bool(_CONSULT.search(text))
