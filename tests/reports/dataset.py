"""A generated set of procedures whose true report figures are known, stored through the real store.

Each procedure is written as a plain spec (buyer, notices with their day, kind, value and label);
``ingest`` turns the specs into NoticeRecords, stores them with ``db.store.Store`` and adds the
classifier's rows; ``expected`` computes the figures straight from the specs, with none of the
code under test, so the two can disagree.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from db.clock import utcnow
from db.models.classification import ClassificationChange, NoticeClassification
from db.models.declarations import NoticeDeclaration
from db.record import Award, Buyer, Change, Money, NoticeRecord
from db.store import RawDoc, Store

RANK = {"none": 0, "possible": 1, "innovative": 2}
ELY_REFORM = date(2026, 1, 1)  # config/branches.yaml: ELY-keskus until 2025, then Elinvoimakeskus

# name → (buyer, area it must land in; None = not counted as Finnish). "ely" depends on the date.
BUYERS: dict[str, tuple[Buyer, str | None]] = {
    "tem": (Buyer("Työ- ja elinkeinoministeriö", None, "FIN", legal_type="cga"), "TEM"),
    "elinvoima": (Buyer("Pirkanmaan elinvoimakeskus", None, "FIN", legal_type="cga"), "TEM"),
    "ely": (Buyer("Pirkanmaan ELY-keskus", None, "FIN", legal_type="cga"), "ely"),
    "vayla": (Buyer("Väylävirasto", "1010547-1", "FIN", legal_type="cga"), "LVM"),
    "thl": (Buyer("Terveyden ja hyvinvoinnin laitos THL", None, "FIN", legal_type="cga"), "STM"),
    "poliisi": (Buyer("Poliisihallitus", None, "FIN", legal_type="cga"), "SM"),
    "hansel": (Buyer("Hansel Oy", "0988084-1", "FIN", legal_type="pub-undert-cga"), "yhteishankinta"),
    "tampere": (Buyer("Tampereen kaupunki", "0211675-2", "FIN", legal_type="la"), "kunta"),
    "hva": (Buyer("Pirkanmaan hyvinvointialue", "3221308-6", "FIN", legal_type="ra"), "hyvinvointialue"),
    "hsl": (Buyer("Helsingin seudun liikenne -kuntayhtymä", None, "FIN", legal_type="body-pl"), "muu"),
    "unknown": (Buyer("Valtion uusi tuntematon yksikkö", None, "FIN", legal_type="cga"), "unmapped"),
    "stockholm": (Buyer("Stockholms stad", None, "SWE", legal_type="la"), None),
}

KINDS = {
    # kind → (subtype, BT-02 notice type, BT-03 form type)
    "planning": ("4", "pin-only", "planning"),
    "call": ("16", "cn-standard", "competition"),
    "change": ("16", "cn-standard", "competition"),
    "cancel": ("16", "cn-standard", "competition"),
    "award": ("29", "can-standard", "result"),
    "direct": ("25", "can-standard", "dir-awa-pre"),
}


@dataclass
class N:
    """One notice of a procedure."""

    kind: str
    day: date
    label: str | None = "none"
    """The classifier's label for this notice; None: not classified."""
    value: float | None = None
    currency: str = "EUR"
    declared: bool | None = False
    """What the buyer declared in this notice (its notice-level declaration); None: not evaluated."""


