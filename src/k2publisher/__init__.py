"""k2publisher: turn supplement monographs into a queue and publish it with its disclaimers.

The package is laid out as the pipeline it runs::

    content  ->  render  ->  guard  ->  deliver  ->  record
    (queue,      (Jinja,     (disclaimers,  (channel     (SQLite
     importers)   formats)    claims, limits) adapters)    ledger)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("k2publisher")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
