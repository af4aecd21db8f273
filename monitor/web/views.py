"""What the procedure page and the search results show, built from the store's rows.

Kept apart from the routes so the JSON API and the pages describe a notice the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.models.reports import ReportProcedure
from db.procedures import Timeline, timeline
from db.record import NoticeRecord
from monitor.alerts.cpv_labels import ancestors, cpv_label
from monitor.alerts.enqueue import HILMA_PUBLIC
from monitor.alerts.payload import pick_text, ted_url
from monitor.config import AppConfig
from monitor.matching.facts import texts_of
from monitor.textmatch import KeywordMatcher
from monitor.textmatch.tokens import normalise
from monitor.web.formatting import marked

LANG3 = {"fi": "fin", "sv": "swe", "en": "eng"}
CHANGE_FIELDS = ("deadline", "value", "title", "description", "lots", "cpv", "documents_url")


def notice_kind(n: Notice) -> str:
    """``planning``, ``competition``, ``result``, ``change``, ``cancel`` or ``other`` (for the words)."""
    if n.lifecycle == "cancel":
        return "cancel"
    if n.changes_notice_pk or n.changed_notice_ref:
        return "change"
    form = n.form_type or ""
    if form == "planning":
        return "planning"
    if form == "competition":
        return "competition"
    if form in ("result", "cont-modif", "dir-awa-pre"):
        return "result"
    return "other"


def branch_name(config: AppConfig | None, area: str | None, lang: str, t: dict[str, str]) -> str | None:
    if not area:
        return None
    branches = config.get("branches.yaml") if config is not None else None
    b = branches.branch(area) if branches is not None else None
    if b is not None:
        return str(getattr(b.names, lang, b.names.en))
    return t.get(f"group_{area}", area)


@dataclass
class TextView:
    field: str
    lang: str
    html: Markup


@dataclass
class EntryView:
    notice: Notice
    kind: str
    sources: list[tuple[str, str | None]]
    """(source name, a page for people or None)."""
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    events: list[tuple[str, Any, Any]] = field(default_factory=list)


@dataclass
class ProcedureView:
    procedure: Procedure
    notice: Notice
    record: NoticeRecord
    title: str
    description: str
    branch: str | None
    cpv: list[tuple[str, str, list[tuple[str, str]]]]
    """(code, label, [(ancestor code, label)])."""
    label: str | None
    score: float | None
    reasons: list[dict[str, Any]]
    texts: list[TextView]
    entries: list[EntryView]
    links: list[tuple[str, str, str | None]]
    """(source, a page for people, the publication number it shows)."""
    documents: list[str]


def procedure_view(
    session: Session, proc: Procedure, lang: str, config: AppConfig | None, t: dict[str, str], ted_site: str
) -> ProcedureView:
    tl: Timeline = timeline(session, proc)
    current = next((e.notice for e in reversed(tl.entries) if e.notice.superseded_by_pk is None), None)
    current = current or tl.entries[-1].notice
    record = current.to_record()
    cls = session.scalar(select(NoticeClassification).where(NoticeClassification.notice_pk == current.id))
    area = session.scalar(select(ReportProcedure.area).where(ReportProcedure.procedure_pk == proc.id))
    result = (cls.result or {}) if cls is not None else {}
    entries = [
        EntryView(
            notice=e.notice,
            kind=notice_kind(e.notice),
            sources=[(s.source, _people_url(s.source, s.url, e.notice, ted_site)) for s in e.sources],
            changes=[
                (name, ch.get("old"), ch.get("new")) for name, ch in (e.diff.fields if e.diff else {}).items()
            ],
            events=[(ev.kind, ev.old, ev.new) for ev in e.events],
        )
        for e in tl.entries
    ]
    links: list[tuple[str, str, str | None]] = []
    for e in entries:
        for source, url in e.sources:
            label = "TED" if source.startswith("ted") else source.upper()
            if url and url not in {u for _, u, _ in links}:
                links.append((label, url, e.notice.publication_number))
    documents = [record.documents_url] if record.documents_url else []
    for lot in record.lots:
        if lot.documents_url and lot.documents_url not in documents:
            documents.append(lot.documents_url)
    code3 = LANG3.get(lang, "eng")
    return ProcedureView(
        procedure=proc,
        notice=current,
        record=record,
        title=pick_text(dict(record.title or {}), lang, record.language) or proc.procedure_key,
        description=pick_text(dict(record.description or {}), lang, record.language),
        branch=branch_name(config, area, lang, t),
        cpv=[
            (c, cpv_label(c, lang), [(a, cpv_label(a, lang)) for a in ancestors(c)])
            for c in record.all_cpv[:12]
        ],
        label=cls.label if cls is not None else None,
        score=cls.score if cls is not None else None,
        reasons=list(result.get("reasons") or []),
        texts=highlighted_texts(record, result.get("hits") or [], code3),
        entries=entries,
        links=links,
        documents=documents,
    )


def _people_url(source: str, url: str | None, notice: Notice, ted_site: str) -> str | None:
    """A page a person can open: TED's notice page, HILMA's public page; never an API URL."""
    if source.startswith("ted"):
        return ted_url(ted_site, notice.publication_number)
    if url and url.startswith(HILMA_PUBLIC):
        return url
    return None


def highlighted_texts(record: NoticeRecord, hits: list[dict[str, Any]], prefer: str) -> list[TextView]:
    """The notice's texts with the classifier's matched words marked; texts with hits first,
    then the title and description in the page's language."""
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for h in hits:
        spans.setdefault((h.get("field", ""), h.get("lang", "")), []).append((int(h["start"]), int(h["end"])))
    out: list[TextView] = []
    for ft in texts_of(record):
        key = (ft.field, ft.lang)
        if key in spans or (ft.lang == prefer and ft.field in ("title", "description")):
            out.append(TextView(ft.field, ft.lang, marked(normalise(ft.text), spans.get(key, []))))
    out.sort(key=lambda v: ((v.field, v.lang) not in spans, v.field != "title"))
    return out[:8]


