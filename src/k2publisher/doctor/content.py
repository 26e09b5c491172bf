"""Doctor checks of the content and its rendering: queue, templates, guard, campaigns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from k2publisher.doctor.base import Check, Site, where_of
from k2publisher.errors import ConfigError, K2Error
from k2publisher.models import Item, Rendering, Status


def check_queue(site: Site) -> list[Check]:
    """Every queue file parses (the same check as ``k2publisher queue validate``)."""
    q = site.queue
    problems = q.problems()
    items = q.items()
    if problems:
        shown = "; ".join(str(p) for p in problems[:3]) + (" ..." if len(problems) > 3 else "")
        return [Check("queue", False, f"{len(problems)} problem(s): {shown}",
                      "run `k2publisher queue validate` and fix each path:line it prints")]
    ready = sum(1 for i in items if i.status is Status.READY)
    return [Check("queue", True, f"{len(items)} item(s), {ready} ready, in {q.root}")]


def _channels(site: Site) -> list[tuple[str, str]]:
    """``(channel name, render profile)`` for every configured channel that loads."""
    from k2publisher.deliver.registry import channel_configs, load_channel

    out = []
    for name in channel_configs(site.settings):
        try:
            out.append((name, load_channel(name, site.settings).render_profile))
        except K2Error:
            continue  # reported by the channels check
    return out


def _renderings(site: Site, items: list[Item]) -> Iterator[tuple[Item, str, Rendering | Exception]]:
    """Each item rendered on each channel (or the exception rendering raised), cached."""
    pipeline = site.pipeline
    for channel, profile in _channels(site):
        for item in items:
            key = (item.id, channel)
            if key not in site.renderings:
                try:
                    site.renderings[key] = pipeline.render([item], channel, profile=profile)
                except Exception as exc:  # a template failing on one item is the finding
                    site.renderings[key] = exc
            yield item, channel, site.renderings[key]


def _site_pages(site: Site, items: list[Item]) -> list[str]:
    """Render the feeds and the archive index over ``items``; one message per failure."""
    renderer = site.pipeline.renderer
    entries = [(item, datetime.now(UTC)) for item in items]
    problems = []
    for name, render in (("feeds", renderer.feeds), ("archive index", renderer.archive_index)):
        try:
            render(entries)
        except Exception as exc:  # a template failing is the finding
            problems.append(f"{name}: {exc}")
    return problems


def check_templates(site: Site) -> list[Check]:
    """Every template compiles, and every item renders on every channel."""
    import jinja2

    from k2publisher.render.environment import make_environment

    env = make_environment(site.settings)
    broken: list[str] = []
    names = env.list_templates()
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            broken.append(f"{exc.filename or name}:{exc.lineno}: {exc.message}")
    items = site.queue.items()
    results = list(_renderings(site, items))
    failed = [f"{item.id} on {channel}: {result}" for item, channel, result in results
              if isinstance(result, Exception)]
    problems = broken + failed + _site_pages(site, items)
    if problems:
        return [Check("templates", False, f"{len(problems)} problem(s): "
                      + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else ""),
                      "fix the template and line named (your overrides are in "
                      f"{site.settings.path('templates')})")]
    channels = len({channel for _, channel, _ in results})
    return [Check("templates", True, f"{len(names)} template(s) compile; {len(items)} item(s) "
                  f"render on {channels} channel(s)")]


def check_guard(site: Site) -> list[Check]:
    """The guard approves every ready item on every channel (``Pipeline.review``)."""
    ready = site.queue.items(status=Status.READY)
    refused: list[str] = []
    checked = 0
    for item, channel, result in _renderings(site, ready):
        if isinstance(result, Exception):
            continue  # reported by the templates check
        checked += 1
        verdict = site.pipeline.review(item, channel, rendering=result).verdict
        if not verdict.ok:
            refused.append(f"{item.id} on {channel}: {'; '.join(verdict.problems)}")
    if refused:
        return [Check("guard", False, f"{len(refused)} refusal(s): " + " | ".join(refused[:3])
                      + (" ..." if len(refused) > 3 else ""),
                      "edit the item (or record a guard_overrides entry with a reason), then "
                      "`k2publisher preview ID` to see what the guard sees")]
    return [Check("guard", True, f"{checked} rendering(s) of {len(ready)} ready item(s) pass")]


def check_disclaimers(site: Site) -> list[Check]:
    """The disclaimer rules and the interaction catalogue load, and no rule text names a
    supplement other than the item's (a text written for vitamin K2 on a magnesium item)."""
    from k2publisher.guard.disclaimers import DisclaimerRules

    try:
        rules = DisclaimerRules.from_settings(site.settings)
    except ConfigError as exc:
        return [Check("disclaimers", False, str(exc),
                      "fix the file and line named; delete the file to use the built-in one")]
    wrong = misnamed_supplements(rules, site.queue.items())
    catalogue = rules.catalogue
    stale = stale_copies(site)
    upgrade = ("; this is an older init's copy: run `k2publisher rules upgrade` (it shows "
               "the diff and keeps your own edits)") if stale else ""
    detail = (f"{len(rules.rules)} rule(s); {len(catalogue.supplements)} supplement(s) with "
              f"{len(catalogue.disclaimers())} interaction warning(s)")
    if wrong:
        return [Check("disclaimers", False, f"{len(wrong)} rule text(s) name another "
                      "supplement: " + "; ".join(wrong[:3]) + (" ..." if len(wrong) > 3 else ""),
                      "write {supplement} (or {Supplement}, {forms}) where the text names the "
                      "supplement, or gate the rule with when.subject; supplement-specific "
                      "warnings belong in the interaction catalogue" + upgrade), *stale]
    checks = [Check("disclaimers", True, detail), *stale]
    unchecked = catalogue.unverified()
    if unchecked:
        named = [f"{s.name}/{w.drug_class.name} ({catalogue.source}:{w.line})" if w.line
                 else f"{s.name}/{w.drug_class.name}" for s, w in unchecked]
        checks.append(Check(
            "interaction sources", True,
            f"{len(unchecked)} of {len(catalogue.disclaimers())} warning(s) not verified "
            "against their source: " + ", ".join(named[:4]) + (" ..." if len(named) > 4
                                                               else ""),
            "read the page in check_against (or another health authority's), make the text "
            "say only what it says, then set verified = true with source and section"
            + upgrade, warn=True))
    unlisted = unlisted_supplements(catalogue, site.queue.items())
    if unlisted:
        named = [f"{name} ({', '.join(ids[:2])}{' ...' if len(ids) > 2 else ''})"
                 for name, ids in unlisted.items()]
        checks.append(Check(
            "unlisted supplements", True,
            f"{sum(len(i) for i in unlisted.values())} queue item(s) about {len(unlisted)} "
            "supplement(s) the interaction catalogue does not list: " + "; ".join(named[:4])
            + (" ..." if len(named) > 4 else "") + "; they get only 'ask your doctor or "
            "pharmacist' notes for the drugs and conditions they mention, no interaction "
            "warnings",
            f"add a [[supplement]] table for each to {catalogue.source} (name, aliases, one "
            "[[supplement.warning]] per drug class with a source), or correct the item's "
            "supplement field if it misspells a listed one",
            warn=True))
    return checks


