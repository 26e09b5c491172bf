"""WebSub (W3C Recommendation, 2018): tell the hub a feed changed, so readers hear at once.

Every feed announces the hub (``<link rel="hub">``, JSON Feed ``hubs``); after a publish the
rss channel calls :func:`ping` with the feeds that changed. The publisher's ping is a form
POST of ``hub.mode=publish`` and ``hub.url=<topic>`` (the convention hubs such as
pubsubhubbub.appspot.com and websub.rocks accept), one request per topic. A hub that fails
is logged and never fails the delivery: the feed files are already written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import requests

from k2publisher.redact import mask

log = logging.getLogger("k2publisher.deliver.websub")


def ping(hub: str, topics: Sequence[str], *, timeout: float = 10.0) -> list[str]:
    """Ping ``hub`` for each of ``topics``; the problems, one per failed topic."""
    problems: list[str] = []
    for topic in dict.fromkeys(topics):
        try:
            response = requests.post(hub, data={"hub.mode": "publish", "hub.url": topic},
                                     timeout=timeout)
        except requests.RequestException as exc:
            problems.append(f"WebSub hub {mask(hub)}: {type(exc).__name__} for {topic}")
            continue
        if not 200 <= response.status_code < 300:
            problems.append(f"WebSub hub {mask(hub)} answered {response.status_code} for "
                            f"{topic}")
    for problem in problems:
        log.warning("%s (the feed is written; readers will see it at their next poll)",
                    problem)
    return problems
