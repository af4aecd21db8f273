"""Reading and writing subscriber files: YAML (the config shape) and CSV (one row per subscription).

CSV is for people who keep their customer lists in a spreadsheet: subscriber columns repeat
on each of its subscription rows, and list cells are separated by ``;``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.appconfig import ConfigError, ConfigProblem, load_file
from monitor.safety import csv_cell, csv_uncell
from monitor.subscribers.config import SubscribersFile

SUBSCRIBER_COLUMNS = [
    "email",
    "name",
    "kind",
    "branch",
    "language",
    "delivery",
    "digest_hour",
    "digest_day",
    "reminder_days",
    "enabled",
]
SUBSCRIPTION_COLUMNS = [
    "subscription",
    "cpv",
    "nuts",
    "countries",
    "branches",
    "buyers",
    "kinds",
    "value_min",
    "value_max",
    "min_days_ahead",
    "keywords",
    "exclude",
    "innovation",
]
LIST_COLUMNS = {
    "cpv",
    "nuts",
    "countries",
    "branches",
    "buyers",
    "kinds",
    "keywords",
    "exclude",
    "reminder_days",
}
COLUMNS = SUBSCRIBER_COLUMNS + SUBSCRIPTION_COLUMNS


def read_file(path: Path) -> SubscribersFile:
    """Load a ``.yaml``/``.yml`` or ``.csv`` file; raise :class:`ConfigError` naming file and line."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_file(path, SubscribersFile)
    if suffix == ".csv":
        return _read_csv(path)
    raise ConfigError([ConfigProblem(path, None, "expected a .yaml, .yml or .csv file")])


def _read_csv(path: Path) -> SubscribersFile:
    text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("email",) if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError([ConfigProblem(path, 1, f"missing column(s): {', '.join(missing)}")])
    unknown = [c for c in reader.fieldnames or [] if c not in COLUMNS]
    if unknown:
        raise ConfigError([ConfigProblem(path, 1, f"unknown column(s): {', '.join(unknown)}")])
    subscribers: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    problems: list[ConfigProblem] = []
    for row in reader:
        line = reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        email = cells.get("email", "").lower()
        if not email:
            problems.append(ConfigProblem(path, line, "empty email"))
            continue
        sub = subscribers.setdefault(email, {"subscriptions": []})
        first_line.setdefault(email, line)
        for col in SUBSCRIBER_COLUMNS:
            if cells.get(col):
                sub[col] = _cell(col, cells[col])
        if cells.get("subscription"):
            spec = {"name": csv_uncell(cells["subscription"])}
            for col in SUBSCRIPTION_COLUMNS[1:]:
                if cells.get(col):
                    spec[col] = _cell(col, cells[col])
            sub["subscriptions"].append(spec)
    if problems:
        raise ConfigError(problems)
    try:
        return SubscribersFile.model_validate({"subscribers": list(subscribers.values())})
    except ValidationError as exc:
        emails = list(subscribers)
        for err in exc.errors():
            loc = err["loc"]
            index = loc[1] if len(loc) > 1 else None
            at = first_line[emails[index]] if isinstance(index, int) else None
            where = ".".join(str(p) for p in loc[2:])
            problems.append(ConfigProblem(path, at, f"{err['msg']} (got {err.get('input')!r})", where))
        raise ConfigError(problems) from None


def _cell(col: str, value: str) -> Any:
    value = csv_uncell(value)  # our own export wrote formula-like text with a leading '
    if col in LIST_COLUMNS:
        return [csv_uncell(v.strip()) for v in value.split(";") if v.strip()]
    if col == "enabled":
        return value.lower() in ("1", "true", "yes", "y", "kyllä")
    return value


def dump_yaml(data: SubscribersFile) -> str:
    doc = _clean(data.model_dump(mode="json"))
    for sub in doc.get("subscribers", []):
        # The name first: a person scanning the file looks for the subscription by its name.
        sub["subscriptions"] = [
            {"name": s["name"], **{k: v for k, v in s.items() if k != "name"}}
            for s in sub.get("subscriptions", [])
        ]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)


def dump_csv(data: SubscribersFile) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in data.model_dump(mode="json")["subscribers"]:
        base = {c: _fmt(s.get(c)) for c in SUBSCRIBER_COLUMNS}
        subs = s.get("subscriptions") or [None]
        for spec in subs:
            row = dict(base)
            if spec:
                row["subscription"] = _fmt(spec["name"])
                for col in SUBSCRIPTION_COLUMNS[1:]:
                    row[col] = _fmt(spec.get(col))
            writer.writerow(row)
    return out.getvalue()


def _fmt(value: Any) -> str:
    """One cell; text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) gets a
    leading ``'`` (``monitor/safety.py``), which import takes off again."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(csv_cell(str(v)) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_cell(str(value))


def _clean(value: Any) -> Any:
    """Drop empty lists and None so an export reads like a hand-written file."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
