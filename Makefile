# The two commands a new user needs: `make run` and `make test`.
# Both create .venv when it is missing and install the project into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
STAMP  := $(VENV)/.installed

.PHONY: run test stress contract bench install clean

run: $(STAMP)
	$(BIN)/python -m compileall -q mockserver  # bytecode on disk: a faster start (cheap when current)
	$(BIN)/mockserver run --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

# Start and stop the embedded server hundreds of times (in-process, as processes, verify
# --mock 50 times, mockserver run stopped by signals): every exit must be clean. ~3 minutes.
stress: $(STAMP)
	$(BIN)/python -m pytest -m stress tests/test_shutdown_stress.py

# Start a mock and verify all five APIs against their specs (the suite runs this too).
contract: $(STAMP)
	$(BIN)/mockserver verify --api all --mock --junit contract-report.xml

# Measure the mock against a bare Flask app and Stoplight Prism; writes bench/results.md.
# wrk comes from Debian's packages, Prism from npm (into bench/.prism), both on first use.
PRISM := bench/.prism/node_modules/.bin/prism
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench: $(STAMP) $(PRISM)
	command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	$(BIN)/python -m compileall -q mockserver bench
	$(BIN)/python -m bench

$(PRISM):
	npm install --prefix bench/.prism --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5.16.0

install: $(STAMP)

# Re-install whenever the project's metadata changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info bench/.prism
