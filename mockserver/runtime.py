"""One running mock: its configuration, mounted APIs, data and the pipeline serving them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from .fake import Fake
from .fixtures import DEFAULT_FIXTURE, build_store, read_fixture
from .pipeline import Pipeline
from .registry import MountedApi, load_apis

MIB = 1024 * 1024


@dataclass
class MockConfig:
    """Everything that shapes a mock server; the CLI and tests build one of these."""

    spec_dir: Path | None = None
    single_api: str | None = None  # serve only this API, mounted at "/"
    only: list[str] | None = None  # serve only these APIs, each under its usual /<id>
    fixtures: list[Path] = field(default_factory=lambda: [DEFAULT_FIXTURE])
    seed: int | None = None  # None: pick one at start, so reset still restores the same data
    max_body: int = MIB
    check_responses: bool = False  # raise ContractDrift when a response breaks the spec (tests)
    access_log: bool = False


class MockRuntime:
    """The state of one server: load everything once, then serve and reset."""

    def __init__(self, config: MockConfig, apis: dict[str, MountedApi] | None = None):
        """Load specs (unless already-loaded `apis` are given, as tests do) and fixtures."""
        self.config = config
        self.seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**31)
        if apis is None:
            apis = load_apis(config.spec_dir, [config.single_api] if config.single_api else config.only)
        self.apis: dict[str, MountedApi] = apis
        self.fixtures = [read_fixture(path) for path in config.fixtures]
        self.generation = 0  # how many resets so far
        self.store = build_store(self.apis, self.fixtures, self.seed)
        self.pipeline = Pipeline(self.store, Fake(self.seed), max_body=config.max_body,
                                 check_responses=config.check_responses)

    @property
    def single(self) -> MountedApi | None:
        """The API mounted at "/" with ``--api``, else None."""
        return self.apis[self.config.single_api] if self.config.single_api else None

    def mount_of(self, api_id: str) -> str:
        """The path prefix an API is served under."""
        return "" if self.config.single_api else f"/{api_id}"

    def reset(self) -> None:
        """Return to the start-up data set (same fixtures, same seed)."""
        self.generation += 1
        self.store.replace_with(build_store(self.apis, self.fixtures, self.seed, self.generation))
