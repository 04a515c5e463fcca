"""The public surface of monitor.store is exactly its __all__."""

from __future__ import annotations

import types

import monitor.store


def test_all_names_the_public_surface() -> None:
    """Every public name of the package is in __all__, and every name in __all__ exists."""
    public = {name for name in vars(monitor.store) if not name.startswith("_")}
    modules = {"engine", "migrate", "models", "records", "repository"}
    # Submodules imported elsewhere (alerting, counts, outbox...) show up as attributes too.
    modules |= {name for name, value in vars(monitor.store).items()
                if isinstance(value, types.ModuleType)}
    assert public - modules == set(monitor.store.__all__)
    assert all(hasattr(monitor.store, name) for name in monitor.store.__all__)
