"""The public surface of monitor.alerts and the purity of its core module."""

from __future__ import annotations

import subprocess
import sys
import types

import monitor.alerts
import monitor.alerts.notifiers


def test_alerts_all_is_exact() -> None:
    """__all__ lists every public name the package defines, and each one resolves."""
    public = {n for n, v in vars(monitor.alerts).items()
              if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert set(monitor.alerts.__all__) == public
    assert all(hasattr(monitor.alerts, n) for n in monitor.alerts.__all__)


def test_notifiers_all_resolves() -> None:
    """Every name in the notifiers package's __all__ can be imported, lazy ones included."""
    for name in monitor.alerts.notifiers.__all__:
        assert getattr(monitor.alerts.notifiers, name) is not None


def test_state_and_payload_import_no_io_libraries() -> None:
    """Importing the pure alert modules loads neither requests, SQLAlchemy nor the store."""
    code = (
        "import sys, monitor.alerts.state, monitor.alerts.payload, monitor.alerts.routing,"
        " monitor.alerts;"
        "print(sorted(m for m in ('requests', 'sqlalchemy', 'monitor.store') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
