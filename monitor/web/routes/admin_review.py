"""The review queue and the rule quality table (issue #15, point 3), for admins.

``/admin/review``: notices labelled ``possible``, and a fixed sample of ``innovative`` and
``none`` ones (``monitor.classify.review_queue``), each with its reasons and the matched words
marked, wait for an admin's verdict; a verdict is a CSRF-checked POST that writes the notice's one
current verdict and one audit row (old → new) in one transaction. The verdicts download as the
labelled-set YAML ``tenderwatch eval`` reads (``tenderwatch review export``).

``/admin/rules/quality``: per rule and per keyword, how often it fired and its precision by
verdicts and by readers' answers (``monitor.classify.quality``), each figure linking to the
notices behind it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.models.review import VERDICTS
from monitor.alerts.render import procedure_path
from monitor.classify import quality, review_queue
from monitor.classify.judgements import UnknownNotice, record_verdict
from monitor.classify.verdicts import to_yaml, verdict_labels
from monitor.web import i18n
from monitor.web.context import lang_of, reading, render, state, writing
from monitor.web.formatting import marked
from monitor.web.guards import audit, require_admin
from monitor.web.roles import Identity

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require_admin)]
FIGURES = ("fired", "verdicts", "clicks")


def mark_matched(snippet: str, matched: str) -> Markup:
    """The snippet, escaped, with every occurrence of the matched words in ``<mark>``."""
    spans: list[tuple[int, int]] = []
    if matched:
        low, needle = snippet.lower(), matched.lower()
        start = low.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = low.find(needle, start + len(needle))
    return marked(snippet, spans)


def queue_url(filter_: str, page: int = 1, **extra: object) -> str:
    return "/admin/review?" + urlencode({"filter": filter_, "page": page, **extra})


@router.get("/admin/review")
def review_page(
    request: Request, who: Admin, filter: str = "possible", page: int = 1, done: int | None = None
) -> Response:
    """One page of the queue (25 items), the count waiting per label and the decided ones."""
    with reading(request) as session:
        found = review_queue.queue_page(session, filter, page)
    chosen = filter if filter in review_queue.FILTERS else "possible"
    return render(
        request,
        "admin_review.html.j2",
        user=who,
        who=who,
        found=found,
        filter=chosen,
        filters=review_queue.FILTERS,
        done=done,
        mark=mark_matched,
        ppath=procedure_path,
        queue_url=queue_url,
        sample=review_queue.SAMPLE_PER_MILLE,
    )


@router.post("/admin/review/verdict")
def review_verdict(
    request: Request,
    who: Admin,
    notice: Annotated[int, Form()],
    verdict: Annotated[str, Form()],
    filter: Annotated[str, Form()] = "possible",
    page: Annotated[int, Form()] = 1,
) -> Response:
    """The notice's one current verdict; the audit row says old → new (old None: the first)."""
    t = i18n.strings(lang_of(request))
    if verdict not in VERDICTS:
        raise HTTPException(status_code=422, detail=t["rv_bad_verdict"])
    now = state(request).clock()
    with writing(request) as session:
        try:
            change = record_verdict(session, notice, verdict, who.email, now)
        except UnknownNotice:
            raise HTTPException(status_code=404, detail=t["rv_no_notice"]) from None
        if change.old != change.new:  # the same verdict again changes nothing and logs nothing
            audit(
                session,
                who,
                "review.verdict",
                f"notice:{notice}",
                at=now,
                old={"verdict": change.old},
                new={"verdict": change.new},
            )
    return RedirectResponse(queue_url(filter, page, done=notice), status_code=303)


@router.get("/admin/review/verdicts.yaml")
def review_export(request: Request, who: Admin) -> Response:
    """``tenderwatch review export``: every verdict as a labelled set for ``tenderwatch eval``."""
    with reading(request) as session:
        text = to_yaml(verdict_labels(session))
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tenderwatch-verdicts.yaml"'},
    )


# ---------------------------------------------------------------------------------- rule quality
def notices_url(key: quality.Key, figure: str) -> str:
    query = {"rule": key.signal_id, "figure": figure}
    if key.keyword:
        query.update(keyword=key.keyword, lang=key.lang)
    return "/admin/rules/quality/notices?" + urlencode(query)


@router.get("/admin/rules/quality")
def rule_quality(request: Request, who: Admin) -> Response:
    with reading(request) as session:
        measured = quality.measure(session)
    return render(
        request,
        "admin_rule_quality.html.j2",
        user=who,
        who=who,
        q=measured,
        notices_url=notices_url,
        poor_precision=quality.POOR_PRECISION,
        poor_min=quality.POOR_MIN_JUDGEMENTS,
        window_max=quality.FIRED_WINDOW,
    )


@router.get("/admin/rules/quality/notices")
def rule_notices(
    request: Request, who: Admin, rule: str, figure: str = "fired", keyword: str = "", lang: str = ""
) -> Response:
    """The notices behind one figure of the table: where it fired, or the judged ones with their
    verdict or readers' answers."""
    t = i18n.strings(lang_of(request))
    if figure not in FIGURES:
        raise HTTPException(status_code=404, detail=t["rq_no_figure"])
    key = quality.Key(rule, keyword, lang if keyword else "")
    with reading(request) as session:
        found = quality.measure(session).find(key)
        if found is None:
            pks: list[int] = []
        elif figure == "fired":
            pks = found.fired[: quality.NOTICES_LISTED]
        elif figure == "verdicts":
            pks = list(found.verdicts)
        else:
            pks = list(dict.fromkeys(pk for pk, _ in found.clicks))
        rows = (
            session.execute(
                select(
                    Notice.id,
                    Notice.title,
                    Notice.buyer_name,
                    Procedure.procedure_key,
                    NoticeClassification.label,
                    NoticeClassification.score,
                )
                .join(Procedure, Procedure.id == Notice.procedure_pk)
                .outerjoin(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
                .where(Notice.id.in_(pks))
            ).all()
            if pks
            else []
        )
    by_pk = {r[0]: r for r in rows}
    clicks: dict[int, list[bool]] = {}
    for pk, relevant in found.clicks if found else []:
        clicks.setdefault(pk, []).append(relevant)
    return render(
        request,
        "admin_rule_notices.html.j2",
        user=who,
        who=who,
        key=key,
        figure=figure,
        figures=FIGURES,
        found=found,
        rows=[by_pk[pk] for pk in pks if pk in by_pk],
        verdicts=found.verdicts if found else {},
        clicks=clicks,
        notices_url=notices_url,
        ppath=procedure_path,
        listed=quality.NOTICES_LISTED,
    )
