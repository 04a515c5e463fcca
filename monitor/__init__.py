"""Drift and data-quality monitoring for machine-learning systems: a daemon, and a Python API.

In a notebook or a script::

    import monitor

    reference = monitor.profile("train.parquet", categorical=["state"], prediction="score",
                                target="defaulted", exclude=["request_id"])
    reference.save("train.profile.json")          # the roles are saved with it
    result = monitor.compare("train.profile.json", "today.parquet")
    result.drifted, result.to_frame()             # in Jupyter, `result` shows the report

``check`` runs the monitors of a rule file once, as ``monitor check`` does;
``validate`` checks rule files. Errors are ``MonitorError`` and its
subclasses, with the messages the command line prints.

Importing this package loads the errors only: the functions and types of
``__all__`` are imported on first use (``__getattr__``), so that ``import
monitor`` and the ``monitor`` command, which imports this package first,
start as fast as without them.
"""

from __future__ import annotations

from monitor.errors import (
    ExpressionError,
    MonitorError,
    NotifierError,
    PluginError,
    ProfileError,
    RuleError,
    RulesInvalid,
    SourceError,
    StoreError,
)

TYPE_CHECKING = False  # typing itself is not imported: it is not free at start-up
if TYPE_CHECKING:
    from typing import Any

    from monitor.analysis import ColumnDrift, QualityResult
    from monitor.api.checks import CheckResult, check, validate
    from monitor.api.comparison import Comparison, compare
    from monitor.api.profiling import load_profile, profile
    from monitor.profiles import Profile, Roles

__version__ = "0.1.0"

__all__ = [
    "CheckResult",
    "ColumnDrift",
    "Comparison",
    "ExpressionError",
    "MonitorError",
    "NotifierError",
    "PluginError",
    "Profile",
    "ProfileError",
    "QualityResult",
    "Roles",
    "RuleError",
    "RulesInvalid",
    "SourceError",
    "StoreError",
    "__version__",
    "check",
    "compare",
    "load_profile",
    "profile",
    "validate",
]

_LAZY = {
    "CheckResult": "monitor.api.checks",
    "check": "monitor.api.checks",
    "validate": "monitor.api.checks",
    "Comparison": "monitor.api.comparison",
    "compare": "monitor.api.comparison",
    "load_profile": "monitor.api.profiling",
    "profile": "monitor.api.profiling",
    "ColumnDrift": "monitor.analysis",
    "QualityResult": "monitor.analysis",
    "Profile": "monitor.profiles",
    "Roles": "monitor.profiles.profile",
}
"""Where each lazily imported public name lives."""


def __getattr__(name: str) -> Any:
    """Import a public name on first use, and keep it (PEP 562)."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'monitor' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
