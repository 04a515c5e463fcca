"""`monitor compare --checks FILE`: the checks operators write, run ad hoc on real files.

Faults are injected in known rows; every count is computed again here with
pandas, and the command must report it, exit 1 on a failed check, and stop
with a located error (exit 2) on a bad checks file.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.cli import main

pytestmark = pytest.mark.integration

CHECKS = """\
quality:
  columns:
    age:     {range: {min: 18, max: 100}, missing: {max_share: 0.01}}
    email:   {pattern: {regex: '^[^@ ]+@[^@ ]+$', max_rows: 3}, sensitive: true}
    loan_id: {unique: {}}
    state:   {allowed: {values: [CA, NY, TX]}}
    code:    {missing: {values: ['-', unknown]}, length: {max: 4}}
  conditions:
    - {name: approved_after_applied, condition: "approved >= applied"}
    - {name: positive_or_void, condition: "amount > 0 or status = 'void'"}
  duplicates: {columns: [loan_id, state]}
"""


def loans(n: int, seed: int, *, faults: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    applied = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 5_000, n), unit="h")
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, n).astype(float),
        "email": [f"user{i}@example.com" for i in range(n)],
        "state": rng.choice(["CA", "NY", "TX"], n),
        "loan_id": np.arange(n),
        "code": rng.choice(["ab", "abc", "abcd"], n),
        "amount": rng.uniform(10, 1_000, n).round(2),
        "status": rng.choice(["open", "closed", "void"], n),
        "applied": applied.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "approved": (applied + pd.Timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    if faults:
        frame.loc[0:6, "age"] = 150.0
        frame.loc[7:9, "age"] = np.nan
        frame.loc[10:14, "email"] = "bob(at)example.com"
        frame.loc[20:22, "state"] = "ZZ"
        frame.loc[30:33, "loan_id"] = 5
        frame.loc[40:45, "code"] = ["-", "unknown", "toolong", "-", "abcdef", "x"]
        frame.loc[50:52, "approved"] = "2024-01-01T00:00:00Z"
        frame.loc[60:69, "amount"] = -1.0
    return frame


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    loans(4_000, 1, faults=False).to_csv(tmp_path / "ref.csv", index=False)
    loans(3_000, 2, faults=True).to_csv(tmp_path / "cur.csv", index=False)
    (tmp_path / "checks.yaml").write_text(CHECKS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def expected(frame: pd.DataFrame) -> dict[str, int]:
    """Failing rows of each check, computed with pandas from the file as written."""
    age = frame["age"].dropna()
    code = frame["code"][~frame["code"].isin(["-", "unknown"])]
    loan = frame["loan_id"]
    applied = pd.to_datetime(frame["applied"])
    approved = pd.to_datetime(frame["approved"])
    void_or_positive = (frame["amount"] > 0) | (frame["status"] == "void")
    return {
        "age.missing": int(frame["age"].isna().sum()),
        "age.range": int(((age < 18) | (age > 100)).sum()),
        "email.pattern": int((~frame["email"].str.contains(r"^[^@ ]+@[^@ ]+$")).sum()),
        "loan_id.unique": int(loan.duplicated().sum()),
        "state.allowed": int((~frame["state"].isin(["CA", "NY", "TX"])).sum()),
        "code.missing": int(frame["code"].isin(["-", "unknown"]).sum()),
        "code.length": int((code.str.len() > 4).sum()),
        "approved_after_applied": int((approved < applied).sum()),
        "positive_or_void": int((~void_or_positive).sum()),
        "loan_id,state": int(frame.duplicated(["loan_id", "state"]).sum()),
    }


def test_checks_report_exact_failing_rows(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "compare", "ref.csv", "cur.csv", "--checks", "checks.yaml",
                         "--format", "json")
    assert status == 1
    written = {(q.get("name") or f"{q['column']}.{q['check']}"): q
               for q in json.loads(out)["quality"]
               if q["check"] not in ("missing_share_increase", "type_mismatch_share",
                                     "new_category")}
    truth = expected(pd.read_csv(files / "cur.csv"))
    assert {k: v["failing_rows"] for k, v in written.items()} == truth
    assert all(v > 0 for k, v in truth.items() if k != "age.missing")
    for key, item in written.items():
        assert set(item) >= {"check", "column", "value", "failing_rows", "limit", "passed"}
        considered = 3_000 if key in ("age.missing", "code.missing", "approved_after_applied",
                                      "positive_or_void", "loan_id,state") else None
        if considered:
            assert item["value"] == pytest.approx(item["failing_rows"] / considered)
    assert written["age.missing"]["passed"]  # 3 of 3,000 within 1 %
    assert not written["age.range"]["passed"] and written["age.range"]["samples"] == ["150"]
    assert written["email.pattern"]["unit"] == "rows" and written["email.pattern"]["limit"] == 3
    assert not written["email.pattern"]["passed"]
    assert "samples" not in written["email.pattern"]  # sensitive: never a failing value
    assert written["state.allowed"]["samples"] == ["ZZ"]
    assert written["positive_or_void"]["column"] is None
    assert written["positive_or_void"]["check"] == "condition"


def test_checks_show_in_the_table_and_the_page(files: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "compare", "ref.csv", "cur.csv", "--checks", "checks.yaml")
    assert status == 1
    assert "approved_after_applied" in out and "'ZZ'" in out
    assert "bob(at)" not in out
    status, page, _ = run(capsys, "compare", "ref.csv", "cur.csv", "--checks", "checks.yaml",
                          "--format", "html")
    assert status == 1
    quality = page[page.index('id="quality"'):]
    quality = quality[:quality.index("</table>")]
    assert "positive_or_void" in quality and "ZZ" in quality and "bob(at)" not in quality


def test_passing_checks_leave_the_exit_status_to_drift(files: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    status, out, _ = run(capsys, "compare", "ref.csv", "ref.csv", "--checks", "checks.yaml",
                         "--format", "json")
    found = json.loads(out)
    assert status == 0, [q for q in found["quality"] if not q["passed"]]
    assert not found["columns"] or not any(c["drifted"] for c in found["columns"])


@pytest.mark.parametrize(("text", "words"), [
    ("quality:\n  columns: {age: {range: {min: 1, max: 0}}}\n", ":2:26: range min (1.0) must"),
    ("quality:\n  conditions: [{name: c, condition: 'agee > 1'}]\n",
     ":2:37: condition 'c' reads 'agee', not in the data"),
    ("quality:\n  columns: {email: {pattern: {regex: '[a-'}}}\n",
     ":2:39: invalid regular expression"),
])
def test_a_bad_checks_file_is_located_and_exits_2(files: Path, capsys: pytest.CaptureFixture[str],
                                                  text: str, words: str) -> None:
    (files / "bad.yaml").write_text(textwrap.dedent(text))
    status, out, err = run(capsys, "compare", "ref.csv", "cur.csv", "--checks", "bad.yaml")
    assert status == 2 and out == ""
    assert f"bad.yaml{words}" in err, err


def test_the_whole_window_limits_of_a_checks_file_apply(files: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    (files / "limits.yaml").write_text("quality:\n  missing_share: {max: 0.0005}\n"
                                       "  min_rows: 5000\n")
    status, out, _ = run(capsys, "compare", "ref.csv", "cur.csv", "--checks", "limits.yaml",
                         "--format", "json")
    found = {(q["check"], q["column"]): q for q in json.loads(out)["quality"]}
    assert status == 1
    assert found[("missing_share", "age")]["value"] == pytest.approx(3 / 3_000)
    assert not found[("missing_share", "age")]["passed"]
    assert found[("missing_share", "state")]["passed"]
    assert found[("min_rows", None)] | {"passed": False} == found[("min_rows", None)]
    (files / "window.yaml").write_text("quality:\n  max_staleness: 1h\n")
    status, _, err = run(capsys, "compare", "ref.csv", "cur.csv", "--checks", "window.yaml")
    assert status == 2 and "window.yaml:2:3: max_staleness judges a monitor's windows" in err


def test_a_missing_checks_file_is_named(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "compare", "ref.csv", "cur.csv", "--checks", "nope.yaml")
    assert status == 2 and "nope.yaml" in err
