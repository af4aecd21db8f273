"""``tenderwatch demo``: the whole pipeline, offline, in about a minute.

A loopback server plays TED's Search API and notice-XML endpoints over a small bundled set
of sample notices (written for this project: Finnish, Swedish and English; some
innovation-oriented, some not, some hard negatives); the real ``ted`` spider crawls it in a
child process; the notices are stored, classified and matched to the example subscribers
in ``config/subscribers.yaml``; alerts go to ``var/outbox/`` (or to SMTP when configured).

Running it again writes no new emails: the notices are the same versions (stable ids), so
the store sees duplicates, the spider fetches no XML it already has, and the outbox's
unique key makes every enqueue a no-op. The sample dates hang off an anchor day saved in
the data folder on the first run, so deadlines stay ahead of the demo that made them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from db import migrate
from db.clock import utcnow
from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.record import Buyer, Change, Money
from db.session import session_scope
from monitor import pipeline
from monitor.demo.loopback import CorpusNotice, LoopbackSources
from monitor.demo.samples.builder import LotSpec, NoticeSpec
from monitor.subscribers import sync_from_config

log = logging.getLogger(__name__)

HELSINKI_OFFSET = timezone(timedelta(hours=2))  # EET; the deadlines are written as notices write them


def _id(name: str) -> str:
    """A stable UUID per sample, so every demo run publishes the same notice versions."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://tenderwatch.example/demo/{name}"))


@dataclass(frozen=True)
class Sample:
    key: str
    days_ago: int
    """Published this many days before the anchor day."""
    deadline_in: int | None
    """Deadline this many days after the anchor day."""
    spec: dict[str, Any]


VAYLA = Buyer(
    name="Väylävirasto", org_id="1010547-1", country="FIN", city="Helsinki", nuts="FI1B1", legal_type="cga"
)
HELSINKI = Buyer(
    name="Helsingin kaupunki",
    org_id="0201256-6",
    country="FIN",
    city="Helsinki",
    nuts="FI1B1",
    legal_type="la",
)
VAASA = Buyer(
    name="Vaasan kaupunki / Vasa stad",
    org_id="0209602-6",
    country="FIN",
    city="Vaasa",
    nuts="FI195",
    legal_type="la",
)
HANSEL = Buyer(
    name="Hansel Oy", org_id="0988084-1", country="FIN", city="Helsinki", nuts="FI1B1", legal_type="body-pl"
)
WELLBEING = Buyer(
    name="Pirkanmaan hyvinvointialue",
    org_id="3221308-6",
    country="FIN",
    city="Tampere",
    nuts="FI197",
    legal_type="ra",
)
TAMPERE = Buyer(
    name="Tampereen kaupunki",
    org_id="0211675-2",
    country="FIN",
    city="Tampere",
    nuts="FI197",
    legal_type="la",
)
STOCKHOLM = Buyer(
    name="Stockholms stad",
    org_id="212000-0142",
    country="SWE",
    city="Stockholm",
    nuts="SE110",
    legal_type="la",
)

