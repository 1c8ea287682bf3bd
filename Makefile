# One-command setup: every target creates the virtual environment on first use.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: flagship lint test test-all bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,viz]"
	touch $(STAMP)

# The flagship experiment's results folder. Fixed, so that re-running resumes (finished runs are
# skipped); after the code changed the sweep refuses to mix results: make flagship SWEEP_FLAGS=--restart
FLAGSHIP_OUT ?= results/spam_vs_community/flagship
SWEEP_FLAGS ?=

## flagship: the spam vs community experiment, 3 scenarios x 30 replicates (90 runs, about 25 s
##           on 2 cores), and its HTML report (results/spam_vs_community/flagship/report/index.html)
flagship: $(STAMP)
	$(VENV)/bin/viralsim sweep experiments/spam_vs_community.yaml --out $(FLAGSHIP_OUT) $(SWEEP_FLAGS)
	$(VENV)/bin/viralsim report $(FLAGSHIP_OUT)

## lint: ruff's checks ([tool.ruff] in pyproject.toml) over the code, tests, benchmarks and tools
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks tools

## test: the default test suite (8 to 11 minutes on 2 cores, one worker per core, plus the kernels'
##       compilation on a machine's first run); installs the
##       system packages the tests need first (Chromium for the browser test) where it can
test: $(STAMP)
	bash tools/test-deps.sh
	$(PY) -m pytest -n auto --dist loadfile

## test-all: also the slow statistical suites (pytest -m slow)
test-all: $(STAMP)
	bash tools/test-deps.sh
	$(PY) -m pytest -n auto --dist loadfile -m "slow or not slow"

## bench: speed and memory benchmark (prints figures for docs/benchmarks.md)
bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV)
