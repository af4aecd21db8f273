"""Config errors that name the file and line of each problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    file: Path
    line: int | None
    message: str
    location: str = ""
    """Dotted path inside the file, e.g. ``keywords[3].weight``."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        loc = f" {self.location}:" if self.location else ""
        return f"{where}:{loc} {self.message}"


class ConfigError(Exception):
    """Raised when one or more config files are invalid; carries every problem found."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (str(p.file), p.line or 0))
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the configuration:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])
