"""Label and annotation templates: names checked at load time, values rendered at send time."""

from __future__ import annotations

import pytest

from monitor.rules.templates import Template, TemplateError, parse_template


@pytest.mark.parametrize(("text", "values", "expected"), [
    ("plain", {}, "plain"),
    ("{{ monitor }}/{{alert}}", {"monitor": "m", "alert": "a"}, "m/a"),
    ("{{ value }}", {"value": 0.123456}, "0.1235"),
    ("{{ value }}", {"value": 3.0}, "3"),
    ("{{ value:.1% }}", {"value": 0.4242}, "42.4%"),
    ("{{ value:.2f }}", {"value": 2}, "2.00"),
    ("{{ value }}", {"value": None}, "n/a"),
    ("{{ value }}", {"value": float("nan")}, "n/a"),
    ("{{ performance.roc_auc }}", {}, "n/a"),
    ('{{ column("income").psi:.3f }}', {"column.income.psi": 0.25}, "0.250"),
    ("{{ column.income.psi }}", {"column.income.psi": 0.25}, "0.25"),
    ("{{ drift_share:.0% }} of columns", {"drift_share": 0.5}, "50% of columns"),
])
def test_render(text: str, values: dict[str, object], expected: str) -> None:
    """Fields are replaced by formatted values; missing ones show n/a."""
    assert parse_template(text).render(values) == expected


@pytest.mark.parametrize(("text", "offset", "fragment"), [
    ("{{ valu }}", 3, "did you mean 'value'?"),
    ("x {{ value ", 2, "'{{' is not closed"),
    ("{{ }}", 0, "is not a name"),
    ("x {{ value + 1 }}", 2, "is not a name"),
    ("{{ monitor:.2f }}", 3, "'monitor' is text"),
    ("{{ value:.2q }}", 3, "invalid number format ':.2q'"),
    ("{{ performance.auc }}", 3, "did you mean 'performance.roc_auc'?"),
    ("{{ column(\"x\").pis }}", 3, "unknown statistic 'pis'"),
])
def test_errors_are_located(text: str, offset: int, fragment: str) -> None:
    """A bad template names the problem and the 0-based offset of the field."""
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert fragment in caught.value.message
    assert caught.value.offset == offset


def test_labels_take_identity_names_only() -> None:
    """A label template may use monitor, alert, severity and segment, never the value."""
    assert parse_template("{{ monitor }}-{{ segment }}", identity_only=True).names == {
        "monitor", "segment"}
    with pytest.raises(TemplateError, match=r"labels identify an alert.*'value' changes"):
        parse_template("{{ value }}", identity_only=True)


def test_template_is_text_and_value() -> None:
    """A template keeps its text; equal texts give equal templates."""
    template = parse_template("{{ monitor }} drifted")
    assert str(template) == "{{ monitor }} drifted"
    assert template == parse_template("{{ monitor }} drifted")
    assert isinstance(template, Template)
