"""The grammar of a disease claim, beyond lists of claim verbs: who acts on the disease, and how.

The verb lists of :mod:`~k2publisher.guard.claims_detect` name what a claim *usually* says
("cures", "prevents"). Pages find other verbs every day ("calms anxiety", "lifts depression",
"knocks out the flu"), so these detectors read the shape of the sentence instead:

* **a verb with a disease as its object** -- any verb, in any tense, unless it is one of the
  closed class of verbs that harm, describe or study ("causes", "worsens", "has", "develops",
  "diagnoses", "is linked to"): "<product> calms anxiety disorders";
* **a disease (or people with it) as the subject that gets better** with an agent after it:
  "Restless legs often disappear once iron stores are topped up", "Patients with heart
  failure who took it lived longer", "Asthma attacks became less frequent in patients given
  <product>", and the passive of any verb: "Rickets is prevented by <product>";
* **a use for a disease**, or a role the product plays against it: "prescribed for
  epilepsy", "a powerful weapon against skin cancer", "a must for anyone with IBS", and a
  title that offers it ("Astaxanthin for arthritis: ...");
* **any verb the product performs in cancer cells**;
* **an anaphor** for what the sentence before, or an earlier clause, named: "... type 2
  diabetes. <product> may be especially helpful for them", "for people with this condition",
  "Obesity is ..., and green tea fixes it"; and a question about the reader's disease answered
  by an offer ("Struggling with eczema? Try ...").

A sentence whose subject is a bodily process ("Apoptosis is crucial for preventing cancer",
"This is vital in the fight against cancer" right after a sentence about apoptosis) states
how the body works, not what a product does: :func:`about_a_process` tells the detectors.
Every detector skips what :func:`~k2publisher.guard.claims_context.debunked` disarms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from k2publisher.guard.claims_context import (
    cared_for_by_others,
    clauses,
    debunked,
    gives_care,
    is_warning,
)
from k2publisher.guard.lexicon import Mention, diseases

__all__ = ["about_a_process", "anaphoric_claim", "cancer_cell_claim", "coordinate_clauses",
           "disease_subject_claim", "holder_claim", "made_worse", "offer_claim",
           "pronoun_objects", "runs_its_own_course",
           "title_for_claim",
           "use_for_claim", "verb_object_claim"]

_F = re.IGNORECASE
_TOKEN = re.compile(r"[A-Za-z0-9][\w'\u2019-]*|[^\w\s]")

#: verbs that do not claim a benefit when a disease is their object: they cause, worsen,
#: have, describe or study it (a closed class, unlike the claim verbs)
_NOT_A_CLAIM = re.compile(
    r"caus\w*|trigger\w*|worsen\w*|aggravat\w*|exacerbat\w*|provok\w*|induc\w*|promot\w*|"
    r"mask\w*|mimic\w*|rais\w*|increas\w*|heighten\w*|elevat\w*|fuel\w*|feed\w*|fed|driv\w*|"
    r"drove|develop\w*|get|gets|got|getting|gotten|have|has|had|having|suffer\w*|experienc\w*|"
    r"diagnos\w*|detect\w*|screen\w*|stud(?:y|ies|ied|ying)|test\w*|examin\w*|investigat\w*|"
    r"trials?|reviews?|analys[ie]s|meta-analys[ie]s|cohorts?|participants|volunteers|subjects|"
    r"registr(?:y|ies)|surveys?|pooled|enrolled|recruited|excluded|"
    r"compar\w*|includ\w*|enrol\w*|recruit\w*|affect\w*|afflict\w*|call\w*|nam\w*|known|"
    r"defin\w*|describ\w*|mention\w*|list\w*|report\w*|link\w*|associat\w*|relat\w*|"
    r"contribut\w*|predispos\w*|lead\w*|led|result\w*|underl\w*|accompan\w*|characteri[sz]\w*|"
    r"involv\w*|becom\w*|became|resembl\w*|signal\w*|indicat\w*|suggest\w*|mean\w*|preced\w*|"
    r"follow\w*|complicat\w*|is|are|was|were|be|been|being|am|risk\w*|fear\w*|know\w*|"
    r"understand\w*|explain\w*|spread\w*|caught|catch\w*|contract\w*|carr(?:y|ies|ied)|"
    r"imitat\w*|simulat\w*|predict\w*|model\w*|monitor\w*|track\w*|confirm\w*|rul\w*|"
    r"exclud\w*|warn\w*|advis\w*|tell\w*|told|caution\w*|urg\w*|ask\w*|during|according|regarding|concerning|notwithstanding|like|unlike|such|"
    r"as|plus|versus|vs|especially|particularly|notably|namely|than|including|excluding|"
    r"among|amongst|amid|despite|given|per|via|toward|towards|into|onto|upon|within|"
    r"without|throughout|thus|hence|also|even|only|just|serious|severe|advanced|existing|"
    r"established|untreated|undiagnosed|uncontrolled|diagnosed|inherited|related|"
    r"associated|induced|based|certain|various|several|common|chronic|acute|early|late|"
    r"mild|moderate|rare|recurrent|active|new|old|other|many|most|more|less|few|some|all|"
    r"both|each|every|any|no|such|own|same|different|specific|similar|real|true|major|minor|"
    r"primary|secondary|gestational|juvenile|adult|childhood|maternal|neonatal|infant|"
    r"pre-existing|preexisting|possible|potential|likely|apparent|suspected|typical|usual|"
    r"overall|total|full|whole|entire|age-related", _F)
#: words in front of a disease that belong to its noun phrase ("the early stages of")
_OBJECT_WORDS = re.compile(
    r"the|a|an|your|their|his|her|its|our|my|this|that|these|those|such|any|all|many|most|some|"
    r"symptoms?|signs?|risk|rates?|incidence|progression|severity|onset|development|number|"
    r"root|roots|underlying|"
    r"frequency|episodes?|attacks?|bouts?|flare-ups?|effects?|course|stages?|forms?|cases?|"
    r"outbreaks?|"
    r"types?|of|early|mild|moderate|severe|chronic|acute|existing|stubborn|painful|"
    r"recurrent|recurring|common|seasonal|everyday|nagging|persistent|[a-z]+-[a-z-]+", _F)
#: where a noun phrase ends going back from the object: no verb is found across these
_PHRASE_BREAK = re.compile(
    r"with|from|for|in|on|at|by|as|like|and|or|nor|than|about|into|after|before|during|"
    r"among|including|between|within|without|whether|if|because|since|while|whereas|who|"
    r"whom|whose|which|that|when|where|people|patients|men|women|children|adults|"
    r"individuals|those|someone|anyone|everyone|users|smokers|athletes|[^\w\s'-]", _F)
#: what takes a bare verb after it: "can calm anxiety", "helps clear acne", "to calm"
_BARE_VERB_AFTER = re.compile(r"can|could|may|might|will|would|shall|should|must|to|does|did|"
                              r"do|helps?|helped|helping|let|lets|make|makes|made", _F)
_VERB_SHAPE = re.compile(r"[a-z]{2,}[^\Wsiuy]s|[a-z]{3,}(?:es|ed|ied|ing)", _F)
#: irregular past forms a claim uses ("cut the rate of", "kept ... at bay")
_IRREGULAR = re.compile(r"cut|beat|kept|keep|brought|bring|fought|won|held|put|set|shrank|"
                        r"shrunk|overcame|undid|withstood|slew|broke|threw|drove out|knocked", _F)

#: a subject that gets better: words after the disease that say so
_BETTER = re.compile(
    r"\b(?:better|easier|freer|looser|calmer|clearer|calms? down|settles? down|retreat\w*|"
    r"(?:a )?new lease of life|(?:feel|feels|felt) (?:like )?(?:new|themselves|normal|human)|"
    r"self-destruct\w*|shrivel\w*|wither\w*|melt\w* away|"
    r"improv\w*|fewer|less (?:frequent|severe|often|intense|common|painful|pain|"
    r"stiff|tired)|"
    r"milder|shorter|longer|recover\w*|disappear\w*|vanish\w*|resolv\w*|subsid\w*|"
    r"(?:went|go|goes|gone|going) away|clear(?:s|ed)? up|relie\w*|eas(?:ed|es)|"
    r"reduc\w*|dropp?\w*|fell|fall(?:s|en)?|declin\w*|normali[sz]\w*|restor\w*|remission|"
    r"heal\w*|cured|respond\w*|revers\w*|regress\w*|lived longer|survived|kept (?:their|his|"
    r"her) \w+|no longer|stopped|halted|slowed|lessen\w*|diminish\w*|regain\w*|"
    r"(?:get|gets|got|came|come|comes) back|(?:back|return\w*) to normal|overcome|"
    r"without (?:pain|symptoms|attacks|flare-ups|relapses?)|(?:pain|symptom|attack)-free)\b", _F)
#: a link from that improvement to an agent: "once", "after taking", "in patients given"
_AGENT_LINK = re.compile(
    r"\b(?:after|once|when|with|by|thanks to|given|taking|took|treated with|using|exposed to|"
    r"who (?:took|take|takes|used|use|received|were given|supplemented)|on (?:a|an)? ?\w+ "
    r"(?:supplements?|regimen)|in (?:people|patients|those|subjects|participants|users) "
    r"(?:given|taking|who)|supplementation|supplemented|respond\w* (?:\w+ )?to|"
    r"on (?!the\b|a\b|an\b|average\b|time\b|top\b)\w+)\b", _F)
#: the passive of any verb with an agent: "is prevented by", "can be reversed with"
_PASSIVE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|gets?|got)\s+(?:(?:\w+ly|often|also|still|not|never|"
    r"sometimes|mostly|mainly|always|even)\s+)?(?P<verb>[a-z]+(?:ed|en|t)|"
    r"overcome|undone|beaten|held|kept|cut|won|fought|brought|shrunk|struck)"
    r"\s+(?:\w+\s+){0,2}?(?:by|with|using|through|after|thanks to)\b", _F)
_NATURAL_COURSE = re.compile(
    r"\b(?:with (?:age|time)|on (?:its|their) own|by (?:itself|themselves)|over time|in time|"
    r"without treatment|untreated|as (?:children|kids|they) (?:grow|get older)|"
    # the course told by "usually": "usually clear up within ten days"
    r"(?:usually|normally|typically|generally) (?:clear|get better|go away|heal|resolve|settle)"
    r"\w*(?: up| down)? (?:within|in|after) )\b", _F)


def runs_its_own_course(sentence: str, targets: Sequence[Mention]) -> bool:
    """True when the disease that opens the sentence gets better by itself or by a therapy:
    "Colds usually clear up on their own", "Parkinson's disease is treated with levodopa"."""
    first = targets[0] if targets else None
    if first is None or len(sentence[:first.start].split()) > 3:
        return False
    rest = sentence[first.end:]
    return bool(_NATURAL_COURSE.search(rest)) or cared_for_by_others(rest)


#: the people a disease belongs to, as the subject: "Patients with heart failure who ..."
_HOLDERS = re.compile(r"\b(?:(?:people|patients|men|women|children|kids|adults|individuals|"
                      r"subjects|participants|those|users|infants|babies|smokers)\s+"
                      r"(?:\w+\s+){0,2}?(?:with|who have|who had|suffering from|living with)|"
                      r"(?:sufferers|victims) of)\s*$", _F)

#: the people a disease belongs to, after it: "Fibromyalgia patients felt less pain"
_HOLDERS_AFTER = re.compile(r"\s+(?:patients|sufferers|people|adults|children|women|men)\b",
                            _F)

#: what people who have a disease are given or say: "Migraine sufferers finally have a natural
#: option", "Diabetics love our gummies"
_OFFERED = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:swear by|swore by|rave about|love|loved|rely on|trust|"
    r"(?:have|has|had|get|got|found|find) (?:a |an |their |the )?(?:\w+ )?(?:option|answer|"
    r"solution|alternative|remedy|hope|relief|lifeline|way out))\b", _F)
_HOLDER_WORD = re.compile(r"(?:ics|tics|sufferers|itic|atic|ous)$", _F)

#: a benefit for the people who have a disease: "soothes itchy skin in people with eczema",
#: "helps you sleep if you suffer from insomnia"
_FOR_HOLDERS = re.compile(
    r"\b(?:(?:in|for|of|among) (?:\w+ )?(?:people|patients|men|women|children|kids|adults|"
    r"individuals|sufferers|those|anyone|readers|customers|users|clients)|if you|when you|"
    r"for anyone|for those|"
    r"(?:our|my|your) (?:\w+ )?(?:customers|readers|clients|members|users|fans|community|"
    r"mums|moms|patients)) (?:who )?"
    r"(?:with|have|has|had|suffer(?:s|ing)? from|struggl\w* with|liv\w* with|battl\w*|"
    r"are prone to|prone to|dealing with)\s+(?:\w+\s+){0,3}?$", _F)
_HELPS = re.compile(
    r"\b(?:help\w*|sooth\w*|calm\w*|eas(?:e|es|ed|ing)|reliev\w*|improv\w*|restor\w*|"
    r"heal\w*|settl\w*|clear\w*|strengthen\w*|protect\w*|rebuil\w*|repair\w*|boost\w*|"
    r"reduc\w*|lower\w*|tam(?:e|es|ed|ing)|quiet\w*|steady\w*|stead(?:ies|ied)|"
    r"(?:sleep|breathe|walk|move|feel) (?:\w+ ){0,3}?(?:better|through|easier|again|normally)|"
    r"benefit\w*|(?:work|works|worked) wonders|a blessing|a godsend|swear by|swears by|"
    r"swore by|rave about|raves about|love|loves|rely on|relies on|trust|trusts|great|good|"
    r"ideal|perfect|wonderful|brilliant|excellent|recommended|normali[sz]\w*|regulat\w*|"
    r"balanc\w*|"
    r"(?:pain|symptom|itch|flare|attack)-free|(?:are|is) back)\b", _F)


#: what follows a disease in advice to the people who have it: "... for people with diabetes
#: to check their feet"
_ADVICE_AFTER = re.compile(r"\s+to\s+(?!the\b|a\b|an\b|their\b|normal\b)[a-z]+", _F)
_IMPORTANT = re.compile(r"\b(?:essential|important|vital|crucial|necessary|wise|advisable|"
                        r"a good idea|best|safest)\b", _F)


def _advice(sentence: str, target: Mention) -> bool:
    """True when what the sentence says the people with a disease should do is advice ("It is
    important for people with diabetes to check their feet"), not a product's use."""
    return bool(_ADVICE_AFTER.match(sentence, target.end)) and \
        bool(_IMPORTANT.search(sentence, 0, target.start))


def holder_claim(sentence: str, targets: Sequence[Mention]) -> tuple[int, int] | None:
    """The span of a benefit given to the people who have a disease: "soothes itchy skin in
    people with eczema", "helps you sleep through the night if you suffer from insomnia"."""
    if is_warning(sentence):
        return None
    for t in targets:
        lo, _ = next(((s, e) for s, e in clauses(sentence) if s <= t.start < e),
                     (0, len(sentence)))
        holders = _FOR_HOLDERS.search(sentence, lo, t.start)
        if holders is None or _advice(sentence, t):
            continue
        _, hi = next(((s, e) for s, e in clauses(sentence) if s <= t.start < e),
                     (0, len(sentence)))
        helps = next((m for m in _HELPS.finditer(sentence, lo, holders.start())
                      if not debunked(sentence, m.start())), None) or \
            next((m for m in _HELPS.finditer(sentence, t.end, hi)
                  if not debunked(sentence, m.start())), None)
        if helps:
            return helps.start(), t.end
    return None


#: a use for a disease: "prescribed for", "taken for", "used against", "a remedy for"
_USE_FOR = re.compile(
    r"\b(?:used|uses?|using|prescrib\w*|given|gives?|taken|takes?|taking|recommend\w*|"
    r"administ\w*|indicated|employed|appl(?:y|ied|ies)|utili[sz]\w*|remed(?:y|ies)|"
    r"go-to|tonic|medicine|answer|solution|help|weapon|shield|ally|key|choice|must|secret|"
    r"tool|hope|antidote|defen[cs]e|protection|cure|fix|aid|lifeline|saviou?r|"
    r"breakthrough|made|formulated|designed|created|developed|crafted|tailored|perfect|ideal|"
    r"must-have|essential|staple|"
    r"(?:a|an|natural|nature's)\s+(?:\w+\s+)?[a-z]{3,}ers?)\s+(?:\w+\s+){0,4}?"
    r"(?:for|against|in the treatment of|(?<=must-have )in|(?<=essential )in|(?<=staple )in|"
    r"(?<=answer )to|(?<=answers )to|(?<=solution )to|"
    r"(?<=antidote )to|(?<=cure )to|(?<=key )to|to (?:beating|"
    r"treat|treating|manage|managing|fight|fighting|combat|ease|relieve|control|"
    r"overcoming|preventing|reversing))\s+(?:\w+\s+){0,3}?$",
    _F)

#: an anaphor for what the sentence before named: people, a condition, a group
_ANAPHOR = re.compile(
    r"\b(?:this|these|those|such|that)\s+(?:\w+\s+)?(?:conditions?|diseases?|disorders?|"
    r"illness(?:es)?|groups?|patients|people|individuals|populations?|cases|problems?|"
    r"sufferers|adults|women|men|children|risks?|complaints?|symptoms?)\b|"
    r"\b(?:for|to|in|help|helps|helping|benefit|benefits|protect|protects)\s+them\b|"
    r"\bpeople like (?:this|that|them)\b|\bthe condition\b|\bsuch cases\b|"
    r"^\W*(?:not any ?more|no more|gone|never again|not for long)\b|\bthanks to\b|"
    # what the disease is measured by, as theirs: "brings their numbers down"
    r"\b(?:their|your|his|her|my) (?:numbers|readings|levels|results|symptoms|attacks|"
    r"flare-ups|condition|pain)\b", _F)
#: a benefit an anaphor can be given
_BENEFIT = re.compile(
    r"\b(?:help\w*|benefi\w*|useful|valuable|worthwhile|relief|improv\w*|support\w*|"
    r"protect\w*|prevent\w*|treat\w*|ease\w*|reliev\w*|aid|answer|solution|recommended|"
    r"difference|lifeline|game-?changer|ideal|advantage\w*|favou?rable|good choice|"
    r"(?:back )?under control|in check|bring\w* (?:\w+ ){0,2}?back|brought (?:\w+ ){0,2}?back|"
    r"natural way|fix\w*|restor\w*|revers\w*|change (?:your|their|my|his|her) li(?:fe|ves)|"
    r"(?:bring|brings|brought|get|gets|got|push\w*|keep\w*|kept) (?:\w+ ){0,3}?(?:down|"
    r"under control|in check|back to normal))\b", _F)

#: a subject that is a bodily process: "Apoptosis", "Cell proliferation", "the immune system"
_PROCESS = re.compile(
    r"(?:[a-z]*(?:ptosis|phagy|genesis|lysis|stasis|osmosis)|proliferation|inflammation|"
    r"differentiation|oxidation|methylation|glycation|minerali[sz]ation|coagulation|"
    r"circulation|detoxification|respiration|regeneration|metabolism|immunity|death|"
    r"system|body|cells?|process(?:es)?|pathways?|mechanisms?|signalling|signaling|"
    r"division|growth|repair|response)$", _F)
#: words that make a "-ation" subject the product after all ("supplementation")
_PRODUCT_NOUN = re.compile(r"\b(?:supplement\w*|extracts?|capsules?|tablets?|doses?|dosing|"
                           r"intake|administration|formulations?|preparations?|products?|"
                           r"taking|treatment with)\b", _F)
_AGENT_BY = re.compile(r"\b(?:is|are|was|were|be|been)\s+\w+ed\s+by\b", _F)
_FINITE_VERB = re.compile(r"[a-z]{2,}[^\Wsiuy]s|[a-z]{3,}(?:es|ed|ied)", _F)
_SUBJECT_END = re.compile(
    r"\s(?:is|are|was|were|has|have|had|can|could|may|might|will|would|plays?|played|"
    r"helps?|helped|remains?|becomes?|serves?|acts?|works?|seems?|appears?)\b|,", _F)
_PRONOUN_SUBJECT = re.compile(r"^\s*(?:this|it|that|these|such a process)\b", _F)


#: words between a modal and its verb: "can significantly reduce", "does not treat"
_TRANSPARENT = re.compile(r"[a-z]+ly|not|never|n't|also|even|still|really|actually|often|"
                          r"usually|sometimes|always|further|greatly", _F)


def _after_modal(tokens: Sequence[re.Match[str]], at: int) -> bool:
    """True when the word at ``at`` follows a modal, "to" or "helps" (adverbs between)."""
    j = at - 1
    while j >= 0 and _TRANSPARENT.fullmatch(tokens[j].group()):
        j -= 1
    return j >= 0 and bool(_BARE_VERB_AFTER.fullmatch(tokens[j].group()))


_DETERMINER = re.compile(r"the|a|an|their|his|her|its|your|our", _F)
_POSSESSIVE = re.compile(r"['\u2019]s$")
_NAMED_FOR = re.compile(r"\s+(?:disease|syndrome)\b", _F)
#: what an "-ing" word needs before it to be a verb ("by calming anxiety", "is reversing")
_ING_AFTER = re.compile(r"is|are|was|were|be|been|by|for|in|at|from|of|without|while|when|"
                        r"and|also|even|thus|thereby|help|helps|keep|keeps|start|stop", _F)


#: adjectives by their ending (lowercase: "Garlic" at the start of a sentence is a name)
_ADJECTIVE = re.compile(r"[a-z]+(?:ic|al|ive|ous|ar|ent|ant|ible|able|ful|less)")
_QUANTIFIER = re.compile(r"specific|key|new|main|other|several|many|these|those|various|"
                         r"different|multiple|certain|few|some|all|both|such|most|more|its|"
                         r"their|his|her|our|your|the|a|an", _F)


def _can_be_verb(tokens: Sequence[re.Match[str]], at: int) -> bool:
    """True when the "-s"/"-ed"/"-ing" word at ``at`` can be a verb where it stands: not the
    first word of its clause (a tag list, a table row) and, for "-ing", after a word that
    takes a verb ("Metabolic reprogramming" is a noun)."""
    if at == 0 or not re.match(r"\w", tokens[at - 1].group()):
        return False
    word, previous = tokens[at].group().lower(), tokens[at - 1].group()
    if word.endswith("ing"):
        return bool(_ING_AFTER.fullmatch(previous))
    # after an adjective or a quantifier an "-s" word is a plural noun ("specific pathways")
    return not (word.endswith("s") and (_ADJECTIVE.fullmatch(previous)
                                        or _QUANTIFIER.fullmatch(previous)))


_DAMAGE = re.compile(r"damage|complications?|scarring|pain|problems|harm|injury|"
                     r"consequences|after-effects|inflammation|swelling|triggers?|causes?|"
                     r"roots?|itch|itching|flares?|toxins|bacteria|viruses|germs", _F)
_HOLDER = re.compile(r"people|patients|anyone|those|adults|children|kids|women|men|"
                     r"individuals|sufferers|everyone|folks", _F)


def _compound_noun(tokens: Sequence[re.Match[str]], at: int) -> bool:
    """True when the word at ``at``, right before a disease, is a noun of its compound
    ("prostate cancer", "knee pain"): a plain lowercase word that is no verb form there."""
    word = tokens[at].group()
    return bool(re.fullmatch(r"[a-z]{3,}", word)) and not (
        _PHRASE_BREAK.fullmatch(word) or _NOT_A_CLAIM.fullmatch(word)
        or _OBJECT_WORDS.fullmatch(word) or _TRANSPARENT.fullmatch(word)
        or _after_modal(tokens, at) or _IRREGULAR.fullmatch(word)
        or (_VERB_SHAPE.fullmatch(word) and _can_be_verb(tokens, at)))


def _skip_object_words(tokens: Sequence[re.Match[str]], i: int) -> int:
    """The index of the first word before ``i`` (going back) that is not part of the object's
    noun phrase ("the early stages of")."""
    while i >= 0 and _OBJECT_WORDS.fullmatch(tokens[i].group()) \
            and not _PHRASE_BREAK.fullmatch(tokens[i].group()):
        i -= 1
    return i


def _tokens_before(sentence: str, end: int, lo: int) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(sentence, lo, end))


