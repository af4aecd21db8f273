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
        "fi": "Tunnistettu innovatiiviseksi tai mahdolliseksi (TenderWatch)",
        "sv": "Identifierad som innovativ eller möjlig (TenderWatch)",
        "en": "Detected innovative or possible (TenderWatch)",
    },
    "calls_axis": {
        "fi": "Hankinnat (oikea asteikko)",
        "sv": "Upphandlingar (höger skala)",
        "en": "Calls (right-hand scale)",
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
    "declared_title": {
        "fi": "Hankkijan ilmoittama ja TenderWatchin tunnistama innovatiivisuus",
        "sv": "Innovation enligt upphandlaren och enligt TenderWatch",
        "en": "Innovation declared by the buyer and detected by TenderWatch",
    },
    "declared_intro": {
        "fi": "Ilmoitettu = hankkija on itse ilmoittanut hankinnan innovatiiviseksi lomakkeella "
        "(sääntö innovation.yaml-tiedostossa: {rule}). Tunnistettu = TenderWatchin luokittelija "
        "merkitsi hankinnan innovatiiviseksi tekstin ja rakenteisten tietojen perusteella. "
        "Ne ovat eri tietoja; erot on listattu alla tarkistettaviksi.",
        "sv": "Deklarerad = upphandlaren har själv angett i formuläret att upphandlingen är innovativ "
        "(regeln i innovation.yaml: {rule}). Identifierad = TenderWatchs klassificerare märkte "
        "upphandlingen som innovativ utifrån texten och de strukturerade uppgifterna. "
        "De är olika uppgifter; skillnaderna listas nedan för granskning.",
        "en": "Declared = the buyer stated in the notice's form that the purchase is innovative "
        "(the rule in innovation.yaml: {rule}). Detected = TenderWatch's classifier labelled it "
        "innovative from its text and structured fields. They are different facts; where they "
        "disagree, the calls are listed below for review.",
    },
    "declared": {"fi": "Ilmoitetut", "sv": "Deklarerade", "en": "Declared"},
    "detected": {"fi": "Tunnistetut", "sv": "Identifierade", "en": "Detected"},
    "declared_share": {"fi": "Ilmoitettu osuus", "sv": "Deklarerad andel", "en": "Declared share"},
    "detected_share": {"fi": "Tunnistettu osuus", "sv": "Identifierad andel", "en": "Detected share"},
    "declared_value_share": {
        "fi": "Ilmoitettu arvo-osuus",
        "sv": "Deklarerad värdeandel",
        "en": "Declared value share",
    },
    "detected_value_share": {
        "fi": "Tunnistettu arvo-osuus",
        "sv": "Identifierad värdeandel",
        "en": "Detected value share",
    },
    "both": {"fi": "Molemmat", "sv": "Båda", "en": "Both"},
    "declared_only": {
        "fi": "Vain ilmoitettu",
        "sv": "Endast deklarerad",
        "en": "Declared only",
    },
    "detected_only": {
        "fi": "Vain tunnistettu",
        "sv": "Endast identifierad",
        "en": "Detected only",
    },
    "declared_gap": {
        "fi": "Ilmoitettujen matka tavoitteeseen",
        "sv": "Deklarerade: avstånd till målet",
        "en": "Declared: distance to goal",
    },
    "not_evaluated": {
        "fi": "{n} hankinnan ilmoituksia ei ole vielä arvioitu.",
        "sv": "{n} upphandlingars uppgifter är ännu inte bedömda.",
        "en": "{n} calls have no evaluated declaration yet.",
    },
    "review_declared_not_detected": {
        "fi": "Ilmoitettu innovatiiviseksi, mutta ei tunnistettu",
        "sv": "Deklarerade som innovativa men inte identifierade",
        "en": "Declared innovative but not detected",
    },
    "review_detected_not_declared": {
        "fi": "Tunnistettu innovatiiviseksi, mutta ei ilmoitettu",
        "sv": "Identifierade som innovativa men inte deklarerade",
        "en": "Detected innovative but not declared",
    },
    "review_none": {"fi": "Ei yhtään.", "sv": "Inga.", "en": "None."},
    "review_more": {
        "fi": "… ja {n} muuta: tenderwatch report calls --review {review}",
        "sv": "… och {n} till: tenderwatch report calls --review {review}",
        "en": "… and {n} more: tenderwatch report calls --review {review}",
    },
    "answers": {"fi": "Hankkijan vastaukset", "sv": "Upphandlarens svar", "en": "Buyer's answers"},
    "label_word": {"fi": "Luokitus", "sv": "Klassificering", "en": "Label"},
    "goal_steps": {
        "fi": "{goal:g} % {start} alkaen",
        "sv": "{goal:g} % från {start}",
        "en": "{goal:g} % from {start}",
    },
    "goal_weighted": {
        "fi": "Tavoite vaihtui kauden aikana: kunkin kuukauden hankintoja verrataan sen kuukauden "
        "tavoitteeseen, joten alueen tavoite on kuukausien tavoitteiden hankintamäärillä painotettu "
        "keskiarvo (koko Suomi: {goal:.1f} %).",
        "sv": "Målet ändrades under perioden: varje månads upphandlingar jämförs med den månadens mål, "
        "så ett områdes mål är månadernas mål viktade med antalet upphandlingar "
        "(hela Finland: {goal:.1f} %).",
        "en": "The goal changed during the period: each month's calls are measured against that "
        "month's goal, so an area's goal is the months' goals weighted by its calls in each "
        "(Finland in total: {goal:.1f} %).",
    },
    "no_goal": {"fi": "ei tavoitetta", "sv": "inget mål", "en": "no goal"},
    "goal_marker": {"fi": "Tavoite", "sv": "Mål", "en": "Goal"},
    "goal_weighted_marker": {
        "fi": "Tavoite (kuukausien tavoitteet hankintamäärillä painotettuina)",
        "sv": "Mål (månadernas mål viktade med antalet upphandlingar)",
        "en": "Goal (each month's goal, weighted by the area's calls)",
    },
    "history_title": {
        "fi": "Vuosittainen kehitys {first}–{last}: {area}",
        "sv": "Utveckling per år {first}–{last}: {area}",
        "en": "Yearly trend {first}–{last}: {area}",
    },
    "trend_title_yearly": {
        "fi": "Vuosittainen kehitys: {area}",
        "sv": "Utveckling per år: {area}",
        "en": "Yearly trend: {area}",
    },
    "share_chart_title": {
        "fi": "Ilmoitettu ja tunnistettu osuus hankinnoista {period}",
        "sv": "Deklarerad och identifierad andel av upphandlingarna {period}",
        "en": "Declared and detected share of calls, {period}",
    },
    "detected_bar": {
        "fi": "Tunnistettu innovatiiviseksi (TenderWatch)",
        "sv": "Identifierad som innovativ (TenderWatch)",
        "en": "Detected innovative (TenderWatch)",
    },
    "possible_bar": {
        "fi": "+ mahdollinen (TenderWatch)",
        "sv": "+ möjlig (TenderWatch)",
        "en": "+ possible (TenderWatch)",
    },
    "declared_bar": {
        "fi": "Ilmoitettu innovatiiviseksi (hankkija)",
        "sv": "Deklarerad som innovativ (upphandlaren)",
        "en": "Declared innovative (buyer)",
    },
}


def t(lang: str, key: str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (English when a language lacks it), formatted with ``values``."""
    texts = TEXTS[key]
    text = texts.get(lang) or texts["en"]
    return text.format(**values) if values else text
