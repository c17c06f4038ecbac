"""The OpenAPI specs the mock serves (one <api>.yaml per API).

This file only makes the folder importable: the build installs it as the package
``mockserver.data.specs`` (see pyproject.toml and mockserver/data/__init__.py).
"""