def verb_object_claim(sentence: str, targets: Sequence[Mention]) -> tuple[int, int] | None:
    """The span of a verb acting on a disease it takes as its object ("calms anxiety"),
    for any verb but those that cause, have, describe or study the disease."""
    if is_warning(sentence):
        return None  # "dose it carefully to avoid thrombosis" is a precaution
    for t in targets:
        if _POSSESSIVE.search(t.text) and not _NAMED_FOR.match(sentence, t.end):
            continue  # "cutting a tumour's blood supply": the object is the blood supply
        lo, _ = next(((s, e) for s, e in clauses(sentence) if s <= t.start < e),
                     (0, len(sentence)))
        tokens = _tokens_before(sentence, t.start, lo)
        i = len(tokens) - 1
        if i > 0 and _compound_noun(tokens, i):
            i -= 1  # "the rate of prostate cancer": "prostate" belongs to the disease
        i = _skip_object_words(tokens, i)
        if i > 1 and re.fullmatch(r"from|of|by|behind|underlying", tokens[i].group(), _F) and \
                _DAMAGE.fullmatch(tokens[i - 1].group()):
            i -= 2  # "repairs liver damage from hepatitis": the damage is the object
            if i > 0 and _compound_noun(tokens, i):
                i -= 1
            i = _skip_object_words(tokens, i)
        if 0 < i < len(tokens) - 1 and _DAMAGE.fullmatch(tokens[i].group()) and \
                tokens[i + 1].group().lower() == "of":
            i = _skip_object_words(tokens, i - 1)  # "addresses the root cause of IBS"
        if i > 1 and tokens[i].group().lower() == "with" and \
                _HOLDER.fullmatch(tokens[i - 1].group()):
            i -= 2  # "supports people with heart disease": the people are the object
            i = _skip_object_words(tokens, i)
        if i < 0:
            continue
        found = None
        # a noun may stand between the verb and the object's words ("cut the rate of")
        for j in (i, i - 1)[:2 if i > 0 else 1]:
            word = tokens[j].group()
            if not word.islower():
                break  # a name or a title word, not an open-class verb
            if _PHRASE_BREAK.fullmatch(word) or _NOT_A_CLAIM.fullmatch(word) or \
                    _TRANSPARENT.fullmatch(word):
                break
            if _after_modal(tokens, j) or _IRREGULAR.fullmatch(word) or \
                    (_VERB_SHAPE.fullmatch(word) and _can_be_verb(tokens, j)):
                found = j
                break
        if found is None:
            continue
        i = found
        bare = _after_modal(tokens, i)
        if i > 0 and not bare and _DETERMINER.fullmatch(tokens[i - 1].group()):
            continue  # "the affected ..." is an adjective, not a verb
        if debunked(sentence, tokens[i].end()):
            continue
        if made_worse(sentence, t) or _MODIFIES.match(sentence, t.end):
            continue  # "may make asthma worse" causes; "kept a headache diary" names a diary
        return tokens[i].start(), t.end
    return None


