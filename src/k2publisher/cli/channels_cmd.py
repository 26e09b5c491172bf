"""``k2publisher channels``: list the configured channels (secrets masked) and check one."""

from __future__ import annotations

from typing import Any

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_CHECK_FAILED, EXIT_OK, console, print_json, print_table
from k2publisher.deliver.registry import (
    channel_configs,
    channel_states,
    channel_types,
    load_channel,
    masked_options,
    problems,
)
from k2publisher.errors import DeliveryError
from k2publisher.redact import mask


def channel_rows(app: App) -> list[dict[str, Any]]:
    """Every configured channel: name, type, enabled, masked settings and problems."""
    settings = app.settings
    types = channel_types()
    states = channel_states(settings)
    rows = []
    for name, options in sorted(channel_configs(settings).items()):
        type_name = str(options.get("type", ""))
        cls = types.get(type_name)
        shown = {k: v for k, v in masked_options(options, cls).items()
                 if k not in ("type", "enabled")}
        found = problems(name, options, cls) if cls else \
            [f"unknown type {type_name!r}; installed: {', '.join(sorted(types))}"]
        rows.append({"name": name, "type": type_name,
                     "enabled": options.get("enabled", True) is not False,
                     "profile": options.get("profile") or (cls.profile if cls else ""),
                     "state": states.get(name, "ok"), "settings": shown, "problems": found})
    return rows


@click.group(epilog="\b\nExamples:\n  k2publisher channels list\n"
                    "  k2publisher channels check mastodon")
def channels() -> None:
    """Delivery channels configured as [channels.NAME] tables."""


@channels.command("list", epilog="\b\nExamples:\n  k2publisher channels list\n"
                                 "  k2publisher channels list --json | jq '.[].name'\n"
                                 "  k2publisher channels list --types")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--types", is_flag=True, help="List the installed channel types instead.")
@pass_app
def list_cmd(app: App, as_json: bool, types: bool) -> int:
    """Each channel, its type, its settings (secrets as ****) and whether it is enabled."""
    if types:
        installed = [{"type": name, "profile": cls.profile, "threads": cls.supports_threads,
                      "idempotent": cls.idempotent, "required": list(cls.required_settings),
                      "optional": list(cls.optional_settings), "module": cls.__module__,
                      "description": cls.description}
                     for name, cls in sorted(channel_types().items())]
        if as_json:
            print_json(installed)
        else:
            print_table(["type", "profile", "threads", "required settings", "description"],
                        ([t["type"], t["profile"], "yes" if t["threads"] else "",
                          ", ".join(t["required"]), t["description"]] for t in installed),
                        title=f"{len(installed)} channel types installed")
        return EXIT_OK
    rows = channel_rows(app)
    if as_json:
        print_json(rows)
    else:
        print_table(["name", "type", "state", "settings", "problems"],
                    ([r["name"], r["type"], r["state"],
                      " ".join(f"{k}={v}" for k, v in r["settings"].items()),
                      "; ".join(r["problems"])] for r in rows),
                    title=f"{len(rows)} channels")
    return EXIT_CHECK_FAILED if any(r["problems"] or r["state"].startswith("disabled")
                                    for r in rows) else EXIT_OK


@channels.command("check", epilog="\b\nExamples:\n  k2publisher channels check mastodon\n"
                                  "  k2publisher channels check email\n"
                                  "Exit codes: 0 ok, 1 the check failed, 3 config error.")
@click.argument("name")
@pass_app
def check_cmd(app: App, name: str) -> int:
    """Verify credentials and reachability with a harmless call (nothing is posted)."""
    out = console()
    channel = load_channel(name, app.settings)
    try:
        said = channel.check()
    except DeliveryError as exc:
        kind = type(exc).__name__.replace("DeliveryError", "").lower() or "error"
        console(stderr=True).print(f"{name}: FAILED ({kind}): {mask(str(exc))}", markup=False)
        return EXIT_CHECK_FAILED
    finally:
        channel.close()
    out.print(f"{name}: ok: {mask(said)}", markup=False)
    return EXIT_OK


COMMANDS = [channels]
