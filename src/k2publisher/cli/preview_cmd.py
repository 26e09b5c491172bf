"""``k2publisher preview``: an item on every channel, with lengths, disclaimers and verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_CHECK_FAILED, EXIT_OK, console, print_json
from k2publisher.pipeline import Pipeline
from k2publisher.preview.core import Preview, preview_item, targets, write_out
from k2publisher.redact import mask

EPILOG = """\b
Examples:
  k2publisher preview vitamin-k2/dosage
  k2publisher preview vitamin-k2/dosage --channel email --channel bluesky
  k2publisher preview vitamin-k2/dosage --json | jq '.renderings[].guard'
  k2publisher preview vitamin-k2/dosage --out /tmp/preview
  k2publisher preview --serve --port 8030
Exit codes: 0 every rendering passes the guard, 1 one fails, 2 usage, 3 config.
"""


def _masked(data: Any, secrets: list[str]) -> Any:
    """``data`` with every string passed through :func:`mask` (previews never leak secrets)."""
    if isinstance(data, str):
        return mask(data, secrets)
    if isinstance(data, dict):
        return {k: _masked(v, secrets) for k, v in data.items()}
    if isinstance(data, list):
        return [_masked(v, secrets) for v in data]
    return data


def _show(p: Preview, secrets: list[str]) -> None:
    out = console()
    r = p.rendering
    verdict = "ok" if p.verdict.ok else "REFUSED"
    style = "green" if p.verdict.ok else "bold red"
    out.print(f"== {p.target.channel} ({r.profile}, {r.family}): guard {verdict}",
              style=style, markup=False)
    if r.family == "email":
        out.print(f"subject: {r.subject}\npreheader: {r.preheader}\n"
                  f"html: {r.extra.get('html_bytes', 0)} bytes", markup=False)
    costs = r.extra.get("costs") or [None] * len(r.parts)
    for n, (part, length, cost) in enumerate(zip(r.parts, p.lengths, costs, strict=True), 1):
        limit = f"{length}/{r.limit}" if r.limit else f"{length}, no limit"
        price = f", ${cost:.3f}" if cost is not None else ""
        out.print(f"-- part {n}/{len(r.parts)}  [{limit}, counted as {r.counter}{price}]",
                  style="bold", markup=False)
        out.print(mask(part.text, secrets), markup=False)
    out.print(f"disclaimers: {', '.join(r.disclaimers) or '(none)'}", markup=False)
    for dropped in r.extra.get("dropped") or ():
        out.print(f"  could not fit: {mask(dropped, secrets)}", style="yellow", markup=False)
    if r.extra.get("costs"):
        out.print(f"link: {r.extra.get('link_placement', 'inline')}; cost: "
                  f"${sum(r.extra['costs']):.3f} for {len(r.parts)} post(s)", markup=False)
    for problem in p.verdict.problems:
        out.print(f"  problem: {problem}", style="red", markup=False)
    for note in p.verdict.notes:
        out.print(f"  note: {note}", style="yellow", markup=False)
    out.print("")


@click.command("preview", epilog=EPILOG)
@click.argument("item_id", required=False)
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Configured channel or profile name (repeatable) [default: all].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write email.html/.txt/.eml, feed.xml, atom.xml and social JSON here.")
@click.option("--serve", is_flag=True, help="Run the local preview web app.")
@click.option("--port", type=int, default=None, help="Port for --serve [default: 8026].")
@pass_app
def preview(app: App, item_id: str | None, channels: tuple[str, ...], as_json: bool,
            out_dir: Path | None, serve: bool, port: int | None) -> int:
    """Render an item for every channel and show what the guard says about each."""
    settings = app.settings
    if serve:
        from k2publisher.preview.app import serve as run_server

        run_server(settings, host="127.0.0.1", port=port or 8026, item_id=item_id)
        return EXIT_OK
    if not item_id:
        raise click.UsageError("ITEM_ID is required unless --serve is given")
    item = app.queue.get(item_id)
    pipeline = Pipeline(settings, queue=app.queue)
    previews = preview_item(pipeline, item, targets(settings, channels))
    secrets = settings.secrets()
    if as_json:
        print_json(_masked({"item": item.id, "renderings": [p.as_json() for p in previews]},
                           secrets))
    else:
        for p in previews:
            _show(p, secrets)
    if out_dir is not None:
        written = write_out(out_dir, previews, item, pipeline)
        if not as_json:
            console().print(f"wrote {len(written)} files to {out_dir}", markup=False)
    failed = [p.target.channel for p in previews if not p.verdict.ok]
    if failed and not as_json:
        console(stderr=True).print(f"guard refused: {', '.join(failed)}", markup=False)
    return EXIT_CHECK_FAILED if failed else EXIT_OK


COMMANDS = [preview]