#: what a disease is made to do when a verb causes it: worse, come back, flare
_MADE_WORSE = re.compile(
    r"\s+(?:\w+\s+)?(?:worse|more (?:likely|severe|common|frequent|painful|dangerous)|"
    r"harder to (?:treat|control|manage)|come back|return|recur|flare(?: up)?|worsen|spread|"
    r"progress|develop|appear)\b", _F)
#: a noun after the disease that the disease only modifies: "a headache diary", "asthma clinic"
_MODIFIES = re.compile(
    r"\s+(?:diar(?:y|ies)|logs?|scores?|scales?|questionnaires?|clinics?|specialists?|"
    r"research(?:ers)?|charit(?:y|ies)|wards?|units?|nurses?|apps?|journals?|index|trials?|"
    r"stud(?:y|ies)|registr(?:y|ies)|guidelines?|services?|helplines?|awareness|screening|"
    r"tests?|drugs?|medications?|medicines?)\b", _F)
_MADE = re.compile(r"\b(?:mak(?:e|es|ing)|made|let(?:s|ting)?)\s+(?:\w+\s+){0,2}?$", _F)


def made_worse(sentence: str, target: Mention) -> bool:
    """True when ``target`` (a disease) is made worse or brought back: "may make asthma
    worse", "can make the infection come back" (a cause, not a claim)."""
    # a lexicon phrase may hold the verb itself ("make the infection")
    made = _MADE.search(sentence, 0, target.start) or re.match(r"(?:mak|made\b|let)", target.text,
                                                                 _F)
    return bool(made) and bool(_MADE_WORSE.match(sentence, target.end))


