"""Documents a crawl listed but could not store: what went wrong, how often, and whether we gave up.

One row per (source, source id) while the document has no good copy: a download that failed
(a 403, a 500 that outlasted the retries, a HILMA batch read that failed or left it out) or a
document that did not parse (truncated XML, an HTML error page served with status 200). The
store counts each attempt; a later crawl fetches the document again until ``attempts``
reaches the source's bound (``retry_failed_documents`` in config/sources.yaml), then the row
is marked ``given_up_at`` and reported (the crawl run's stats, ``tenderwatch status``). A good
copy deletes the row. Until then the document is not "known" to the spiders, and the crawl's
watermark stops before its publication day, so the next crawl's window lists it again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.clock import utcnow

FAILURE_KINDS = ("download", "parse", "missing", "no_eforms")
"""``download``: no usable answer; ``parse``: stored bytes that did not parse; ``missing``: a
batch answer left it out; ``no_eforms``: HILMA has no eForms XML for it (given up at once)."""


class DocumentFailure(Base):
    __tablename__ = "document_failures"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    """The last failure's kind (``FAILURE_KINDS``)."""
    published_on: Mapped[date | None] = mapped_column(Date)
    """The publication day the listing gave, when it gave one (shown by ``status``)."""
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(Text)
    first_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    given_up_at: Mapped[datetime | None] = mapped_column(index=True)  # status lists the given up
    """Set when ``attempts`` reached the bound: no crawl fetches it again, the watermark passes it."""
