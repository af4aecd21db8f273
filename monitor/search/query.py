"""One search, for the web page and the JSON API alike: words (through the word index) and filters.

Words narrow the notices through ``notice_search`` (see ``monitor.search.terms``): on SQLite an
FTS5 query, on PostgreSQL ``tsquery`` look-ups on two GIN-indexed ``tsvector`` columns. Every
other filter is a plain indexed column. Only current notice versions are searched (a superseded
version's procedure is found through its newer one).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, bindparam, cast, exists, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.models.reports import ReportProcedure
from db.models.web import NoticeSearch
from monitor.branches import normalize_business_id
from monitor.search.terms import QueryWord, query_words

Sort = Literal["newest", "deadline", "value"]
Label = Literal["innovative", "possible"]
Status = Literal["open", "closed"]
OPEN_STATES = ("open", "planned")
CLOSED_STATES = ("closed", "awarded", "cancelled")
COUNT_CAP = 1000
"""Counting stops here ("1000+"): an exact count of a broad search costs more than the page."""
MAX_PAGE = 200
_CTE_NAMES = itertools.count()
"""Unique names for the word look-ups of one statement (a preview ORs one per keyword)."""


@dataclass
class SearchQuery:
    words: str = ""
    cpv: list[str] = field(default_factory=list)
    """CPV codes; a code covers its descendants (on the notice's main CPV)."""
    country: str | None = None
    buyer: str | None = None
    """A business ID, or a part of the buyer's name."""
    branch: str | None = None
    """An administrative branch id (TEM) or group (kunta …), as in the branch reports."""
    label: Label | None = None
    """``innovative`` only, or ``possible`` and up."""
    status: Status | None = None
    published_from: date | None = None
    published_to: date | None = None
    sort: Sort = "newest"
    page: int = 1
    per_page: int = 20

    def is_empty(self) -> bool:
        return not (
            self.words.strip()
            or self.cpv
            or self.country
            or self.buyer
            or self.branch
            or self.label
            or self.status
            or self.published_from
            or self.published_to
        )


@dataclass
class Found:
    notice: Notice
    procedure_key: str
    state: str
    label: str | None
    result: dict[str, Any] | None
    """The stored classification (reasons, hits), for explaining the label."""


@dataclass
class SearchPage:
    query: SearchQuery
    rows: list[Found]
    total: int
    """Matching notices, counted up to ``COUNT_CAP`` + 1."""
    words: list[QueryWord]

    @property
    def total_text(self) -> str:
        return f"{COUNT_CAP}+" if self.total > COUNT_CAP else str(self.total)

    @property
    def has_next(self) -> bool:
        return self.query.page * self.query.per_page < self.total


def cpv_prefix_digits(code: str) -> str:
    """``72200000`` → ``722``: what a notice's code must start with to be covered."""
    digits = code[:8].rstrip("0")
    return digits if len(digits) >= 2 else code[:2]


def _pg_word_matches(words: list[QueryWord]) -> list[ColumnElement[bool]]:
    """One ``tsvector @@ tsquery`` condition on ``NoticeSearch`` per query word (PostgreSQL)."""
    conds = []
    for i, w in enumerate(words):
        pattern = f"'{w.term}':*" if (w.inside or w.prefix) else f"'{w.term}'"
        fwd: BindParameter[str] = bindparam(f"wf{i}", pattern, unique=True)
        one: ColumnElement[bool] = NoticeSearch.fwd.op("@@")(cast(fwd, TSQUERY))
        if w.inside:
            rev: BindParameter[str] = bindparam(f"wr{i}", f"'{w.reversed}':*", unique=True)
            one = or_(one, NoticeSearch.rev.op("@@")(cast(rev, TSQUERY)))
        conds.append(one)
    return conds


def _pg_word_hits(words: list[QueryWord]) -> Any:
    """The notices having every word, as a materialised CTE: the look-up runs once, on the GIN
    indexes (see prefer_word_index), instead of as a per-row filter inside the join with notices.
    PostgreSQL fills a materialised CTE as it is read, so a reader that stops early reads less."""
    return (
        select(NoticeSearch.notice_pk)
        .where(and_(*_pg_word_matches(words)))
        .cte(f"word_hits_{next(_CTE_NAMES)}")
        .prefix_with("MATERIALIZED")
    )


def word_condition(dialect: str, words: list[QueryWord]) -> Any:
    """Notice ids whose index has every word (as a form, a compound's start or its head)."""
    if dialect == "postgresql":
        hits = _pg_word_hits(words)
        return select(hits.c.notice_pk)
    parts = []
    for w in words:
        if w.inside:
            parts.append(f'(fwd : "{w.term}"* OR rev : "{w.reversed}"*)')
        else:
            parts.append(f'fwd : "{w.term}"' + ("*" if w.prefix else ""))
    # unique=True: a preview ORs one such subquery per keyword, each with its own parameter.
    match: BindParameter[str] = bindparam("fts", " AND ".join(parts), unique=True)
    return (
        select(literal_column("rowid"))
        .select_from(text("notice_search_fts"))
        .where(literal_column("notice_search_fts").op("MATCH")(match))
    )


def word_probe(dialect: str, words: list[QueryWord]) -> Any:
    """The word condition as a test of one notice at a time, for a walk in the page's order.

    :func:`word_condition` starts from the word index: right when the words are rare, but a
    common word (``palvelu`` is in a fifth of the notices) then means fetching and sorting every
    hit to keep 20. Walking the notices in the page's order (``ix_search_*``, migration 0007) and
    testing each stops at the page instead. On SQLite the FTS5 hits are still gathered once (an
    FTS5 prefix query is cheap as a whole and dear per row), but ``notices.id + 0`` keeps SQLite
    from turning them into the driving rowid list; on PostgreSQL each notice's own index row is
    read (by primary key) and matched.
    """
    if dialect == "postgresql":
        return exists(
            select(NoticeSearch.notice_pk).where(
                NoticeSearch.notice_pk == Notice.id, *_pg_word_matches(words)
            )
        )
    return (Notice.id + 0).in_(word_condition(dialect, words))


WordsAs = Literal["hits", "walk", "joined"]
"""How the words narrow the notices: ``hits``, ``notices.id IN`` the word index's hits;
``walk``, a per-notice test (:func:`word_probe`); ``joined``, not at all (the caller starts from
the hits and joins the notices to them)."""


def conditions(
    session: Session, q: SearchQuery, now: datetime, *, words_as: WordsAs = "hits"
) -> tuple[list[Any], list[QueryWord], bool]:
    """The WHERE conditions on ``Notice`` (and whether Procedure / classification must be joined)."""
    dialect = session.get_bind().dialect.name
    conds: list[Any] = [Notice.superseded_by_pk.is_(None)]
    words = query_words(q.words)
    if words and words_as == "walk":
        conds.append(word_probe(dialect, words))
    elif words and words_as == "hits":
        conds.append(Notice.id.in_(word_condition(dialect, words)))
    if q.cpv:
        conds.append(or_(*(Notice.cpv_main.like(f"{cpv_prefix_digits(c)}%") for c in q.cpv)))
    if q.country:
        conds.append(Notice.buyer_country == q.country.upper())
    if q.buyer:
        bid = normalize_business_id(q.buyer)
        if bid:
            conds.append(Notice.buyer_org_id == bid)
        else:
            pattern = (
                "%" + q.buyer.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            conds.append(Notice.buyer_name.ilike(pattern, escape="\\"))
    if q.branch:
        conds.append(
            Notice.procedure_pk.in_(
                select(ReportProcedure.procedure_pk).where(ReportProcedure.area == q.branch)
            )
        )
    if q.published_from:
        conds.append(Notice.publication_date >= q.published_from)
    if q.published_to:
        conds.append(Notice.publication_date <= q.published_to)
    join_proc = False
    if q.status:
        join_proc = True
        conds.append(Procedure.state.in_(OPEN_STATES if q.status == "open" else CLOSED_STATES))
    if q.label:
        conds.append(
            NoticeClassification.label.in_(
                ("innovative",) if q.label == "innovative" else ("innovative", "possible")
            )
        )
    return conds, words, join_proc


def base_select(
    session: Session, q: SearchQuery, now: datetime, *, words_as: WordsAs = "hits"
) -> tuple[Select[Any], list[QueryWord]]:
    conds, words, join_proc = conditions(session, q, now, words_as=words_as)
    stmt = select(Notice.id)
    if words and words_as == "joined":
        hits = _pg_word_hits(words)
        stmt = stmt.select_from(hits).join(Notice, Notice.id == hits.c.notice_pk)
    if join_proc:
        stmt = stmt.join(Procedure, Procedure.id == Notice.procedure_pk)
    if q.label:
        stmt = stmt.join(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
    return stmt.where(*conds), words


def order_by(sort: Sort, dialect: str) -> list[Any]:
    """The page's order, NULL last, written as the ``ix_search_*`` indexes (migration 0007) read.

    One order on both databases: newest (or soonest deadline, or largest value) first, notices
    without one last, the newer id first among equals. PostgreSQL sorts NULL first in DESC, so
    it is told NULLS LAST; SQLite sorts NULL smallest, so its DESC is already NULL last, and its
    ascending deadline keeps the ``IS NULL`` term (indexed as an expression).
    """
    if dialect == "postgresql":
        if sort == "deadline":
            return [Notice.deadline.asc().nulls_last(), Notice.id.desc()]
        if sort == "value":
            return [Notice.estimated_value_amount.desc().nulls_last(), Notice.id.desc()]
        return [Notice.publication_date.desc().nulls_last(), Notice.id.desc()]
    if sort == "deadline":
        return [Notice.deadline.is_(None), Notice.deadline.asc(), Notice.id.desc()]
    if sort == "value":
        return [Notice.estimated_value_amount.desc(), Notice.id.desc()]
    return [Notice.publication_date.desc(), Notice.id.desc()]


def prefer_word_index(session: Session, words: list[QueryWord]) -> None:
    """On PostgreSQL, have this transaction's word look-ups use the GIN indexes.

    The planner prices ``tsvector @@ tsquery`` as a cheap operator and so prefers reading every
    row's tsvector (detoasting ~150 terms each) to a bitmap scan of the GIN index: 66 ms against
    3 ms on 20,000 notices in bench/bench_web.py, and worse with every notice stored.
    """
    if words and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        # The capped count reads the hits one by one, joining each to its notice by primary key,
        # and stops at COUNT_CAP + 1; a hash or merge join reads every hit (and every open
        # procedure) first: 300 ms against 50 ms for "tekoäly" in Finland on 100,000 notices.
        session.execute(text("SET LOCAL enable_hashjoin = off"))
        session.execute(text("SET LOCAL enable_mergejoin = off"))
        # The bitmap of a common word's hits (220,000 of a million notices) overflows the default
        # 4 MB and turns lossy: each row of a lossy page is then detoasted and re-matched.
        # 64 MB keeps it exact: the capped count of "palvelu" in open calls 565 -> 300 ms.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        # A word search's estimated cost passes jit_above_cost at a million notices; compiling
        # took 12 ms of that count and saves nothing on a query that stops at 1001 rows.
        session.execute(text("SET LOCAL jit = off"))


def search(session: Session, q: SearchQuery, now: datetime) -> SearchPage:
    """One page of matching notices, newest first (or by deadline or value), and a capped count.

    The capped count comes first, from the word index's hits; it then tells how the page is
    found: when matches are common enough that walking the notices in the page's order meets
    the page within ``WALK_MAX`` notices, by that walk (:func:`word_probe`), else from the hits.
    Both give the same rows in the same order; only the cost differs. The estimate takes the
    matches as spread evenly along the page's order, which open calls by deadline are not.
    """
    q.page = max(1, min(q.page, MAX_PAGE))
    dialect = session.get_bind().dialect.name
    stmt, words = base_select(session, q, now)
    prefer_word_index(session, words)
    # On PostgreSQL the count starts from the hits and joins each to its notice, so that it
    # stops at the cap; ``IN`` the hits has the planner gather and de-duplicate all of them.
    counted = base_select(session, q, now, words_as="joined")[0] if dialect == "postgresql" else stmt
    total = session.scalar(select(func.count()).select_from(counted.limit(COUNT_CAP + 1).subquery())) or 0
    offset = (q.page - 1) * q.per_page
    # Not open calls by soonest deadline: the walk would read every closed notice first (their
    # deadlines are all earlier), 0.3 s on 100,000 notices against 0.06 s from the hits.
    correlated = q.sort == "deadline" and q.status == "open"
    if words and total > offset and not correlated and walk_is_cheaper(session, offset + q.per_page, total):
        stmt, _ = base_select(session, q, now, words_as="walk")
    if total <= min(offset, COUNT_CAP):
        ids: list[int] = []  # the exact count ends before this page: the word look-up once, not twice
    else:
        page = stmt.order_by(*order_by(q.sort, dialect)).limit(q.per_page).offset(offset)
        ids = list(session.scalars(page))
    return SearchPage(q, load(session, ids), total, words)


WALK_MAX = 50_000
"""Notices a walk in page order may be expected to read before the page is full (at worst:
the estimate takes the capped count as the number of matches). A walk reads ~1-3 µs of index
and row per notice on SQLite, so this bounds it to ~100 ms; taking every hit of a word in a
fifth of a million notices and sorting them took 2.5 s (bench/bench_web.py)."""


def walk_is_cheaper(session: Session, needed: int, total: int) -> bool:
    """Whether walking the notices in page order finds ``needed`` matches soon enough: with
    ``total`` matches (capped) spread over the ~``max(id)`` notices, the walk reads about
    ``needed * notices / total`` of them."""
    notices = session.scalar(select(func.max(Notice.id))) or 0
    return needed * notices <= WALK_MAX * total


def load(session: Session, ids: list[int]) -> list[Found]:
    """The notices ``ids`` in that order, with their procedure key, state and classification."""
    if not ids:
        return []
    rows = session.execute(
        select(
            Notice,
            Procedure.procedure_key,
            Procedure.state,
            NoticeClassification.label,
            NoticeClassification.result,
        )
        .join(Procedure, Procedure.id == Notice.procedure_pk)
        .outerjoin(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
        .where(Notice.id.in_(ids))
    ).all()
    by_id = {r[0].id: Found(r[0], r[1], r[2], r[3], r[4]) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def procedure_ids(session: Session, q: SearchQuery, now: datetime) -> tuple[list[int], int]:
    """One page of procedures having a current notice that matches, latest published first."""
    q.page = max(1, min(q.page, MAX_PAGE))
    stmt, words = base_select(session, q, now)
    prefer_word_index(session, words)
    procs = select(Procedure.id).where(Procedure.id.in_(stmt.with_only_columns(Notice.procedure_pk)))
    ids = list(
        session.scalars(
            procs.order_by(
                Procedure.last_published.is_(None), Procedure.last_published.desc(), Procedure.id.desc()
            )
            .limit(q.per_page)
            .offset((q.page - 1) * q.per_page)
        )
    )
    total = session.scalar(select(func.count()).select_from(procs.limit(COUNT_CAP + 1).subquery())) or 0
    return ids, total
