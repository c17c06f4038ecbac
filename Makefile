# The two commands a new user needs: `make run` and `make test`.
# Both create .venv when it is missing and install the project into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
STAMP  := $(VENV)/.installed

.PHONY: run test contract install clean

run: $(STAMP)
	$(BIN)/mockserver run --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

# Start a mock and verify all five APIs against their specs (the suite runs this too).
contract: $(STAMP)
	$(BIN)/mockserver verify --api all --mock --junit contract-report.xml

install: $(STAMP)

# Re-install whenever the project's metadata changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
