"""Jinja filters: dates in Europe/Helsinki, sums, CPV labels, and text with matched words marked.

Dates and sums are written as the alert emails write them (``monitor.alerts.i18n``), so a
deadline reads the same in the email and on the page it links to.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from monitor.alerts import i18n as mail_i18n
from monitor.alerts.cpv_labels import cpv_label


def when(value: datetime | str | None, lang: str) -> str:
    """A moment in Europe/Helsinki (``12.3.2027 klo 12.00``); empty for none."""
    return mail_i18n.format_datetime(value, lang) or ""


def day(value: date | None, lang: str) -> str:
    if value is None:
        return ""
    if lang == "en":
        return f"{value.day} {value:%b} {value.year}"
    return f"{value.day}.{value.month}.{value.year}"


def money(amount: float | None, currency: str | None, lang: str) -> str:
    return mail_i18n.format_money(amount, currency, lang) or ""


def marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each (start, end) span wrapped in ``<mark>``; overlapping spans merge."""
    out: list[str] = []
    pos = 0
    for a, b in merge(spans):
        if a < pos or b > len(text):
            continue
        out.append(str(escape(text[pos:a])))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def changeval(value: Any, name: str, lang: str) -> str:
    """One side of a change (old or new) in words: a deadline in Helsinki time, a sum, a list."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "deadline" and isinstance(value, str):
        try:
            return when(value, lang)
        except ValueError:
            return value
    if isinstance(value, dict) and "amount" in value:
        return money(value.get("amount"), value.get("currency"), lang)
    if isinstance(value, list):
        return ", ".join(changeval(v, name, lang) if isinstance(v, dict) else str(v) for v in value[:20])
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in list(value.items())[:6])
    text = str(value)
    return text if len(text) <= 300 else text[:299] + "…"


def fieldname(field: str, lang: str) -> str:
    """``lot LOT-0001 title`` → ``osa LOT-0001 otsikko``; ``CPV (procedure)`` etc. stay as they are."""
    return mail_i18n.field_name(field, lang)


def sourcename(source: str) -> str:
    return {"ted": "TED", "ted_packages": "TED", "hilma": "HILMA"}.get(source, source)


def install(env: Environment) -> None:
    env.filters["changeval"] = changeval
    env.filters["fieldname"] = fieldname
    env.filters["sourcename"] = sourcename
    env.filters["when"] = when
    env.filters["day"] = day
    env.filters["money"] = money
    env.filters["cpv_label"] = cpv_label
    env.globals["marked"] = marked


def label_class(label: Any) -> str:
    return {"innovative": "badge-innovative", "possible": "badge-possible"}.get(str(label), "badge-none")
