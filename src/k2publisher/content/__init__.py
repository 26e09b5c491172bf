"""Content stage: the Markdown queue and the importers that fill it."""
