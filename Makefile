# One-command setup: every target creates the virtual environment on first use.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: flagship test test-all bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,viz]"
	touch $(STAMP)

## flagship: spam vs community in one friend-circle market (writes results/spam_vs_community/)
flagship: $(STAMP)
	$(VENV)/bin/viralsim run configs/spam_vs_community.yaml --out results/spam_vs_community

## test: the default test suite (about 4 minutes on 2 cores; one worker per core)
test: $(STAMP)
	$(PY) -m pytest -n auto --dist loadfile

## test-all: also the slow statistical suites (pytest -m slow)
test-all: $(STAMP)
	$(PY) -m pytest -n auto --dist loadfile -m "slow or not slow"

## bench: speed and memory benchmark (prints figures for docs/benchmarks.md)
bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV)