@dataclass
class P:
    buyer: str
    notices: list[N]
    name: str = ""
    pk: int | None = field(default=None, compare=False)

    # -------------------------------------------------------------- the truth, from the spec
    @property
    def counted_notices(self) -> list[N]:
        return [n for n in self.notices if n.kind != "planning"]

    @property
    def period_day(self) -> date | None:
        days = [n.day for n in self.counted_notices]
        return min(days) if days else None

    @property
    def area(self) -> str | None:
        area = BUYERS[self.buyer][1]
        if area == "ely":
            day = self.period_day
            return "TEM" if day is not None and day < ELY_REFORM else "unmapped"
        return area

    @property
    def label(self) -> str | None:
        labels = [n.label for n in self.notices if n.label is not None]
        return max(labels, key=RANK.__getitem__) if labels else None

    @property
    def declared(self) -> bool | None:
        """Declared innovative when any notice is; None when no notice is evaluated."""
        seen = [n.declared for n in self.notices if n.declared is not None]
        return any(seen) if seen else None

    @property
    def cancelled(self) -> bool:
        return any(n.kind == "cancel" for n in self.notices)

    @property
    def value_eur(self) -> float | None:
        """The latest non-award notice's estimated value (all of them when only awards exist)."""
        informative = [n for n in self.notices if n.kind not in ("award", "direct")] or self.notices
        last = max(informative, key=lambda n: n.day)
        return last.value if last.value is not None and last.currency == "EUR" else None


def expected(specs: list[P], start: date, end: date) -> dict[str, dict[str, float]]:
    """Figures per area (and ``FI``) for the days ``start``..``end``, from the specs alone."""
    out: dict[str, dict[str, float]] = {}
    for p in specs:
        day = p.period_day
        if day is None or p.area is None or not start <= day <= end:
            continue
        for key in (p.area, "FI"):
            a = out.setdefault(
                key,
                {"calls": 0, "innovative": 0, "possible": 0, "unclassified": 0, "cancelled": 0,
                 "value_known": 0, "value_eur": 0.0, "innovative_value_eur": 0.0, "notices": 0,
                 "declared": 0, "declared_value_eur": 0.0, "declared_and_detected": 0, "not_evaluated": 0},
            )  # fmt: skip
            a["notices"] += len(p.counted_notices)
            if p.cancelled:
                a["cancelled"] += 1
                continue
            a["calls"] += 1
            if p.label == "innovative":
                a["innovative"] += 1
            elif p.label == "possible":
                a["possible"] += 1
            elif p.label is None:
                a["unclassified"] += 1
            if p.declared:
                a["declared"] += 1
                a["declared_and_detected"] += p.label == "innovative"
            elif p.declared is None:
                a["not_evaluated"] += 1
            if p.value_eur is not None:
                a["value_known"] += 1
                a["value_eur"] += p.value_eur
                if p.label == "innovative":
                    a["innovative_value_eur"] += p.value_eur
                if p.declared:
                    a["declared_value_eur"] += p.value_eur
    return out


