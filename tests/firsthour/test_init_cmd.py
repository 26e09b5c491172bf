"""``k2publisher init``: the files of a new site, the questions, and never overwriting."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from venvs import clean_env

from k2publisher.content.queue import Queue
from k2publisher.scaffold import EXAMPLE_ITEM_ID, env_example_text, needed_secrets
from k2publisher.scaffold.toml_writer import dumps
from k2publisher.settings import DEFAULTS, load_settings
from k2publisher.settings_docs import doc_for, setting_paths

SITE_FILES = ("config/k2publisher.toml", ".env.example", "config/disclaimers.toml",
              "config/interactions.toml",
              f"queue/{EXAMPLE_ITEM_ID}.md", "templates/README.md", "README.md")


def test_defaults_scaffold_every_file_of_a_site(run_cli, tmp_path: Path) -> None:
    code, out, _ = run_cli("init", "site", "--defaults", cwd=tmp_path)

    site = tmp_path / "site"
    assert code == 0
    assert [f for f in SITE_FILES if not (site / f).is_file()] == []
    assert (site / "queue").is_dir() and (site / "templates").is_dir()
    assert f"preview {EXAMPLE_ITEM_ID}" in out


def test_the_config_reads_back_as_the_defaults(run_cli, tmp_path: Path) -> None:
    run_cli("init", "site", "--defaults", cwd=tmp_path)

    config = tmp_path / "site" / "config" / "k2publisher.toml"
    settings = load_settings(config, environ={})

    embedded = load_settings(None, environ={}).data
    written = tomllib.loads(config.read_text(encoding="utf-8"))
    # everything but the demo campaign, which republished on every restart (issue 13)
    assert "demo" in DEFAULTS["campaigns"] and "demo" not in written["campaigns"]
    assert written == {**DEFAULTS, "campaigns": {k: v for k, v in DEFAULTS["campaigns"].items()
                                                 if k != "demo"}}
    assert settings.root == tmp_path / "site"
    assert settings.data == {**embedded, "campaigns": written["campaigns"]}


def test_every_setting_has_a_comment_right_above_it(run_cli, tmp_path: Path) -> None:
    run_cli("init", "site", "--defaults", cwd=tmp_path)
    lines = (tmp_path / "site" / "config" / "k2publisher.toml").read_text("utf-8").splitlines()

    undocumented = [p for p in setting_paths(DEFAULTS) if not doc_for(p)]
    leaves = [p for p in setting_paths(DEFAULTS)
              if "." in p and not isinstance(_get(DEFAULTS, p), dict)]
    uncommented = []
    for dotted in leaves:
        key = dotted.rsplit(".", 1)[1]
        section = f"[{dotted.rsplit('.', 1)[0]}]"
        at = lines.index(section) + 1
        while not lines[at].startswith(f"{key} = "):
            at += 1
        if not lines[at - 1].startswith("# "):
            uncommented.append(dotted)

    assert undocumented == []
    assert uncommented == []


def _get(data: dict, dotted: str) -> object:
    node: object = data
    for part in dotted.split("."):
        node = node[part]  # type: ignore[index]
    return node


def test_the_example_item_is_a_valid_draft(run_cli, tmp_path: Path) -> None:
    run_cli("init", "site", "--defaults", cwd=tmp_path)

    queue = Queue(tmp_path / "site" / "queue")
    queue.load()
    item = queue.get(EXAMPLE_ITEM_ID)

    assert queue.problems() == []
    assert item.status.value == "draft"


def test_answers_go_into_the_config(run_cli, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from k2publisher.cli.main import cli

    answers = "Bone Notes\nhttps://bone.example.org/\n2 Main St, Town\nMars/Olympus\n" \
              "Europe/Berlin\n"
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "site")], input=answers)

    site = tomllib.loads((tmp_path / "site/config/k2publisher.toml").read_text("utf-8"))["site"]
    assert result.exit_code == 0, result.output
    assert "not an IANA time zone" in result.output
    assert (site["name"], site["publisher"], site["base_url"], site["postal_address"],
            site["timezone"]) == ("Bone Notes", "Bone Notes", "https://bone.example.org",
                                  "2 Main St, Town", "Europe/Berlin")


def test_without_stdin_it_keeps_the_defaults(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "k2publisher", "init", "site"], cwd=tmp_path,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=clean_env(), timeout=60)

    site = tomllib.loads((tmp_path / "site/config/k2publisher.toml").read_text("utf-8"))["site"]
    assert proc.returncode == 0, proc.stderr
    assert site == DEFAULTS["site"]


def test_it_never_overwrites_without_force(run_cli, tmp_path: Path) -> None:
    run_cli("init", "site", "--defaults", cwd=tmp_path)
    readme = tmp_path / "site" / "README.md"
    readme.write_text("my notes\n", encoding="utf-8")

    code, _, _ = _run_main(tmp_path, "init", "site", "--defaults")
    kept = readme.read_text(encoding="utf-8")
    forced, _, _ = _run_main(tmp_path, "init", "site", "--defaults", "--force")

    assert code == 1
    assert kept == "my notes\n"
    assert forced == 0
    assert readme.read_text(encoding="utf-8") != "my notes\n"


def _run_main(cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "k2publisher", *args], cwd=cwd,
                          capture_output=True, text=True, env=clean_env(), timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def test_env_example_lists_the_secrets_of_enabled_channels() -> None:
    data = {"channels": {
        "toots": {"type": "mastodon", "instance": "https://m.example", "token": "${TOOT_KEY}"},
        "feed": {"type": "rss", "path": "public"},
    }}

    needed = needed_secrets(data)
    text = env_example_text(data)

    assert ("TOOT_KEY", "toots", "token") in needed
    assert "\nTOOT_KEY=\n" in text + "\n"
    assert not [v for v, ch, _ in needed if ch == "feed"]


def test_the_toml_writer_round_trips_nested_values() -> None:
    data = {"a": 1, "t": {"s": 'quote " and \\ and ü', "b": True, "f": 1.5,
                          "l": ["x", 2], "inner": {"k": "v"}},
            "channels": {"one": {"type": "file", "opts": {"x": 1}}}, "empty": {}}

    assert tomllib.loads(dumps(data)) == data
