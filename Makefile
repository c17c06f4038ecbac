# The two commands a new user needs: `make run` and `make test`.
# Both create .venv when it is missing and install the project into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
# More `mockserver run` options for `make run`, e.g. RUN_ARGS='--api-port awx=8052 --seed 42'.
RUN_ARGS ?=
STAMP  := $(VENV)/.installed

.PHONY: run test browser dashboard-test stress contract bench image image-test install clean

run: $(STAMP)
	$(BIN)/python -m compileall -q mockserver  # bytecode on disk: a faster start (cheap when current)
	$(BIN)/mockserver run --host $(HOST) --port $(PORT) $(RUN_ARGS)

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The dashboard's browser tests (tests/test_dashboard_browser.py) drive Debian's chromium
# through its chromedriver: installed here when missing, never downloaded by the tests.
browser:
	test -x /usr/bin/chromium && test -x /usr/bin/chromedriver \
	    || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# Only the dashboard's tests (about 30 s); screenshots go to test-artifacts/.
dashboard-test: $(STAMP) browser
	$(BIN)/python -m pytest tests/test_dashboard.py tests/test_dashboard_browser.py

# Start and stop the embedded server hundreds of times (in-process, as processes, verify
# --mock 50 times, mockserver run stopped by signals): every exit must be clean. ~3 minutes.
stress: $(STAMP)
	$(BIN)/python -m pytest -m stress tests/test_shutdown_stress.py

# Start a mock and verify all five APIs against their specs (the suite runs this too).
contract: $(STAMP)
	$(BIN)/mockserver verify --api all --mock --junit contract-report.xml

# The container image (Dockerfile). IMAGE_BASE picks another base image, e.g. one built by
# container/build-base.sh. The machine's trusted CA certificates go to pip as a build secret
# (for HTTPS proxies that re-sign traffic); podman is preferred, docker (23 or newer, whose
# BuildKit reads the secret) works as well. podman builds in the docker format, which keeps
# the HEALTHCHECK, and on the host's network (its default one may not be set up).
IMAGE        ?= mockserver:latest
comma        := ,
IMAGE_BASE   ?=
ENGINE       ?= $(shell command -v podman || command -v docker || echo podman)
CA_BUNDLE    ?= $(firstword $(wildcard /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt))
image:
	command -v $(ENGINE) >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq podman runc; }
	$(ENGINE) build $(if $(findstring podman,$(ENGINE)),--format docker --network host) \
	    $(if $(CA_BUNDLE),--secret id=pip-ca$(comma)src=$(CA_BUNDLE)) \
	    $(if $(IMAGE_BASE),--build-arg BASE=$(IMAGE_BASE)) -t $(IMAGE) .
	@echo "image $(IMAGE): $$($(ENGINE) image inspect --format '{{.Size}}' $(IMAGE) | awk '{printf "%.0f MB", $$1/1e6}')"

# Build the image on a base made from Debian's packages (no registry needed) and test it
# as a user would (tests/test_image.py). Installs podman, runc and debootstrap when missing;
# the base image is kept between runs.
# container/containers.conf holds the podman settings such a sandboxed machine needs.
IMAGE_TEST_BASE := localhost/mockserver-base:bookworm
image-test: export CONTAINERS_CONF = $(CURDIR)/container/containers.conf
image-test: $(STAMP)
	command -v podman >/dev/null && command -v debootstrap >/dev/null && command -v runc >/dev/null \
	    || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq podman runc debootstrap; }
	container/build-base.sh $(IMAGE_TEST_BASE)
	$(MAKE) image ENGINE=podman IMAGE=localhost/mockserver:test IMAGE_BASE=$(IMAGE_TEST_BASE)
	MOCKSERVER_TEST_IMAGE=localhost/mockserver:test $(BIN)/python -m pytest -m image tests/test_image.py

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
	rm -rf $(VENV) .pytest_cache build *.egg-info bench/.prism test-artifacts
