"""The publication pipeline: the one way to obtain something a channel may send.

:class:`Pipeline` (``core.py``) renders, applies the status gate and the guard, and returns
the :class:`Publication` that :func:`k2publisher.deliver.core.deliver` alone accepts;
``site.py`` builds the feed and archive documents from the ledger and guards each one.
"""

from k2publisher.pipeline.core import Pipeline, Publication, Review, approved

__all__ = ["Pipeline", "Publication", "Review", "approved"]