SAMPLES: tuple[Sample, ...] = (
    Sample(
        "road-sensing-partnership",
        6,
        40,
        dict(
            subtype="16",
            buyers=[VAYLA],
            procedure_type="innovation",
            cpv_main="73100000",
            cpv_additional=["34996000"],
            place_nuts=["FI1B1"],
            title={
                "fin": "Innovaatiokumppanuus: tieolosuhteiden ennakoiva tilannekuva",
                "eng": "Innovation partnership: predictive road-condition picture",
            },
            description={
                "fin": "Väylävirasto hakee kumppania kehittämään ja pilotoimaan uudenlaisen ratkaisun, "
                "joka ennustaa liukkauden ja tieolosuhteet tekoälyn avulla. Ratkaisua ei ole vielä "
                "markkinoilla. Hankintaa edelsi markkinavuoropuhelu.",
                "eng": "The Finnish Transport Infrastructure Agency seeks a partner to develop and pilot "
                "a novel AI-based solution that predicts road conditions. No such solution is "
                "available on the market yet.",
            },
            estimated_value=Money(1_800_000, "EUR"),
            lot_signals={"BT-776": ["mar-nov"]},
        ),
    ),
    Sample(
        "home-care-pcp",
        5,
        35,
        dict(
            subtype="16",
            buyers=[HELSINKI],
            procedure_type="comp-dial",
            cpv_main="73300000",
            place_nuts=["FI1B1"],
            title={
                "fin": "Esikaupallinen hankinta: kotihoidon etäkuntoutuksen ratkaisut",
                "swe": "Förkommersiell upphandling: lösningar för distansrehabilitering i hemvården",
            },
            description={
                "fin": "Esikaupallisessa hankinnassa kehitetään ja testataan vaiheittain uusia "
                "etäkuntoutuksen ratkaisuja kotihoidon asiakkaille yhdessä toimittajien kanssa.",
                "swe": "I den förkommersiella upphandlingen utvecklas och testas nya lösningar stegvis.",
            },
            estimated_value=Money(650_000, "EUR"),
        ),
    ),
    Sample(
        "vaasa-digital-twin",
        4,
        30,
        dict(
            subtype="16",
            language="swe",
            buyers=[VAASA],
            procedure_type="neg-w-call",
            cpv_main="72000000",
            cpv_additional=["72212000"],
            place_nuts=["FI195"],
            title={
                "swe": "Pilotprojekt: digital tvilling för stadens energinät",
                "fin": "Pilottihanke: kaupungin energiaverkon digitaalinen kaksonen",
            },
            description={
                "swe": "Staden upphandlar ett pilotprojekt där en ny lösning för energinätets digitala "
                "tvilling utvecklas i samarbete med leverantören. Upphandlingen föregicks av en "
                "marknadsdialog och kraven är funktionskrav.",
                "fin": "Kaupunki hankkii pilottihankkeen, jossa uusi ratkaisu kehitetään yhdessä "
                "toimittajan kanssa. Hankintaa edelsi markkinavuoropuhelu.",
            },
            estimated_value=Money(420_000, "EUR"),
        ),
    ),
    Sample(
        "wellbeing-ai-consultation",
        3,
        21,
        dict(
            subtype="E1",
            buyers=[WELLBEING],
            procedure_type=None,
            cpv_main="72212000",
            place_nuts=["FI197"],
            title={"fin": "Markkinakartoitus ja markkinavuoropuhelu: tekoälypilotti ensihoidon ennakointiin"},
            description={
                "fin": "Hyvinvointialue kutsuu yrityksiä markkinavuoropuheluun tekoälypilotista, joka "
                "ennakoi ensihoidon kuormitusta. Tavoitteena on löytää uusia ratkaisuja."
            },
            national={"FI-20": False, "FI-11": "procurement-legislation"},
        ),
    ),
    Sample(
        "cleaning-tampere",
        6,
        25,
        dict(
            subtype="16",
            buyers=[TAMPERE],
            procedure_type="open",
            cpv_main="90910000",
            place_nuts=["FI197"],
            title={"fin": "Koulujen siivouspalvelut 2027–2030"},
            description={
                "fin": "Tampereen kaupunki kilpailuttaa koulujen ylläpitosiivouksen. Vaihtoehtoisia "
                "tarjouksia ei hyväksytä. Hankinta on uusi sopimus nykyisen päättyessä."
            },
            estimated_value=Money(2_400_000, "EUR"),
        ),
    ),
    Sample(
        "innovaatiotalo-security",
        5,
        20,
        dict(
            subtype="16",
            buyers=[HELSINKI],
            procedure_type="open",
            cpv_main="79713000",
            place_nuts=["FI1B1"],
            title={"fin": "Innovaatiotalo Oy:n toimitilojen vartiointipalvelut"},
            description={
                "fin": "Vartiointipalvelut Innovaatiotalo Oy:n toimitiloihin Helsingissä. "
                "Palvelu sisältää kulunvalvonnan ja hälytyskäynnit."
            },
            estimated_value=Money(300_000, "EUR"),
        ),
    ),
    Sample(
        "hansel-office-supplies",
        4,
        28,
        dict(
            subtype="16",
            buyers=[HANSEL],
            procedure_type="open",
            cpv_main="30192000",
            place_nuts=["FI1B1"],
            title={
                "fin": "Toimistotarvikkeet valtionhallinnolle",
                "swe": "Kontorsmaterial för statsförvaltningen",
            },
            description={
                "fin": "Hansel Oy kilpailuttaa valtionhallinnon toimistotarvikkeiden puitejärjestelyn."
            },
            estimated_value=Money(5_000_000, "EUR"),
        ),
    ),
    Sample(
        "helicopter-pilot-training",
        3,
        30,
        dict(
            subtype="16",
            language="eng",
            buyers=[VAYLA],
            procedure_type="restricted",
            cpv_main="80660000",
            place_nuts=["FI1B1"],
            title={"eng": "Helicopter pilot training services"},
            description={
                "eng": "Pilot training for helicopter crews, including simulator hours and recurrent "
                "checks. Variants will not be accepted."
            },
            estimated_value=Money(900_000, "EUR"),
        ),
    ),
    Sample(
        "snow-clearing-vaasa",
        2,
        18,
        dict(
            subtype="16",
            language="swe",
            buyers=[VAASA],
            procedure_type="open",
            cpv_main="90620000",
            place_nuts=["FI195"],
            title={"swe": "Snöröjning och halkbekämpning 2027–2029"},
            description={
                "swe": "Vasa stad upphandlar snöröjning och halkbekämpning av gator och parkeringsplatser."
            },
            estimated_value=Money(750_000, "EUR"),
        ),
    ),
    Sample(
        "stockholm-not-finland",
        2,
        30,
        dict(
            subtype="16",
            language="swe",
            buyers=[STOCKHOLM],
            procedure_type="innovation",
            cpv_main="73100000",
            title={"swe": "Innovationspartnerskap för fossilfria arbetsmaskiner"},
            description={"swe": "Stockholms stad söker partner för att utveckla fossilfria arbetsmaskiner."},
        ),
    ),
    Sample(
        "road-sensing-partnership-change",
        1,
        54,
        dict(
            subtype="16",
            buyers=[VAYLA],
            procedure_type="innovation",
            cpv_main="73100000",
            cpv_additional=["34996000"],
            place_nuts=["FI1B1"],
            version="01",
            change_of="road-sensing-partnership",
            change_reasons=["update-add"],
            title={
                "fin": "Innovaatiokumppanuus: tieolosuhteiden ennakoiva tilannekuva",
                "eng": "Innovation partnership: predictive road-condition picture",
            },
            description={
                "fin": "Väylävirasto hakee kumppania kehittämään ja pilotoimaan uudenlaisen ratkaisun, "
                "joka ennustaa liukkauden ja tieolosuhteet tekoälyn avulla. Ratkaisua ei ole vielä "
                "markkinoilla. Tarjousaikaa on jatkettu kahdella viikolla.",
                "eng": "The tender deadline has been extended by two weeks.",
            },
            estimated_value=Money(1_800_000, "EUR"),
            lot_signals={"BT-776": ["mar-nov"]},
        ),
    ),
)


