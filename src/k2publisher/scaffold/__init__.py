"""``k2publisher init``: the files of a new publisher's site, built from the packaged skeleton.

:func:`plan` computes every file (path relative to the site folder -> text) without touching
the disk; :func:`scaffold` writes them, refusing to overwrite anything unless ``force``.
The config is generated from :data:`k2publisher.settings.DEFAULTS` and the comments in
:mod:`k2publisher.settings_docs`, so a new setting shows up in new sites by itself.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from k2publisher import __version__
from k2publisher.errors import K2Error
from k2publisher.scaffold import toml_writer
from k2publisher.settings import DEFAULTS, DEMO_CAMPAIGN, SECRET_KEYS
from k2publisher.settings_docs import doc_for

SKELETON = "skeleton"
EXAMPLE_ITEM_ID = "example/first-note"


class SiteExistsError(K2Error):
    """``init`` would overwrite files that already exist (pass ``--force`` to allow it)."""

    def __init__(self, paths: list[Path]):
        self.paths = paths
        listed = ", ".join(str(p) for p in paths[:5]) + (" ..." if len(paths) > 5 else "")
        super().__init__(f"refusing to overwrite {len(paths)} existing file(s): {listed} "
                         "(pass --force to overwrite them)")


@dataclass(frozen=True)
class Answers:
    """What ``init`` asks a new publisher (everything else starts from the defaults)."""

    name: str = DEFAULTS["site"]["name"]
    base_url: str = DEFAULTS["site"]["base_url"]
    postal_address: str = DEFAULTS["site"]["postal_address"]
    timezone: str = DEFAULTS["site"]["timezone"]


def site_data(answers: Answers) -> dict[str, Any]:
    """The settings a new site starts with: the defaults plus the answers.

    The embedded ``demo`` campaign is left out: it is there so that a first run without any
    config publishes within seconds, but on a real site it would publish again at every
    restart after its grace period.
    """
    data = copy.deepcopy(DEFAULTS)
    data["campaigns"].pop(DEMO_CAMPAIGN, None)
    site = data["site"]
    if answers.name != site["name"]:
        site["publisher"] = answers.name
    site.update(name=answers.name, base_url=answers.base_url.rstrip("/"),
                postal_address=answers.postal_address, timezone=answers.timezone)
    return data


def channel_types() -> Mapping[str, type]:
    """Installed channel types by name (empty while the delivery stage is not installed)."""
    try:
        from k2publisher.deliver.registry import channel_types as installed
    except ImportError:
        return {}
    return installed()


def env_var(channel: str, setting: str) -> str:
    """The environment variable a channel's secret setting is read from by convention."""
    return re.sub(r"[^A-Z0-9]+", "_", f"{channel}_{setting}".upper())


def secret_settings(cls: type) -> tuple[str, ...]:
    """The settings of a channel type that hold secrets."""
    declared = tuple(getattr(cls, "secret_settings", ()))
    known = (*getattr(cls, "required_settings", ()), *getattr(cls, "optional_settings", ()))
    return declared + tuple(s for s in known if s in SECRET_KEYS and s not in declared)


