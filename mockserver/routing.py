"""Match a method and a path inside one API to a documented operation.

Paths are matched segment by segment against the spec's templates; a template with more
literal segments wins over one with more parameters (``/credential_types/`` before
``/{id}/``), as every real router does. A path no template matches is a 404; a path that
matches with another method is a 405 that knows which methods would have worked.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .spec import ApiSpec, Operation

_PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class RouteMatch:
    """A routed request: the operation and its raw (string) path parameters."""

    operation: Operation
    path_params: dict[str, str]


@dataclass(frozen=True)
class NoRoute:
    """No operation answers this request; `allowed` is non-empty for a 405.

    `closest` names the documented operation that came nearest, and `why` says what
    did not match, so a developer sees "credential vs credentials" at a glance.
    """

    path: str
    method: str
    allowed: tuple[str, ...] = ()
    closest: str = ""
    why: str = ""

    @property
    def status(self) -> int:
        """404 for an unknown path, 405 for a known path with the wrong method."""
        return 405 if self.allowed else 404


@dataclass(frozen=True)
class _Template:
    path: str
    pattern: re.Pattern
    literal_segments: int
    operations: dict[str, Operation]


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _nearness(template: str, path: str) -> tuple[float, str]:
    """(score, why) of how near a path is to a template: higher is nearer.

    Every aligned segment counts: 2 when it fits (equal, or a parameter takes it), else
    how alike the two words are (0 to 1); each segment too many or too few costs 1.
    """
    want, got = _segments(template), _segments(path)
    score, why = 0.0, ""
    for index, (expected, actual) in enumerate(zip(want, got)):
        if _PARAM.fullmatch(expected) or expected == actual:
            score += 2
        else:
            score += difflib.SequenceMatcher(None, expected, actual).ratio()
            why = why or f"segment {index + 1} is {actual!r} where {template} has {expected!r}"
    if len(want) != len(got):
        score -= abs(len(want) - len(got))
        more = "more" if len(got) > len(want) else "fewer"
        why = why or f"{len(got)} path segments, {more} than the {len(want)} of {template}"
    if not why:
        why = f"the trailing slash differs from {template}" if path.rstrip("/") == template.rstrip("/") \
            else f"{path} is written differently from {template}"
    return score, why


def _compile_template(path: str, optional_slash: bool) -> re.Pattern:
    regex, last = "", 0
    for m in _PARAM.finditer(path):
        regex += re.escape(path[last:m.start()]) + f"(?P<{m.group(1)}>[^/]+)"
        last = m.end()
    regex += re.escape(path[last:])
    if optional_slash:
        regex = regex.rstrip("/") + "/?"
    return re.compile(f"^{regex}$")


class Router:
    """All of one API's templates, compiled once."""

    def __init__(self, spec: ApiSpec):
        by_path: dict[str, dict[str, Operation]] = {}
        for op in spec.operations:
            by_path.setdefault(op.path, {})[op.method] = op
        templates = [
            _Template(
                path=path,
                pattern=_compile_template(path, spec.trailing_slash_optional),
                literal_segments=sum(1 for s in path.split("/") if s and not _PARAM.search(s)),
                operations=ops,
            )
            for path, ops in by_path.items()
        ]
        # Most specific first: more literal segments, then longer templates.
        self._templates = sorted(templates, key=lambda t: (-t.literal_segments, -len(t.pattern.pattern)))

    def match(self, method: str, path: str) -> RouteMatch | NoRoute:
        """Route a request, or say why it cannot be routed.

        HEAD is served by the GET operation when the spec has no HEAD of its own (every
        real server does this); the body is dropped when the response is written.
        """
        method = method.upper()
        allowed: set[str] = set()
        nearest = ""
        for template in self._templates:
            m = template.pattern.match(path)
            if m is None:
                continue
            operation = template.operations.get(method)
            if operation is None and method == "HEAD":
                operation = template.operations.get("GET")
            if operation is not None:
                return RouteMatch(operation, m.groupdict())
            allowed.update(template.operations)
            nearest = nearest or template.path
        if "GET" in allowed:
            allowed.add("HEAD")
        if allowed:
            return NoRoute(path, method, tuple(sorted(allowed)), closest=nearest,
                           why=f"{method} is not allowed here (allowed: {', '.join(sorted(allowed))})")
        return self._closest(path, method)

    def _closest(self, path: str, method: str) -> NoRoute:
        best, why = None, "this API documents no operations"
        best_score = float("-inf")
        for template in self._templates:
            score, reason = _nearness(template.path, path)
            if score > best_score:
                best, best_score, why = template, score, reason
        closest = ""
        if best is not None:
            closest = f"{'/'.join(sorted(best.operations))} {best.path}"
        return NoRoute(path, method, (), closest=closest, why=why)
