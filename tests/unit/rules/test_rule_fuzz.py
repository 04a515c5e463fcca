"""Generated rule files: each loads, or ends in RulesInvalid with located errors, quickly.

Documents come from the valid example rule files (mutated as data and as
text) and from scratch: wrong types, unknown keys, anchors and aliases,
huge numbers, bad durations and crons, unicode, deep nesting and alias
bombs. Whatever the document, loading it must end within ``BOUND`` seconds
in a RuleSet or in ``RulesInvalid`` whose every error reads
``path:line:column: message`` (line 0 only for problems of the whole file)
and never shows a value taken from the environment.
"""

from __future__ import annotations

import copy
import datetime
import functools
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor import plugins
from monitor.errors import PluginError, RuleError, RulesInvalid
from monitor.rules.loader import load_rules_with_warnings

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[3]
SEEDS = [ROOT / "rules" / "example.yaml",
         Path(__file__).parent / "fixtures" / "design_example.yaml"]
SEED_TEXTS = [path.read_text(encoding="utf-8") for path in SEEDS]
SEED_DATA = [yaml.safe_load(text) for text in SEED_TEXTS]
SECRET = "whsec_c2VjcmV0LWZ1enotdmFsdWU="
ENV = {"OPS_WEBHOOK_SECRET": SECRET, "SLACK_WEBHOOK_URL": "https://chat.example/hook",
       "PROD_DB_URL": "sqlite://", "EMPTY": "", "UNDECODED": "\udcff\udcfe"}
