#!/usr/bin/env bash
# Create the virtual environments of the libraries the peer benchmark compares against,
# outside the repository: Evidently 0.7 and NannyML 0.13 (both need pandas < 3).
#
#   bash benchmarks/setup_peers.sh [PEERS_DIR]     (default /work/peers)
#
# Each library gets its own venv so their pins never meet: PEERS_DIR/evidently and
# PEERS_DIR/nannyml. Re-running is safe; an existing venv is upgraded in place.
set -euo pipefail

peers="${1:-/work/peers}"
python="${PYTHON:-python3}"
mkdir -p "$peers"

make_venv() {
    local name="$1"; shift
    local venv="$peers/$name"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "$@"
    echo "$name: $("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$name'))") in $venv"
}

make_venv evidently "evidently>=0.7,<0.8" "pandas<3" "pyarrow" "psutil"
make_venv nannyml "nannyml>=0.13,<0.14" "pandas<3" "pyarrow" "psutil" "statsmodels"
