"""Every table, imported here so ``Base.metadata`` is complete for Alembic and the tests.

One module per area; each area's owner adds its import line below.
"""

from db.base import Base
from db.models.alerts import AlertSourceDone, OutboxMessage, Subscriber, Subscription  # noqa: F401
from db.models.audit import AuditEntry  # noqa: F401
from db.models.classification import ClassificationChange, NoticeClassification  # noqa: F401
from db.models.configversions import ConfigVersionRow  # noqa: F401
from db.models.declarations import NoticeDeclaration  # noqa: F401
from db.models.failures import DocumentFailure  # noqa: F401
from db.models.health import HealthProblem  # noqa: F401
from db.models.notices import (  # noqa: F401
    Notice,
    NoticeConflict,
    NoticeDiff,
    NoticeSource,
    Procedure,
    ProcedureEvent,
    RawDocument,
)
from db.models.reports import ReportProcedure  # noqa: F401
from db.models.review import ReaderFeedback, ReviewVerdict  # noqa: F401
from db.models.runs import CrawlRun, SourceWatermark  # noqa: F401
from db.models.scheduler import ScheduledJob  # noqa: F401
from db.models.web import NoticeSearch, SigninToken  # noqa: F401

__all__ = ["Base"]
