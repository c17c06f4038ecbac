"""Body templates: an error body or a list's envelope as a spec declares it
(``x-mock-errors.body``, ``x-mock-paging.body``), filled with a request's values.

``"{status}"`` alone keeps the value's type, other strings are formatted, and a member
written ``"{name?}"`` is left out when its value is missing, null or empty. Each template
becomes straight-line code once (every list and every error fills one of a few)."""

from __future__ import annotations

from typing import Any, Callable


def fill_template(template: Any, values: dict) -> Any:
    """A copy of a body template with its ``{name}`` placeholders filled: a string that is
    one placeholder takes the value as it is (``"{status}"`` -> 404), others are formatted.
    A member written ``"{name?}"`` is left out when the value is missing, null or empty."""
    return _filler(template)(values)


_FILLERS: dict[int, tuple[Any, Callable[[dict], Any]]] = {}


def _filler(template: Any) -> Callable[[dict], Any]:
    """`fill_template` for one template, worked out once (every list and every error fills
    the same few templates; keyed by identity, the template kept so its id stays its)."""
    known = _FILLERS.get(id(template))
    if known is not None and known[0] is template:
        return known[1]
    if len(_FILLERS) > 10_000:
        _FILLERS.clear()
    made = _make_filler(template)
    _FILLERS[id(template)] = (template, made)
    return made


def _make_filler(template: Any) -> Callable[[dict], Any]:
    if isinstance(template, dict):
        # Straight-line code, made once: a list's envelope and every error fill one of these.
        lines, scope = ["def fill(values):", "    out = {}"], {"EMPTY": (None, [], ""), "Known": Known}
        for index, (key, value) in enumerate(template.items()):
            optional = isinstance(value, str) and value.startswith("{") and value.endswith("?}")
            whole = value[1:-2] if optional else value[1:-1] if isinstance(value, str) and value[:1] == "{" \
                and value[-1:] == "}" and "{" not in value[1:-1] and "}" not in value[1:-1] else None
            if optional:
                lines += [f"    v = values.get({whole!r})", "    if v not in EMPTY:", f"        out[{key!r}] = v"]
            elif whole is not None:
                scope[f"t{index}"] = value
                lines.append(f"    out[{key!r}] = values[{whole!r}] if {whole!r} in values "
                             f"else t{index}.format_map(Known(values))")
            elif not isinstance(value, (dict, list)) and not (isinstance(value, str) and ("{" in value or "}" in value)):
                scope[f"c{index}"] = value  # a constant, as it is
                lines.append(f"    out[{key!r}] = c{index}")
            else:
                scope[f"f{index}"] = _make_filler(value)
                lines.append(f"    out[{key!r}] = f{index}(values)")
        lines.append("    return out")
        exec(compile("\n".join(lines), "<template>", "exec"), scope)  # noqa: S102 - keys are repr()-quoted
        return scope["fill"]
    if isinstance(template, list):
        items = [_make_filler(item) for item in template]
        return lambda values: [fill(values) for fill in items]
    if isinstance(template, str):
        whole = template[1:-1] if template.startswith("{") and template.endswith("}") else None
        if "{" not in template and "}" not in template:
            return lambda values: template

        def fill_text(values: dict) -> Any:
            if whole is not None and whole in values:
                return values[whole]
            return template.format_map(Known(values))
        return fill_text
    return lambda values: template


class Known(dict):
    """Values for str.format_map: a placeholder with no value stays as written (the spec's
    check at load names it; a request never fails on it)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