def anchor_day(data_dir: Path, today: date | None = None) -> date:
    """The day the sample dates hang off: saved on the first run, reused after."""
    path = data_dir / "demo" / "anchor-day"
    if path.exists():
        return date.fromisoformat(path.read_text().strip())
    day = today or utcnow().date()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(day.isoformat())
    return day


def _publication_day(anchor: date, days_ago: int) -> date:
    day = anchor - timedelta(days=days_ago)
    while day.weekday() >= 5:  # TED publishes on working days
        day -= timedelta(days=1)
    return day


def build_specs(anchor: date) -> list[NoticeSpec]:
    """The sample notices as builder specs, dated relative to ``anchor``."""
    specs: list[NoticeSpec] = []
    by_key: dict[str, NoticeSpec] = {}
    for number, sample in enumerate(SAMPLES, start=1):
        fields = dict(sample.spec)
        lot_signals = fields.pop("lot_signals", {})
        change_of = fields.pop("change_of", None)
        reasons = fields.pop("change_reasons", [])
        published = _publication_day(anchor, sample.days_ago)
        deadline = (
            datetime.combine(anchor + timedelta(days=sample.deadline_in), time(12, 0), HELSINKI_OFFSET)
            if sample.deadline_in is not None
            else None
        )
        original = by_key.get(change_of) if change_of else None
        lot = LotSpec(
            lot_id="LOT-0001",
            title=fields.get("title", {}),
            cpv_main=fields.get("cpv_main"),
            place_nuts=fields.get("place_nuts", []),
            deadline=deadline,
            estimated_value=fields.get("estimated_value"),
            documents_url=f"https://tenderwatch.example/demo/documents/{sample.key}",
            signals=lot_signals,
        )
        spec = NoticeSpec(
            notice_id=_id(sample.key),
            procedure_id=original.procedure_id if original else _id(f"{sample.key}/procedure"),
            publication_number=f"{900000 + number:08d}-{published.year}",
            publication_date=published,
            issue_date=published,
            lots=[lot],
            change=Change(changed_notice=f"{original.notice_id}-{original.version}", reasons=reasons)
            if original
            else None,
            **fields,
        )
        by_key[sample.key] = spec
        specs.append(spec)
    return specs