BOUND = 10.0  # seconds one load may take on a loaded machine; most take milliseconds
FILE_LEVEL = ("empty rule file", "the file is larger than", "not UTF-8 text")
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's, when built: faster
FUZZ = settings(deadline=None, database=None,  # time is bounded by check() instead
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True)
def quick_plugin_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remember plugin lookups across examples: each one scans the installed packages.

    A load looks each kind up once (``PluginLookup``); across thousands of
    examples the scans would take most of the run, and they test nothing here.
    """
    load, known = plugins.load, plugins.known
    found: dict[tuple[str, str], type | PluginError] = {}

    def remembered(group: str, name: str, base: type) -> type:
        if (group, name) not in found:
            try:
                found[group, name] = load(group, name, base)
            except PluginError as exc:
                found[group, name] = exc
        result = found[group, name]
        if isinstance(result, PluginError):
            raise result
        return result

    monkeypatch.setattr(plugins, "load", remembered)
    monkeypatch.setattr(plugins, "known", functools.cache(known))


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """One folder for every generated file (hypothesis runs many examples per test)."""
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def check(folder: Path, text: str) -> None:
    """Load one document: a RuleSet or located errors, within BOUND seconds."""
    path = folder / "rules.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))  # a lone surrogate: not UTF-8
    started = time.monotonic()
    try:
        _, warnings = load_rules_with_warnings([path], ENV)
        errors: list[RuleError] = []
        for warning in warnings:
            assert warning.line >= 1 and "\n" not in warning.message
    except RulesInvalid as exc:
        errors = exc.errors
        assert errors
    assert time.monotonic() - started < BOUND
    lines = sum(text.count(brk) for brk in "\n\r\x85\u2028\u2029") + 2  # YAML's line breaks
    for error in errors:
        assert isinstance(error, RuleError)
        assert str(error) == f"{path}:{error.line}:{error.column}: {error.message}"
        assert error.message and "\n" not in error.message
        error.message.encode("utf-8")  # printable on any terminal: no lone surrogate
        assert SECRET not in error.message
        if error.line == 0:
            assert error.column == 0 and error.message.startswith(FILE_LEVEL), error
        else:
            assert 1 <= error.line <= lines and error.column >= 1, error


# --- values -----------------------------------------------------------------------------------

DURATIONS = st.one_of(
    st.from_regex(r"\A[0-9]{1,16}[smhdw]\Z"),
    st.sampled_from(["999999999999d", "3651d", "3650d", "0s", "-5m", "1.5h", "", "15", "1h 30m",
                     "9" * 400 + "s", "99999999999999999999w", "١٥m", "15M", "1h30"]),
)
CRONS = st.one_of(
    st.sampled_from(["*/15 * * * *", "* * * * * *", "99999999999999999999 * * * *", "61 * * * *",
                     "*/0 * * * *", "a b c d e", "", "@hourly", "0 0 31 2 *", "* * * * mon-fri",
                     "0-59/99999 * * * *", "L * * * *", "? * * * *"]),
    st.lists(st.sampled_from(["*", "*/5", "1-5", "0", "99", "x", "1,2,3", "-1", "mon", "L",
                              "#", "*/999999999999"]), min_size=1, max_size=7).map(" ".join),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 10**12, 10**12 + 1, 2**31, 2**63, 0.5, 1e35, 1e-320]),
)
TEXT = st.text(max_size=40)
KEYS = ["monitors", "notifiers", "name", "schedule", "every", "cron", "window", "delay", "source",
        "type", "url", "table", "query", "timestamp", "path", "reference", "profile", "version",
        "columns", "categorical", "numeric", "text", "prediction", "target", "task", "exclude",
        "segments", "drift", "method", "threshold", "correction", "drift_share", "min_effect",
        "multivariate", "labels", "id", "quality", "missing_share", "max", "min", "min_rows",
        "volume", "expected", "history", "max_staleness", "alerts", "when", "for", "severity",
        "notify", "levels", "keep_firing_for", "repeat_every", "annotations", "on_no_data",
        "on_error", "secret", "timeout", "headers", "windw", "<<"]
SCALARS = st.one_of(
    NUMBERS, DURATIONS, CRONS, TEXT, st.booleans(), st.none(), st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
    st.sampled_from(["${OPS_WEBHOOK_SECRET}", "${UNSET}", "${UNSET:-15m}", "${", "$${x}",
                     "${UNDECODED}", "\ud800", "${a:-" * 1_000, "{" * 3_000,
                     "{{ value:" + " " * 3_000 + "x }}", "x + " * 1_000,
                     "${EMPTY:-}", "drift_share > 0.3", "drift_share > 1e999",
                     "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x",
                     "column(\"x\").psi > 0.1", "{{ value:.2f }}", "{{ value:999999999 }}",
                     "{{ nope }}", "../data/*.parquet", "~nobody-here/x.parquet", "a\x00b",
                     "ü" * 50,
                     "webhook", "sql", "file", "http", "slack", "nope"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(TEXT, st.sampled_from(KEYS)), inner,
                                            max_size=4)),
    max_leaves=8,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a parsed document, as keys and indexes from the top."""
    yield prefix
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else []
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def _chain(data: Any, path: tuple[Any, ...]) -> Iterator[Any]:
    """The containers from the top down to the place ``path`` sits in."""
    yield data
    for part in path[:-1]:
        data = data[part]
        yield data


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def dump(draw: st.DrawFn, data: Any) -> str:
    """YAML text of the data, in a drawn style (block, flow or mixed; ASCII or not)."""
    style = {"sort_keys": False, "allow_unicode": draw(st.booleans()),
             "default_flow_style": draw(st.sampled_from([None, False, True]))}
    try:
        return yaml.dump(data, Dumper=DUMPER, **style)
    except UnicodeEncodeError:  # libyaml cannot write a lone surrogate; PyYAML escapes it
        return yaml.dump(data, Dumper=yaml.SafeDumper, **style)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A seed rule file changed at a few places, dumped back to YAML (shared values as aliases)."""
    data = copy.deepcopy(draw(st.sampled_from(SEED_DATA)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        places = [p for p in _paths(data) if p]
        if not places:  # everything was deleted
            break
        path = draw(st.sampled_from(places))
        parent, key = _parent(data, path), path[-1]
        action = draw(st.sampled_from(["value", "value", "delete", "unknown", "share", "wrap",
                                       "deep"]))
        if action == "value":
            parent[key] = draw(VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.one_of(TEXT, st.sampled_from(KEYS)))] = draw(VALUES)
        elif action == "share":  # the same object twice: the dumper writes an anchor and alias
            other = draw(st.sampled_from(places))
            if all(outer is not parent[key] for outer in _chain(data, other)):  # no cycle
                _parent(data, other)[other[-1]] = parent[key]
        elif action == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"x": parent[key]}]))
        elif action == "deep" and max(map(len, places)) < 100:  # PyYAML's dumper recurses
            value: Any = parent[key]
            for _ in range(draw(st.integers(min_value=1, max_value=80))):
                value = [value]
            parent[key] = value
    return dump(draw, data)


SNIPPETS = st.sampled_from([
    "&a ", "*a", "*nowhere", "<<: *a\n", "!!binary xyz", "!!python/object/apply:os.system [x]",
    "!env x", "? complex\n", "\t", "- ", ": ", "{", "}", "[", "]", "'", '"', "|\n", ">-\n", "#",
    "%YAML 1.1\n---\n", "---\n", "...\n", "\x07", "\ufeff", "\ud800", "9" * 5000, "2026-13-45",
    "0x" + "f" * 5000, "1_000:00:00", "~", ".nan", "1e999", "${UNSET}", "${", "\u2028", "\x85",
    '"\\UFFFFFFFF"', '"\\U0011FFFF"', '"\\ud800"', "%YAML 1." + "9" * 5000 + "\n---\n",
    "ünïcödé: ✓", "🙂" * 20, "a: &b [*b]", "x: " + "[" * 500 + "]" * 500, "k: " + "{a: " * 100,
])


@st.composite
def spliced(draw: st.DrawFn) -> str:
    """A seed rule file with text inserted, removed or repeated at random places."""
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "insert", "delete", "repeat"]))
        if action == "insert":
            text = text[:at] + draw(st.one_of(SNIPPETS, st.text(max_size=20))) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=200)):]
        else:
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
            text = "".join(lines[:i] + lines[i:i + 3] * draw(st.integers(2, 20)) + lines[i:])
    return text


MONITOR_KEYS = st.sampled_from(KEYS)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A document shaped like a rule file from scratch, with random keys and values."""
    monitor = st.dictionaries(st.one_of(MONITOR_KEYS, TEXT), VALUES, max_size=10)
    data: dict[Any, Any] = draw(st.fixed_dictionaries({}, optional={
        "monitors": st.one_of(st.lists(monitor, max_size=3), VALUES),
        "notifiers": st.one_of(st.dictionaries(TEXT, VALUES, max_size=3), VALUES),
        draw(TEXT): VALUES,
    }))
    return dump(draw, data)


