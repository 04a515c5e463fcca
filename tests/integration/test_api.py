"""The Python API on the example data: the same answers as the command line, run as a user does.

The example data (``examples/generate.py``: training data, 48 hours of
production logs whose last 6 drift) is generated once for the module. Every
comparison with the command line runs the real ``monitor`` in a subprocess
on the same files and compares its output with the API's.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from standardwebhooks.webhooks import Webhook

import monitor
from monitor.api.comparison import FRAME_COLUMNS
from monitor.report import REPORT_CSS
from tests.processes import monitor_env
from tests.receivers import Receiver

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_YXBpLXRlc3Qtc2VjcmV0LWJ5dGVz"
ROLES = {"categorical": ["state", "product"], "exclude": ["request_id"], "prediction": "score",
         "target": "defaulted", "segments": ["state"]}
FLAGS = ["--categorical", "state", "--categorical", "product", "--exclude", "request_id",
         "--prediction", "score", "--target", "defaulted", "--segment", "state"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example data up to the next hour, and recent.parquet: its last 6 (drifted) hours."""
    root = tmp_path_factory.mktemp("api")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    subprocess.run([sys.executable, str(REPO / "examples" / "generate.py"), "--out",
                    str(root / "examples" / "data"), "--now", now.isoformat()],
                   check=True, capture_output=True)
    folder = root / "examples" / "data"
    logs = pd.concat(pd.read_parquet(p) for p in sorted((folder / "production").glob("*.parquet")))
    recent = logs[logs["logged_at"] >= pd.Timestamp(now) - pd.Timedelta(hours=6)]
    recent.to_parquet(folder / "recent.parquet", index=False)
    return folder


@pytest.fixture
def here(data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in the data folder, as a user in a notebook next to their files."""
    monkeypatch.chdir(data)
    return data


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`monitor ARGS...` as a subprocess in ``cwd`` with no MONITOR_* setting."""
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=cwd, env=monitor_env(),
                          capture_output=True, text=True, timeout=120)


# --- profile ------------------------------------------------------------------------


def test_a_file_a_frame_and_a_table_give_the_profile_monitor_profile_writes(here):
    """The same rows as a path, a DataFrame or a pyarrow Table: one profile, the CLI's."""
    roles = {k: ROLES[k] for k in ("categorical", "exclude", "segments")}
    from_path = monitor.profile("train.parquet", **roles)
    assert monitor.profile(pd.read_parquet("train.parquet"), **roles) == from_path
    assert monitor.profile(pq.read_table("train.parquet"), **roles) == from_path
    done = cli(here, "profile", "train.parquet", "--out", "cli-profile.json",
               "--categorical", "state", "--categorical", "product", "--exclude", "request_id",
               "--segment", "state")
    assert done.returncode == 0, done.stderr
    assert json.loads((here / "cli-profile.json").read_text()) == from_path.to_dict()
    assert from_path.roles == monitor.Roles(categorical=("state", "product"),
                                            exclude=("request_id",), segments=("state",))


def test_save_and_load_keep_the_profile_and_its_roles(here, tmp_path):
    """save → load_profile gives an equal profile, roles and content hash included."""
    profile = monitor.profile("train.parquet", **ROLES, timestamp="logged_at")
    saved = profile.save(tmp_path / "train.profile.json")
    loaded = monitor.load_profile(saved)
    assert loaded == profile and loaded.content_hash() == profile.content_hash()
    assert loaded.roles is not None and loaded.roles.timestamp == "logged_at"
    assert loaded.roles.prediction == "score" and loaded.performance is not None
    # The remembered timestamp is left out of the current data, as the daemon leaves it out.
    assert monitor.compare(loaded, "recent.parquet").result.extra_columns == ()
    without = monitor.compare("train.parquet", "recent.parquet", **ROLES)
    assert without.result.extra_columns == ("logged_at",)


