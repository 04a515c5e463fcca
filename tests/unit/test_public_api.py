"""The public Python API's surface: ``monitor.__all__``, its signatures, a light import, roles.

A change here is a change to what users' notebooks and scripts call: make it
on purpose, update the pins below, and say so in the README's "Python API".
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import monitor
from monitor import errors
from monitor.api.profiling import roles_of
from monitor.profiles import Profile, build_profile
from monitor.profiles.profile import Roles

FIXTURE = Path(__file__).parent / "fixtures" / "profile_v1.json"

PUBLIC = [
    "CheckResult", "ColumnDrift", "Comparison", "ExpressionError", "MonitorError",
    "NotifierError", "PluginError", "Profile", "ProfileError", "QualityResult", "Roles",
    "RuleError", "RulesInvalid", "SourceError", "StoreError", "__version__", "check", "compare",
    "load_profile", "profile", "validate",
]

_ROLES = ("categorical: 'Sequence[str] | str | None' = None, "
          "text: 'Sequence[str] | str | None' = None, prediction: 'str | None' = None, "
          "target: 'str | None' = None, "
          "task: \"Literal['classification', 'regression'] | None\" = None, "
          "exclude: 'Sequence[str] | str | None' = None, "
          "segments: 'Sequence[str] | str | None' = None, timestamp: 'str | None' = None")
_SCORE = ("score: 'Sequence[str] | Mapping[str, str] | str | None' = None, "
          "embedding: 'Sequence[str] | str | None' = None")
_RULES = "rules_path: 'str | os.PathLike[str] | Sequence[str | os.PathLike[str]]'"
SIGNATURES = {
    "profile": (f"(data: 'pd.DataFrame | pa.Table | str | os.PathLike[str]', *, {_ROLES}, "
                f"{_SCORE}) -> 'Profile'"),
    "compare": ("(reference: 'Profile | pd.DataFrame | pa.Table | str | os.PathLike[str]', "
                "current: 'pd.DataFrame | pa.Table | str | os.PathLike[str]', *, "
                "method: 'str | None' = None, threshold: 'float | None' = None, "
                "correction: \"Literal['holm', 'bh', 'none'] | None\" = None, "
                "drift_share: 'float | None' = None, min_effect: 'float | None' = None, "
                "columns: 'Mapping[str, Mapping[str, Any]] | None' = None, "
                "multivariate: 'Sequence[str]' = (), "
                f"quality: 'Mapping[str, float] | None' = None, {_ROLES}, "
                f"checks: 'Checks | None' = None, {_SCORE}, "
                "text_method: \"Literal['vocabulary', 'classifier'] | None\" = None) "
                "-> 'Comparison'"),
    "check": (f"({_RULES}, monitor: 'str | None' = None, database_url: 'str | None' = None)"
              " -> 'list[CheckResult]'"),
    "validate": f"({_RULES}) -> 'list[RuleError]'",
    "load_profile": "(path: 'str | os.PathLike[str]') -> 'Profile'",
}
METHODS = {
    (monitor.Profile, "save"): "(self, path: 'str | os.PathLike[str]') -> 'Path'",
    (monitor.Comparison, "to_dict"): "(self) -> 'dict[str, Any]'",
    (monitor.Comparison, "to_frame"): "(self) -> 'pd.DataFrame'",
    (monitor.Comparison, "to_html"): "(self) -> 'str'",
    (monitor.Comparison, "_repr_html_"): "(self) -> 'str'",
}
PROPERTIES = {"drifted", "drift_share", "columns", "quality"}
RESULT_FIELDS = ["monitor", "window", "status", "rows", "drift_share", "dataset_drift", "firing",
                 "error", "comparison", "run_id", "notifications"]
ROLE_FIELDS = ["categorical", "text", "prediction", "target", "task", "exclude", "segments",
               "timestamp", "score", "embedding"]


def test_all_is_the_pinned_public_surface() -> None:
    """__all__ is exactly the pinned names, each resolves, and dir() shows them."""
    assert sorted(monitor.__all__) == sorted(PUBLIC)
    assert all(getattr(monitor, name) is not None for name in monitor.__all__)
    assert set(PUBLIC) <= set(dir(monitor))
    with pytest.raises(AttributeError, match="no attribute 'compair'"):
        _ = monitor.compair  # type: ignore[attr-defined]


def test_function_signatures_are_pinned() -> None:
    """The functions' signatures (names, order, kinds, defaults, annotations) do not drift."""
    for name, expected in SIGNATURES.items():
        assert str(inspect.signature(getattr(monitor, name))) == expected, name
    for (owner, name), expected in METHODS.items():
        assert str(inspect.signature(getattr(owner, name))) == expected, name


def test_result_types_are_pinned() -> None:
    """Comparison's properties, CheckResult's and Roles' fields are the documented ones."""
    properties = {n for n, v in vars(monitor.Comparison).items() if isinstance(v, property)}
    assert properties == PROPERTIES
    assert [f.name for f in dataclasses.fields(monitor.CheckResult)] == RESULT_FIELDS
    assert [f.name for f in dataclasses.fields(monitor.Roles)] == ROLE_FIELDS


def test_errors_are_the_documented_classes() -> None:
    """The exported errors are monitor.errors' own classes, all under MonitorError."""
    for name in PUBLIC:
        if name.endswith(("Error", "Invalid")):
            assert getattr(monitor, name) is getattr(errors, name)
            assert issubclass(getattr(monitor, name), errors.MonitorError)


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return set(result.stdout.split())


