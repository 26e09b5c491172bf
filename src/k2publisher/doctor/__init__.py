"""``k2publisher doctor``: check a site end to end and say how to fix each failure.

Each check is a plain function returning :class:`Check` results; :func:`run_checks` runs them
in the order a publisher would fix things (config first, then the content that depends on
it). A config file that cannot be read at all raises :class:`~k2publisher.errors.ConfigError`
(exit 3) because nothing else can be checked without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from k2publisher.doctor.base import Check, Site, open_site
from k2publisher.doctor.config import (
    check_base_url,
    check_channels,
    check_config,
    check_online,
    unknown_keys,
)
from k2publisher.doctor.content import (
    check_campaigns,
    check_disclaimers,
    check_guard,
    check_queue,
    check_templates,
)
from k2publisher.doctor.system import check_clock, check_database, check_public
from k2publisher.redact import mask

CHECKS: tuple[Callable[[Site], list[Check]], ...] = (
    check_config, check_base_url, check_channels, check_queue, check_disclaimers,
    check_templates, check_guard,
    check_campaigns,
    check_database, check_clock, check_public,
)


def run_checks(site: Site) -> list[Check]:
    """Every check in order; a check that crashes is reported as a failure, not raised."""
    results: list[Check] = []
    checks: list[Callable[[Site], list[Check]]] = list(CHECKS)
    if site.online:
        checks.insert(2, check_online)
    for fn in checks:
        name = fn.__name__.removeprefix("check_")
        try:
            results += fn(site)
        except ImportError as exc:
            results.append(Check(name, False, f"not installed: {exc}",
                                 "reinstall k2publisher (`pip install --force-reinstall`)"))
        except Exception as exc:  # the doctor must report, never crash
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}",
                                 "see the message; `k2publisher -vv doctor` logs more"))
    return results


def as_json(results: list[Check]) -> dict[str, Any]:
    """The results as JSON-ready data."""
    return {"ok": all(r.ok for r in results),
            "checks": [{**asdict(r), "status": r.status, "detail": mask(r.detail),
                        "fix": "" if r.ok and not r.warn else mask(r.fix)}
                       for r in results]}


__all__ = ["CHECKS", "Check", "Site", "as_json", "check_base_url", "check_campaigns",
           "check_channels",
           "check_clock", "check_config", "check_database", "check_guard", "check_online",
           "check_public", "check_queue", "check_templates", "open_site", "run_checks",
           "unknown_keys"]
