"""What every route needs: the app's state, the page language, the signed-in person, rendering.

Rendering adds the words of the page's language (``t``), the language switch, the CSRF token
function and the signed-in subscriber to every template, so templates never reach for globals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.orm import Session, sessionmaker

from db.clock import utcnow
from db.models.alerts import Subscriber
from db.session import get_read_sessionmaker, get_sessionmaker, is_postgres
from monitor.config import AppConfig
from monitor.settings import Settings
from monitor.web import formatting, i18n
from monitor.web.roles import identity_for
from monitor.web.security import SigninLimits

HERE = Path(__file__).parent
LANG_COOKIE = "tw_lang"


@dataclass
class WebState:
    settings: Settings
    config: Callable[[], AppConfig]
    dev: bool
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    templates: Jinja2Templates
    limits: SigninLimits = field(default_factory=SigninLimits)
    write_turns: AbstractContextManager[Any] = field(default_factory=nullcontext)
    """Held around each of this app's writes: on SQLite a lock, so that the web's own request
    threads queue for the database's single writer here instead of in SQLite's busy handler,
    which sleeps 1, 2, 5, 10 … ms between tries. With 8 one-click unsubscribes at once, two
    thirds of the handler's time went to those sleeps (py-spy), for 270 requests/s. A thread
    lock, so never held across an ``await`` (no route awaits inside :func:`writing`)."""
    clock: Callable[[], datetime] = utcnow
    """The one clock (``db.clock.utcnow``); a test may hand in another."""

    @classmethod
    def build(cls, settings: Settings, config: Callable[[], AppConfig], *, dev: bool) -> WebState:
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            # Every template escapes every value, whatever its file name ends with: Starlette's
            # default escapes only *.html, and a notice title with "<script>" must stay text.
            autoescape=True,
            # Templates are package files, replaced only with the package (and a restart): not
            # stat()ed on every render, which was 13% of a one-click unsubscribe's time (py-spy).
            auto_reload=False,
        )
        formatting.install(env)
        templates = Jinja2Templates(env=env)
        return cls(
            settings=settings,
            config=config,
            dev=dev,
            writer=get_sessionmaker(settings.db_url),
            reader=get_read_sessionmaker(settings.db_url),
            templates=templates,
            write_turns=nullcontext() if is_postgres(settings.db_url) else threading.Lock(),
        )

    @property
    def base_url(self) -> str:
        return self.settings.public_url.rstrip("/")


def state(request: Request) -> WebState:
    found: WebState = request.app.state.tw  # set by create_app (monitor/web/app.py)
    return found


def lang_of(request: Request) -> str:
    return i18n.negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    with state(request).reader() as session:
        yield session


@contextmanager
def writing(request: Request) -> Iterator[Session]:
    """A unit of work: committed when the block ends without an error (one at a time on SQLite)."""
    st = state(request)
    with st.write_turns, st.writer.begin() as session:
        yield session


def current_user(request: Request, session: Session) -> Subscriber | None:
    """The signed-in subscriber, or None. The session names the id and the subscriber's creation
    time, so a cookie of a deleted account never fits a later subscriber that got the same id."""
    uid, since = request.session.get("uid"), request.session.get("since")
    if not isinstance(uid, int):
        return None
    sub = session.get(Subscriber, uid)
    if sub is None or since != stamp(sub):
        return None
    return sub


def stamp(sub: Subscriber) -> int:
    return int(sub.created_at.timestamp())


def require_user(request: Request, session: Session) -> Subscriber:
    """The signed-in subscriber, or a redirect to the sign-in page that comes back here."""
    sub = current_user(request, session)
    if sub is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(status_code=303, headers={"Location": f"/signin?next={quote(target)}"})
    return sub


def safe_next(value: str | None, default: str = "/subscriptions") -> str:
    """A redirect target of our own site only: a path, never ``//host`` or a full URL."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def render(request: Request, template: str, *, status_code: int = 200, **ctx: Any) -> Any:
    lang = lang_of(request)
    user = ctx.pop("user", None)
    csrf = request.scope.get("csrftoken")
    # As request.url.path and .query give them (Starlette's URL escapes these three), without
    # parsing a whole URL: that was 7% of a one-click unsubscribe's time (py-spy).
    path = str(request.scope["path"]).replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query = bytes(request.scope.get("query_string", b"")).decode()
    base: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "t": i18n.strings(lang),
        "langs": [(code, i18n.LANG_NAMES[code]) for code in i18n.LANGS],
        "user": user,
        # The header's link to the admin pages, for admins and branch contacts only.
        "staff": user is not None and identity_for(state(request).config(), user.email).staff,
        "csrf": csrf() if callable(csrf) else "",
        "path": path,
        "here": path + (f"?{query}" if query else ""),
    }
    base.update(ctx)
    return state(request).templates.TemplateResponse(request, template, base, status_code=status_code)
