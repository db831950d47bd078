# Maillage: the documented entry points. Needs only Python 3.11+ and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
CORPUS ?= ../shared/corpus

.PHONY: help install run test test-fast lint bench corpus reference clean

help:
	@echo "make run     set up and run the whole stack with the demo sources (http://127.0.0.1:8080)"
	@echo "make test    set up and run the tests"
	@echo "make lint    ruff and mypy"
	@echo "make bench   benchmarks (parse, index, search)"
	@echo "make corpus  run the parser over a corpus directory (CORPUS=path)"
	@echo "make reference  download the official reference data into var/reference"

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Maillage needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/maillage run --demo

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not integration and not e2e"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy shared services bench

bench: install
	$(BIN)/python -m bench

corpus: install
	$(BIN)/python scripts/corpus_report.py $(CORPUS) --now 2026-01-15T12:00:00+01:00 --past-days 9000

reference: install
	$(BIN)/maillage reference fetch

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
