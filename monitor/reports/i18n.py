"""The report's words in Finnish, Swedish and English (branch contacts read it in their language)."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("fi", "sv", "en")

TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "fi": "Innovatiiviset hankinnat hallinnonaloittain",
        "sv": "Innovativ upphandling per förvaltningsområde",
        "en": "Innovation procurement by administrative branch",
    },
    "period": {"fi": "Kausi", "sv": "Period", "en": "Period"},
    "previous": {"fi": "Vertailukausi", "sv": "Jämförelseperiod", "en": "Compared with"},
    "goal": {"fi": "Tavoite", "sv": "Mål", "en": "Goal"},
    "goal_line": {"fi": "Tavoite {goal:g} %", "sv": "Mål {goal:g} %", "en": "Goal {goal:g} %"},
    "area": {"fi": "Hallinnonala / ryhmä", "sv": "Förvaltningsområde / grupp", "en": "Branch / group"},
    "calls": {"fi": "Hankinnat", "sv": "Upphandlingar", "en": "Calls"},
    "innovative": {"fi": "Innovatiiviset", "sv": "Innovativa", "en": "Innovative"},
    "possible": {"fi": "Mahdolliset", "sv": "Möjliga", "en": "Possible"},
    "share": {"fi": "Osuus", "sv": "Andel", "en": "Share"},
    "innovative_share": {"fi": "Innovatiivisten osuus", "sv": "Andel innovativa", "en": "Innovative share"},
    "inn_or_possible_share": {
        "fi": "Innovatiiviset + mahdolliset",
        "sv": "Innovativa + möjliga",
        "en": "Innovative + possible",
    },
    "value": {"fi": "Ennakoitu arvo", "sv": "Uppskattat värde", "en": "Estimated value"},
    "value_share": {"fi": "Arvo-osuus", "sv": "Värdeandel", "en": "Value share"},
    "value_missing": {"fi": "Arvo puuttuu", "sv": "Värde saknas", "en": "Value missing"},
    "change": {"fi": "Muutos", "sv": "Förändring", "en": "Change"},
    "gap": {"fi": "Matka tavoitteeseen", "sv": "Avstånd till målet", "en": "Distance to goal"},
    "cancelled": {"fi": "Keskeytetyt", "sv": "Avbrutna", "en": "Cancelled"},
    "pp": {"fi": "%-yks.", "sv": "%-enh.", "en": "pp"},
    "share_axis": {
        "fi": "Osuus hankinnoista (%)",
        "sv": "Andel av upphandlingarna (%)",
        "en": "Share of calls (%)",
    },
    "share_title": {
        "fi": "Innovatiivisten hankintojen osuus {period}",
        "sv": "Andel innovativa upphandlingar {period}",
        "en": "Innovative share of calls, {period}",
    },
    "trend_title": {
        "fi": "Kuukausittainen kehitys: {area}",
        "sv": "Utveckling per månad: {area}",
        "en": "Monthly trend: {area}",
    },
    "used": {
        "fi": "Luvut perustuvat {procedures} hankintamenettelyyn ja niiden {notices} ilmoitukseen "
        "(hankintailmoituksia {call}, muutosilmoituksia {change}, jälki-ilmoituksia {award}, "
        "keskeytyksiä {cancel}). Suunnitteluilmoitukset eivät ole mukana.",
        "sv": "Siffrorna bygger på {procedures} upphandlingsförfaranden och deras {notices} annonser "
        "({call} meddelanden om upphandling, {change} ändringar, {award} meddelanden om tilldelning, "
        "{cancel} avbrott). Förhandsannonser ingår inte.",
        "en": "The figures count {procedures} procedures and use their {notices} notices "
        "({call} calls, {change} changes, {award} award notices, {cancel} cancellations). "
        "Planning notices are not counted.",
    },
    "rules": {
        "fi": "Hankinta lasketaan ensimmäisen hankintailmoituksensa julkaisukaudelle; muutokset ja "
        "jälki-ilmoitukset lasketaan samaan hankintaan. Keskeytettyjä ei lasketa osuuksiin. "
        "Arvo on ennakoitu arvo euroina; {missing} hankinnalta se puuttuu.",
        "sv": "En upphandling räknas till perioden då den först annonserades; ändringar och "
        "tilldelningar räknas till samma upphandling. Avbrutna räknas inte i andelarna. "
        "Värdet är det uppskattade värdet i euro; det saknas för {missing} upphandlingar.",
        "en": "A procedure counts in the period its call was first published; its changes and "
        "award notices count with it. Cancelled procedures are left out of the shares. "
        "Values are estimated values in euro; {missing} calls have none.",
    },
    "unclassified": {
        "fi": "{n} hankintaa on vielä luokittelematta.",
        "sv": "{n} upphandlingar är ännu inte klassificerade.",
        "en": "{n} calls are not classified yet.",
    },
    "generated": {"fi": "Laadittu", "sv": "Skapad", "en": "Generated"},
    "calls_of_month": {
        "fi": "Kauden innovatiiviset hankinnat",
        "sv": "Periodens innovativa upphandlingar",
        "en": "Innovative calls of the period",
    },
    "none_innovative": {
        "fi": "Ei innovatiivisiksi luokiteltuja hankintoja tällä kaudella.",
        "sv": "Inga upphandlingar klassificerade som innovativa denna period.",
        "en": "No calls labelled innovative in this period.",
    },
    "reasons": {"fi": "Perusteet", "sv": "Grunder", "en": "Reasons"},
    "buyer": {"fi": "Hankkija", "sv": "Upphandlare", "en": "Buyer"},
    "subject": {
        "fi": "Innovatiiviset hankinnat {period}: {area}",
        "sv": "Innovativ upphandling {period}: {area}",
        "en": "Innovation procurement {period}: {area}",
    },
    "greeting": {
        "fi": "Tässä hallinnonalanne innovatiivisten hankintojen luvut kaudelta {period}.",
        "sv": "Här är förvaltningsområdets siffror för innovativ upphandling för perioden {period}.",
        "en": "Here are your branch's innovation procurement figures for {period}.",
    },
    "above_goal": {
        "fi": "{pp} yli {goal:g} %:n tavoitteen",
        "sv": "{pp} över målet {goal:g} %",
        "en": "{pp} above the goal of {goal:g} %",
    },
    "below_goal": {
        "fi": "{pp} alle {goal:g} %:n tavoitteen",
        "sv": "{pp} under målet {goal:g} %",
        "en": "{pp} below the goal of {goal:g} %",
    },
    "no_calls": {"fi": "ei hankintoja", "sv": "inga upphandlingar", "en": "no calls"},
}


def t(lang: str, key: str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (English when a language lacks it), formatted with ``values``."""
    texts = TEXTS[key]
    text = texts.get(lang) or texts["en"]
    return text.format(**values) if values else text
