"""Admins' verdicts as a labelled set (issue #15, point 3): the ``tenderwatch eval`` format.

``verdict_labels(session)`` turns each verdict into a :class:`LabelledNotice` built from the
stored notice record, so ``tenderwatch eval`` and the rules editor's back-test measure rules
against the review queue's decisions exactly as against the hand-written set. Innovative →
``innovative``; not innovative → ``none`` (a verdict does not say "possible").

A labelled notice has procedure-level texts and one lot (``LabelledNotice.to_record``): a
stored notice's lot titles and descriptions are appended to its description and additional
information, its procedure- and lot-level signals merged. So a word that counted in a lot's
title counts here at the description's weight: the labels stay right, a score may differ a
little from the stored one.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.notices import Notice
from db.models.review import ReviewVerdict
from db.record import NoticeRecord
from monitor.classify.evaluate import LabelledNotice

ID_PREFIX = "review-"
"""Verdict items' ids start with this, so they never clash with a hand-written set's ids."""
HEADER = """\
# Labelled notices from the TenderWatch review queue (`tenderwatch review export`): one item per
# admin verdict, built from the stored notice. Evaluate the rules on it with
#   tenderwatch eval THIS_FILE
# or add the current verdicts to another set with `tenderwatch eval LABELS.yaml --with-verdicts`.
"""


def _joined(*parts: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for texts in parts:
        for lang, text in texts.items():
            if text and text.strip():
                out[lang] = f"{out[lang]}\n\n{text}" if lang in out else text
    return out


def labelled_from_record(item_id: str, label: str, record: NoticeRecord, note: str = "") -> LabelledNotice:
    cpv: list[str] = []
    for code in [record.cpv_main, *record.cpv_additional]:
        if code and code not in cpv:
            cpv.append(code)
    signals: dict[str, list[str]] = {}

    def add(name: str, values: Any) -> None:
        for v in values if isinstance(values, list | tuple) else [values]:
            text = str(v).lower() if isinstance(v, bool) else str(v)
            if text not in signals.setdefault(name, []):
                signals[name].append(text)

    for name, values in record.signals.items():
        add(name, values)
    for lot in record.lots:
        for code in [lot.cpv_main, *lot.cpv_additional]:
            if code and code not in cpv:
                cpv.append(code)
        for name, values in lot.signals.items():
            add(name, values)
    for key, value in record.national.items():  # a source's own answers (hilma:innovationConsidered)
        if ":" in key and isinstance(value, str | bool | int):
            add(key, value)
    return LabelledNotice(
        id=item_id,
        label=label,  # type: ignore[arg-type]  # "innovative" or "none"
        title=_joined(record.title),
        description=_joined(
            record.description, *(_joined(lot.title, lot.description) for lot in record.lots)
        ),
        additional_info=_joined(record.additional_info, *(lot.additional_info for lot in record.lots)),
        subtype=record.subtype or "",
        procedure_type=record.procedure_type,
        cpv=cpv,
        signals=signals,
        note=note,
    )


def verdict_labels(session: Session) -> list[LabelledNotice]:
    """Every current verdict as a labelled notice, oldest verdict first (a stable file to diff)."""
    rows = session.execute(
        select(ReviewVerdict, Notice.record, Notice.publication_number)
        .join(Notice, Notice.id == ReviewVerdict.notice_pk)
        .order_by(ReviewVerdict.decided_at, ReviewVerdict.id)
    ).all()
    out = []
    for verdict, record, number in rows:
        label = "innovative" if verdict.verdict == "innovative" else "none"
        item_id = f"{ID_PREFIX}{number or verdict.notice_pk}"
        note = f"verdict {verdict.decided_at:%Y-%m-%d}, label then {verdict.label_then or '-'}"
        out.append(labelled_from_record(item_id, label, NoticeRecord.from_dict(record), note))
    return _unique_ids(out)


def _unique_ids(items: list[LabelledNotice]) -> list[LabelledNotice]:
    """Two notices with one publication number (versions of a notice): the later gets ``-2``…"""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        n = seen.get(item.id, 0) + 1
        seen[item.id] = n
        out.append(item if n == 1 else item.model_copy(update={"id": f"{item.id}-{n}"}))
    return out


def to_yaml(items: list[LabelledNotice]) -> str:
    """The YAML ``load_labels`` reads (defaults left out, as in the hand-written set)."""
    docs = [item.model_dump(exclude_defaults=True, exclude={"id", "label"}) for item in items]
    docs = [{"id": item.id, "label": item.label, **doc} for item, doc in zip(items, docs, strict=True)]
    body = yaml.safe_dump(docs, allow_unicode=True, sort_keys=False, width=100) if docs else "[]\n"
    return HEADER + body