# --- tests ------------------------------------------------------------------------------------


def test_the_seeds_are_valid(folder: Path) -> None:
    """The example rule files load: the mutations start from valid documents."""
    for text in SEED_TEXTS:
        path = folder / "seed.yaml"
        path.write_text(text, encoding="utf-8")
        load_rules_with_warnings([path], ENV)


@settings(FUZZ, max_examples=550)
@given(text=mutated())
def test_mutated_seeds(folder: Path, text: str) -> None:
    """Example rule files with values, keys and shapes changed."""
    check(folder, text)


@settings(FUZZ, max_examples=800)
@given(text=spliced())
def test_spliced_seeds(folder: Path, text: str) -> None:
    """Example rule files with broken, repeated or foreign text spliced in."""
    check(folder, text)


@settings(FUZZ, max_examples=400)
@given(text=documents())
def test_random_documents(folder: Path, text: str) -> None:
    """Documents shaped like rule files, built from scratch."""
    check(folder, text)


@settings(FUZZ, max_examples=150)
@given(depth=st.one_of(st.integers(min_value=1, max_value=200), st.sampled_from([1000, 5000])),
       shape=st.sampled_from(["[", "{a: ", "- ", "block", "alias"]))
def test_deep_nesting(folder: Path, depth: int, shape: str) -> None:
    """Lists and mappings nested up to thousands deep, in flow, block and through aliases."""
    if shape == "[":
        text = "monitors: " + "[" * depth + "]" * depth
    elif shape == "{a: ":
        text = "monitors: " + "{a: " * depth + "1" + "}" * depth
    elif shape == "- ":
        text = "monitors:\n" + "".join("  " * i + "- \n" for i in range(min(depth, 600))) + "x"
    elif shape == "block":
        text = "".join("  " * i + "k:\n" for i in range(min(depth, 600))) + "x: 1"
    else:
        levels = min(depth, 200)
        text = "".join(f"a{i}: &a{i} [{'*a' + str(i - 1) if i else 'x'}]\n" for i in range(levels))
    check(folder, text + "\n")


@settings(FUZZ, max_examples=110)
@given(levels=st.integers(min_value=1, max_value=12), width=st.integers(min_value=2, max_value=12),
       leaf=st.text(min_size=1, max_size=2000).map(lambda s: yaml.safe_dump(s).strip()),
       flow=st.booleans())
def test_alias_bombs(folder: Path, levels: int, width: int, leaf: str, flow: bool) -> None:
    """'Billion laughs' of every size: small ones load, large ones are refused, none hangs."""
    leaf = leaf.removesuffix("\n...")
    if "\n" in leaf:
        leaf = "x"
    if flow:
        lines = [f"l0: &l0 [{', '.join([leaf] * width)}]"]
        lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]"
                  for i in range(1, levels + 1)]
    else:
        lines = ["l0: &l0", *[f"  - {leaf}"] * width]
        for i in range(1, levels + 1):
            lines += [f"l{i}: &l{i}", *[f"  - *l{i - 1}"] * width]
    check(folder, "\n".join(lines) + "\n")


def test_the_billion_laughs(folder: Path) -> None:
    """Nine levels of nine aliases: 4e8 values from a few hundred bytes, refused at once."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{'abcdefghi'[i]}"] * 9) + "]")
    check(folder, "\n".join(lines) + "\n")
