"""The interaction catalogue: its file format, its errors (path:line) and what it matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from k2publisher.errors import ConfigError
from k2publisher.guard.disclaimers import DisclaimerRules, builtin_path
from k2publisher.guard.interactions import (
    Catalogue,
    builtin_catalogue,
    parse_catalogue,
    subject_name,
)
from k2publisher.models import Item, Kind

REPO = Path(__file__).parents[2]
REQUIRED = ("vitamin k", "curcumin", "omega-3", "berberine", "magnesium", "lion's mane",
            "beta-glucan", "st john's wort", "ginkgo", "garlic", "vitamin e", "melatonin")
CLASSES = ("anticoagulants", "antidiabetics", "serotonergic", "immunosuppressants",
           "chemotherapy", "thyroid", "pregnancy", "surgery")

MINIMAL = '''
[classes.anticoagulants]
label = "blood thinners"
pattern = '\\bwarfarin\\b'

[[supplement]]
name = "Nettle"
aliases = ["stinging nettle", "Urtica dioica"]

[[supplement.warning]]
class = "anticoagulants"
critical = true
text = "Nettle may interact with warfarin."
short = "On warfarin? Ask before taking nettle."
source = "https://example.org/nettle"
'''


def item(supplement: str | None, body: str = "Small trials.", **fields) -> Item:
    return Item(id="x/y", kind=Kind.SUPPLEMENT_SECTION, title=fields.pop("title", "A title"),
                summary="Small trials.", body=body, supplement=supplement, **fields)


def test_the_shipped_catalogue_covers_25_supplements_and_every_class() -> None:
    catalogue = builtin_catalogue()
    assert len(catalogue.supplements) >= 25
    names = {s.name.lower().replace(".", "") for s in catalogue.supplements} | {
        a.lower().replace(".", "") for s in catalogue.supplements for a in s.aliases}
    assert [n for n in REQUIRED if n not in names] == []
    used = {w.drug_class.name for s in catalogue.supplements for w in s.warnings}
    assert [c for c in CLASSES if c not in used] == []
    for entry in catalogue.supplements:
        assert entry.warnings
        for w in entry.warnings:
            assert w.source.startswith(("https://", "http://")) and w.disclaimer.short
            # a verified warning says where on the page it was read; the rest say they are not
            assert bool(w.section) == w.verified


def test_most_shipped_warnings_are_verified_and_every_required_supplement_has_a_source() -> None:
    catalogue = builtin_catalogue()
    total = len(catalogue.disclaimers())
    unverified = catalogue.unverified()
    assert len(unverified) <= total // 3, [f"{s.name}/{w.drug_class.name}" for s, w in unverified]
    assert all(w.line for _, w in unverified)           # doctor names their lines


@pytest.mark.parametrize(("extra", "verified", "words"), [
    ('verified = true\nsection = "Interactions"\n', True, None),
    ("", False, None),                                     # a source nobody vouched for
    ("verified = true\n", None, "verified = true needs source"),
    ('verified = "yes"\n', None, "verified must be true or false"),
])
def test_verified_needs_a_source_and_a_section(tmp_path: Path, extra, verified, words) -> None:
    path = tmp_path / "interactions.toml"
    path.write_text(MINIMAL + extra, encoding="utf-8")
    if words:
        with pytest.raises(ConfigError, match=words):
            Catalogue.load(path)
        return
    (warning,) = Catalogue.load(path).supplements[0].warnings
    assert warning.verified is verified and warning.source == "https://example.org/nettle"


def test_an_unread_page_is_named_with_check_against(tmp_path: Path) -> None:
    path = tmp_path / "interactions.toml"
    path.write_text(MINIMAL.replace('source = "https://example.org/nettle"',
                                    'verified = false\ncheck_against = "https://example.org/n"'),
                    encoding="utf-8")
    (warning,) = Catalogue.load(path).supplements[0].warnings
    assert not warning.verified and warning.source == "https://example.org/n"
    path.write_text(MINIMAL.replace('source = "https://example.org/nettle"\n', ""),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="needs source"):
        Catalogue.load(path)


def test_site_copy_equals_the_packaged_defaults() -> None:
    site = (REPO / "config" / "interactions.toml").read_text(encoding="utf-8")
    packaged = (REPO / "src" / "k2publisher" / "defaults" / "interactions.toml")
    assert site == packaged.read_text(encoding="utf-8")


def test_a_user_adds_a_supplement_by_editing_the_file(tmp_path: Path) -> None:
    path = tmp_path / "interactions.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    rules = DisclaimerRules.load(None).with_catalogue(Catalogue.load(path))
    nettle = item("Stinging nettle", "Readers on warfarin asked about nettle tea.")
    found = {d.id: d for d in rules.for_item(nettle)}
    assert found["INTERACTION_ANTICOAGULANTS"].text == "Nettle may interact with warfarin."
    assert "INTERACTION_ANTICOAGULANTS" not in {d.id for d in rules.for_item(
        item("Stinging nettle", "Nettle soup is an old spring dish."))}


@pytest.mark.parametrize(("edit", "line", "words"), [
    (lambda t: t.replace('class = "anticoagulants"', 'class = "anticoagulant"'), 11,
     "class 'anticoagulant' is not defined"),
    (lambda t: t.replace('source = "https://example.org/nettle"', 'source = "NIH"'), 15,
     "source must be the URL"),
    (lambda t: t.replace("pattern = '\\bwarfarin\\b'", "pattern = '(warfarin'"), 4,
     "not a valid regular expression"),
    (lambda t: t.replace('short = "On warfarin? Ask before taking nettle."\n', ""), 10,
     "needs short"),
    (lambda t: t.replace("critical = true", "critical = yes"), 12, "not valid TOML"),
    (lambda t: t.replace("critical = true", "critcal = true"), 12, "unknown key 'critcal'"),
    (lambda t: t + '\n[[supplement]]\nname = "nettle"\n', 17, "listed twice"),
])
def test_a_broken_catalogue_names_the_file_and_line(tmp_path: Path, edit, line, words) -> None:
    path = tmp_path / "interactions.toml"
    path.write_text(edit(MINIMAL), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Catalogue.load(path)
    assert str(info.value).startswith(f"{path}:{line}: "), str(info.value)
    assert words in str(info.value)


def test_unknown_placeholder_in_a_rule_text_is_an_error_naming_the_line(tmp_path) -> None:
    source = builtin_path().read_text(encoding="utf-8").replace(
        "before starting {forms}", "before starting {suplement}")
    with pytest.raises(ConfigError, match=r"disclaimers.toml:\d+: CONSULT_BEFORE_USE: unknown "
                                          r"placeholder \{suplement\}"):
        DisclaimerRules.from_toml(source, tmp_path / "disclaimers.toml")


def test_the_fda_statement_takes_no_placeholder(tmp_path) -> None:
    source = builtin_path().read_text(encoding="utf-8").replace(
        "This statement has not been evaluated", "This statement about {supplement} has not "
        "been evaluated")
    with pytest.raises(ConfigError, match="FDA_SF_1: the FDA statement is verbatim"):
        DisclaimerRules.from_toml(source, tmp_path / "disclaimers.toml")


@pytest.mark.parametrize(("raw", "reads"), [
    ("Magnesium", "magnesium"), ("Vitamin K2", "vitamin K2"), ("St. John's wort",
                                                              "St. John's wort"),
    ("CoQ10", "CoQ10"), ("DHA", "DHA"), ("Lion's mane", "lion's mane")])
def test_a_supplement_name_reads_naturally_mid_sentence(raw, reads) -> None:
    assert subject_name(raw) == reads


def test_aliases_match_whole_names_only() -> None:
    catalogue = builtin_catalogue()
    assert [s.name for s in catalogue.entries_for(item("Fish oil"))] == ["Omega-3"]
    assert [s.name for s in catalogue.entries_for(item("Turmeric extract"))] == ["Curcumin"]
    assert catalogue.entries_for(item("Ironwood bark")) == []
    assert catalogue.entries_for(item(None, title="Magnesium and sleep"))[0].name == "Magnesium"


def test_several_warnings_in_one_post_stay_separate_and_word_for_word() -> None:
    """No merged one-liner that drops who must not take it or what it can cause."""
    rules = DisclaimerRules.load()
    berberine = item("Berberine", "Trials in diabetes.")
    text = "People on metformin or cyclosporine took berberine."
    needed = {d.id: d for d in rules.required_for_part(berberine, text, 1, "social", 3)}
    assert {"INTERACTION_ANTIDIABETICS", "INTERACTION_IMMUNOSUPPRESSANTS"} <= set(needed)
    own = {w.disclaimer.id: w.disclaimer for e in rules.catalogue.entries_for(berberine)
           for w in e.warnings}
    for ident in ("INTERACTION_ANTIDIABETICS", "INTERACTION_IMMUNOSUPPRESSANTS"):
        assert needed[ident] == own[ident]
    # our own warnings are not read as the post mentioning more drug classes
    post = "\n\n".join([text, *(d.short for d in needed.values())])
    assert set(needed) == {d.id for d in rules.required_for_part(berberine, post, 1, "social",
                                                                 3)}
    # post 1 carries the first opening warning; the thread opens with all of them
    opening = rules.opening(item("Berberine", "Never for newborns; 500 mg doses."))
    assert [d.id for d in opening][:2] and all(d.critical for d in opening)


def test_parse_catalogue_accepts_an_empty_file() -> None:
    assert parse_catalogue("", "empty.toml").supplements == ()


def test_our_own_warnings_are_never_read_as_the_items_claims_or_triggers() -> None:
    from k2publisher.guard.claims import scan
    from k2publisher.guard.disclaimers import prose

    rules = DisclaimerRules.load()
    for d in rules.catalogue.disclaimers():
        for text in (d.text, d.short):
            assert scan(text, rules) == [], (d.id, text)
            assert prose(f"Natto. {text}", rules) == "Natto.", (d.id, text)


# -- supplements the catalogue does not list ------------------------------------------------

def _unlisted_item(supplement: str, text: str) -> Item:
    return Item(id=f"t/{supplement.lower().replace(' ', '-')}", kind=Kind.SUPPLEMENT_SECTION,
                title=f"{supplement}: what small trials report", summary=text, body=text,
                supplement=supplement)


def test_an_unlisted_supplement_gets_ask_first_notes_for_what_its_text_names() -> None:
    rules = DisclaimerRules.load()
    item = _unlisted_item("Butterbur", "Small trials used 75 mg twice a day. People taking "
                          "warfarin or planning surgery should ask first.")
    assert rules.catalogue.is_unlisted(item)
    found = {d.id: d for d in rules.for_item(item)}
    assert {"CHECK_ANTICOAGULANTS", "CHECK_SURGERY"} <= set(found)
    assert not any(i.startswith(("INTERACTION_", "CAUTION_", "WARFARIN")) for i in found)
    note = found["CHECK_ANTICOAGULANTS"]
    assert note.short == ("On blood thinners? Ask your doctor or pharmacist before starting "
                          "butterbur.")
    assert "butterbur" in note.text and "no checked interaction data" in note.text
    assert found["CHECK_SURGERY"].short == ("Surgery? Ask a health professional before "
                                            "starting butterbur.")
    # they never name another supplement, and a post naming warfarin must carry its note
    assert not any(rules.catalogue.names_other(d.text, item) for d in found.values())
    post = rules.required_for_part(item, "People taking warfarin should ask first.", 1,
                                   "social")
    assert "CHECK_ANTICOAGULANTS" in {d.id for d in post}


def test_a_listed_supplement_never_gets_the_unlisted_notes() -> None:
    rules = DisclaimerRules.load()
    for supplement in ("Magnesium", "magnesium glycinate", ""):
        item = _unlisted_item(supplement or "none", "People taking warfarin should ask first.")
        item = Item(**{**item.__dict__, "supplement": supplement or None})
        assert not rules.catalogue.is_unlisted(item)
        assert not any(d.id.startswith("CHECK_") for d in rules.for_item(item))


def test_our_own_unlisted_notes_are_not_read_as_the_posts_text() -> None:
    from k2publisher.guard.disclaimers import prose

    rules = DisclaimerRules.load()
    item = _unlisted_item("Butterbur", "People taking warfarin should ask first.")
    note = next(d for d in rules.for_item(item) if d.id == "CHECK_ANTICOAGULANTS")
    assert prose(f"Butterbur and migraine.\n\n{note.short}", rules).split() == \
        ["Butterbur", "and", "migraine."]


@pytest.mark.parametrize(("table", "words"), [
    ('[unlisted.drugs]\ntext = "x {supplement}"\nshort = "y"\n', "[unlisted.drug] or"),
    ('[unlisted.drug]\ntext = "x {supplement}"\n', "needs short"),
    ('[unlisted.drug]\ntext = "x"\nshort = "y"\ncolour = "red"\n', "unknown key 'colour'"),
])
def test_a_broken_unlisted_table_names_its_line(tmp_path: Path, table: str, words: str) -> None:
    path = tmp_path / "interactions.toml"
    path.write_text(MINIMAL + "\n" + table, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Catalogue.load(path)
    assert words in str(info.value) and "interactions.toml:" in str(info.value)
