"""Cleaning steps shared by the importers: citation digits, page chrome, lost table columns."""