def needed_secrets(data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(VAR, channel, setting)`` for every secret the configured channels need."""
    types = channel_types()
    found: list[tuple[str, str, str]] = []
    for name, options in data.get("channels", {}).items():
        cls = types.get(str(options.get("type", "")))
        for setting in secret_settings(cls) if cls else ():
            value = str(options.get(setting, ""))
            m = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value)
            found.append((m.group(1) if m else env_var(name, setting), name, setting))
    return found


def _channel_examples(used: set[str]) -> str:
    """Commented ``[channels.NAME]`` blocks for the installed types a site does not use yet."""
    blocks: list[str] = []
    for type_name, cls in sorted(channel_types().items()):
        if type_name in used:
            continue
        secrets = set(secret_settings(cls))
        lines = [f"# {getattr(cls, 'description', '') or type_name}".rstrip(),
                 f"# [channels.{type_name}]", f'# type = "{type_name}"']
        required = tuple(getattr(cls, "required_settings", ()))
        for setting in required + tuple(s for s in secret_settings(cls) if s not in required):
            shown = f'"${{{env_var(type_name, setting)}}}"' if setting in secrets else '"..."'
            lines.append(f"# {setting} = {shown}")
        blocks.append("\n".join(lines))
    if not blocks:
        return ""
    return ("\n# More channel types are installed. To use one, uncomment its block, fill it in\n"
            "# and put its secrets in .env (see .env.example and docs/channels.md).\n\n"
            + "\n\n".join(blocks) + "\n")


def config_text(data: Mapping[str, Any]) -> str:
    """``config/k2publisher.toml``: every setting, each preceded by its comment."""
    header = (f"# k2publisher settings (written by `k2publisher init`, version {__version__}).\n"
              "# Every setting is shown with its default; delete a line to go back to the\n"
              "# default. Secrets never go here: write \"${VAR}\" and put VAR=... in .env.\n"
              "# Check your edits with `k2publisher doctor`.\n\n")
    used = {str(c.get("type", "")) for c in data.get("channels", {}).values()}
    return header + toml_writer.dumps(data, doc_for) + _channel_examples(used)


def env_example_text(data: Mapping[str, Any]) -> str:
    """``.env.example``: one line per secret the enabled channels need, others commented."""
    lines = ["# Secrets for k2publisher. Copy this file to .env (never commit .env) and fill in",
             "# the values; the config refers to them as \"${VAR}\".", ""]
    needed = needed_secrets(data)
    if needed:
        lines += [f"# [channels.{ch}] {setting}\n{var}=" for var, ch, setting in needed]
    else:
        lines.append("# The enabled channels (local sinks) need no secrets.")
    enabled = {str(c.get("type", "")) for c in data.get("channels", {}).values()}
    others = [(env_var(t, s), t) for t, cls in sorted(channel_types().items())
              if t not in enabled for s in secret_settings(cls)]
    if others:
        lines += ["", "# Needed once you enable these channel types:"]
        lines += [f"# {var}=   ({t})" for var, t in others]
    return "\n".join(lines) + "\n"


def builtin_templates() -> list[str]:
    """Relative paths of the templates shipped inside the package."""
    root = resources.files("k2publisher") / "templates"
    found: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif not child.name.startswith(".") and not child.name.endswith(".py"):
                found.append(prefix + child.name)

    if root.is_dir():
        walk(root, "")
    return found


def _skeleton(name: str) -> str:
    return (resources.files("k2publisher.scaffold") / SKELETON / name).read_text("utf-8")


def plan(dest: Path, answers: Answers) -> dict[str, str]:
    """Every file of a new site, as relative path -> text (nothing is written)."""
    data = site_data(answers)
    listing = "\n".join(f"- `{t}`" for t in builtin_templates()) or "(none installed)"
    files = {
        "config/k2publisher.toml": config_text(data),
        ".env.example": env_example_text(data),
        ".gitignore": _skeleton("gitignore"),
        "README.md": Template(_skeleton("README.md")).safe_substitute(
            site_name=answers.name, version=__version__, site_dir=str(dest.resolve())),
        "templates/README.md": Template(_skeleton("templates/README.md")).safe_substitute(
            builtin_templates=listing),
        f"queue/{EXAMPLE_ITEM_ID}.md": _skeleton(f"queue/{EXAMPLE_ITEM_ID}.md"),
    }
    # generic rules (texts name the item's supplement through placeholders) and the
    # interaction catalogue, both the publisher's to edit
    for name in ("disclaimers.toml", "interactions.toml"):
        data_file = resources.files("k2publisher") / "defaults" / name
        if data_file.is_file():
            files[f"config/{name}"] = data_file.read_text("utf-8")
    return files


def conflicts(dest: Path) -> list[Path]:
    """The files of a new site that already exist in ``dest``."""
    return [dest / rel for rel in plan(dest, Answers()) if (dest / rel).exists()]


def scaffold(dest: Path, answers: Answers | None = None, *, force: bool = False) -> list[Path]:
    """Write a new site into ``dest`` and return the files written.

    Raises :class:`SiteExistsError` (writing nothing) when a file exists and not ``force``.
    """
    existing = conflicts(dest)
    if existing and not force:
        raise SiteExistsError(existing)
    written: list[Path] = []
    for rel, text in plan(dest, answers or Answers()).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
