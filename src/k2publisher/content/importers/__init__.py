"""Importers: turn source pages (monographs, articles, Markdown, HTML, feeds) into queue items."""
