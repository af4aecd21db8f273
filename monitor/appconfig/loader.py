"""Validate each config file with its pydantic model and gather every problem with its line."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.appconfig.errors import ConfigError, ConfigProblem
from monitor.appconfig.yamlfile import _dotted, read_yaml

# file name → "module:Model". Imported lazily so a broken area does not stop the others loading.
CONFIG_FILES: dict[str, str] = {
    "sources.yaml": "monitor.appconfig.models:SourcesConfig",
    "service.yaml": "monitor.appconfig.models:ServiceConfig",
    "innovation.yaml": "monitor.classify.rules:RulesConfig",
    "branches.yaml": "monitor.branches:BranchesConfig",
    "subscribers.yaml": "monitor.subscribers.config:SubscribersFile",
}
OPTIONAL_FILES = {"subscribers.yaml"}


def _model(spec: str) -> type[BaseModel]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def load_file(path: Path, model: type[BaseModel], text: str | None = None) -> BaseModel:
    """Load one YAML file into ``model``; raise :class:`ConfigError` listing every problem."""
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


def _problem(path: Path, doc: Any, err: dict[str, Any]) -> ConfigProblem:
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


@dataclass
class AppConfig:
    """Every config file, validated. ``version`` hashes their contents."""

    directory: Path
    files: dict[str, BaseModel] = field(default_factory=dict)
    version: str = ""

    def get(self, name: str) -> Any:
        return self.files.get(name)

    @property
    def sources(self) -> Any:
        return self.files["sources.yaml"]

    @property
    def service(self) -> Any:
        return self.files["service.yaml"]

    @property
    def rules(self) -> Any:
        return self.files["innovation.yaml"]

    @property
    def branches(self) -> Any:
        return self.files["branches.yaml"]

    @property
    def rules_compiled(self) -> Any:
        """The innovation rules compiled for the classifier, built once per config version."""
        compiled = self.__dict__.get("_rules_compiled")
        if compiled is None:
            from monitor.classify.rules import Rules

            compiled = Rules.from_config(self.rules, self.directory / "innovation.yaml")
            self.__dict__["_rules_compiled"] = compiled
        return compiled


def load_config(directory: Path) -> AppConfig:
    """Load every known file in ``directory``; raise one :class:`ConfigError` with all problems."""
    import hashlib

    problems: list[ConfigProblem] = []
    cfg = AppConfig(directory=directory)
    digest = hashlib.sha256()
    for name, spec in CONFIG_FILES.items():
        path = directory / name
        if not path.exists():
            if name not in OPTIONAL_FILES:
                problems.append(ConfigProblem(path, None, "file is missing"))
            continue
        text = path.read_text(encoding="utf-8")
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        try:
            cfg.files[name] = load_file(path, _model(spec), text)
        except ConfigError as exc:
            problems.extend(exc.problems)
        except ImportError as exc:  # an area not built yet: say so rather than crash
            problems.append(ConfigProblem(path, None, f"cannot load its schema: {exc}"))
    if problems:
        raise ConfigError(problems)
    cfg.version = digest.hexdigest()[:12]
    return cfg
