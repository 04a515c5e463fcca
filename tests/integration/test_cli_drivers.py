"""A database URL whose driver is not installed says which extra installs it.

The `monitor` command runs in a subprocess in which the drivers cannot be
imported (``sys.modules[name] = None`` makes ``import name`` fail, as on a
machine without the package), then goes its ordinary way: the store's engine
for ``MONITOR_DATABASE_URL``, a SQL source's engine for ``profile --sql`` and
for a monitor's ``source:`` in ``monitor check``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.processes import monitor_env

pytestmark = pytest.mark.integration

BLOCKED = ("psycopg", "psycopg2", "pymysql", "MySQLdb")
ENTRY = ("import sys\n"
         f"for name in {BLOCKED!r}:\n"
         "    sys.modules[name] = None  # import name: ModuleNotFoundError\n"
         "from monitor.cli import main\n"
         "sys.exit(main(sys.argv[1:]))\n")
POSTGRES = "the PostgreSQL driver is not installed: pip install 'monitor[postgres]'"
MYSQL = "the MySQL driver is not installed: pip install 'monitor[mysql]'"


def without_drivers(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`monitor ARGS` in ``cwd`` with no database driver importable."""
    env = monitor_env(**{"MONITOR_DATABASE_URL": f"sqlite:///{cwd / 'monitor.db'}",
                         **settings})
    return subprocess.run([sys.executable, "-c", ENTRY, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a run that ended with exit status 2."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("monitor: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("url", ["postgresql+psycopg://monitor:s3cret@127.0.0.1:1/db",
                                 "postgresql://monitor:s3cret@127.0.0.1:1/db"])
def test_the_store_names_the_postgres_extra(tmp_path, url):
    """MONITOR_DATABASE_URL on PostgreSQL without psycopg: `history` and `db upgrade` say
    what to install, and never the password."""
    for args in (["history"], ["db", "upgrade"]):
        line = one_error(without_drivers(tmp_path, *args, MONITOR_DATABASE_URL=url))
        assert "pip install 'monitor[postgres]'" in line and "s3cret" not in line
        assert "the PostgreSQL driver" in line and "127.0.0.1:1/db" in line


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql+psycopg://monitor:s3cret@127.0.0.1:1/db", POSTGRES),
    ("mysql+pymysql://monitor:s3cret@127.0.0.1:1/db", MYSQL),
    ("mysql://monitor:s3cret@127.0.0.1:1/db",
     "the MySQL driver MySQLdb, which mysql:// asks for, is not installed: write the URL as "
     "mysql+pymysql://... and pip install 'monitor[mysql]'"),
])
def test_a_sql_source_names_its_extra(tmp_path, url, message):
    """`monitor profile --sql URL`: the SQL source's engine says which extra has the driver."""
    line = one_error(without_drivers(tmp_path, "profile", "--sql", url, "--query", "SELECT 1",
                                     "--out", "ref.json"))
    assert message in line and "s3cret" not in line
    assert not (tmp_path / "ref.json").exists()


def test_a_monitor_on_mysql_fails_its_run_with_the_extra(tmp_path):
    """`monitor check` on a monitor whose source is MySQL: a failed run (exit 2) that says
    which extra to install, stored with the run."""
    (tmp_path / "train.csv").write_text("x\n1\n2\n3\n")
    (tmp_path / "m.yaml").write_text(textwrap.dedent("""\
        monitors:
          - name: orders
            schedule: {every: 1h}
            window: 1h
            source:
              type: sql
              url: mysql+pymysql://monitor:s3cret@127.0.0.1:1/shop
              table: orders
              timestamp: created_at
            reference: {path: train.csv}
        """))
    result = without_drivers(tmp_path, "check", "m.yaml")
    assert result.returncode == 2, result.stderr
    assert MYSQL in result.stdout and "s3cret" not in result.stdout + result.stderr
    history = without_drivers(tmp_path, "history", "--format", "json")
    assert history.returncode == 0 and MYSQL in history.stdout