def test_profile_errors_name_what_is_wrong(here, tmp_path):
    """A missing column, file or JSON, and data of the wrong type, each a clear error."""
    with pytest.raises(monitor.ProfileError,
                       match=r"column 'stat' \(categorical=\) is not in the data; its columns "
                             r"are: request_id, age"):
        monitor.profile("train.parquet", categorical=["stat"])
    with pytest.raises(monitor.SourceError, match=r"file not found: .*nope\.parquet"):
        monitor.profile("nope.parquet")
    with pytest.raises(monitor.ProfileError, match=r"data must be a pandas DataFrame, a pyarrow "
                                                   r"Table or the path of a CSV.*got list"):
        monitor.profile([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(monitor.ProfileError, match=r"cannot read the profile .*missing\.json"):
        monitor.load_profile(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(monitor.ProfileError, match=r"bad\.json' is not a profile: it is not JSON"):
        monitor.load_profile(tmp_path / "bad.json")


# --- compare: the command line's answers --------------------------------------------


@pytest.mark.parametrize("roles, flags", [
    ({}, []),
    ({"categorical": ROLES["categorical"], "exclude": ROLES["exclude"]}, FLAGS[:6]),
    (ROLES, FLAGS),
], ids=["no-roles", "categorical-exclude", "prediction-target-segments"])
def test_to_dict_is_the_json_of_monitor_compare(here, roles, flags):
    """to_dict() equals `monitor compare --format json` on the same files and roles."""
    result = monitor.compare("train.parquet", "recent.parquet", **roles)
    done = cli(here, "compare", "train.parquet", "recent.parquet", "--format", "json", *flags)
    assert done.returncode == 1, done.stderr  # drift
    assert result.to_dict() == json.loads(done.stdout)
    assert result.drifted and result.drift_share >= 0.5


def test_a_saved_profile_brings_its_roles_to_the_comparison(here, tmp_path):
    """A profile saved with roles, compared with no role given: the CLI's JSON and HTML page."""
    monitor.profile("train.parquet", **ROLES).save(tmp_path / "ref.json")
    reference = str(tmp_path / "ref.json")
    result = monitor.compare(reference, "recent.parquet")
    as_json = cli(here, "compare", reference, "recent.parquet", "--format", "json")
    assert result.to_dict() == json.loads(as_json.stdout)
    assert result.to_dict()["performance"]["roc_auc"] > 0.5  # the remembered prediction/target
    assert sorted(result.segments) == [f"state={s}" for s in ("CA", "FL", "NY", "TX", "WA")]
    as_html = cli(here, "compare", reference, "recent.parquet", "--format", "html")
    assert result.to_html() + "\n" == as_html.stdout
    from_object = monitor.compare(monitor.load_profile(reference), "recent.parquet")
    assert from_object.to_dict() == {**result.to_dict(),
                                     "reference": {**result.to_dict()["reference"],
                                                   "source": "profile"}}


def test_the_views_of_a_comparison(here):
    """to_frame has one row per compared column; _repr_html_ is the report body with its CSS."""
    result = monitor.compare("train.parquet", pd.read_parquet("recent.parquet"), **ROLES)
    frame = result.to_frame()
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert list(frame.index) == [c.column for c in result.columns]
    assert set(frame.index[frame["drifted"]]) == {c.column for c in result.columns if c.drifted}
    assert {"age", "income", "state", "score"} <= set(frame.index[frame["drifted"]])
    assert math.isnan(frame.loc["state", "wasserstein"]) and frame.loc["age", "wasserstein"] > 0
    fragment = result._repr_html_()
    assert fragment.startswith(f"<style>{REPORT_CSS}</style>")
    assert '<div class="report">' in fragment and "<svg" in fragment
    assert "<html" not in fragment and "<script" not in fragment
    assert "state=CA" in fragment  # the segments table
    rows = f"{result.result.current_rows:,}"
    assert repr(result) == (f"<Comparison of DataFrame ({rows} rows) with train.parquet: "
                            "4 of 8 columns drifted "
                            "(drift share 0.50, dataset drift), "
                            f"{len(result.result.failed_quality)} of {len(result.quality)} "
                            "quality checks failed>")


def test_options_reach_the_comparison(here):
    """Method, per-column overrides and quality limits (named as in a rule file) apply."""
    result = monitor.compare("train.parquet", pq.read_table("recent.parquet"), **ROLES,
                             method="psi", columns={"income": {"method": "ks"}},
                             quality={"missing_share": 0.05, "min_rows": 100_000})
    frame = result.to_frame()
    assert frame.loc["income", "method"] == "ks" and frame.loc["age", "method"] == "psi"
    assert frame.loc["age", "p_value"] != frame.loc["age", "p_value"]  # NaN: a distance
    failed = {(q.check, q.column) for q in result.quality if not q.passed}
    assert {("missing_share", "debt_ratio"), ("min_rows", None)} <= failed


def test_bad_options_fail_as_on_the_command_line(here):
    """A bad method is a MonitorError with `monitor compare`'s very message."""
    done = cli(here, "compare", "train.parquet", "recent.parquet", "--method", "nope")
    assert done.returncode == 2
    with pytest.raises(monitor.MonitorError) as caught:
        monitor.compare("train.parquet", "recent.parquet", method="nope")
    assert done.stderr.strip() == f"monitor: error: {caught.value}"
    for options, message in (({"quality": {"missing": 0.1}}, "unknown quality checks"),
                             ({"quality": {"missing_share": 2}}, "between 0 and 1"),
                             ({"columns": {"age": {"methd": "ks"}}}, "unknown keys"),
                             ({"drift_share": 2.0}, "drift_share must be between 0 and 1")):
        with pytest.raises(monitor.MonitorError, match=message):
            monitor.compare("train.parquet", "recent.parquet", **options)


def test_roles_are_said_once(here, tmp_path):
    """A profile that remembers roles refuses new ones; the current side must be data."""
    reference = monitor.profile("train.parquet", **ROLES)
    with pytest.raises(monitor.ProfileError, match="remembers its column roles, so exclude= "
                                                   "cannot be given again"):
        monitor.compare(reference, "recent.parquet", exclude=["age"])
    with pytest.raises(monitor.ProfileError, match="current must be data"):
        monitor.compare(reference, reference)  # type: ignore[arg-type]
    plain = monitor.profile("train.parquet")  # no roles: they may be given now
    result = monitor.compare(plain, "recent.parquet", exclude=["request_id", "score"])
    assert "score" not in {c.column for c in result.columns}
    assert not [q for q in result.quality if q.check == "missing_column"]


# --- check and validate -------------------------------------------------------------


@pytest.fixture
def rules(data: Path, tmp_path: Path, receiver: Receiver,
          monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example rules beside the example data, the webhook pointed at a real receiver."""
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    shutil.copytree(data, tmp_path / "examples" / "data")
    for name in [n for n in os.environ if n.startswith("MONITOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MONITOR_EXAMPLE_WEBHOOK_URL", f"{receiver.url}/hooks")
    monkeypatch.setenv("MONITOR_EXAMPLE_WEBHOOK_SECRET", SECRET)
    return tmp_path / "rules"


def test_check_runs_stores_and_alerts_as_monitor_check(rules, receiver, tmp_path):
    """One run stored (history agrees), both alerts firing and delivered; a second is skipped."""
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    [result] = monitor.check(rules, database_url=url)
    assert result.status == "ok" and result.monitor == "credit-scoring", result.error
    assert result.rows == 1500 and result.dataset_drift and result.drift_share >= 0.5
    assert result.firing == ("credit-scoring/data-quality", "credit-scoring/feature-drift")
    assert result.comparison is not None and result.comparison.drifted
    assert "<svg" in result.comparison.to_html()  # the report the run stored
    assert result.comparison.to_dict()["current"]["source"].startswith("credit-scoring [")
    alerts = {Webhook(SECRET).verify(r.body, r.headers)["alert"] for r in receiver.requests}
    assert alerts == {"feature-drift", "data-quality"}

    history = cli(tmp_path, "--database-url", url, "history", "--format", "json")
    [stored] = json.loads(history.stdout)
    assert (stored["id"], stored["status"], stored["current_rows"]) == (result.run_id, "ok", 1500)
    assert stored["drift_share"] == pytest.approx(result.drift_share)

    [again] = monitor.check(rules, "credit-scoring", url)
    assert (again.status, again.run_id, again.comparison) == ("skipped", result.run_id, None)
    assert again.drift_share == pytest.approx(result.drift_share) and again.dataset_drift
    assert len(receiver.requests) == 2  # nothing sent twice


def test_check_and_validate_errors_match_the_command_line(rules, tmp_path):
    """Unknown monitor and invalid rules: the CLI's messages; validate warns of missing data."""
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    with pytest.raises(monitor.MonitorError,
                       match=r"no monitor named 'nope' in the rules \(known: credit-scoring\)"):
        monitor.check(rules, monitor="nope", database_url=url)
    assert monitor.validate(rules) == []
    text = (rules / "example.yaml").read_text()
    (rules / "example.yaml").write_text(text.replace("../examples/data/train.parquet",
                                                     "../examples/data/later.parquet"))
    [warning] = monitor.validate([rules / "example.yaml"])
    assert "no such file or folder" in warning.message and warning.line > 0
    (rules / "example.yaml").write_text(text.replace("window: 1h", "windw: 1h"))
    done = cli(tmp_path, "validate", "rules")
    with pytest.raises(monitor.RulesInvalid) as caught:
        monitor.validate(rules)
    assert [str(e).split(": ", 1)[1] for e in caught.value.errors] == [
        line.split(": ", 1)[1] for line in done.stderr.splitlines()]
    with pytest.raises(monitor.RulesInvalid):
        monitor.check(rules, database_url=url)
