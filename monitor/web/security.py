"""Headers every answer carries, the CSRF middleware's settings, and the sign-in rate limits.

Nothing here is cryptography of our own: sessions are Starlette's signed cookies
(itsdangerous), CSRF is asgi-csrf's signed double-submit cookie, rate limits are ``limits``'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asgi_csrf as asgi_csrf_module
from asgi_csrf import asgi_csrf
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from python_multipart import FormParser

from monitor.web import i18n

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # htmx is a static file of ours; no inline script anywhere
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
BASE_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Sign-in and unsubscribe URLs carry tokens: never send them to another site as a Referer.
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers above to every HTTP answer (HSTS behind https)."""

    def __init__(self, app: Any, *, hsts: bool) -> None:
        self.app = app
        self.headers = BASE_HEADERS + ([HSTS] if hsts else [])

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    h for h in self.headers if h[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


ONE_CLICK_PREFIX = "/unsubscribe/"
ALWAYS_PROTECT = {"/signin", "/signin/confirm"}
"""Checked even without cookies: a forged sign-in POST would sign the victim in as the attacker."""


def _skip(scope: dict[str, Any]) -> bool:
    """RFC 8058: the one-click POST comes from a mailbox provider, without cookies or a form token."""
    return scope.get("method") == "POST" and scope.get("path", "").startswith(ONE_CLICK_PREFIX)


class _TokenFirstFormParser(FormParser):
    """asgi-csrf 0.11's multipart check, fitted to python-multipart ≥ 0.0.13.

    asgi-csrf finds a multipart form's token with ``FormParser(..., FileClass=...)``, a keyword
    python-multipart no longer takes, so every upload with cookies failed with a TypeError (a
    500). Without the keyword the parser would buffer a file sent before the token; this one
    refuses the request when a file part ends before any token was seen, which is what
    asgi-csrf's ``FileClass`` did (its ``FileBeforeToken`` answer: 403). The admin's CSV
    upload (``admin_subscribers.html.j2``) sends the token first.
    """

    def __init__(self, content_type: str, on_field: Any, on_file: Any, **kwargs: Any) -> None:
        kwargs.pop("FileClass", None)

        def file_before_token(_file: Any) -> None:
            raise asgi_csrf_module.FileBeforeToken

        super().__init__(content_type, on_field, file_before_token, **kwargs)


# The module's own global: asgi-csrf looks ``FormParser`` up there on each multipart POST.
asgi_csrf_module.FormParser = _TokenFirstFormParser


class CsrfMiddleware:
    """asgi-csrf as a Starlette middleware class (``app.add_middleware``)."""

    def __init__(self, app: Any, *, secret: str, secure: bool) -> None:
        self.app = asgi_csrf(
            app,
            signing_secret=secret,
            cookie_name="tw_csrf",
            cookie_secure=secure,  # --dev serves plain http on loopback; everything else needs https
            cookie_samesite="Lax",
            always_protect=ALWAYS_PROTECT,
            skip_if_scope=_skip,
            send_csrf_failed=_csrf_failed,
        )

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        await self.app(scope, receive, send)


async def _csrf_failed(
    scope: dict[str, Any], send: Callable[..., Any], message_id: int | None = None
) -> None:
    """A 403 page in the visitor's language instead of the library's bare text."""
    headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
    cookies = dict(c.strip().split("=", 1) for c in headers.get("cookie", "").split(";") if "=" in c)
    t = i18n.strings(i18n.negotiate(cookies.get("tw_lang"), headers.get("accept-language")))
    body = (
        f"<!DOCTYPE html><html><head><meta charset=utf-8><title>{t['forbidden_title']}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/app.css"></head><body><main class="narrow">'
        f"<h1>{t['forbidden_title']}</h1><p>{t['forbidden']}</p></main></body></html>"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SigninLimits:
    """Sign-in link requests per address and per client, in a moving window, in this process.

    In memory: one web process per database is the expected set-up; behind several, each keeps
    its own count, which still bounds the mail any one of them sends.
    """

    def __init__(self, per_address: str = "5/hour", per_client: str = "20/hour") -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_address = parse(per_address)
        self.per_client = parse(per_client)

    def allow(self, address: str, client: str) -> bool:
        """Count one request; False when either limit is already used up (nothing is sent then)."""
        ok_address = self.limiter.hit(self.per_address, "address", address.lower())
        ok_client = self.limiter.hit(self.per_client, "client", client)
        return ok_address and ok_client