#: a pronoun object that stands for a disease named earlier ("..., and X fixes it")
_PRONOUN_OBJECT = re.compile(
    r"\b(?:it|them)\b(?!\s+(?:is|are|was|were|may|can|could|will|has|have)\b)|"
    # "this"/"these" alone, not as a determiner ("validate these findings")
    r"\b(?:this|these)\b(?=\s*(?:[^\w\s]|$|\s(?:at|in|on|for|with|back|away|up|down|out|"
    r"quickly|naturally|completely|for good|and|or|but)\b))", _F)
#: verbs whose pronoun object is the product, not the disease ("should not take it")
_HANDLES = re.compile(r"tak\w*|took|us(?:e|es|ed|ing)|avoid\w*|combin\w*|mix\w*|buy\w*|"
                      r"bought|tr(?:y|ies|ied|ying)|start\w*|need\w*|want\w*|recommend\w*|"
                      r"prescrib\w*|giv\w*|gave|find\w*|found|see|saw|seen|stor\w*|add\w*|"
                      r"swallow\w*|dissolv\w*|sell\w*|sold|choos\w*|chose|read\w*|ask\w*", _F)


_COORDINATE = re.compile(r",\s*(?:and|so|but|yet|which|while)\b|;|\s[\u2013\u2014]\s", _F)


