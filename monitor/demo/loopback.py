"""Fake TED and HILMA on 127.0.0.1: the sources the spiders talk to in tests and in the demo.

It lives in the package, not in ``tests/``, because ``tenderwatch demo`` runs the whole
pipeline offline against it. A stdlib ``ThreadingHTTPServer`` on an ephemeral port, in a
background thread, used as a context manager::

    with LoopbackSources(make_corpus(600, seed=1)) as fake:
        crawl ted with api_url=fake.url, site_url=fake.url
        assert fake.counts["ted_xml"] == 0

What it plays (only the parts the spiders use, as docs/ted.md and docs/hilma.md describe them):

- TED Search API ``POST /v3/notices/search``: the expert-query subset the spider writes
  (``publication-date`` window, ``buyer-country`` = or IN, ``notice-type`` = or IN,
  ``SORT BY``), ITERATION tokens (and PAGE_NUMBER), the 250 limit, and an unknown field →
  400 with an error body. Publication numbers come without leading zeros, as the API writes them.
- Notice XML ``GET /en/notice/{number}/xml``.
- Daily packages ``GET /packages/daily/{yyyy}{nnnnn}``: a tar.gz made on the fly of that day's
  notices (``{yyyymmdd}_{nnn}/{number}_{yyyy}.xml``), plus ``legacy_per_package`` generated
  legacy TED_EXPORT notices (``monitor.demo.samples.legacy``; about ``legacy_finnish_share`` of them
  Finnish, see :meth:`LoopbackSources.legacy_specs`). Its issue numbers count every weekday
  from 1 January (no holidays), on purpose unlike the spider's guess, so the spider's
  self-correction is exercised. 404 after ``today``.
- HILMA ``POST /avp/eformnotices/docs/search`` (``datePublished`` window filter, ``top``/``skip``,
  ``@odata.count``, and ``select`` checked against the index's fields as Azure AI Search does:
  a name the index lacks answers 400 naming it) and
  ``GET /avp-eforms/external-read/v1/notices?id=..`` (≤ 50, base64
  ``eForm`` and ``hilmaStatistics``), both requiring ``Ocp-Apim-Subscription-Key``. HILMA holds
  the corpus's Finnish notices.

Fault injection (:meth:`LoopbackSources.add_fault`): any status with headers and body (429 with
``Retry-After``, 503, a plain-text 429, an HTML error page), ``timedOut: true`` pages, the WAF
challenge (202 with ``x-amzn-waf-action: challenge``), slow answers; :attr:`documents` can be
replaced per publication number to serve bad XML. Every request is counted by kind
(:attr:`counts`) and logged with its time (:attr:`log`), so tests can assert "no notice-XML
requests on the second crawl" and measure Retry-After waits.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import random
import re
import secrets
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from db.clock import utcnow
from monitor.demo.samples.builder import NoticeSpec, build_notice_xml, generate_specs
from monitor.demo.samples.legacy import LegacySpec, build_legacy_xml, generate_legacy_specs

# Fields the fake TED API accepts (docs/ted.md#fields); any other name fails the request.
TED_FIELDS = frozenset(
    {
        "publication-number",
        "publication-date",
        "notice-type",
        "form-type",
        "procedure-type",
        "notice-title",
        "title-proc",
        "description-proc",
        "description-lot",
        "buyer-name",
        "buyer-country",
        "buyer-identifier",
        "classification-cpv",
        "main-classification-proc",
        "place-of-performance",
        "place-of-performance-country-lot",
        "place-of-performance-subdiv-lot",
        "deadline-receipt-tender-date-lot",
        "deadline-receipt-tender-time-lot",
        "estimated-value-proc",
        "estimated-value-cur-proc",
        "procedure-identifier",
        "notice-identifier",
        "change-notice-version-identifier",
        "links",
        "official-language",
    }
)
TED_MAX_LIMIT = 250
HILMA_MAX_TOP = 1000
HILMA_BATCH_MAX = 50
# The fake HILMA index's fields besides its id field (docs/hilma.md#search-index-fields lists
# what clients use); ``select`` may name only these and the one id field the server was given.
HILMA_INDEX_FIELDS = frozenset(
    {"datePublished", "mainType", "cpvCodes", "titleFi", "titleSv", "titleEn", "noticeNumber", "procedureId"}
)


# ------------------------------------------------------------------------------- the corpus
@dataclass(frozen=True, slots=True)
class CorpusNotice:
    """One notice the fake sources serve, with the facts their search indexes need."""

    publication_number: str
    """As written in the XML, e.g. ``00012345-2026``."""
    publication_date: date
    countries: tuple[str, ...]
    notice_type: str
    xml: bytes
    lot_ids: tuple[str, ...] = ()
    innovative: bool = False
    """HILMA answers ``innovationConsidered: true`` for its lots."""

    @property
    def api_number(self) -> str:
        """The TED API's spelling: no leading zeros."""
        number, _, year = self.publication_number.partition("-")
        return f"{number.lstrip('0') or '0'}-{year}"

    @classmethod
    def from_spec(cls, spec: NoticeSpec) -> CorpusNotice:
        assert spec.publication_number and spec.publication_date
        signals = [k for lot in spec.lots for k in lot.signals]
        return cls(
            publication_number=spec.publication_number,
            publication_date=spec.publication_date,
            countries=tuple(dict.fromkeys(b.country for b in spec.buyers if b.country)),
            notice_type=spec.resolved()[1],
            xml=build_notice_xml(spec),
            lot_ids=tuple(lot.lot_id for lot in spec.lots),
            innovative="BT-776" in signals or spec.procedure_type == "innovation",
        )