def test_import_monitor_stays_light() -> None:
    """`import monitor` loads no data, statistics or database library, nor the API."""
    loaded = _modules_after("import monitor")
    heavy = {"pandas", "numpy", "pyarrow", "scipy", "sqlalchemy", "jinja2", "pydantic",
             "monitor.api", "monitor.profiles"}
    assert not heavy & loaded
    assert "monitor.errors" in loaded


def test_the_command_line_does_not_load_the_api() -> None:
    """`monitor`'s entry point imports the package first; the API stays out of it."""
    loaded = _modules_after("import monitor.cli")
    assert not {"monitor.api", "pandas", "scipy"} & loaded


def test_a_public_name_is_loaded_on_first_use() -> None:
    """`monitor.compare` loads the API then, and the statistics with it, not the database."""
    loaded = _modules_after("import monitor\nmonitor.compare")
    assert {"monitor.api.comparison", "pandas", "scipy"} <= loaded
    assert "sqlalchemy" not in loaded


# --- roles in the profile document --------------------------------------------------


def _frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame({"x": rng.normal(size=n), "s": rng.choice(["a", "b"], n),
                         "p": rng.random(n), "y": rng.random(n) < 0.5})


def test_a_profile_without_roles_keeps_its_document_and_hash() -> None:
    """No "roles" key without roles, and the version-1 fixture's hash is the one it has had
    since its document is written as format 3 (roles never change it)."""
    old = Profile.from_dict(json.loads(FIXTURE.read_text()))
    assert old.roles is None and "roles" not in old.to_dict()
    assert old.content_hash() == (
        "e939d558322176f7c1fd0f1e8c0e52868f5b6feb69af91f67eb8cf81dc08c3f6")
    built = build_profile([_frame()])
    assert "roles" not in built.to_dict()
    assert monitor.profile(_frame()).to_dict() == built.to_dict()


def test_roles_round_trip_and_change_the_hash() -> None:
    """Roles survive to_dict → JSON → from_dict; they are part of the content hash."""
    roles = Roles(categorical=("s",), prediction="p", target="y", task="classification",
                  exclude=("id",), segments=("s",), timestamp="t")
    profile = dataclasses.replace(build_profile([_frame()]), roles=roles)
    document = json.loads(json.dumps(profile.to_dict()))
    assert document["roles"] == {"categorical": ["s"], "text": [], "prediction": "p",
                                 "target": "y", "task": "classification", "exclude": ["id"],
                                 "segments": ["s"], "timestamp": "t"}
    loaded = Profile.from_dict(document)
    assert loaded == profile and loaded.roles == roles
    assert loaded.content_hash() != build_profile([_frame()]).content_hash()


def test_roles_load_tolerantly_but_not_wrongly_typed() -> None:
    """Absent roles are empty, null roles are none, unknown keys ignored; a bad type is named."""
    data = build_profile([_frame()]).to_dict()
    assert Profile.from_dict({**data, "roles": None}).roles is None
    loaded = Profile.from_dict({**data, "roles": {"prediction": "p", "later": 1}})
    assert loaded.roles == Roles(prediction="p")
    for roles, message in (({"categorical": "s"}, "role 'categorical' must be a list"),
                           ({"target": 3}, "role 'target' must be a column name"),
                           ({"task": "ranking"}, "role 'task' must be classification"),
                           ([], "'roles' must be an object")):
        with pytest.raises(monitor.ProfileError, match=message):
            Profile.from_dict({**data, "roles": roles})


def test_merge_keeps_roles_only_when_both_parts_agree() -> None:
    """Two parts profiled with the same roles merge with them; different roles are dropped."""
    a, b = build_profile([_frame()]), build_profile([_frame(100)])
    roles = Roles(categorical=("s",))
    assert a.merge(b).roles is None
    assert dataclasses.replace(a, roles=roles).merge(dataclasses.replace(b, roles=roles)).roles \
        == roles
    assert dataclasses.replace(a, roles=roles).merge(b).roles is None


def test_role_arguments_are_checked() -> None:
    """A name stands for a list of one; repeats count once; bad types and clashes are named."""
    assert roles_of() is None
    assert roles_of(categorical="s", exclude=["id", "id"]) == Roles(categorical=("s",),
                                                                    exclude=("id",))
    for given, message in (({"categorical": 3}, "categorical must be a column name or a list"),
                           ({"prediction": ["p"]}, "prediction must be a column name"),
                           ({"task": "ranking"}, "task must be 'classification'"),
                           ({"prediction": "p", "target": "p"},
                            "column 'p' is given two roles, prediction= and target="),
                           ({"text": "s", "categorical": ["s"]}, "given two roles")):
        with pytest.raises(monitor.ProfileError, match=message):
            roles_of(**given)


def test_profile_repr_is_short() -> None:
    """A profile shows its rows, kinds and roles, not its arrays (a notebook prints it)."""
    profile = monitor.profile(_frame(), categorical="s", prediction="p", target="y")
    text = repr(profile)
    assert text.startswith("<Profile of 300 rows: x: numeric, s: categorical, p: numeric;")
    assert "prediction='p'" in text and "array" not in text and len(text) < 400
