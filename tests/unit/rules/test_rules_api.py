"""The public surface of monitor.rules: exports, the published JSON Schema, purity."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import monitor.rules
from monitor.rules import expressions, loader, schema

SCHEMA_FILE = Path(__file__).parents[3] / "docs" / "rules.schema.json"
REGENERATE = (
    "python -c \"import json; from monitor.rules import json_schema; "
    "print(json.dumps(json_schema(), indent=2))\" > docs/rules.schema.json"
)


def test_package_exports_exactly_its_public_names() -> None:
    """monitor.rules exports every public name it holds, and only those."""
    public = {
        name for name, value in vars(monitor.rules).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }  # fmt: skip
    assert public == set(monitor.rules.__all__)


@pytest.mark.parametrize("module", [expressions, loader, schema])
def test_module_exports_are_defined_and_complete(module: types.ModuleType) -> None:
    """Each module's __all__ names exist, and list every public class and function it defines."""
    assert all(hasattr(module, name) for name in module.__all__)
    defined = {
        name for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }  # fmt: skip
    assert defined <= set(module.__all__)


def test_json_schema_file_is_up_to_date() -> None:
    """docs/rules.schema.json is exactly what json_schema() generates now."""
    expected = json.dumps(schema.json_schema(), indent=2) + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, f"regenerate it: {REGENERATE}"


def test_json_schema_shape() -> None:
    """The schema forbids unknown keys, uses YAML key names and keeps plugin blocks open."""
    published = schema.json_schema()
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert published["additionalProperties"] is False
    monitor_schema = published["$defs"]["MonitorSpec"]
    assert monitor_schema["additionalProperties"] is False
    assert set(monitor_schema["required"]) == {"name", "schedule", "window", "source", "reference"}
    source = monitor_schema["properties"]["source"]
    assert source["required"] == ["type"] and source["additionalProperties"] is True
    notifier = next(iter(published["properties"]["notifiers"]["patternProperties"].values()))
    assert notifier["required"] == ["type"] and notifier["additionalProperties"] is True
    alert = published["$defs"]["AlertSpec"]["properties"]
    assert "for" in alert and "for_" not in alert
    assert monitor_schema["properties"]["delay"]["default"] == "0s"


def test_schema_accepts_the_design_example() -> None:
    """The published schema's required keys and names fit the design example."""
    import yaml

    example = yaml.safe_load((Path(__file__).parent / "fixtures" / "design_example.yaml")
                             .read_text(encoding="utf-8"))  # fmt: skip
    published = schema.json_schema()
    assert set(example) <= set(published["properties"])
    monitor_keys = set(published["$defs"]["MonitorSpec"]["properties"])
    assert set(example["monitors"][0]) <= monitor_keys
    alert_keys = set(published["$defs"]["AlertSpec"]["properties"])
    assert all(set(alert) <= alert_keys for alert in example["monitors"][0]["alerts"])


def test_pure_modules_import_no_io_libraries() -> None:
    """Schema and expressions pull in no database, HTTP client or store."""
    code = (
        "import sys, monitor.rules.schema, monitor.rules.expressions;"
        "print(sorted(m for m in ('sqlalchemy', 'requests', 'monitor.store') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
