"""Hand-written sample texts for synthetic notices: fi/sv/en (plus a little et/de), some
innovation-oriented and some plainly not.

Written for this project (not copied from any notice) so the repository carries its own test
data. Each topic has a CPV code that fits it, so a generated notice reads coherently, and an
``innovative`` flag so tests and benchmarks can mix both kinds knowingly. The innovative ones use
the vocabulary the classifier looks for (innovaatio, kehittäminen, pilotointi, markkinavuoropuhelu,
innovation, utveckling, prototyp, pre-commercial ...); the plain ones deliberately do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    cpv: str
    innovative: bool
    title: dict[str, str]
    description: dict[str, str]
    extra_cpv: tuple[str, ...] = field(default=())


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="autonomous-bus",
        cpv="73100000",
        innovative=True,
        extra_cpv=("34144900", "72244000"),
        title={
            "fin": "Autonomisen joukkoliikenteen pilotointi ja kehittäminen",
            "swe": "Pilotering och utveckling av autonom kollektivtrafik",
            "eng": "Piloting and development of autonomous public transport",
            "est": "Autonoomse ühistranspordi katsetamine ja arendamine",
            "deu": "Erprobung und Entwicklung eines autonomen Nahverkehrs",
        },
        description={
            "fin": "Hankinnan tavoitteena on uuden, markkinoilla vielä kehitysvaiheessa olevan ratkaisun "
            "kehittäminen ja pilotointi todellisessa liikenneympäristössä. Hankinta toteutetaan "
            "innovaatiokumppanuutena, ja sitä edeltää markkinavuoropuhelu.",
            "swe": "Syftet med upphandlingen är att utveckla och pilotera en ny lösning som ännu inte finns "
            "på marknaden. Upphandlingen genomförs som ett innovationspartnerskap efter en "
            "marknadsdialog.",
            "eng": "The aim is to develop and pilot a novel solution that is not yet available on the "
            "market, in a real traffic environment. The procurement is run as an innovation "
            "partnership preceded by a market dialogue.",
            "est": "Hanke eesmärk on arendada ja katsetada uudset lahendust, mida turul veel ei ole.",
            "deu": "Ziel ist die Entwicklung und Erprobung einer neuartigen, noch nicht marktreifen Lösung.",
        },
    ),
    Topic(
        key="digital-health",
        cpv="72000000",
        innovative=True,
        extra_cpv=("48000000", "73200000"),
        title={
            "fin": "Tekoälyä hyödyntävän etävastaanottopalvelun innovatiivinen hankinta",
            "swe": "Innovationsupphandling av en AI-baserad tjänst för distansmottagning",
            "eng": "Innovation procurement of an AI-assisted remote consultation service",
        },
        description={
            "fin": "Etsimme ratkaisua, joka on uusi tai merkittävästi parannettu verrattuna markkinoilla "
            "oleviin palveluihin. Ratkaisu kehitetään yhdessä käyttäjien kanssa ja sitä testataan "
            "prototyyppivaiheessa ennen käyttöönottoa.",
            "swe": "Vi söker en lösning som är ny eller avsevärt förbättrad jämfört med tjänster på "
            "marknaden. Lösningen utvecklas tillsammans med användarna och testas som prototyp.",
            "eng": "We are looking for a solution that is new or significantly improved compared to "
            "services on the market. It will be co-developed with users and tested as a prototype.",
        },
    ),
    Topic(
        key="circular-construction",
        cpv="45000000",
        innovative=True,
        extra_cpv=("71000000",),
        title={
            "fin": "Hiilineutraalin koulurakennuksen kehityshanke, kilpailullinen neuvottelumenettely",
            "swe": "Utvecklingsprojekt för en klimatneutral skolbyggnad, konkurrenspräglad dialog",
            "eng": "Development project for a carbon-neutral school building, competitive dialogue",
        },
        description={
            "fin": "Hankinnassa haetaan uusia kiertotalouteen perustuvia rakentamisen ratkaisuja. "
            "Toimittajia kannustetaan esittämään vaihtoehtoisia toteutustapoja.",
            "swe": "Upphandlingen söker nya byggmetoder baserade på cirkulär ekonomi. Leverantörer "
            "uppmuntras att lämna alternativa anbud.",
            "eng": "The procurement seeks new construction methods based on the circular economy. "
            "Suppliers are encouraged to propose variants.",
        },
    ),
    Topic(
        key="pcp-sensors",
        cpv="73110000",
        innovative=True,
        extra_cpv=("73420000",),
        title={
            "fin": "Esikaupallinen hankinta: vedenlaadun reaaliaikainen anturointi",
            "swe": "Förkommersiell upphandling: realtidsmätning av vattenkvalitet",
            "eng": "Pre-commercial procurement: real-time water quality sensing",
        },
        description={
            "fin": "Esikaupallinen tutkimus- ja kehityspalveluiden hankinta kolmessa vaiheessa: "
            "ratkaisukonseptit, prototyypit ja kenttätestaus.",
            "swe": "Förkommersiell upphandling av forsknings- och utvecklingstjänster i tre faser: "
            "lösningskoncept, prototyper och fälttester.",
            "eng": "Pre-commercial procurement of research and development services in three phases: "
            "solution design, prototyping and field testing.",
        },
    ),
    Topic(
        key="school-catering",
        cpv="55523000",
        innovative=False,
        title={
            "fin": "Koulujen ja päiväkotien ateriapalvelut",
            "swe": "Måltidstjänster för skolor och daghem",
            "eng": "Catering services for schools and day-care centres",
            "est": "Koolide ja lasteaedade toitlustusteenused",
            "deu": "Verpflegungsleistungen für Schulen und Kindertagesstätten",
        },
        description={
            "fin": "Hankinnan kohteena ovat koulujen ja päiväkotien ateriapalvelut sopimuskaudella. "
            "Tarkempi kuvaus on tarjouspyynnössä.",
            "swe": "Upphandlingen gäller måltidstjänster för skolor och daghem under avtalsperioden.",
            "eng": "The contract covers catering services for schools and day-care centres.",
            "est": "Hanke hõlmab koolide ja lasteaedade toitlustusteenuseid lepinguperioodil.",
            "deu": "Gegenstand sind Verpflegungsleistungen für Schulen und Kindertagesstätten.",
        },
    ),
    Topic(
        key="office-cleaning",
        cpv="90911200",
        innovative=False,
        title={
            "fin": "Toimitilojen siivouspalvelut",
            "swe": "Städtjänster för kontorslokaler",
            "eng": "Office cleaning services",
            "deu": "Unterhaltsreinigung von Büroräumen",
        },
        description={
            "fin": "Siivouspalvelut hankintayksikön toimitiloihin neljän vuoden sopimuskaudelle.",
            "swe": "Städtjänster för den upphandlande enhetens lokaler under fyra år.",
            "eng": "Cleaning services for the contracting authority's premises for four years.",
            "deu": "Reinigungsleistungen für die Liegenschaften des Auftraggebers für vier Jahre.",
        },
    ),
    Topic(
        key="road-maintenance",
        cpv="45233141",
        innovative=False,
        title={
            "fin": "Maanteiden hoidon alueurakka",
            "swe": "Regionalt driftentreprenad för landsvägar",
            "eng": "Regional road maintenance contract",
            "est": "Riigiteede hoolduse piirkondlik leping",
        },
        description={
            "fin": "Alueurakka sisältää teiden talvihoidon, kesähoidon ja pienet korjaustyöt.",
            "swe": "Entreprenaden omfattar vinterväghållning, sommarunderhåll och mindre reparationer.",
            "eng": "The contract covers winter maintenance, summer upkeep and minor repairs of roads.",
            "est": "Leping hõlmab teede talvist ja suvist hooldust ning väiksemaid remonditöid.",
        },
    ),
    Topic(
        key="office-supplies",
        cpv="30192000",
        innovative=False,
        title={
            "fin": "Toimistotarvikkeiden puitejärjestely",
            "swe": "Ramavtal för kontorsmaterial",
            "eng": "Framework agreement for office supplies",
            "deu": "Rahmenvereinbarung über Büromaterial",
        },
        description={
            "fin": "Puitejärjestely kattaa toimistotarvikkeet ja paperit toimituksineen.",
            "swe": "Ramavtalet omfattar kontorsmaterial och papper inklusive leverans.",
            "eng": "The framework covers office supplies and paper including delivery.",
            "deu": "Die Rahmenvereinbarung umfasst Büromaterial und Papier einschließlich Lieferung.",
        },
    ),
    Topic(
        key="medical-devices",
        cpv="33100000",
        innovative=False,
        title={
            "fin": "Kuvantamislaitteiden hankinta ja huolto",
            "swe": "Anskaffning och service av bilddiagnostisk utrustning",
            "eng": "Supply and maintenance of medical imaging equipment",
        },
        description={
            "fin": "Hankinta sisältää laitteiden toimituksen, asennuksen, koulutuksen ja huollon.",
            "swe": "Upphandlingen omfattar leverans, installation, utbildning och service.",
            "eng": "The contract covers delivery, installation, training and maintenance.",
        },
    ),
)

NOTES: dict[str, str] = {
    "fin": "Hankintayksikkö järjestää tarjoajille infotilaisuuden. Kysymykset esitetään kirjallisesti.",
    "swe": "Den upphandlande enheten ordnar ett informationsmöte. Frågor ställs skriftligt.",
    "eng": "The buyer will hold an information session for tenderers. Questions must be in writing.",
    "est": "Hankija korraldab pakkujatele infopäeva.",
    "deu": "Der Auftraggeber veranstaltet einen Informationstermin für Bieter.",
}

CHANGE_TEXTS: dict[str, str] = {
    "fin": "Tarjousten jättämisen määräaikaa on jatkettu ja tarjouspyynnön liitettä on täydennetty.",
    "swe": "Tidsfristen för anbud har förlängts och en bilaga har kompletterats.",
    "eng": "The time limit for tenders has been extended and an annex has been supplemented.",
    "est": "Pakkumuste esitamise tähtaega pikendati.",
    "deu": "Die Angebotsfrist wurde verlängert.",
}

SCOPE: dict[str, tuple[str, ...]] = {
    "fin": (
        "Sopimuskausi on kaksi (2) vuotta sopimuksen allekirjoittamisesta, minkä lisäksi hankintayksiköllä "
        "on oikeus kahteen (2) yhden vuoden optiokauteen. Option käytöstä ilmoitetaan toimittajalle "
        "kirjallisesti viimeistään kolme kuukautta ennen sopimuskauden päättymistä. Hankinnan arvioitu "
        "kokonaisarvo sisältää optiokaudet.",
        "Tarjoajan tulee täyttää tarjouspyynnössä ja sen liitteissä asetetut vähimmäisvaatimukset. "
        "Tarjouksen tulee olla voimassa vähintään kolme kuukautta tarjousten jättämisen määräajasta. "
        "Osatarjouksia ei hyväksytä. Hankintayksikkö varaa oikeuden tarkistaa tarjoajan tiedot "
        "Tilaajavastuu-palvelusta ennen hankintapäätöksen tekemistä.",
        "Hankintayksikkö järjestää hankinnasta markkinavuoropuhelun, jonka tarkoituksena on kartoittaa "
        "markkinoiden ratkaisuja ja kerätä palautetta tarjouspyyntöluonnoksesta. Vuoropuheluun "
        "osallistuminen ei ole edellytys tarjouksen jättämiselle eikä se anna osallistujalle etua.",
    ),
    "swe": (
        "Avtalsperioden är två (2) år från undertecknandet med möjlighet till förlängning två (2) gånger "
        "med ett år i taget. Den upphandlande enheten meddelar leverantören skriftligen om förlängning "
        "senast tre månader före avtalsperiodens utgång. Det uppskattade värdet omfattar optionerna.",
        "Anbudsgivaren ska uppfylla de krav som ställs i upphandlingsdokumenten och dess bilagor. Anbudet "
        "ska vara giltigt minst tre månader från sista anbudsdag. Delanbud accepteras inte. Den "
        "upphandlande enheten förbehåller sig rätten att kontrollera anbudsgivarens uppgifter.",
        "Den upphandlande enheten genomför en marknadsdialog för att kartlägga lösningar på marknaden och "
        "samla synpunkter på utkastet till upphandlingsdokument. Deltagande är inte ett villkor för att "
        "lämna anbud och ger ingen fördel i upphandlingen.",
    ),
    "eng": (
        "The contract period is two (2) years from signature, with an option to extend twice by one year "
        "at a time. The buyer will notify the supplier in writing of any extension no later than three "
        "months before the end of the contract period. The estimated value includes the options.",
        "Tenderers must meet the minimum requirements set out in the tender documents and their annexes. "
        "Tenders must remain valid for at least three months from the time limit for receipt of tenders. "
        "Partial tenders are not accepted. The buyer reserves the right to verify the tenderer's details.",
        "The buyer will hold a market dialogue to survey the solutions available on the market and to "
        "collect feedback on the draft tender documents. Taking part is not a condition for submitting "
        "a tender and gives no advantage in the procedure.",
    ),
    "est": (
        "Lepingu kestus on kaks aastat allkirjastamisest, hankijal on õigus pikendada lepingut kaks korda "
        "ühe aasta kaupa. Hinnanguline maksumus sisaldab optsioone.",
    ),
    "deu": (
        "Die Vertragslaufzeit beträgt zwei Jahre ab Unterzeichnung mit der Option einer zweimaligen "
        "Verlängerung um jeweils ein Jahr. Der geschätzte Auftragswert umfasst die Optionen.",
    ),
}
"""Generic scope paragraphs appended to descriptions: real notice descriptions run to several
paragraphs, and the synthetic corpus should have a realistic text volume."""
