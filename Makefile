# `make demo` and `make test` create .venv when it is missing and (re)install the project
# into it whenever pyproject.toml changes. The editable install is a plain path (compat mode),
# not an import hook, so that mypy, pyright and IDEs resolve newsalert.* as Python does.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint coverage bench bench-distributed clean

demo: $(INSTALLED)
	$(BIN)/newsalert demo

# One test process per core, and one more: a third of the suite waits on sockets, timers and
# child processes, not on the CPU (on 2 cores: 3 processes, about 15% faster than 2).
TEST_PROCESSES := $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
test: $(INSTALLED)
	$(BIN)/pytest -n $(TEST_PROCESSES)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The share of the package's statements the suite runs, child processes included.
coverage: $(INSTALLED)
	$(BIN)/pytest -n auto --cov --cov-report=term --cov-fail-under=85

# Every issue-12 figure beside its target, in one run (about 20 minutes; PostgreSQL on
# 127.0.0.1:5432 is used when it answers). Run it on a quiet machine: the figures are timings.
bench: $(INSTALLED)
	$(BIN)/python benchmarks/startup_bench.py
	$(BIN)/python benchmarks/crawl_profile.py
	$(BIN)/python benchmarks/crawl_bench.py
	$(BIN)/python benchmarks/search_bench.py
	$(BIN)/python benchmarks/insert_bench.py
	$(BIN)/python benchmarks/extraction_eval.py

# Issue 14: a distributed crawl with 1, 2 and 4 Celery workers on the local RabbitMQ and
# PostgreSQL, outlets answering after 200 ms (about 5 minutes).
bench-distributed: $(INSTALLED)
	$(BIN)/python benchmarks/distributed_bench.py

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	# Byte-compiled now, as pip does for a regular install (an editable one is not): where
	# PYTHONDONTWRITEBYTECODE is set, every command would compile the package again. The
	# subpackages are named one by one: compileall does not descend into symlinked folders.
	$(BIN)/python -m compileall -q newsalert newsalert/*/ >/dev/null
	touch $@

clean:
	rm -rf $(VENV) data/demo build *.egg-info .pytest_cache .mypy_cache .coverage .coverage.*
