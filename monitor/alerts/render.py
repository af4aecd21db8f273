"""Turning outbox rows into emails: Jinja2 templates (HTML and plain text) in fi/sv/en.

Three rules keep notice data from doing harm (the helpers are ``monitor/safety.py``):

- every header built from notice data goes through :func:`header_safe` (control characters,
  CR and LF, bidi overrides become spaces), so a title with a newline cannot add a ``Bcc:``;
- the HTML environment autoescapes everything, so a title with ``<script>`` arrives as text;
- only ``http``/``https`` URLs become links (:func:`safe_url`): a ``javascript:`` document
  URL is left out.
"""

from __future__ import annotations

import base64
import email
import email.policy
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from db.models.alerts import OutboxMessage, Subscriber
from monitor.addresses import ascii_address
from monitor.alerts import i18n
from monitor.alerts.cpv_labels import cpv_label
from monitor.alerts.outbox import message_id
from monitor.alerts.payload import pick_text
from monitor.alerts.tokens import make_feedback_token, make_token
from monitor.safety import header_safe, safe_url
from monitor.secretkey import secret_key
from monitor.settings import Settings
from monitor.subscribers.optout import matched_subscription_ids

TEMPLATES = Path(__file__).parent / "templates"


def _env(html: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Autoescape in HTML is what makes "<script>" in a title harmless; text mail is never HTML.
        autoescape=select_autoescape(("html", "html.j2"), default_for_string=html, default=html),
        undefined=StrictUndefined,  # a typo in a template fails in the tests, not silently in mail
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_HTML = _env(True)
_TEXT = _env(False)


@dataclass
class NoticeView:
    """One notice as a template shows it, with every value already in the reader's language."""

    title: str
    buyer: str | None
    deadline: str | None
    value: str | None
    cpv: list[tuple[str, str]]
    description: str
    innovation: str | None
    innovation_text: str | None
    innovation_reasons: list[str]
    why: list[str]
    subscriptions: list[str]
    links: list[tuple[str, str]]
    documents: list[str]
    changes: list[str] = field(default_factory=list)
    page_url: str | None = None
    """Our own procedure page: why it was flagged, the timeline, the words highlighted."""
    manage_url: str | None = None
    """The page of the (first) subscription that matched, where it can be edited or paused."""
    feedback: tuple[str, str] | None = None
    """The reader's signed "relevant" and "not relevant" links for this notice (``/feedback/…``):
    each opens a page with a button, so a mail scanner that follows links records nothing."""


FeedbackLinks = Callable[[int], tuple[str, str]]
"""The notice's store id → its "relevant" and "not relevant" URLs for this email's reader."""


def feedback_links(base: str, secret: str, subscriber_id: int, email: str) -> FeedbackLinks:
    """One signed token per notice (``monitor.alerts.tokens.make_feedback_token``), the answer in
    the query: the page it opens has that answer chosen, and only its button records it."""

    def links(notice_pk: int) -> tuple[str, str]:
        url = f"{base}/feedback/{make_feedback_token(secret, subscriber_id, email, notice_pk)}"
        return f"{url}?answer=relevant", f"{url}?answer=not_relevant"

    return links


def notice_view(
    payload: dict[str, Any],
    lang: str,
    public_url: str = "",
    procedure_key: str = "",
    feedback: tuple[str, str] | None = None,
) -> NoticeView:
    t = i18n.strings(lang)
    n = payload.get("notice") or {}
    inn = payload.get("innovation") or {}
    label = inn.get("label")
    value = n.get("value") or {}
    links = [(lk.get("label") or url, url) for lk in n.get("links") or [] if (url := safe_url(lk.get("url")))]
    matched = matched_subscription_ids([payload])
    base = public_url.rstrip("/")
    return NoticeView(
        title=pick_text(n.get("title") or {}, lang, n.get("language"))
        or (n.get("publication_number") or "—"),
        buyer=", ".join(x for x in (n.get("buyer"), n.get("buyer_city")) if x) or None,
        deadline=i18n.format_datetime(n.get("deadline"), lang),
        value=i18n.format_money(value.get("amount"), value.get("currency"), lang) if value else None,
        cpv=[(c, cpv_label(c, lang)) for c in (n.get("cpv") or [])[:8]],
        description=pick_text(n.get("description") or {}, lang, n.get("language")),
        innovation=label if label in ("innovative", "possible") else None,
        innovation_text=t.get(f"label_{label}") if label in ("innovative", "possible") else None,
        innovation_reasons=[_innovation_reason(r) for r in (inn.get("reasons") or [])[:5]],
        why=why_lines(payload.get("matches") or [], lang),
        subscriptions=[m.get("subscription", "") for m in payload.get("matches") or []],
        links=links,
        documents=[url for d in n.get("documents") or [] if (url := safe_url(d))],
        changes=change_lines(payload.get("events") or [], lang),
        page_url=f"{base}{procedure_path(procedure_key)}" if base and procedure_key else None,
        manage_url=f"{base}/subscriptions/{matched[0]}" if base and matched else None,
        feedback=feedback,
    )


def procedure_path(procedure_key: str) -> str:
    """The web application's path of a procedure page (``monitor.web``): ``/p/<key>``."""
    return f"/p/{quote(procedure_key, safe='')}"


def _innovation_reason(r: dict[str, Any]) -> str:
    """``“innovaatiokumppanuus” (title, proc_innovation_partnership)``: the words first, the rule after."""
    matched = r.get("matched") or ""
    where = ", ".join(x for x in (r.get("field"), r.get("signal_id")) if x)
    return f"“{matched}” ({where})" if matched else where


def why_lines(matches: list[dict[str, Any]], lang: str) -> list[str]:
    """Every reason of every matching subscription, in words, without repeats."""
    t = i18n.strings(lang)
    out: list[str] = []
    for m in matches:
        for r in m.get("reasons") or []:
            kind = r.get("filter")
            if kind == "keyword":
                line = t["why_keyword"].format(
                    term=r["term"], field=i18n.field_name(r["field"], lang), matched=r["matched"]
                )
            elif kind == "innovation":
                line = t["why_innovation"].format(label=t.get(f"label_{r['label']}", r["label"]))
            elif kind == "branch":
                line = t["why_branch"].format(branch=r["branch"], buyer=r.get("buyer") or "")
            elif kind == "value":
                line = t["why_value"].format(value=i18n.format_money(r["value"], "EUR", lang))
            elif kind in ("cpv", "nuts", "buyer"):
                line = t[f"why_{kind}"].format(**r)
            else:
                continue
            if line not in out:
                out.append(line)
    return out


def change_lines(events: list[dict[str, Any]], lang: str) -> list[str]:
    t = i18n.strings(lang)
    out = []
    for e in events:
        kind = e.get("kind", "")
        old, new = e.get("old"), e.get("new")
        if kind == "deadline_moved":
            old = i18n.format_datetime(old, lang) if isinstance(old, str) else old
            new = i18n.format_datetime(new, lang) if isinstance(new, str) else new
        if kind in ("lots_added", "lots_removed"):
            old = ", ".join(map(str, old)) if isinstance(old, list) else old
            new = ", ".join(map(str, new)) if isinstance(new, list) else new
        if kind == "value_changed":
            old = _money_text(old, lang)
            new = _money_text(new, lang)
        template = t.get(kind)
        out.append(template.format(old=old, new=new) if template else kind)
    return out


def _money_text(v: Any, lang: str) -> Any:
    if isinstance(v, dict) and "amount" in v:
        return i18n.format_money(v["amount"], v.get("currency"), lang)
    return v


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    images: dict[str, bytes] = field(default_factory=dict)
    """Content-ID → PNG, shown inline by the HTML part (the monthly branch report's charts)."""


def render_row(
    row: OutboxMessage,
    sub: Subscriber,
    unsubscribe_url: str,
    items: list[OutboxMessage] | None = None,
    public_url: str = "",
    feedback: FeedbackLinks | None = None,
) -> Rendered:
    """Subject, text and HTML of one outbox row (a digest needs its ``items``); ``feedback`` gives
    each notice its reader-feedback links (none without it, or for a row without a notice id)."""

    def links(row: OutboxMessage) -> tuple[str, str] | None:
        return feedback(row.notice_id) if feedback is not None and row.notice_id is not None else None

    lang = sub.language if sub.language in i18n.STRINGS else "en"
    t = i18n.strings(lang)
    ctx: dict[str, Any] = {"t": t, "lang": lang, "unsubscribe_url": unsubscribe_url, "kind": row.kind}
    if row.kind == "report":  # rendered when queued (monitor.reports.monthly); frozen in the payload
        return prerendered(row.payload, unsubscribe_url)
    if row.kind == "digest":
        views = [
            (item.kind, notice_view(item.payload, lang, public_url, item.procedure_key, links(item)))
            for item in items or []
        ]
        groups = digest_groups(views)
        count = len(views)
        ctx.update(groups=groups, intro=t["intro_digest"].format(count=count))
        subject = f"{t['subject_digest']}: {count}"
        template = "digest"
    else:
        view = notice_view(row.payload, lang, public_url, row.procedure_key, links(row))
        intro = t[f"intro_{row.kind}"].format(days=row.payload.get("reminder_days", ""))
        ctx.update(n=view, intro=intro)
        prefix = "★ " if view.innovation == "innovative" else ""
        subject = f"{prefix}{t['subject_' + row.kind]}: {view.title}"
        template = "alert"
    return Rendered(
        subject=header_safe(subject),
        text=_TEXT.get_template(f"{template}.txt.j2").render(**ctx),
        html=_HTML.get_template(f"{template}.html.j2").render(**ctx),
    )


def prerendered(payload: dict[str, Any], unsubscribe_url: str) -> Rendered:
    """A row whose payload carries its own subject, text, HTML and images (the monthly branch
    report is rendered when it is queued, ``monitor/reports/monthly.py``): add the footer."""
    footer_text = f"\n--\n{unsubscribe_url}\n"
    link = escape(unsubscribe_url)
    footer_html = f'<p style="color:#777;font-size:12px"><a href="{link}">{link}</a></p>'
    html = payload["html"].replace("</body>", footer_html + "\n</body>", 1)
    images = {cid: base64.b64decode(data) for cid, data in (payload.get("images") or {}).items()}
    return Rendered(header_safe(payload["subject"]), payload["text"] + footer_text, html, images)


def digest_groups(views: list[tuple[str, NoticeView]]) -> list[tuple[str, list[tuple[str, NoticeView]]]]:
    """Group digest items by subscription; innovative first, then possible, then by deadline."""
    rank = {"innovative": 0, "possible": 1}
    groups: dict[str, list[tuple[str, NoticeView]]] = {}
    for kind, v in views:
        groups.setdefault(v.subscriptions[0] if v.subscriptions else "", []).append((kind, v))
    for items in groups.values():
        items.sort(key=lambda kv: (rank.get(kv[1].innovation or "", 2), kv[1].deadline is None, kv[1].title))
    return sorted(groups.items(), key=lambda kv: kv[0])


def build_message(
    row: OutboxMessage, sub: Subscriber, settings: Settings, items: list[OutboxMessage] | None = None
) -> Message:
    """The full email of one outbox row, headers included; pure, so it is the same on every retry.

    Built with the ``compat32`` MIME classes rather than ``EmailMessage``: the modern header
    registry parses every header on assignment and again on output, which made building an
    email cost more than sending it (bench/bench_smtp.py). Header values are made safe by
    :func:`header_safe` first, and non-ASCII ones are RFC 2047-encoded by ``Header``.
    """
    # The link ends the mail of the subscriptions that matched this email (a digest: of its items);
    # the monthly branch report names none, so its link ends the subscriber's mail.
    payloads = [i.payload for i in items or []] if row.kind == "digest" else [row.payload]
    secret = secret_key(settings)
    token = make_token(secret, sub.id, sub.email, matched_subscription_ids(payloads))
    base = settings.public_url.rstrip("/")
    unsubscribe_url = f"{base}/unsubscribe/{token}"
    # Only with a public URL: a relative link in an email leads nowhere (as the page links).
    feedback = feedback_links(base, secret, sub.id, sub.email) if base else None
    r = render_row(row, sub, unsubscribe_url, items, base, feedback)
    from_name, from_addr = parseaddr(settings.mail_from)
    domain = from_addr.rpartition("@")[2] or "localhost"
    html_part: Message = MIMEText(r.html, "html", "utf-8")
    if r.images:
        related = MIMEMultipart("related")
        related.attach(html_part)
        for cid, png in r.images.items():
            image = MIMEImage(png, "png")
            image["Content-ID"] = f"<{cid}>"
            image["Content-Disposition"] = "inline"
            related.attach(image)
        html_part = related
    msg = MIMEMultipart("alternative")
    msg["From"] = formataddr((header_safe(from_name), from_addr), charset="utf-8")
    # ASCII (IDNA domain) or an AddressError: the row fails for good, the batch goes on.
    msg["To"] = formataddr((header_safe(sub.name or ""), ascii_address(sub.email)), charset="utf-8")
    msg["Subject"] = encode_words(r.subject)
    msg["Message-ID"] = message_id(row, domain)
    msg["Date"] = format_datetime(row.created_at)
    # RFC 8058 one-click: the POST body "List-Unsubscribe=One-Click" goes to the https URL.
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>, <mailto:{from_addr}?subject=unsubscribe%20{token}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to us
    msg["X-TenderWatch-Kind"] = row.kind
    if row.procedure_key:
        msg["X-TenderWatch-Procedure"] = encode_words(header_safe(row.procedure_key, 200))
    msg.attach(MIMEText(r.text, "plain", "utf-8"))
    msg.attach(html_part)
    return msg


def encode_words(text: str) -> str:
    """RFC 2047 ``=?utf-8?b?…?=`` words of at most 45 bytes each, space-separated (so folding works).

    ``email.header.Header`` does the same in O(n²) per header (it re-measures the encoded
    line after every character); a subject is encoded once per email, so this matters.
    """
    if text.isascii():
        return text
    words: list[str] = []
    chunk = ""
    size = 0
    for ch in text:
        n = len(ch.encode())
        if size + n > 45:
            words.append(chunk)
            chunk, size = "", 0
        chunk += ch
        size += n
    words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


def parse_message(msg: Message) -> EmailMessage:
    """A built message re-read with the modern API (``get_body``), for display and tests."""
    # policy.default makes the parser build EmailMessage objects; typeshed types the result as Message.
    return cast(EmailMessage, email.message_from_bytes(msg.as_bytes(), policy=email.policy.default))
