"""Fixtures for the classifier tests: the default rules (loaded once) and a record builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from db.record import Buyer, Lot, NoticeRecord
from monitor.classify import Rules, load_rules

REPO = Path(__file__).resolve().parents[2]
RULES_FILE = REPO / "config" / "innovation.yaml"
LABELS_FILE = REPO / "tests" / "data" / "innovation_labels.yaml"


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules(RULES_FILE)


def record(
    title: dict[str, str] | None = None,
    description: dict[str, str] | None = None,
    *,
    additional_info: dict[str, str] | None = None,
    lot_signals: dict[str, list[str]] | None = None,
    signals: dict[str, list[str]] | None = None,
    subtype: str = "16",
    procedure_type: str | None = "open",
    cpv: str | None = None,
    buyers: list[Buyer] | None = None,
    lots: list[Lot] | None = None,
    **extra: Any,
) -> NoticeRecord:
    """A contract notice with the given texts; lot-level signals as eForms puts them."""
    if lots is None:
        lots = [Lot(lot_id="LOT-0001", cpv_main=cpv, signals=lot_signals or {})]
    return NoticeRecord(
        notice_id=extra.pop("notice_id", "11111111-1111-4111-8111-111111111111"),
        version="01",
        procedure_id="22222222-2222-4222-8222-222222222222",
        publication_number=extra.pop("publication_number", "00000001-2026"),
        publication_date=None,
        subtype=subtype,
        notice_type="cn-standard",
        form_type="competition",
        language="fin",
        title=title or {},
        description=description or {},
        additional_info=additional_info or {},
        buyers=buyers or [],
        procedure_type=procedure_type,
        lots=lots,
        signals=signals or {},
        **extra,
    )
