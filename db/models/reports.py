"""One summary row per procedure for the branch reports, so the database can aggregate them.

The figures a ministry asks for ("how many calls did my branch publish, how many innovative,
what were they worth") need four things the store does not keep in one place: the date the
call was first published (the period a procedure counts in, even for its later changes and
awards), the buyer's administrative branch (a config-driven mapping with regexes, not SQL),
the procedure's innovation label (the classifier's, per notice) and whether its buyer declared it
innovative (``notice_declarations``). ``monitor.reports.facts`` derives them once per procedure
change and writes them here; a report is then a GROUP BY over this table, which is what keeps
a million procedures under ten seconds on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.clock import utcnow
from db.models.notices import Procedure


class ReportProcedure(Base):
    """What one procedure contributes to the branch report (``monitor.reports.facts`` fills it)."""

    __tablename__ = "report_procedures"
    __table_args__ = (
        # Covering index in GROUP BY order for the report's one aggregation: the database reads
        # the index alone (never the wider rows) and its order already groups the rows, so
        # SQLite aggregates while scanning instead of sorting a million rows first.
        Index(
            "ix_report_procedures_aggregate",
            "area",
            "label",
            "declared",
            "cancelled",
            "period_month",
            "period_date",
            "value_currency",
            "value_amount",
            "n_call",
            "n_change",
            "n_award",
            "n_cancel",
        ),
        # Drill-down: one area's procedures of a period.
        Index("ix_report_procedures_area_period", "area", "period_date"),
    )

    # Deleting a procedure (store pruning) removes its report row with it.
    procedure_pk: Mapped[int] = mapped_column(
        ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    period_date: Mapped[date | None] = mapped_column(Date)
    """Publication date of the procedure's first non-planning notice (its call, or the award
    when no call was stored); None for procedures with planning notices only (not counted)."""
    period_month: Mapped[int | None] = mapped_column(Integer)
    """``period_date`` as YYYYMM: the monthly trend groups on it without dialect-specific SQL."""
    area: Mapped[str | None] = mapped_column(String(32))
    """A branch id (``TEM``) or a group (``yhteishankinta``, ``kunta``, ``hyvinvointialue``,
    ``muu``, ``unmapped``); None for buyers outside Finland (not counted)."""
    label: Mapped[str | None] = mapped_column(String(12))
    """The best label over the procedure's notices; None when none of them is classified yet."""
    label_notice_pk: Mapped[int | None] = mapped_column(Integer)
    """The notice whose classification gave the label (its reasons go into the email)."""
    declared: Mapped[bool | None] = mapped_column(Boolean)
    """Whether the buyer declared the procedure innovative in any of its notices (the ``declared``
    rule of ``innovation.yaml``, ``notice_declarations``); None when none of them is evaluated yet."""
    declared_notice_pk: Mapped[int | None] = mapped_column(Integer)
    """The notice whose declaration made the procedure declared (its answers go into the lists)."""
    call_notice_pk: Mapped[int | None] = mapped_column(Integer)
    """The first non-planning notice (the one the drill-down links to)."""
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    value_amount: Mapped[float | None] = mapped_column(Float)
    value_currency: Mapped[str | None] = mapped_column(String(3))
    n_call: Mapped[int] = mapped_column(Integer, default=0)
    n_change: Mapped[int] = mapped_column(Integer, default=0)
    n_award: Mapped[int] = mapped_column(Integer, default=0)
    n_cancel: Mapped[int] = mapped_column(Integer, default=0)
    procedure_stamp: Mapped[datetime | None] = mapped_column()
    """The procedure's ``updated_at`` when this row was derived: a different one means stale."""
    config_version: Mapped[str] = mapped_column(String(16), default="", index=True)  # "any other version?"
    """Hash of the branches config used for ``area``: a branches edit re-derives every row."""
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # the last derivation


# The freshness check asks "which procedures changed since the last derivation?" every time a
# report runs; without this index that is a scan of the whole (wide) procedures table. Declared
# here, beside its only reader, rather than in the store's model: the store does not need it.
Index("ix_procedures_updated_at", Procedure.__table__.c.updated_at)
