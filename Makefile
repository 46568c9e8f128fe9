# diffcheck — `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# Test workers: each starts its own throwaway PostgreSQL cluster (or shares DIFFCHECK_TEST_DSN).
JOBS ?= 2

.PHONY: install test test-fast lint fmt typecheck demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check "setuptools<81" wheel
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

test: install
	$(BIN)/pytest -q -p no:cacheprovider -n $(JOBS) --durations=15 $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider -n $(JOBS) -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check diffcheck tests bench demo
	$(BIN)/ruff format --check diffcheck
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff format diffcheck
	$(BIN)/ruff check --fix diffcheck tests bench demo

demo: install
	$(BIN)/python demo/run_demo.py

bench: install
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf .demo build *.egg-info .pytest_cache .mypy_cache .ruff_cache
