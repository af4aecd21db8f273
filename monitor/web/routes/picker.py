"""The CPV picker's htmx fragments: codes by label (in the page's language) or by code, with the
hierarchy above each, and the chip a chosen code becomes in the form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from monitor.alerts.cpv_labels import ancestors, cpv_label, table
from monitor.web.context import lang_of, render

router = APIRouter(include_in_schema=False)
LIMIT = 15


def find_cpv(query: str, lang: str, limit: int = LIMIT) -> list[str]:
    """Codes whose code starts with the query's digits, or whose label has every query word
    (Finnish labels for a Finnish page, English otherwise); broader codes first."""
    q = query.strip().casefold()
    if not q:
        return []
    digits = "".join(ch for ch in q if ch.isdigit())
    words = [w for w in q.replace(",", " ").split() if not w.isdigit()]
    col = 1 if lang == "fi" else 0
    out: list[str] = []
    for code, labels in table().items():
        if digits and not words:
            hit = code.startswith(digits[:8])
        else:
            text = labels[col].casefold() or labels[0].casefold()
            hit = bool(words) and all(w in text for w in words) and (not digits or code.startswith(digits))
        if hit:
            out.append(code)
    out.sort(key=lambda c: (len(c.rstrip("0")), c))
    return out[:limit]


@router.get("/picker/cpv")
def cpv_results(request: Request, q: str = "") -> Response:
    lang = lang_of(request)
    codes = find_cpv(q[:100], lang)
    items = [(c, cpv_label(c, lang), [cpv_label(a, lang) for a in ancestors(c)]) for c in codes]
    return render(request, "_cpv_results.html.j2", items=items, q=q)


@router.get("/picker/cpv/chip")
def cpv_chip(request: Request, code: str = "") -> Response:
    code = code[:8]
    if not (code.isdigit() and len(code) == 8 and code in table()):
        return Response(status_code=204)
    response = render(request, "_cpv_chip.html.j2", code=code, label=cpv_label(code, lang_of(request)))
    response.headers["HX-Trigger"] = "cpv-changed"  # the preview listens and recomputes
    return response
