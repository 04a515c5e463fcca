# make demo  - install, generate the example data, run the example monitor once and on the
#              last 24 hours (for the console's charts)
# make test  - install with the test extras, check style and types, run the whole test suite
# make constraints - pin every runtime dependency (postgres extra included) in constraints.txt
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint constraints

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/python examples/generate.py
	@$(BIN)/python examples/receiver.py --port 9109 & receiver=$$!; sleep 1; \
	$(BIN)/monitor check rules/; status=$$?; \
	since=$$($(BIN)/python -c "from datetime import *; print(format(datetime.now(UTC) - timedelta(hours=24), '%Y-%m-%dT%H:00:00Z'))"); \
	$(BIN)/monitor backfill rules/ --monitor credit-scoring --from $$since --to $$($(BIN)/python -c "from datetime import *; print(format(datetime.now(UTC), '%Y-%m-%dT%H:00:00Z'))") > /dev/null; \
	sleep 0.5; kill $$receiver; \
	echo; echo "exit status $$status (0: all clear, 1: alerts firing). Stored in monitor.db:"; \
	$(BIN)/monitor history --limit 5; \
	echo; echo "Next: $(BIN)/monitor run   then open http://127.0.0.1:9108/ to see the last 24 hours"; \
	test $$status -le 1

test: $(VENV)/.installed-test
	$(BIN)/ruff check monitor tests examples benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check monitor tests examples benchmarks
	$(BIN)/mypy

# A fresh virtual environment holds the project (editable, so `--exclude-editable` leaves it
# out) and its runtime dependencies only: what it freezes is what `pip install -c
# constraints.txt 'monitor[postgres,estimate]'` and the Dockerfile install. Written to a temporary file
# first, so that a failed install leaves the old constraints.txt as it was.
CONSTRAINTS_VENV := build/constraints-venv
constraints:
	rm -rf $(CONSTRAINTS_VENV)
	$(PYTHON) -m venv $(CONSTRAINTS_VENV)
	$(CONSTRAINTS_VENV)/bin/pip install --quiet --upgrade pip
	$(CONSTRAINTS_VENV)/bin/pip install --quiet -e '.[postgres,estimate]'
	{ echo "# Exact versions of monitor's runtime dependencies, postgres and estimate extras"; \
	  echo "# included, for reproducible installs: pip install -c constraints.txt"; \
	  echo "# 'monitor[postgres,estimate]'."; \
	  echo "# Made by \`make constraints\` (pip freeze of a fresh virtual environment) with"; \
	  echo "# $$($(CONSTRAINTS_VENV)/bin/python -V) on $$(uname -sm): do not edit by hand."; \
	  $(CONSTRAINTS_VENV)/bin/pip freeze --exclude-editable --exclude monitor; \
	} > constraints.txt.tmp
	mv constraints.txt.tmp constraints.txt
	rm -rf $(CONSTRAINTS_VENV)