def weekdays(start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if (start + timedelta(days=i)).weekday() < 5
    ]


OTHER_COUNTRIES = ("DEU", "FRA", "POL", "ITA", "ESP", "SWE", "EST", "NLD", "CZE", "ROU")


def make_corpus(
    n: int,
    seed: int = 0,
    *,
    start: date | None = None,
    end: date | None = None,
    finnish_share: float | None = None,
) -> list[CorpusNotice]:
    """``n`` generated notices published on the weekdays of ``start``..``end`` (default: the 5
    days up to today), in generation order (changes after what they change), with unique
    publication numbers.

    ``finnish_share``: re-draw the buyers' countries so about this share is Finnish (a real TED
    day is ~2 % Finnish; the builder's own mix is mostly Finnish, for the classifier's sake).
    """
    end = end or utcnow().date()
    start = start or end - timedelta(days=4)
    days = weekdays(start, end) or [end]
    used: set[str] = set()
    rng = random.Random(seed)
    out = []
    for i, spec in enumerate(generate_specs(n, seed)):
        day = days[i * len(days) // n]
        number = (spec.publication_number or "00000001-0000").split("-")[0]
        pubno = f"{number}-{day.year}"
        while pubno in used:
            pubno = f"{rng.randrange(1, 999999):08d}-{day.year}"
        used.add(pubno)
        if finnish_share is not None:
            country = "FIN" if rng.random() < finnish_share else rng.choice(OTHER_COUNTRIES)
            spec = dataclasses.replace(
                spec,
                buyers=[dataclasses.replace(b, country=country) for b in spec.buyers],
                place_country=country,
                lots=[dataclasses.replace(lot, place_country=country) for lot in spec.lots],
            )
        out.append(
            CorpusNotice.from_spec(dataclasses.replace(spec, publication_number=pubno, publication_date=day))
        )
    return out


def issue_number(day: date) -> int:
    """The fake OJ S numbering: the weekday's rank since 1 January."""
    return len(weekdays(date(day.year, 1, 1), day))


def issue_day(year: int, number: int) -> date | None:
    days = weekdays(date(year, 1, 1), date(year, 12, 31))
    return days[number - 1] if 1 <= number <= len(days) else None


# ------------------------------------------------------------------------------- faults
@dataclass
class Fault:
    """Answer the next ``times`` requests of ``kind`` this way instead of normally.

    ``action``: ``status`` (answer ``status`` with ``headers`` and ``body``), ``timed_out``
    (a TED page with ``timedOut: true`` and no notices), ``waf`` (202 challenge), ``slow``
    (sleep ``delay`` seconds, then answer normally). ``skip``: let this many matching requests
    through first. ``path_contains``: only requests whose path (with its query) contains this
    text, e.g. one notice's number or one HILMA id.
    """

    kind: str
    action: str = "status"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    times: int = 1
    delay: float = 0.0
    skip: int = 0
    path_contains: str | None = None


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    kind: str
    status: int
    at: float
    """time.monotonic() when the answer was sent."""
    received: float
    """time.monotonic() when the request arrived."""
    headers: dict[str, str]
    body: bytes = b""


# ------------------------------------------------------------------------------- the server
class LoopbackSources:
    """The fake TED + HILMA server. See the module docstring."""

    def __init__(
        self,
        notices: Iterable[CorpusNotice] = (),
        *,
        hilma_key: str | None = "loopback-key",
        legacy_per_package: int = 0,
        legacy_finnish_share: float = 0.3,
        today: date | None = None,
        hilma_id_field: str = "noticeId",
        hilma_index_fields: Iterable[str] | None = None,
        hilma_cpv_as_string: bool = False,
        content_disposition: bool = True,
    ) -> None:
        self.notices = list(notices)
        self.by_number = {n.api_number: n for n in self.notices}
        self.documents: dict[str, bytes] = {n.api_number: n.xml for n in self.notices}
        """Bytes served as each notice's XML (API spelling → bytes); replace one to serve bad XML."""
        self.hilma_key = hilma_key
        self.legacy_per_package = legacy_per_package
        self.legacy_finnish_share = legacy_finnish_share
        self.today = today or max((n.publication_date for n in self.notices), default=utcnow().date())
        self.hilma_id_field = hilma_id_field
        self.hilma_index_fields = frozenset(hilma_index_fields or HILMA_INDEX_FIELDS) | {hilma_id_field}
        """What the HILMA index holds: like any Azure AI Search index, one id field, not three."""
        self.hilma_cpv_as_string = hilma_cpv_as_string
        self.content_disposition = content_disposition
        """Name the package file in a header; off, the spider must read the day from the tar."""
        self.hilma = [n for n in self.notices if "FIN" in n.countries]
        self.hilma_ids = {str(100000 + i): n for i, n in enumerate(self.hilma)}
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.log: list[LoggedRequest] = []
        self._tokens: dict[str, tuple[list[CorpusNotice], int, list[str]]] = {}
        self._packages: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> LoopbackSources:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, each answer waits ~40 ms
            # for the client's delayed ACK, which made a 3,000-document crawl crawl.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                app._dispatch(self, "GET")

            def do_POST(self) -> None:
                app._dispatch(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request log is app.log; stderr noise would bury test output

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True  # a hung client must not keep the test process alive
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="loopback-sources", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first (use it as a context manager)"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}" if isinstance(host, str) else f"http://{host.decode()}:{port}"

    # -------------------------------------------------------------- knobs
    def add_fault(self, kind: str, action: str = "status", **kwargs: Any) -> Fault:
        """Inject a fault for requests of ``kind`` (see :meth:`kind_of`); returns it."""
        fault = Fault(kind, action, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def add_notices(self, notices: Iterable[CorpusNotice]) -> None:
        """Publish more notices while running (a late publication, a new day)."""
        with self._lock:
            for notice in notices:
                self.notices.append(notice)
                self.by_number[notice.api_number] = notice
                self.documents[notice.api_number] = notice.xml
                if "FIN" in notice.countries:
                    self.hilma_ids[str(100000 + len(self.hilma))] = notice
                    self.hilma.append(notice)
            self._packages.clear()

    def requests_of(self, kind: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.kind == kind]

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()

    @staticmethod
    def kind_of(method: str, path: str) -> str:
        """The request kind counted in :attr:`counts`: ``ted_search``, ``ted_xml``, ``package``,
        ``hilma_search``, ``hilma_batch``, ``robots`` or ``other``."""
        if path == "/robots.txt":
            return "robots"
        if path == "/v3/notices/search":
            return "ted_search"
        if re.fullmatch(r"/[a-z]{2}/notice/[^/]+/xml", path):
            return "ted_xml"
        if path.startswith("/packages/daily/"):
            return "package"
        if path == "/avp/eformnotices/docs/search":
            return "hilma_search"
        if path.startswith("/avp-eforms/external-read/v1/notices"):
            return "hilma_batch"
        return "other"

    # -------------------------------------------------------------- dispatch
    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        received = time.monotonic()
        parts = urlsplit(handler.path)
        kind = self.kind_of(method, parts.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.counts[kind] += 1
            fault = self._take_fault(kind, handler.path)
        status, headers, payload = 500, {"Content-Type": "text/plain"}, b"loopback error"
        try:
            if fault is not None and fault.action == "slow":
                time.sleep(fault.delay)
                fault = None
            if fault is not None:
                status, headers, payload = self._fault_answer(fault, kind)
            else:
                status, headers, payload = self._answer(
                    kind, method, parts.path, parse_qs(parts.query), handler, body
                )
        except Exception as exc:  # a bug in the fake must show up as a 500 the test sees, not a hang
            status, headers, payload = 500, {"Content-Type": "text/plain"}, f"loopback bug: {exc!r}".encode()
        try:
            handler.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer
        with self._lock:
            self.log.append(
                LoggedRequest(
                    method,
                    handler.path,
                    kind,
                    status,
                    time.monotonic(),
                    received,
                    dict(handler.headers),
                    body,
                )
            )

    def _take_fault(self, kind: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path_contains is not None and fault.path_contains not in path:
                continue
            if fault.kind == kind and fault.times > 0:
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    def _fault_answer(self, fault: Fault, kind: str) -> tuple[int, dict[str, str], bytes]:
        if fault.action == "waf":
            return (
                202,
                {"x-amzn-waf-action": "challenge", "Content-Type": "text/html"},
                b"<html><body></body></html>",
            )
        if fault.action == "timed_out":
            page = {"notices": [], "totalNoticeCount": 0, "iterationNextToken": None, "timedOut": True}
            return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()
        return fault.status, {"Content-Type": "text/plain", **fault.headers}, fault.body

    def _answer(
        self,
        kind: str,
        method: str,
        path: str,
        query: dict[str, list[str]],
        handler: BaseHTTPRequestHandler,
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        if kind == "robots":
            # Like ted.europa.eu: the search pages are off limits, the rest is allowed.
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /search/\n"
        if kind == "ted_search" and method == "POST":
            return self._ted_search(body)
        if kind == "ted_xml":
            number = path.split("/")[3]
            number = (
                number.split("-")[0].lstrip("0") + "-" + number.split("-")[-1] if "-" in number else number
            )
            doc = self.documents.get(number)
            if doc is None:
                return _json(404, {"message": f"notice {number} not found"})
            return 200, {"Content-Type": "application/xml"}, doc
        if kind == "package":
            return self._package(path.rsplit("/", 1)[-1])
        if kind in ("hilma_search", "hilma_batch"):
            if (
                self.hilma_key is not None
                and handler.headers.get("Ocp-Apim-Subscription-Key") != self.hilma_key
            ):
                return _json(
                    401,
                    {
                        "statusCode": 401,
                        "message": "Access denied due to missing subscription key. Make sure to include "
                        "subscription key when making requests to an API.",
                    },
                )
            if kind == "hilma_search" and method == "POST":
                return self._hilma_search(body)
            if kind == "hilma_batch":
                return self._hilma_batch(query.get("id", []))
        return _json(404, {"message": "not found"})

    # -------------------------------------------------------------- TED API
    def _ted_search(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            request = json.loads(body)
        except ValueError:
            return _json(400, {"error": "BAD_REQUEST", "message": "body is not JSON"})
        limit = int(request.get("limit", 10))
        if limit > TED_MAX_LIMIT:
            return _json(
                400, {"error": "SEARCH_EXCEEDS_MAX_LIMIT", "message": f"limit {limit} > {TED_MAX_LIMIT}"}
            )
        fields = request.get("fields") or []
        unknown = [f for f in fields if f not in TED_FIELDS]
        if unknown:
            return _json(
                400, {"error": "QUERY_UNKNOWN_FIELD", "message": f"Unknown field(s): {', '.join(unknown)}"}
            )
        token = request.get("iterationNextToken")
        if token:
            with self._lock:
                state = self._tokens.pop(token, None)
            if state is None:
                return _json(500, {"message": "invalid iteration token"})
            matches, offset, fields = state
        else:
            try:
                matches = self._ted_matches(request.get("query", ""))
            except ValueError as exc:
                return _json(400, {"error": "QUERY_SYNTAX_ERROR", "message": str(exc)})
            offset = 0
            if request.get("paginationMode") != "ITERATION":
                offset = (int(request.get("page", 1)) - 1) * limit
        page = matches[offset : offset + limit]
        next_token = None
        if request.get("paginationMode") == "ITERATION" and offset + limit < len(matches):
            next_token = secrets.token_urlsafe(12)
            with self._lock:
                self._tokens[next_token] = (matches, offset + limit, fields)
        answer = {
            "notices": [self._ted_fields(n, fields) for n in page],
            "totalNoticeCount": len(matches),
            "iterationNextToken": next_token,
            "timedOut": False,
        }
        return _json(200, answer)

    def _ted_matches(self, query: str) -> list[CorpusNotice]:
        text, _, _sort = query.partition(" SORT BY ")
        low, high = date.min, date.max
        countries: set[str] | None = None
        types: set[str] | None = None
        for clause in filter(None, (c.strip() for c in text.split(" AND "))):
            if m := re.fullmatch(r"publication-date\s*(>=|<=|=)\s*(\d{8})", clause):
                day = datetime.strptime(m.group(2), "%Y%m%d").date()
                if m.group(1) in (">=", "="):
                    low = max(low, day)
                if m.group(1) in ("<=", "="):
                    high = min(high, day)
            elif m := re.fullmatch(r"(buyer-country|notice-type)\s*(?:=\s*(\S+)|IN\s*\(([^)]*)\))", clause):
                values = {m.group(2)} if m.group(2) else set(re.split(r"[\s,]+", m.group(3).strip()))
                if m.group(1) == "buyer-country":
                    countries = values
                else:
                    types = values
            else:
                raise ValueError(f"unsupported query clause: {clause!r}")
        found = [
            n
            for n in self.notices
            if low <= n.publication_date <= high
            and (countries is None or countries & set(n.countries))
            and (types is None or n.notice_type in types)
        ]
        found.sort(key=lambda n: (n.publication_date, n.publication_number), reverse=True)
        return found

    def _ted_fields(self, notice: CorpusNotice, fields: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "publication-number": notice.api_number,
            "publication-date": f"{notice.publication_date.isoformat()}+01:00",
            "notice-type": notice.notice_type,
            "buyer-country": list(notice.countries),
            "links": {"xml": {"MUL": f"{self.url}/en/notice/{notice.api_number}/xml"}},
        }
        return {f: values[f] for f in fields if f in values}

    # -------------------------------------------------------------- packages
    def _package(self, key: str) -> tuple[int, dict[str, str], bytes]:
        if not re.fullmatch(r"\d{9}", key):
            return _json(404, {"message": "not found"})
        year, number = int(key[:4]), int(key[4:])
        day = issue_day(year, number)
        if day is None or day > self.today:
            return 404, {"Content-Type": "text/html"}, b"<html><title>404 Not Found</title></html>"
        with self._lock:
            data = self._packages.get(key)
        if data is None:
            data = self._build_package(day, number)
            with self._lock:
                self._packages[key] = data
        headers = {"Content-Type": "application/gzip"}
        if self.content_disposition:
            headers["Content-Disposition"] = f'attachment; filename="{day:%Y%m%d}_{number:03d}.tar.gz"'
        return 200, headers, data

    def prepare_package(self, day: date) -> None:
        """Build the package of ``day`` now (benchmarks build ahead so the crawl never waits for
        the fake; a real package's download time is not what they measure)."""
        key = f"{day.year}{issue_number(day):05d}"
        data = self._build_package(day, issue_number(day))
        with self._lock:
            self._packages[key] = data

    def release_package(self, day: date) -> None:
        """Forget the package of ``day`` once served (a year of packages would not fit in memory)."""
        with self._lock:
            self._packages.pop(f"{day.year}{issue_number(day):05d}", None)

    def _build_package(self, day: date, number: int) -> bytes:
        folder = f"{day:%Y%m%d}_{number:03d}"
        buffer = io.BytesIO()
        # Level 1: the fake builds packages on the fly; TED's own are static files.
        with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
            _add(archive, f"{folder}/", None)
            for notice in self.notices:
                if notice.publication_date == day:
                    num, _, year = notice.publication_number.partition("-")
                    _add(archive, f"{folder}/{num}_{year}.xml", self.documents[notice.api_number])
            for spec in self.legacy_specs(day):
                _add(archive, f"{folder}/{spec.number.replace('-', '_')}.xml", build_legacy_xml(spec))
        return buffer.getvalue()

    def legacy_specs(self, day: date) -> list[LegacySpec]:
        """The legacy notices in the package of ``day``: generated, the same on every call.

        Numbered per issue so no two days share one, and above the eForms corpus's numbers
        (below 800,000) when there is one, so the two formats never share a publication number.
        """
        if not self.legacy_per_package:
            return []
        base = 800_000 if self.notices else 1
        first = base + (issue_number(day) - 1) * self.legacy_per_package
        return generate_legacy_specs(
            self.legacy_per_package,
            seed=day.toordinal(),
            day=day,
            finnish_share=self.legacy_finnish_share,
            first_number=first,
        )

    # -------------------------------------------------------------- HILMA
    def _hilma_published(self, index: int, notice: CorpusNotice) -> datetime:
        return datetime.combine(notice.publication_date, datetime.min.time(), UTC) + timedelta(seconds=index)

    def _hilma_search(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            request = json.loads(body)
        except ValueError:
            return _json(400, {"statusCode": 400, "message": "body is not JSON"})
        top, skip = int(request.get("top", 50)), int(request.get("skip", 0))
        if top > HILMA_MAX_TOP:
            return _json(400, {"statusCode": 400, "message": f"top must be at most {HILMA_MAX_TOP}"})
        low, high = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
        for op, value in re.findall(r"datePublished\s+(ge|gt|lt|le)\s+(\S+)", request.get("filter", "")):
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if op in ("ge", "gt"):
                low = when
            else:
                high = when
        hits = []
        for doc_id, notice in self.hilma_ids.items():
            published = self._hilma_published(int(doc_id) - 100000, notice)
            if low <= published < high:
                hits.append((published, doc_id, notice))
        selected = [f.strip() for f in str(request.get("select") or "").split(",") if f.strip()]
        unknown = [f for f in selected if f not in self.hilma_index_fields]
        if unknown:  # Azure AI Search's answer to a $select naming a field the index lacks
            message = (
                f"Invalid expression: Could not find a property named '{unknown[0]}' on type "
                "'search.document'.\r\nParameter name: $select"
            )
            return _json(400, {"error": {"code": "", "message": message}})
        hits.sort(key=lambda h: (h[0], h[1]))
        page = hits[skip : skip + top]
        value = []
        for published, doc_id, _notice in page:
            cpv: Any = ["72000000"]
            fields: dict[str, Any] = {
                self.hilma_id_field: int(doc_id) if self.hilma_id_field != "eFormsId" else doc_id,
                "datePublished": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mainType": "ContractNotices",
                "cpvCodes": ",".join(cpv) if self.hilma_cpv_as_string else cpv,
            }
            # Azure answers every selected field, null where the document has no value.
            shown = selected or sorted(self.hilma_index_fields)
            value.append({"@search.score": 1.0, **{f: fields.get(f) for f in shown}})
        answer: dict[str, Any] = {"value": value}
        if request.get("count"):
            answer["@odata.count"] = len(hits)
        return _json(200, answer)

    def _hilma_batch(self, ids: list[str]) -> tuple[int, dict[str, str], bytes]:
        if len(ids) > HILMA_BATCH_MAX:
            return _json(400, {"statusCode": 400, "message": f"at most {HILMA_BATCH_MAX} ids"})
        out = []
        for doc_id in ids:
            notice = self.hilma_ids.get(doc_id)
            if notice is None:
                continue
            answers = {
                "innovationConsidered": notice.innovative,
                "solutionNewToBuyer": True if notice.innovative else None,
                "solutionNewToMarketOrIndustry": False if notice.innovative else None,
                "smeParticipationConsidered": True,
            }
            published = self._hilma_published(int(doc_id) - 100000, notice)
            out.append(
                {
                    "id": int(doc_id),
                    "procedureId": 90000 + int(doc_id) % 1000,
                    "eForm": base64.b64encode(self.documents[notice.api_number]).decode("ascii"),
                    "hilmaStatistics": {lot: dict(answers) for lot in notice.lot_ids},
                    "dateCreated": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "dateModified": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        return _json(200, out)


def _add(archive: tarfile.TarFile, name: str, data: bytes | None) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = 0  # the same package bytes on every request
    if data is None:
        info.type = tarfile.DIRTYPE
        archive.addfile(info)
        return
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _json(status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()