def query_highlighter(terms: list[str]) -> KeywordMatcher | None:
    """A matcher of the search words in fi/sv/en: marks where each result matched, as the
    subscription matcher would."""
    if not terms:
        return None
    return KeywordMatcher.from_terms({lang: terms for lang in ("fin", "swe", "eng")})


def result_texts(
    matcher: KeywordMatcher | None, record: NoticeRecord, lang: str
) -> tuple[Markup, Markup | None]:
    """(title, a snippet of the description) with the query's words marked, in the page's language
    where the notice has it."""
    title = normalise(
        pick_text(dict(record.title or {}), lang, record.language) or record.publication_number or "—"
    )
    description = normalise(
        " ".join(pick_text(dict(record.description or {}), lang, record.language).split())
    )
    if matcher is None:
        return marked(title, []), (marked(_cut(description), []) if description else None)
    fields = [
        (f, lang3, text)
        for lang3 in ("fin", "swe", "eng")
        for f, text in (("title", title), ("description", description))
        if text
    ]
    hits = matcher.match(fields).hits
    tspans = [(h.start, h.end) for h in hits if h.field == "title"]
    dspans = [(h.start, h.end) for h in hits if h.field == "description"]
    if not description:
        return marked(title, tspans), None
    if not dspans:
        return marked(title, tspans), marked(_cut(description), [])
    a = max(0, min(s for s, _ in dspans) - 120)
    a = description.rfind(" ", 0, a) + 1 if a else 0
    window = description[a : a + 360]
    inside = [(s - a, e - a) for s, e in dspans if s >= a and e - a <= len(window)]
    prefix = Markup("… ") if a else Markup("")
    suffix = Markup(" …") if a + 360 < len(description) else Markup("")
    return marked(title, tspans), prefix + marked(window, inside) + suffix


def _cut(text: str, n: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + " …"
