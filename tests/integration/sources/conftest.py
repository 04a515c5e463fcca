"""Each source test starts and ends without shared SQL engines, so none outlives its database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.sources import engines


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    """Dispose the process's shared engines around every test (their pools hold connections)."""
    engines.clear()
    yield
    engines.clear()
