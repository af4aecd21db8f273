"""The admins' config as one validated object: every file under ``config/``, with its schema.

This is where the areas' schemas meet (sources, service, innovation rules, branches,
subscribers), so it sits above them: ``monitor.appconfig`` is the machinery (YAML with
lines, errors, ``load_file``) and imports no area; each area defines its own schema; this
module names which file holds which. The service holds one :class:`AppConfig` (the last
good one, see ``monitor/service/confighold.py``) and passes it to every step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from monitor.appconfig import ConfigError, ConfigProblem, load_file
from monitor.appconfig.models import ServiceConfig, Strict
from monitor.appconfig.yamlfile import read_bytes
from monitor.branches import BranchesConfig
from monitor.classify.rules import Rules, RulesConfig
from monitor.sources import SourcesConfig
from monitor.subscribers.config import SubscribersFile

CONFIG_FILES: dict[str, type[BaseModel]] = {
    "sources.yaml": SourcesConfig,
    "service.yaml": ServiceConfig,
    "innovation.yaml": RulesConfig,
    "branches.yaml": BranchesConfig,
    "subscribers.yaml": SubscribersFile,
}
OPTIONAL_FILES = {"subscribers.yaml"}


@dataclass
class AppConfig:
    """Every config file, validated. ``version`` hashes their contents."""

    directory: Path
    files: dict[str, BaseModel] = field(default_factory=dict)
    version: str = ""

    def get(self, name: str) -> Any:
        return self.files.get(name)

    @property
    def sources(self) -> Strict:
        return self.files["sources.yaml"]  # type: ignore[return-value]  # load_config checked the model

    @property
    def service(self) -> ServiceConfig:
        return self.files["service.yaml"]  # type: ignore[return-value]  # load_config checked the model

    @property
    def rules(self) -> RulesConfig:
        return self.files["innovation.yaml"]  # type: ignore[return-value]  # load_config checked the model

    @property
    def branches(self) -> BranchesConfig:
        return self.files["branches.yaml"]  # type: ignore[return-value]  # load_config checked the model

    @property
    def subscribers(self) -> SubscribersFile | None:
        return self.files.get("subscribers.yaml")  # type: ignore[return-value]  # optional file

    @property
    def rules_compiled(self) -> Rules:
        """The innovation rules compiled for the classifier, built once per config version."""
        compiled = self.__dict__.get("_rules_compiled")
        if compiled is None:
            compiled = Rules.from_config(self.rules, self.directory / "innovation.yaml")
            self.__dict__["_rules_compiled"] = compiled
        return compiled


def load_config(directory: Path) -> AppConfig:
    """Load every known file in ``directory``; raise one :class:`ConfigError` with all problems.

    Nothing else escapes: whatever a file holds, it ends as a problem naming the file (and
    the line where one is known), so a running service can refuse the edit and carry on.
    """
    problems: list[ConfigProblem] = []
    cfg = AppConfig(directory=directory)
    digest = hashlib.sha256()
    for name, model in CONFIG_FILES.items():
        path = directory / name
        if not path.exists():
            if name not in OPTIONAL_FILES:
                problems.append(ConfigProblem(path, None, "file is missing"))
            continue
        data = read_bytes(path)
        if isinstance(data, ConfigProblem):
            problems.append(data)
            continue
        digest.update(name.encode() + b"\0" + data + b"\0")
        try:
            cfg.files[name] = load_file(path, model, data)
        except ConfigError as exc:
            problems.extend(exc.problems)
        except Exception as exc:  # a validator's bug must read as a refused file, not a crash
            problems.append(ConfigProblem(path, None, f"cannot be loaded: {type(exc).__name__}: {exc}"))
    if problems:
        raise ConfigError(problems)
    cfg.version = digest.hexdigest()[:12]
    return cfg
