"""Fixtures for rule-file tests: rule files on disk and stand-in plugin kinds.

``slack`` (notifier) and ``http`` (source) are registered here by replacing
``monitor.plugins.load`` for the test, so the two-phase validation of plugin
blocks is tested against Config models whose fields these tests control.
Every other kind resolves through the real entry points.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
import pytest
from pydantic import Field

from monitor import plugins
from monitor.alerts.notifiers.base import Notification, Notifier, NotifierConfig
from monitor.sources.base import Source, SourceConfig


class SlackNotifier(Notifier):
    """A notifier kind known only to these tests."""

    class Config(NotifierConfig):
        """The ``type: slack`` block."""

        type: Literal["slack"]
        url: str
        channel: str | None = None

    def deliver(self, notification: Notification) -> None:
        """Never called by rule tests."""
        raise NotImplementedError


class HttpSource(Source):
    """A source kind known only to these tests."""

    class Config(SourceConfig):
        """The ``type: http`` block."""

        type: Literal["http"]
        url: str
        page_size: int = Field(default=100, gt=0)

    def read(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[pd.DataFrame]:
        """Never called by rule tests."""
        yield from ()


FAKES: dict[tuple[str, str], type] = {
    (plugins.NOTIFIERS, "slack"): SlackNotifier,
    (plugins.SOURCES, "http"): HttpSource,
}


@pytest.fixture(autouse=True)
def fake_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test-only kinds next to the real ones."""
    real = plugins.load

    def load(group: str, name: str, base: type) -> type:
        return FAKES.get((group, name)) or real(group, name, base)

    monkeypatch.setattr(plugins, "load", load)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented rule file under tmp_path/rules and return its path."""
    folder = tmp_path / "rules"
    folder.mkdir()

    def write_file(name: str, text: str) -> Path:
        path = folder / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write_file
