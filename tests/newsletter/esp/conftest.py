"""Fixtures for the ESP transports: a site whose newsletter channel is a provider."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.newsletter.conftest import store_table

from k2publisher.settings import Settings, load_settings


@pytest.fixture
def esp_settings(tmp_path: Path, store_url: str) -> Callable[..., Settings]:
    """Settings whose newsletter goes through ``[channels.news]`` (the given table body), on
    each store (``store_url`` of tests/newsletter/conftest.py: SQLite and PostgreSQL)."""

    def make(channel: str, environ: dict[str, str] | None = None, extra: str = "") -> Settings:
        (tmp_path / "config").mkdir(exist_ok=True)
        path = tmp_path / "config" / "k2publisher.toml"
        path.write_text('[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
                        'contact_email = "editor@k2.example.org"\n' + store_table(store_url)
                        + f'[channels.news]\n{channel}\n'
                        '[newsletter]\nchannel = "news"\nrate_per_second = 0\n'
                        'connections = 2\n' + extra, encoding="utf-8")
        return load_settings(path, environ=environ or {})

    return make