# ------------------------------------------------------------------------------ the set
def edge_cases() -> list[P]:
    """Hand-written cases, each named for what it proves (report month: October 2026)."""
    d = date
    return [
        P("tem", [N("call", d(2026, 10, 1), "innovative", 100_000.0)], "first day of the month"),
        P("tem", [N("call", d(2026, 10, 31), "none", 50_000.0)], "last day of the month"),
        P(
            "tem",
            [
                N("call", d(2026, 9, 30), "none", 10_000.0),
                N("change", d(2026, 10, 5), "innovative", 10_000.0),
            ],
            "called in September, changed in October: counts in September, as innovative",
        ),
        P("tem", [N("call", d(2026, 11, 1), "innovative", 1.0)], "first day after the month"),
        P(
            "tem",
            [
                N("call", d(2026, 10, 3), "none", 20_000.0),
                N("change", d(2026, 10, 9), "none", 35_000.0),
                N("change", d(2026, 10, 20), "possible", 40_000.0),
            ],
            "two changes: one procedure, the latest value, the best label",
        ),
        P(
            "vayla",
            [N("call", d(2026, 10, 6), "innovative", 2_000_000.0), N("cancel", d(2026, 10, 25), "none")],
            "cancelled: not a call, shown as cancelled",
        ),
        P("vayla", [N("call", d(2026, 10, 7), "innovative", None)], "innovative without value"),
        P(
            "thl",
            [N("call", d(2026, 10, 8), "possible", 70_000.0, "SEK")],
            "value in another currency is missing",
        ),
        P(
            "thl",
            [N("call", d(2026, 10, 9), "none", 80_000.0), N("award", d(2026, 12, 15), "innovative")],
            "award in December counts in the October of its call, and makes it innovative",
        ),
        P("thl", [N("planning", d(2026, 10, 2), "innovative", 5_000.0)], "planning only: not counted"),
        P(
            "thl",
            [N("planning", d(2026, 8, 2), "innovative"), N("call", d(2026, 10, 12), "none", 60_000.0)],
            "prior information in August, call in October: counts in October, innovative",
        ),
        P("tampere", [N("direct", d(2026, 10, 13), "none", 9_000.0)], "direct award without a call"),
        P(
            "ely",
            [N("call", d(2026, 10, 14), "innovative", 30_000.0)],
            "ELY-keskus after the 2026 reform: unmapped",
        ),
        P("ely", [N("call", d(2025, 11, 14), "innovative", 30_000.0)], "ELY-keskus before the reform: TEM"),
        P("stockholm", [N("call", d(2026, 10, 15), "innovative", 1e6)], "buyer abroad: not counted"),
        P("unknown", [N("call", d(2026, 10, 16), None, 3_000.0)], "not classified yet"),
        P("hansel", [N("call", d(2026, 10, 17), "possible", 4_000_000.0)], "central purchasing body"),
        P(
            "vayla",
            [N("call", d(2026, 10, 18), "none", 300_000.0, declared=True)],
            "declared by the buyer, not detected",
        ),
        P(
            "vayla",
            [
                N("call", d(2026, 10, 19), "possible", 200_000.0),
                N("award", d(2026, 11, 30), "none", declared=True),
            ],
            "declared in the award notice (HILMA's answers), counted in the call's month",
        ),
        P(
            "thl",
            [N("call", d(2026, 10, 20), "innovative", 90_000.0, declared=True)],
            "declared and detected",
        ),
        P("thl", [N("call", d(2026, 10, 21), "innovative", 10_000.0)], "detected, not declared"),
        P(
            "tem",
            [N("call", d(2026, 10, 22), "innovative", 20_000.0, declared=None)],
            "detected, not evaluated",
        ),
    ]


def generated(seed: int = 8, n: int = 110) -> list[P]:
    """Random procedures, most of them in September to October 2026, plus the edge cases."""
    rng = random.Random(seed)
    labels = ["none"] * 10 + ["possible"] * 4 + ["innovative"] * 3 + [None]
    specs = edge_cases()
    for _ in range(n):
        buyer = rng.choice(list(BUYERS))
        first, days = (date(2026, 9, 1), 61) if rng.random() < 0.8 else (date(2025, 11, 1), 395)
        day = first + timedelta(days=rng.randrange(days))
        value = rng.choice([None, round(rng.uniform(1e4, 5e6), 2)])
        currency = "EUR" if rng.random() < 0.95 else "SEK"
        notices = []
        if rng.random() < 0.15:
            notices.append(N("planning", day - timedelta(days=rng.randint(20, 90)), rng.choice(labels)))
        if rng.random() < 0.05:
            specs.append(P(buyer, [N("direct", day, rng.choice(labels), value, currency)]))
            continue
        notices.append(N("call", day, rng.choice(labels), value, currency, rng.random() < 0.15))
        later = day
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            later += timedelta(days=rng.randint(1, 20))
            if rng.random() < 0.3:
                value = rng.choice([value, round(rng.uniform(1e4, 5e6), 2)])
            notices.append(N("change", later, rng.choice(labels), value, currency))
        r = rng.random()
        if r < 0.1:
            notices.append(
                N("cancel", later + timedelta(days=rng.randint(1, 30)), rng.choice(labels), value, currency)
            )
        elif r < 0.5:
            notices.append(N("award", later + timedelta(days=rng.randint(20, 90)), rng.choice(labels)))
        specs.append(P(buyer, notices))
    return specs


