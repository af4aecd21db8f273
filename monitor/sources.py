"""The one table of sources: everything that lists sources reads it.

Each entry names, for one source:

- ``key``: its section in ``config/sources.yaml``, its job (``crawl:<key>``), and the name its
  crawl runs and watermark are recorded under (the spider's name; see ``scrapers/extensions.py``);
- ``spider``: the Scrapy spider that crawls it;
- ``store_source``: the store's source name for the notices it brings. The TED Search API and
  the TED daily packages bring the same notices under the same publication numbers, so both
  store them as ``ted``: neither downloads what the other already has;
- ``config_model``: the schema of its section;
- ``crawl_args``: how its spider arguments are built from the settings and that section.

Adding a source is one entry here and one spider in ``scrapers/spiders/``
(``tests/test_sources.py`` checks that each entry's spider exists and stores under
``store_source``). ``scrapers`` never imports ``monitor``, so everything a spider needs
travels as arguments (docs/architecture.md#import-rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field, create_model, field_validator

from db.store_failures import RETRY_FAILED_DOCUMENTS
from monitor.appconfig.models import Schedule, Strict
from monitor.settings import Settings

TED = "ted"
"""The store's source name of notices from TED (Search API and daily packages alike)."""
HILMA = "hilma"
"""The store's source name of notices from HILMA."""


class SourceConfig(Strict):
    """What every source's section holds."""

    enabled: bool = True
    schedule: Schedule
    overlap_days: int = Field(default=2, ge=0, le=60, description="Re-query window for late publications")
    start_days_back: int = Field(default=7, ge=1, le=3650, description="First crawl looks back this far")
    timeout_minutes: int = Field(default=30, ge=1, description="A crawl running longer is killed")
    download_delay: float | None = Field(default=None, ge=0, description="Seconds between requests")
    retry_failed_documents: int = Field(
        default=RETRY_FAILED_DOCUMENTS,
        ge=1,
        le=100,
        description="Attempts at a document that failed (refused, 5xx, broken) before it is given up",
    )


class TedPackagesConfig(SourceConfig):
    """TED covers all of Europe: its sections choose the buyer countries to keep."""

    countries: list[str] = Field(
        default_factory=lambda: ["FIN"], description="ISO alpha-3 buyer countries; ['ALL'] for every"
    )

    @field_validator("countries")
    @classmethod
    def _alpha3(cls, values: list[str]) -> list[str]:
        for v in values:
            if v != "ALL" and (len(v) != 3 or not v.isupper()):
                raise ValueError(f"{v!r} is not an ISO 3166 alpha-3 code such as 'FIN' (or 'ALL')")
        return values


class TedApiConfig(TedPackagesConfig):
    """The Search API can also filter by notice type (BT-02)."""

    notice_types: list[str] = Field(default_factory=list, description="BT-02 codes; empty for all")


class HilmaConfig(SourceConfig):
    """HILMA holds Finnish notices only: no country filter."""


def _common_args(cfg: SourceConfig | None) -> dict[str, Any]:
    if cfg is None:
        return {}
    return {"overlap_days": cfg.overlap_days, "start_days_back": cfg.start_days_back}


def _ted_api_args(settings: Settings, cfg: SourceConfig | None) -> dict[str, Any]:
    args = {**_common_args(cfg), "api_url": settings.ted_api_url, "site_url": settings.ted_site_url}
    if isinstance(cfg, TedApiConfig):
        args["countries"] = cfg.countries
        if cfg.notice_types:
            args["notice_types"] = cfg.notice_types
    return args


def _ted_packages_args(settings: Settings, cfg: SourceConfig | None) -> dict[str, Any]:
    args = {**_common_args(cfg), "site_url": settings.ted_site_url}
    if isinstance(cfg, TedPackagesConfig):
        args["countries"] = cfg.countries
    return args


def _hilma_args(settings: Settings, cfg: SourceConfig | None) -> dict[str, Any]:
    return {**_common_args(cfg), "api_url": settings.hilma_api_url}


@dataclass(frozen=True)
class Source:
    key: str
    spider: str
    store_source: str
    config_model: type[SourceConfig]
    crawl_args: Callable[[Settings, SourceConfig | None], dict[str, Any]]
    title: str
    backfill: bool = False
    """Crawls any past date range on request (``tenderwatch backfill``)."""


SOURCES: tuple[Source, ...] = (
    Source(TED, "ted", TED, TedApiConfig, _ted_api_args, "TED Search API v3"),
    Source(
        "ted_packages", "ted_packages", TED, TedPackagesConfig, _ted_packages_args, "TED daily packages", True
    ),
    Source(HILMA, "hilma", HILMA, HilmaConfig, _hilma_args, "HILMA (hankintailmoitukset.fi)"),
)
KEYS: tuple[str, ...] = tuple(s.key for s in SOURCES)
_BY_KEY = {s.key: s for s in SOURCES}


class UnknownSourceError(ValueError):
    """A source key that is not in the table."""


def get_source(key: str) -> Source:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise UnknownSourceError(f"unknown source {key!r}; known: {', '.join(KEYS)}") from None


def backfill_source(store_source: str) -> Source:
    """The source that backfills notices stored under ``store_source`` (``ted`` → the packages)."""
    for source in SOURCES:
        if source.backfill and source.store_source == store_source:
            return source
    raise UnknownSourceError(f"no source backfills {store_source!r}")


SourcesConfig: type[Strict] = create_model(
    "SourcesConfig",
    __base__=Strict,
    __doc__="``config/sources.yaml``: one optional section per source in the table.",
    **{s.key: (s.config_model | None, None) for s in SOURCES},  # type: ignore[call-overload]  # pydantic types field specs as Any
)


def section(sources: Strict | None, key: str) -> SourceConfig | None:
    """The config section of source ``key`` (None where ``sources.yaml`` has none)."""
    if sources is None:
        return None
    value = getattr(sources, get_source(key).key)
    return value if isinstance(value, SourceConfig) else None


def enabled(sources: Strict) -> list[tuple[Source, SourceConfig]]:
    """The configured, enabled sources with their sections, in table order."""
    out = []
    for source in SOURCES:
        cfg = section(sources, source.key)
        if cfg is not None and cfg.enabled:
            out.append((source, cfg))
    return out
