"""What every command shares: the :class:`App` (settings, queue) and ``pass_app``.

It lives apart from :mod:`k2publisher.cli.main` (which imports every command module) so
each ``k2publisher.cli.*`` module imports on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from k2publisher.content.queue import Queue
from k2publisher.pipeline import Pipeline
from k2publisher.settings import Settings, load_settings


@dataclass
class App:
    """What every command needs: settings (read lazily) and the queue."""

    config: str | None = None
    queue_dir: str | None = None
    verbosity: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    _queue: Queue | None = field(default=None, repr=False)
    _pipeline: Pipeline | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Merged settings; ``--queue`` overrides ``[paths] queue``."""
        if self._settings is None:
            overrides = {"paths": {"queue": str(Path(self.queue_dir).resolve())}} \
                if self.queue_dir else None
            self._settings = load_settings(self.config, overrides=overrides)
        return self._settings

    @property
    def queue(self) -> Queue:
        """The queue, with its on-disk index under the state folder."""
        if self._queue is None:
            s = self.settings
            self._queue = Queue(s.path("queue"), index_path=s.path("state") / "queue-index.pickle")
        return self._queue

    @property
    def pipeline(self) -> Pipeline:
        """The process's one :class:`Pipeline` (queue, rules, renderer, channels)."""
        if self._pipeline is None:
            self._pipeline = Pipeline(self.settings, queue=self.queue)
        return self._pipeline


pass_app = click.make_pass_decorator(App)
