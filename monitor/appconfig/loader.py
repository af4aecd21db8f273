"""Validate one config file with its pydantic model and gather every problem with its line.

Which file has which model is ``monitor/config.py``'s business; this module knows no area.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from monitor.appconfig.errors import ConfigError, ConfigProblem
from monitor.appconfig.yamlfile import _dotted, read_yaml

M = TypeVar("M", bound=BaseModel)


def load_file(path: Path, model: type[M], text: str | bytes | None = None) -> M:
    """Load one YAML file (or its ``text`` or bytes) into ``model``; raise :class:`ConfigError`
    listing every problem."""
    doc = read_yaml(path, text)
    problems = list(doc.problems)
    if doc.data is None and not problems:
        problems.append(ConfigProblem(path, 1, "file is empty; expected a mapping"))
    if problems:
        raise ConfigError(problems)
    try:
        instance = model.model_validate(doc.data, context={"file": path, "lines": doc.lines})
    except ValidationError as exc:
        raise ConfigError([_problem(path, doc, err) for err in exc.errors()]) from None
    return instance


def _problem(path: Path, doc: Any, err: ErrorDetails) -> ConfigProblem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    if kind == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}"
    elif kind == "missing":
        msg = f"missing required key {loc[-1]!r}"
    else:
        expected = err["msg"]
        got = err.get("input")
        shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
        msg = f"{expected} (got {shown})"
    return ConfigProblem(path, doc.line_of(loc), msg, _dotted(loc))