@dataclass
class DemoSummary:
    notices_in_sample: int
    crawl: dict[str, Any]
    notices_stored: int
    procedures: int
    innovative: int
    possible: int
    process: dict[str, Any]
    deliver: dict[str, Any]
    outbox_dir: Path | None
    smtp: str | None

    @property
    def queued(self) -> int:
        """New, update and reminder emails plus items held for digests, queued by this run."""
        return sum(int(self.process.get(k, 0)) for k in ("new", "updates", "reminders", "held"))

    def lines(self) -> list[str]:
        sent = self.deliver.get("sent", 0)
        where = f"SMTP {self.smtp}" if self.smtp else f"{self.outbox_dir}"
        return [
            f"sample notices served by the loopback TED: {self.notices_in_sample}",
            f"crawl: {self.crawl.get('status')} — {self.crawl.get('requests')} requests, "
            f"{self.crawl.get('seen')} seen, {self.crawl.get('new')} new",
            f"store: {self.notices_stored} notice versions in {self.procedures} procedures",
            f"innovation: {self.innovative} innovative, {self.possible} possible",
            f"alerts: {self.queued} queued this run; {sent} emails sent to {where}",
            ("look at the emails in " + str(self.outbox_dir))
            if not self.smtp
            else "look in your mail server",
            "run `tenderwatch status` for sources and the outbox; `tenderwatch explain NOTICE` for reasons",
        ]


def run_demo(settings: Any, config: Any, *, now: datetime | None = None) -> DemoSummary:
    """Serve the samples on loopback, crawl them with the real spider, process, deliver."""
    now = now or utcnow()
    migrate.upgrade(settings.db_url)
    anchor = anchor_day(settings.data_dir)
    specs = build_specs(anchor)
    corpus = [CorpusNotice.from_spec(spec) for spec in specs]
    subscribers = config.get("subscribers.yaml")
    if subscribers is not None:
        with session_scope(settings.db_url) as session:
            sync_from_config(session, subscribers)
    first_day = min(spec.publication_date for spec in specs if spec.publication_date)
    with LoopbackSources(corpus, today=anchor) as fake:
        crawl = pipeline.crawl(
            settings,
            config,
            "ted",
            overrides={
                "api_url": fake.url,
                "site_url": fake.url,
                "countries": ["FIN"],
                "from_date": first_day.isoformat(),
                "to_date": anchor.isoformat(),
            },
            # The loopback server is ours: no politeness delay is owed to it.
            scrapy_overrides={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},
        )
    processed = pipeline.process(settings, config, now)
    pipeline.digests(settings, now)
    delivered = pipeline.deliver(settings, now)
    with session_scope(settings.db_url) as session:
        notices = session.scalar(select(func.count()).select_from(Notice)) or 0
        procedures = session.scalar(select(func.count()).select_from(Procedure)) or 0
        labels = dict(
            session.execute(
                select(NoticeClassification.label, func.count()).group_by(NoticeClassification.label)
            ).all()
        )
    return DemoSummary(
        notices_in_sample=len(corpus),
        crawl=crawl,
        notices_stored=notices,
        procedures=procedures,
        innovative=labels.get("innovative", 0),
        possible=labels.get("possible", 0),
        process=processed,
        deliver=delivered,
        outbox_dir=None if settings.smtp_host else settings.outbox_dir,
        smtp=f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else None,
    )
