"""The words of alert emails in Finnish, Swedish and English, and how dates and sums are written.

Kept as plain dicts beside the templates (not gettext catalogues): three languages, a few
dozen strings, and the templates stay readable with ``t.deadline`` instead of ``_("…")``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")

STRINGS: dict[str, dict[str, str]] = {
    "fi": {
        "subject_new": "Uusi hankinta",
        "subject_update": "Muutos hankintaan",
        "subject_reminder": "Määräaika lähestyy",
        "subject_digest": "Hankintakooste",
        "intro_new": "Tämä hankinta vastaa seurantaasi.",
        "intro_update": "Hankintaan, josta kerroimme aiemmin, on tullut muutos.",
        "intro_reminder": "Tarjousten määräaika päättyy {days} päivän kuluttua.",
        "intro_digest": "{count} hankintaa vastaa seurantojasi.",
        "buyer": "Hankintayksikkö",
        "deadline": "Määräaika",
        "no_deadline": "ei ilmoitettu",
        "value": "Arvioitu arvo",
        "cpv": "CPV-koodit",
        "innovation": "Innovaatioluokitus",
        "label_innovative": "Innovatiivinen hankinta",
        "label_possible": "Mahdollisesti innovatiivinen",
        "why": "Miksi tämä osui",
        "changes": "Mitä muuttui",
        "links": "Linkit",
        "documents": "Hankinta-asiakirjat",
        "subscription": "Seuranta",
        "unsubscribe": "Lopeta tilaus",
        "footer": "Saat tämän viestin, koska olet tilannut TenderWatch-hankintavahdin.",
        "why_cpv": "CPV {subscribed} kattaa koodin {notice}",
        "why_nuts": "Alue {subscribed} kattaa alueen {notice}",
        "why_keyword": "Hakusana ”{term}” kentässä {field}: ”{matched}”",
        "why_innovation": "Innovaatioluokitus: {label}",
        "why_branch": "Hallinnonala {branch}: {buyer}",
        "why_buyer": "Hankintayksikkö: {subscribed}",
        "why_value": "Arvioitu arvo {value} rajojesi sisällä",
        "at": "klo",
        "deadline_moved": "Määräaika muuttui: {old} → {new}",
        "cancelled": "Hankinta on keskeytetty",
        "lots_added": "Osia lisättiin: {new}",
        "lots_removed": "Osia poistettiin: {old}",
        "documents_changed": "Asiakirjat muuttuivat",
        "value_changed": "Arvioitu arvo muuttui: {old} → {new}",
        "awarded": "Hankinta on ratkaistu",
        "innovative_first": "Innovatiiviset ensin",
        "open_page": "Näytä TenderWatchissa: miksi tämä osui ja mitä on muuttunut",
        "manage": "Muokkaa tai keskeytä seuranta",
        "feedback_ask": "Oliko tämä hankinta sinulle osuva?",
        "feedback_relevant": "Osuva",
        "feedback_not_relevant": "Ei osuva",
    },
    "sv": {
        "subject_new": "Ny upphandling",
        "subject_update": "Ändring i upphandling",
        "subject_reminder": "Sista anbudsdag närmar sig",
        "subject_digest": "Sammandrag av upphandlingar",
        "intro_new": "Den här upphandlingen motsvarar din bevakning.",
        "intro_update": "En upphandling som vi tidigare berättat om har ändrats.",
        "intro_reminder": "Sista dag för anbud är om {days} dagar.",
        "intro_digest": "{count} upphandlingar motsvarar dina bevakningar.",
        "buyer": "Upphandlande enhet",
        "deadline": "Sista anbudsdag",
        "no_deadline": "inte angiven",
        "value": "Uppskattat värde",
        "cpv": "CPV-koder",
        "innovation": "Innovationsklassning",
        "label_innovative": "Innovativ upphandling",
        "label_possible": "Möjligen innovativ",
        "why": "Varför den träffade",
        "changes": "Vad som ändrats",
        "links": "Länkar",
        "documents": "Upphandlingsdokument",
        "subscription": "Bevakning",
        "unsubscribe": "Avsluta prenumerationen",
        "footer": "Du får det här meddelandet eftersom du prenumererar på TenderWatch.",
        "why_cpv": "CPV {subscribed} omfattar {notice}",
        "why_nuts": "Region {subscribed} omfattar {notice}",
        "why_keyword": "Sökord ”{term}” i fältet {field}: ”{matched}”",
        "why_innovation": "Innovationsklassning: {label}",
        "why_branch": "Förvaltningsområde {branch}: {buyer}",
        "why_buyer": "Upphandlande enhet: {subscribed}",
        "why_value": "Uppskattat värde {value} inom dina gränser",
        "at": "kl.",
        "deadline_moved": "Sista anbudsdag ändrades: {old} → {new}",
        "cancelled": "Upphandlingen har avbrutits",
        "lots_added": "Delar tillkom: {new}",
        "lots_removed": "Delar ströks: {old}",
        "documents_changed": "Dokumenten har ändrats",
        "value_changed": "Uppskattat värde ändrades: {old} → {new}",
        "awarded": "Upphandlingen har avgjorts",
        "innovative_first": "Innovativa först",
        "open_page": "Visa i TenderWatch: varför den träffade och vad som ändrats",
        "manage": "Ändra eller pausa bevakningen",
        "feedback_ask": "Var den här upphandlingen relevant för dig?",
        "feedback_relevant": "Relevant",
        "feedback_not_relevant": "Inte relevant",
    },
    "en": {
        "subject_new": "New tender",
        "subject_update": "Tender changed",
        "subject_reminder": "Deadline approaching",
        "subject_digest": "Tender digest",
        "intro_new": "This call matches your watch.",
        "intro_update": "A call we told you about has changed.",
        "intro_reminder": "The tender deadline is in {days} days.",
        "intro_digest": "{count} calls match your watches.",
        "buyer": "Buyer",
        "deadline": "Deadline",
        "no_deadline": "not given",
        "value": "Estimated value",
        "cpv": "CPV codes",
        "innovation": "Innovation label",
        "label_innovative": "Innovation-oriented procurement",
        "label_possible": "Possibly innovation-oriented",
        "why": "Why it matched",
        "changes": "What changed",
        "links": "Links",
        "documents": "Procurement documents",
        "subscription": "Watch",
        "unsubscribe": "Unsubscribe",
        "footer": "You receive this because you subscribed to TenderWatch tender alerts.",
        "why_cpv": "CPV {subscribed} covers {notice}",
        "why_nuts": "Region {subscribed} covers {notice}",
        "why_keyword": "Keyword “{term}” in {field}: “{matched}”",
        "why_innovation": "Innovation label: {label}",
        "why_branch": "Administrative branch {branch}: {buyer}",
        "why_buyer": "Buyer: {subscribed}",
        "why_value": "Estimated value {value} within your range",
        "at": "",
        "deadline_moved": "Deadline moved: {old} → {new}",
        "cancelled": "The procedure was cancelled",
        "lots_added": "Lots added: {new}",
        "lots_removed": "Lots removed: {old}",
        "documents_changed": "The documents changed",
        "value_changed": "Estimated value changed: {old} → {new}",
        "awarded": "The contract was awarded",
        "innovative_first": "Innovation-oriented first",
        "open_page": "Open in TenderWatch: why it matched and what changed",
        "manage": "Edit or pause this watch",
        "feedback_ask": "Was this tender relevant to you?",
        "feedback_relevant": "Relevant",
        "feedback_not_relevant": "Not relevant",
    },
}

FIELD_NAMES = {
    "fi": {"title": "otsikko", "description": "kuvaus", "additional_info": "lisätiedot", "lot": "osa"},
    "sv": {
        "title": "rubrik",
        "description": "beskrivning",
        "additional_info": "tilläggsinformation",
        "lot": "del",
    },
    "en": {
        "title": "title",
        "description": "description",
        "additional_info": "additional information",
        "lot": "lot",
    },
}


def strings(lang: str) -> dict[str, str]:
    return STRINGS.get(lang, STRINGS["en"])


def format_datetime(value: datetime | str | None, lang: str) -> str | None:
    """A deadline in Europe/Helsinki, written the way each language writes it."""
    if value is None:
        return None
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = dt.astimezone(HELSINKI)
    if lang == "en":
        return local.strftime("%-d %b %Y %H:%M") + " (Helsinki)"
    return f"{local.day}.{local.month}.{local.year} {strings(lang)['at']} {local:%H.%M}"


def format_money(amount: float | None, currency: str | None, lang: str) -> str | None:
    if amount is None:
        return None
    whole = f"{amount:,.0f}" if amount >= 100 else f"{amount:,.2f}"
    sep = "," if lang == "en" else "\u00a0"
    return f"{whole.replace(',', sep)}\u00a0{currency or ''}".strip()


def field_name(field: str, lang: str) -> str:
    names = FIELD_NAMES.get(lang, FIELD_NAMES["en"])
    parts = field.split(" ")
    if parts[0] == "lot" and len(parts) == 3:
        return f"{names['lot']} {parts[1]} {names.get(parts[2], parts[2])}"
    return names.get(field, field)
