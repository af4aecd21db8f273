"""Public pages: home, search, a procedure's page, and the language switch."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from db.procedures import find_procedure
from monitor.search.query import SearchQuery, search
from monitor.search.terms import keyword_terms
from monitor.web import i18n
from monitor.web.context import LANG_COOKIE, current_user, lang_of, reading, render, safe_next, state
from monitor.web.views import procedure_view, query_highlighter, result_texts

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    with reading(request) as session:
        user = current_user(request, session)
    return render(request, "home.html.j2", user=user)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """The visible language switch: remembered in a cookie, then back to the same page."""
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if code in i18n.LANGS:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=not state(request).dev,
        )
    return response


def search_query(
    words: str = "",
    cpv: Annotated[list[str] | None, Query()] = None,
    country: str = "",
    buyer: str = "",
    branch: str = "",
    label: str = "",
    status: str = "",
    published_from: str = "",
    published_to: str = "",
    sort: str = "newest",
    page: int = 1,
) -> SearchQuery:
    """A search from form fields, forgiving: an unknown value is dropped rather than refused.

    Also the search page's FastAPI dependency: its parameters are the page's query parameters.
    """
    return SearchQuery(
        words=words.strip()[:300],
        cpv=[c.strip()[:8] for c in cpv or [] if c.strip()[:8].isdigit() and len(c.strip()) >= 8][:20],
        country=country.strip().upper()[:3] or None,
        buyer=buyer.strip()[:200] or None,
        branch=branch.strip()[:32] or None,
        label=label if label in ("innovative", "possible") else None,  # type: ignore[arg-type]
        status=status if status in ("open", "closed") else None,  # type: ignore[arg-type]
        published_from=_date(published_from),
        published_to=_date(published_to),
        sort=sort if sort in ("newest", "deadline", "value") else "newest",  # type: ignore[arg-type]
        page=max(1, page),
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def query_params(q: SearchQuery, **change: Any) -> str:
    """The URL query of ``q`` (for paging and saving), with ``change`` applied."""
    params: list[tuple[str, str]] = []
    values = {
        "words": q.words,
        "country": q.country or "",
        "buyer": q.buyer or "",
        "branch": q.branch or "",
        "label": q.label or "",
        "status": q.status or "",
        "published_from": q.published_from.isoformat() if q.published_from else "",
        "published_to": q.published_to.isoformat() if q.published_to else "",
        "sort": q.sort,
        "page": str(q.page),
    }
    values.update({k: str(v) for k, v in change.items()})
    params = [(k, v) for k, v in values.items() if v and not (k == "page" and v == "1")]
    params += [("cpv", c) for c in q.cpv]
    return urlencode(params)


@router.get("/search")
def search_page(request: Request, q: Annotated[SearchQuery, Depends(search_query)]) -> Response:
    st = state(request)
    lang = lang_of(request)
    with reading(request) as session:
        user = current_user(request, session)
        result = search(session, q, st.clock())
        matcher = query_highlighter(keyword_terms(q.words))
        rows = [(r, *result_texts(matcher, r.notice.to_record(), lang)) for r in result.rows]
    return render(
        request,
        "search.html.j2",
        user=user,
        q=q,
        result=result,
        rows=rows,
        branches=branch_options(request),
        prev_url=f"/search?{query_params(q, page=q.page - 1)}" if q.page > 1 else None,
        next_url=f"/search?{query_params(q, page=q.page + 1)}" if result.has_next else None,
    )


def branch_options(request: Request) -> list[tuple[str, str]]:
    """(id, name) of the administrative branches and buyer groups, in the page's language."""
    lang = lang_of(request)
    t = i18n.strings(lang)
    config = state(request).config()
    branches = config.get("branches.yaml")
    out = [(b.id, getattr(b.names, lang, b.names.en)) for b in (branches.branches if branches else [])]
    out += [(g, t[f"group_{g}"]) for g in ("valtio", "yhteishankinta", "kunta", "hyvinvointialue", "muu")]
    return out


@router.get("/p/{key:path}")
def procedure_page(request: Request, key: str) -> Response:
    st = state(request)
    lang = lang_of(request)
    with reading(request) as session:
        user = current_user(request, session)
        proc = find_procedure(session, key)
        if proc is None:
            raise HTTPException(status_code=404, detail=i18n.strings(lang)["not_found_text"])
        view = procedure_view(session, proc, lang, st.config(), i18n.strings(lang), st.settings.ted_site_url)
    return render(request, "procedure.html.j2", user=user, v=view)
