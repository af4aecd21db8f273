"""The subscription form: form fields → a name and validated ``SubscriptionFilters``, and back.

The filters are the same pydantic model the YAML import and the CLI validate with, so a watch
made on the page is exactly one the service matches; its messages are shown beside the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from monitor.matching.filters import SubscriptionFilters

LIST_FIELDS = ("cpv", "nuts", "branches", "kinds")
LINE_FIELDS = ("buyers", "keywords", "exclude")


@dataclass
class ParsedForm:
    name: str
    values: dict[str, Any]
    """What the form held, to show it again (also when invalid)."""
    filters: SubscriptionFilters | None
    errors: list[str] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    return [x.strip() for x in re.split(r"[\n;]", text or "") if x.strip()]


def _number(text: str) -> float | None:
    text = (text or "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    return float(text) if text else None


def parse(form: FormData) -> ParsedForm:
    # A region choice stands for all its codes (NUTS 2021 and 2024): "FI197 FI19B".
    values: dict[str, Any] = {k: [w for v in form.getlist(k) for w in str(v).split()] for k in LIST_FIELDS}
    for k in LINE_FIELDS:
        values[k] = _lines(str(form.get(k, "")))
    values["countries"] = [c for c in re.split(r"[\s,;]+", str(form.get("countries", "")).upper()) if c]
    errors: list[str] = []
    for k in ("value_min", "value_max", "min_days_ahead"):
        raw = str(form.get(k, "")).strip()
        try:
            num = _number(raw)
            values[k] = int(num) if (k == "min_days_ahead" and num is not None) else num
        except ValueError:
            values[k] = None
            errors.append(f"{k}: {raw!r}")
    innovation = str(form.get("innovation", ""))
    values["innovation"] = innovation if innovation in ("innovative", "possible") else None
    name = " ".join(str(form.get("name", "")).split())[:200]
    try:
        filters = SubscriptionFilters(**values) if not errors else None
    except ValidationError as exc:
        filters = None
        errors += [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return ParsedForm(name=name, values=values, filters=filters, errors=errors)


def form_values(filters: dict[str, Any]) -> dict[str, Any]:
    """A stored filter dict as the form shows it."""
    f = SubscriptionFilters(**filters)
    return f.model_dump()