# ------------------------------------------------------------------------------ storing
def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ingest(session: Session, specs: list[P], seed: int = 1) -> None:
    """Store every notice through the store API, then the classifier's rows for the labelled ones."""
    rng = random.Random(seed)
    store = Store(session, clock=lambda: datetime(2026, 12, 20, 12, tzinfo=UTC))
    number = 0
    labelled: list[tuple[int, int, str]] = []
    declared: list[tuple[int, bool]] = []
    for i, p in enumerate(specs):
        proc_id = _uuid(rng)
        call_ref = None
        for n in sorted(p.notices, key=lambda n: n.day):
            number += 1
            subtype, notice_type, form = KINDS[n.kind]
            notice_id = _uuid(rng)
            changes = None
            if n.kind in ("change", "cancel") and call_ref:
                changes = Change(call_ref, ["cancel" if n.kind == "cancel" else "update-add"])
            record = NoticeRecord(
                notice_id=notice_id,
                version="01",
                procedure_id=proc_id,
                publication_number=f"{number:08d}-{n.day.year}",
                publication_date=n.day,
                subtype=subtype,
                notice_type=notice_type,
                form_type=form,
                language="fin",
                title={"fin": f"Hankinta {i}: {p.name or n.kind}"},
                buyers=[BUYERS[p.buyer][0]],
                estimated_value=Money(n.value, n.currency) if n.value is not None else None,
                changes=changes,
                awards=[Award("LOT-0001", "selec-w", ["Toimittaja Oy"])]
                if n.kind in ("award", "direct")
                else [],
            )
            raw = RawDoc(
                source="ted",
                source_id=record.publication_number or "",
                url=f"https://ted.example/notice/{record.publication_number}",
                content=record.to_json().encode(),
                fetched_at=datetime(2026, 12, 20, tzinfo=UTC),
            )
            result = store.ingest(record, raw)
            assert result.status == "new", result
            if n.kind == "call":
                call_ref = f"{notice_id}-01"
            p.pk = result.procedure_pk
            if n.label is not None:
                labelled.append((result.notice_pk, result.procedure_pk, n.label))
            if n.declared is not None:
                declared.append((result.notice_pk, n.declared))
    session.flush()
    for notice_pk, proc_pk, label in labelled:
        classify(session, notice_pk, proc_pk, label)
    for notice_pk, flag in declared:
        declare(session, notice_pk, flag)
    session.flush()


def declare(session: Session, notice_pk: int, declared: bool) -> None:
    """Store a notice-level declaration, as ``monitor.classify.declarations`` does."""
    session.query(NoticeDeclaration).filter_by(notice_pk=notice_pk).delete()
    answers = {"BT-776": ["mar-nov"]} if declared else {"BT-776": ["org-nov"]}
    session.add(NoticeDeclaration(notice_pk=notice_pk, lot_id="", answers=answers, declared=declared,
                                  matched=["new_to_market"] if declared else [], rule_version="t1",
                                  changed_at=utcnow()))  # fmt: skip


def classify(session: Session, notice_pk: int, procedure_pk: int, label: str, old: str | None = None) -> None:
    """Store a classifier result for one notice, as the classifier's service does."""
    score = {"innovative": 7.0, "possible": 3.5, "none": 0.0}[label]
    reasons = (
        [{"signal_id": "bt105-innovation", "kind": "structured", "field": "BT-105", "matched": "innovation",
          "snippet": "innovation partnership", "weight": 6.0, "how": "", "lang": None}]
        if label != "none" else []
    )  # fmt: skip
    row = session.query(NoticeClassification).filter_by(notice_pk=notice_pk).one_or_none()
    result = {"label": label, "score": score, "reasons": reasons}
    if row is None:
        session.add(NoticeClassification(notice_pk=notice_pk, label=label, score=score, rules_version="t1",
                                         result=result))  # fmt: skip
    else:
        row.label, row.score, row.result, row.classified_at = label, score, result, utcnow()
    session.add(ClassificationChange(notice_pk=notice_pk, procedure_pk=procedure_pk, old_label=old,
                                     new_label=label, new_score=score, rules_version="t1"))  # fmt: skip