def coordinate_clauses(sentence: str) -> list[tuple[int, int]]:
    """The (start, end) spans of ``sentence``'s coordinate clauses (cut at ", and", ", so",
    ";" ...), so a pronoun in a later one can stand for a disease named in an earlier one."""
    spans, start = [], 0
    for m in _COORDINATE.finditer(sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


def pronoun_objects(sentence: str, named: Sequence[Mention],
                    before_named: bool) -> list[Mention]:
    """Pronouns in ``sentence`` that stand for a disease: after a clause that names one
    (``named``), or anywhere when the sentence before names one and this one names none."""
    first = min((m.end for m in named), default=None)
    if first is None and not before_named:
        return []
    spans = coordinate_clauses(sentence)
    named_in = {next(k for k, (s, e) in enumerate(spans) if s <= m.start < e) for m in named}
    out = []
    for m in _PRONOUN_OBJECT.finditer(sentence):
        at = next(k for k, (s, e) in enumerate(spans) if s <= m.start() < e)
        if first is not None and (m.start() <= first or at in named_in):
            continue  # in the disease's own clause the disease is what acts ("cells exploit it")
        tokens = _tokens_before(sentence, m.start(), 0)
        if tokens and _HANDLES.fullmatch(tokens[-1].group()):
            continue
        out.append(Mention(m.start(), m.end(), m.group()))
    return out


#: where cancer cells are the setting of what the product does ("... in cancer cells")
_IN_CANCER_CELLS = re.compile(
    r"\b(?:in|on|against|of|inside)\s+(?:\w+\s+){0,2}?(?:cancer(?:ous)?|tumou?r|malignant|"
    r"leuka?emi[ac]|lymphoma|myeloma|melanoma)\s+(?:stem\s+)?cells?\b", _F)


def cancer_cell_claim(sentence: str) -> tuple[int, int] | None:
    """The span of any verb the product performs on or in cancer cells ("switches this
    process back on in cancer cells"), but those that cause, have or study."""
    for m in _IN_CANCER_CELLS.finditer(sentence):
        lo, _ = next(((s, e) for s, e in clauses(sentence) if s <= m.start() < e),
                     (0, len(sentence)))
        lo = max(lo, sentence.rfind(":", 0, m.start()) + 1)  # after a label ("News: ...")
        tokens = _tokens_before(sentence, m.start(), lo)
        for k, tok in enumerate(tokens):
            word = tok.group()
            verb = _VERB_SHAPE.fullmatch(word) or _IRREGULAR.fullmatch(word)
            if k and word.islower() and verb \
                    and not _NOT_A_CLAIM.fullmatch(word) and _can_be_verb(tokens, k) \
                    and not _HANDLES.fullmatch(word) and not debunked(sentence, tok.end()):
                return tok.start(), m.end()
    return None


def disease_subject_claim(sentence: str, targets: Sequence[Mention]) -> tuple[int, int] | None:
    """The span of a disease (or the people who have it) that gets better, linked to an
    agent after it ("Restless legs disappear once iron stores are topped up"), or that is
    the subject of a passive with an agent ("Rickets is prevented by ...")."""
    for t in targets:
        lo, hi = next(((s, e) for s, e in clauses(sentence) if s <= t.start < e),
                      (0, len(sentence)))
        head = sentence[lo:t.start]
        words = len(head.split())
        subject = words <= 3 or _HOLDERS.search(head)
        holders_after = _HOLDERS_AFTER.match(sentence, t.end)
        if holders_after and words <= 3:
            t = Mention(t.start, holders_after.end(), sentence[t.start:holders_after.end()])
        if not subject:
            continue
        rest = sentence[t.end:hi]
        if _NATURAL_COURSE.search(rest):
            continue  # "Colds clear up on their own", "Eczema often improves with age"
        passive = _PASSIVE.search(rest)
        if passive and gives_care(rest[passive.end():]):
            passive = None  # "should be checked by a doctor", "is treated with levodopa"
        if passive and not _NOT_A_CLAIM.fullmatch(passive.group("verb")) \
                and not debunked(sentence, t.end + passive.start()):
            return t.start, t.end + passive.end()
        offered = _OFFERED.search(rest) if holders_after or _HOLDER_WORD.search(t.text) else None
        if offered and not debunked(sentence, t.end + offered.start()):
            return t.start, t.end + offered.end()
        better = _BETTER.search(rest)
        if better is None or debunked(sentence, t.end + better.start()):
            continue
        if _AGENT_LINK.search(rest) or _AGENT_LINK.search(head):
            return t.start, t.end + better.end()
    return None


def use_for_claim(sentence: str, targets: Sequence[Mention]) -> tuple[int, int] | None:
    """The span of a use for a disease: "prescribed for epilepsy", "a remedy for colds"."""
    for t in targets:
        lo, _ = next(((s, e) for s, e in clauses(sentence) if s <= t.start < e),
                     (0, len(sentence)))
        if _advice(sentence, t):
            continue  # "essential for people with diabetes to check their feet": advice
        m = _USE_FOR.search(sentence[lo:t.start])
        if m and not debunked(sentence, lo + m.start()):
            return lo + m.start(), t.end
    return None


_LOCAL_ANAPHOR = re.compile(r"\b(?:it|they|them|their)\b", _F)


#: a title that offers the product for a disease: "Magnesium for migraines", "X for arthritis:"
_TITLE_FOR = re.compile(r"^\s*(?P<head>(?:[\w'\u2019-]+\s+){1,3}?)for\s+(?:\w+\s+){0,2}?$", _F)
_NOT_A_PRODUCT = re.compile(
    r"\b(?:risks?|tests?|testing|screening|diet|diets|exercises?|care|support|guidelines?|"
    r"advice|resources|help|treatments?|drugs|medicines?|medications?|options|what|how|why|"
    r"when|foods?|recipes|tips|news|research|trials?|studies|clinics?|charities|"
    r"questions|looking|searching|signs|symptoms|causes|living|caring|"
    # a verb makes it a sentence, not a title: "It is essential for ..."
    r"is|are|was|were|be|it|this|that|there)\b", _F)


def title_for_claim(sentence: str, targets: Sequence[Mention]) -> tuple[int, int] | None:
    """The span of a title that offers a product for a disease ("Astaxanthin for arthritis:
    why thousands swear by it"); "Tests for diabetes" or "Living with gout" offer none."""
    for t in targets[:1]:
        m = _TITLE_FOR.match(sentence[:t.start])
        if m and m.group("head")[:1].isupper() and not _NOT_A_PRODUCT.search(m.group("head")):
            return 0, t.end
    return None


#: the reader's problem as a question, then an offer: "Struggling with eczema? Try kefir."
_PROBLEM_QUESTION = re.compile(r"\b(?:struggling|suffering|living|dealing|battling|coping) "
                               r"with\b|\b(?:do|are) you (?:have|suffer|get|struggl)\w*|"
                               r"\?\s*$", _F)
_OFFER = re.compile(r"^\s*(?:try|take|use|reach for|add|start|grab|give|choose|switch to|"
                    r"consider|discover|meet|then|if so|good news|here'?s|say hello)\b", _F)


#: a question that is only a disease: "Asthma?", "Got eczema?", "Psoriasis flaring?"
_BARE_QUESTION = re.compile(r"^\W*(?:got |have |suffer from |struggling with )?"
                            r"(?:[\w'\u2019-]+\s+){0,3}?[\w'\u2019-]+\s*\?\s*$", _F)
#: an answer that sends the reader elsewhere: "Asthma? See your doctor."
_DISMISSES = re.compile(r"^\W*(?:see|ask|call|visit|consult|talk|it depends|no\b)", _F)


def offer_claim(sentence: str, before: str, before_targets: Sequence[Mention]) -> bool:
    """True when the sentence before asks about a disease and this one offers something
    for it ("Struggling with eczema? Try kefir every morning."); after a question that is only
    the disease ("Asthma?"), any answer that is no warning makes the claim ("Eleuthero opens up
    the airways", "Not anymore, thanks to kombucha")."""
    if not before_targets or not before.rstrip().endswith("?"):
        return False
    if _PROBLEM_QUESTION.search(before) and _OFFER.match(sentence):
        return True
    bare = _BARE_QUESTION.match(before)
    return bool(bare) and not is_warning(sentence) and not _DISMISSES.match(sentence)


def anaphoric_claim(sentence: str, before_targets: Sequence[Mention],
                    named: Sequence[Mention] = ()) -> tuple[int, int] | None:
    """The span of a benefit given to an anaphor ("helpful for them", "people with this
    condition") when the sentence before names the disease it stands for, or when an earlier
    coordinate clause of this one does ("... common in people with dementia, and topping it
    up can bring their memory back")."""
    if named and not is_warning(sentence):
        first = min(m.end for m in named)
        for lo, hi in coordinate_clauses(sentence):
            if lo <= first:
                continue
            anaphor = _LOCAL_ANAPHOR.search(sentence, lo, hi)
            benefit = _BENEFIT.search(sentence, lo, hi)
            if anaphor and benefit and not debunked(sentence, benefit.start()):
                return min(anaphor.start(), benefit.start()), max(anaphor.end(), benefit.end())
    if not before_targets:
        return None
    anaphor = _ANAPHOR.search(sentence)
    if anaphor is None:
        return None
    benefit = _BENEFIT.search(sentence)
    if benefit is None or debunked(sentence, min(benefit.start(), anaphor.start())):
        return None
    return min(anaphor.start(), benefit.start()), max(anaphor.end(), benefit.end())


def _subject_head(sentence: str) -> str:
    """The head noun of the sentence's subject: the words before its first verb, up to a
    preposition ("Cell death by apoptosis removes ..." -> "death"); "" when that is no
    short noun phrase (a longer stretch holds a verb or a leading clause of its own)."""
    tokens = list(_TOKEN.finditer(sentence))
    end = _SUBJECT_END.search(sentence)
    stop = end.start() if end else len(sentence)
    for k, tok in enumerate(tokens):
        if tok.start() >= stop:
            break
        if k and _FINITE_VERB.fullmatch(tok.group()) and not _OBJECT_WORDS.fullmatch(tok.group()):
            stop = tok.start()
            break
    if stop == len(sentence):
        return ""  # no verb: a heading or a list item, not a statement about a subject
    subject = re.split(r"\s(?:of|by|in|from|with|or)\s", sentence[:stop])[0]
    if re.search(r"[()\[\]]", subject) or diseases(subject):
        return ""  # a table row, or a disease's own cells ("Cancer cells exploit ...")
    words = re.findall(r"[A-Za-z][\w-]*", subject)
    return words[-1] if 0 < len(words) <= 4 else ""


def about_a_process(sentence: str, before: str = "") -> bool:
    """True when the sentence's subject is a bodily process, not the product: it says how the
    body works ("Apoptosis is crucial for preventing cancer"). A pronoun subject ("This is
    vital ...") stands for the subject of the sentence before."""
    if _PRODUCT_NOUN.search(sentence) or _AGENT_BY.search(sentence):
        return False
    if _PRONOUN_SUBJECT.match(sentence):
        if not before or _PRODUCT_NOUN.search(before):
            return False
        head = _subject_head(before)
    else:
        head = _subject_head(sentence)
    return bool(head) and bool(_PROCESS.fullmatch(head))
