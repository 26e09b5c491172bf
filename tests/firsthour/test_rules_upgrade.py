"""``k2publisher rules upgrade``: a site made by an older ``init`` brought up to date.

The old copies (``tests/fixtures/old-init``) name vitamin K2 in every rule and have no
source data on any warning; the site's owner has edited one warning, added a supplement and
a rule of their own. ``doctor`` says what to run; ``rules upgrade`` shows the diff, writes
only with ``--yes`` (or a "y" on a terminal), upgrades what an older init wrote and keeps the
owner's edits.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.guard.interactions import Catalogue, builtin_catalogue
from k2publisher.guard.upgrade import plan
from k2publisher.scaffold import scaffold

OLD = Path(__file__).parents[1] / "fixtures" / "old-init"
OWN_KAVA = "Kava is banned in our province; see the health authority's notice."
NETTLE = '''
[[supplement]]
name = "Nettle"
aliases = ["stinging nettle"]

[[supplement.warning]]
class = "anticoagulants"
text = "Nettle may interact with warfarin; ask your doctor."
short = "On warfarin? Ask before taking nettle."
check_against = "https://example.org/nettle"
'''
HOUSE_RULE = '''
[[disclaimer]]
id = "HOUSE_NOTE"
text = "Written by our pharmacist team."
priority = 5
placement = "footer"
when = { tags = ["house"] }
'''


@pytest.fixture
def old_site(tmp_path: Path) -> Path:
    """A site whose rule and catalogue copies are an older init's, with its owner's edits."""
    root = tmp_path / "site"
    scaffold(root)
    config = root / "config"
    interactions = (OLD / "interactions.toml").read_text(encoding="utf-8")
    old_kava = ("Kava has been linked to severe liver damage, including cases needing a "
                "liver transplant; see a doctor at any sign of liver trouble.")
    assert old_kava in interactions
    (config / "interactions.toml").write_text(interactions.replace(old_kava, OWN_KAVA) + NETTLE,
                                              encoding="utf-8")
    shutil.copy(OLD / "disclaimers.toml", config / "disclaimers.toml")
    with (config / "disclaimers.toml").open("a", encoding="utf-8") as fh:
        fh.write(HOUSE_RULE)
    return root


def _doctor_lines(out: str) -> dict[str, str]:
    return {line[6:].split(":", 1)[0]: line for line in out.splitlines()
            if line.startswith(("PASS  ", "WARN  ", "FAIL  "))}


def test_doctor_says_the_copies_are_an_older_inits_and_what_to_run(run_cli, old_site) -> None:
    _, out, _ = run_cli("doctor", cwd=old_site)
    lines = _doctor_lines(out)
    for kind in ("disclaimers", "interactions"):
        line = lines[f"{kind} copy"]
        assert line.startswith("WARN") and f"config/{kind}.toml is older than the built-in" in line
        assert "upgraded to today's built-in text" in line
    assert "run `k2publisher rules upgrade`" in out and "entries you edited are kept" in out
    assert "supplement:kava" in lines["interactions copy"]       # named as kept


def test_check_shows_the_diff_and_writes_nothing(run_cli, old_site) -> None:
    before = {p.name: p.read_text(encoding="utf-8") for p in (old_site / "config").glob("*.toml")}

    code, out, _ = run_cli("rules", "upgrade", "--check", cwd=old_site)

    assert code == 1
    assert "+++ " in out and "--- " in out
    assert "-text = \"Ask a doctor or pharmacist before starting vitamin K2" in out
    assert "kept as you edited them: supplement:kava, supplement:nettle" in out
    assert "removed (the built-ins dropped them): disclaimer:warfarin_vka" in out
    after = {p.name: p.read_text(encoding="utf-8") for p in (old_site / "config").glob("*.toml")}
    assert after == before


def test_without_a_terminal_it_asks_for_yes(cli_main, old_site) -> None:
    before = (old_site / "config" / "disclaimers.toml").read_text(encoding="utf-8")

    code, _, err = cli_main("rules", "upgrade", cwd=old_site)

    assert code == 2 and "pass --yes" in err
    assert (old_site / "config" / "disclaimers.toml").read_text(encoding="utf-8") == before


def test_saying_no_on_a_terminal_writes_nothing(run_cli, old_site, monkeypatch) -> None:
    from click.testing import CliRunner

    from k2publisher.cli import rules_cmd
    from k2publisher.cli.main import cli

    monkeypatch.setattr(rules_cmd, "_interactive", lambda: True)
    before = (old_site / "config" / "interactions.toml").read_text(encoding="utf-8")
    monkeypatch.chdir(old_site)
    result = CliRunner().invoke(cli, ["rules", "upgrade"], input="n\n",
                                standalone_mode=False, catch_exceptions=False)
    assert result.return_value == 1 and "nothing written" in result.stderr
    assert (old_site / "config" / "interactions.toml").read_text(encoding="utf-8") == before


def test_yes_upgrades_what_an_older_init_wrote_and_keeps_the_owners_edits(run_cli,
                                                                          old_site) -> None:
    code, _, err = run_cli("rules", "upgrade", "--yes", cwd=old_site)
    assert code == 0 and "wrote" in err

    config = old_site / "config"
    rules = DisclaimerRules.load(config / "disclaimers.toml")
    consult = rules.get("CONSULT_BEFORE_USE")
    assert "vitamin K2" not in consult.text and "{forms}" in consult.text
    assert "WARFARIN_VKA" not in {r.disclaimer.id for r in rules.rules}   # moved to catalogue
    assert "HOUSE_NOTE" in {r.disclaimer.id for r in rules.rules}         # the owner's rule

    catalogue = Catalogue.load(config / "interactions.toml")
    names = {s.name for s in catalogue.supplements}
    assert "Nettle" in names                                             # the owner's entry
    kava = next(s for s in catalogue.supplements if s.name == "Kava")
    assert OWN_KAVA in {w.disclaimer.text for w in kava.warnings}        # the owner's edit
    builtin = builtin_catalogue()
    # everything else is today's: the same verified warnings as the built-in catalogue
    others = [s for s in catalogue.supplements if s.name not in ("Kava", "Nettle")]
    assert len(others) == len(builtin.supplements) - 1
    assert sum(w.verified for s in others for w in s.warnings) == sum(
        w.verified for s in builtin.supplements if s.name != "Kava" for w in s.warnings)
    assert catalogue.unlisted                                            # [unlisted] added

    again, out, _ = run_cli("rules", "upgrade", "--check", cwd=old_site)
    assert again == 0 and "upgraded" not in out
    _, doctor, _ = run_cli("doctor", cwd=old_site)
    assert "copy:" not in doctor


def test_an_up_to_date_site_has_nothing_to_do(run_cli, tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    scaffold(root)
    code, out, _ = run_cli("rules", "upgrade", "--check", cwd=root)
    assert code == 0 and out.count("up to date") == 2


def test_a_broken_copy_is_a_config_error_naming_the_file(cli_main, old_site) -> None:
    path = old_site / "config" / "interactions.toml"
    path.write_text("[[supplement]\nname = \n", encoding="utf-8")
    code, _, err = cli_main("rules", "upgrade", "--check", cwd=old_site)
    assert code == 3 and "interactions.toml" in err


def test_the_plan_only_upgrades_entries_exactly_as_an_old_builtin_wrote_them() -> None:
    old = (OLD / "disclaimers.toml").read_text(encoding="utf-8")
    edited = old.replace('short = "Education only, not medical advice."',
                         'short = "Education only."', 1)
    assert edited != old
    found = {c.key: c.action for c in plan("disclaimers", edited).changes}
    assert found["disclaimer:not_medical_advice"] == "kept"
    assert found["disclaimer:consult_before_use"] == "upgraded"
