# The mock as a container image: `make image` builds it, `make image-test` builds and tests it.
#
#   podman run -p 8080:8080 -e MOCKSERVER_ADMIN_TOKEN=change-me mockserver
#
# BASE is any Debian-based image with Python 3.11+ and its venv module. The default is the
# official Python image; `make image-test` passes one it builds itself from Debian's
# packages (container/build-base.sh), since no container registry is reachable there.
ARG BASE=docker.io/library/python:3.11-slim-bookworm

# --- build: the project and its pinned dependencies in a virtualenv -----------------------
FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
COPY pyproject.toml README.md /src/
COPY mockserver /src/mockserver
COPY specs /src/specs
COPY fixtures /src/fixtures
# Behind a proxy that re-signs HTTPS (a company's, or a sandbox's), pip needs its CA:
# `make image` passes the build machine's trusted certificates as the secret pip-ca.
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && python3 -m venv /opt/mockserver \
 && /opt/mockserver/bin/pip install --no-compile /src \
 # what only installing needs, and tests of the dependencies, stay out of the image
 && /opt/mockserver/bin/pip uninstall --yes pip setuptools \
 && find /opt/mockserver -depth -type d \( -name tests -o -name __pycache__ \) -path '*/site-packages/*' -exec rm -rf {} + \
 # Faker ships every locale (20 MB); the mock generates en_US data (mockserver/fake.py),
 # whose providers fall back on other English ones (en_GB for banks): those stay
 && find /opt/mockserver/lib/python3*/site-packages/faker/providers -mindepth 2 -maxdepth 2 -type d \
        ! -name 'en*' -exec rm -rf {} + \
 && /opt/mockserver/bin/python -m compileall -q -j 0 /opt/mockserver

# --- run: the virtualenv on the same base, as a non-root user -----------------------------
FROM ${BASE}
RUN groupadd --system --gid 10001 mock \
 && useradd --system --uid 10001 --gid mock --create-home --home-dir /home/mock mock \
 && mkdir /data /state && chown mock:mock /state
COPY --from=build /opt/mockserver /opt/mockserver
COPY container/entrypoint.sh /usr/local/bin/mockserver-entrypoint
ENV PATH=/opt/mockserver/bin:$PATH PYTHONUNBUFFERED=1
USER mock
# Parse the shipped specs and data once now: every start of the image reads them cached.
RUN mockserver fixtures check /opt/mockserver/lib/python3*/site-packages/mockserver/data/fixtures/default.yaml
WORKDIR /home/mock
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["mockserver", "wait", "--timeout", "3", "http://127.0.0.1:8080/__mock/health"]
# Off loopback the control API needs a token: MOCKSERVER_ADMIN_TOKEN (run refuses to start
# without one). Arguments after the image name are `mockserver run` options (--fixtures
# /data/x.yaml, --seed 42 ...), or another command: verify, wait, fixtures, --version.
ENTRYPOINT ["mockserver-entrypoint"]
