"""The pure core imports no database, HTTP client or store: it is tested with plain values."""

import subprocess
import sys

import pytest

CORE = [
    "monitor.profiles",
    "monitor.stats",
    "monitor.quality",
    "monitor.compare",
    "monitor.report",
    "monitor.windows",
    "monitor.freshness",
    "monitor.durations",
    "monitor.rules.expressions",
    "monitor.rules.schema",
    "monitor.alerts.state",
    "monitor.alerts.routing",
]
FORBIDDEN = ("sqlalchemy", "requests", "monitor.store", "psycopg")


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_io(module):
    """Importing a core module loads none of the I/O libraries."""
    code = (f"import sys, {module}; "
            f"print(','.join(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} "
            f"or m.startswith('monitor.store')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"{module} imports {out}"
