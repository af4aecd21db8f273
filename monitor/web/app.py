"""``create_app(settings, config_provider)``: the FastAPI application behind ``tenderwatch web``.

Routes are thin: they parse the request, call the same services the CLI and the service call
(``monitor.subscribers``, ``monitor.matching``, ``monitor.search``, ``db.procedures``) and
render a Jinja2 template. Nothing here reads settings or config files itself: the settings and
a ``config_provider()`` returning the current ``AppConfig`` are handed in (the service passes its
ConfigHolder's ``current``, ``tenderwatch web`` a config loaded once).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from monitor import __version__
from monitor.config import AppConfig
from monitor.secretkey import secret_key
from monitor.settings import Settings
from monitor.web.context import WebState, render
from monitor.web.routes import (
    account,
    admin,
    admin_audit,
    admin_branchedit,
    admin_config,
    admin_people,
    admin_review,
    admin_rules,
    admin_subscribers,
    api,
    auth,
    feedback,
    feeds,
    pages,
    picker,
    subscriptions,
    unsubscribe,
)
from monitor.web.security import CsrfMiddleware, SecurityHeaders

HERE = Path(__file__).parent
SESSION_DAYS = 30


def create_app(settings: Settings, config_provider: Callable[[], AppConfig], *, dev: bool = False) -> FastAPI:
    """The web application. ``dev``: plain http on loopback (no Secure cookies, no HSTS)."""
    secure = not dev
    app = FastAPI(
        title="TenderWatch API",
        version=__version__,
        description="Read-only access to the notices and procedures TenderWatch stores.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the Swagger UI loads its scripts from a CDN; the JSON description is enough
        redoc_url=None,
    )
    app.state.tw = WebState.build(settings, config_provider, dev=dev)

    for module in (
        pages,
        auth,
        unsubscribe,
        subscriptions,
        picker,
        feeds,
        account,
        admin_branchedit,  # before admin: its /admin/branches/{branch_id} would take "edit", "unmapped"
        admin,
        admin_subscribers,
        admin_audit,
        admin_people,
        admin_config,
        admin_review,
        admin_rules,
        feedback,
        api,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    key = secret_key(settings)
    # Added last = runs first: headers wrap everything, then sessions, then CSRF next to the routes.
    app.add_middleware(CsrfMiddleware, secret=key, secure=secure)
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie="tw_session",
        max_age=SESSION_DAYS * 24 * 3600,
        same_site="lax",  # sent on links from the emails, never on another site's POST
        https_only=secure,  # the Secure flag; --dev on plain http needs it off
    )
    app.add_middleware(SecurityHeaders, hsts=secure)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if 300 <= exc.status_code < 400 and exc.headers and "Location" in exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        page = render(request, "error.html.j2", status_code=exc.status_code, message=exc.detail)
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        return render(request, "error.html.j2", status_code=422, message=str(exc.errors()[0].get("msg", "")))

    return app


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]


__all__ = ["HTMLResponse", "create_app"]