def stale_copies(site: Site) -> list[Check]:
    """A WARN per rules or catalogue copy with entries as an older built-in wrote them."""
    from k2publisher.cli.rules_cmd import summary
    from k2publisher.guard.upgrade import KINDS, plan

    out = []
    for kind in KINDS:
        path = site.settings.path(kind)
        if not path.is_file():
            continue
        try:
            found = plan(kind, path.read_text(encoding="utf-8"), name=path)
        except (OSError, ConfigError):
            continue                        # the loader's own check reports it
        if found.pending:
            out.append(Check(
                f"{kind} copy", True,
                f"{path} is older than the built-in {kind}: {summary(found)}",
                "run `k2publisher rules upgrade` to see the diff and write it (entries you "
                "edited are kept; `--yes` skips the question, `--check` only looks)",
                warn=True))
    return out


def unlisted_supplements(catalogue: Any, items: list[Item]) -> dict[str, list[str]]:
    """The supplements queue items name that ``catalogue`` does not list, with the item ids."""
    found: dict[str, list[str]] = {}
    for item in items:
        if catalogue.is_unlisted(item):
            found.setdefault(" ".join(item.supplement.split()), []).append(item.id)
    return found


def misnamed_supplements(rules: Any, items: list[Item]) -> list[str]:
    """``file:line: rule ID names 'X' on item Y (about Z)`` for every such rule text.

    Only the rules file is checked: the catalogue's warnings are about their own supplement.
    """
    by_id = {r.disclaimer.id: r for r in rules.rules}
    found: list[str] = []
    for item in items:
        for d in rules.for_item(item):
            rule = by_id.get(d.id)
            if rule is None:
                continue
            for text in (d.text, d.short or ""):
                for name in rules.catalogue.names_other(text, item):
                    where = f"{rules.source}:{rule.line}" if rule.line else rules.source
                    found.append(f"{where}: rule {d.id} names {name!r} on item {item.id} "
                                 f"(about {item.supplement or 'no supplement'})")
    return list(dict.fromkeys(found))


def check_campaigns(site: Site) -> list[Check]:
    """Every campaign parses (schedule, channels)."""
    try:
        from k2publisher.service.campaigns import load_campaigns
    except ImportError:
        return []
    try:
        found = load_campaigns(site.settings, include_disabled=True)
    except ConfigError as exc:
        return [Check("campaigns", False, exc.message,
                      f"edit [campaigns] in {where_of(site.settings)}")]
    return [Check("campaigns", True, f"{len(found)} campaign(s) parse" if found else
                  "no campaigns: nothing is published on a schedule")]
