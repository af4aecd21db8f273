"""The administrative detail every real eForms notice carries, for synthetic notices.

Why: real notices are mostly this (exclusion grounds, selection and award criteria, contact
details, the review body, submission rules); the fields TenderWatch extracts are a small part.
A synthetic corpus without it would be unrealistically small and dense, would not test that the
parser skips what it does not need (e.g. the review body is an organisation but not a buyer, an
information-request period has an ``EndDate`` but is not the deadline), and would misstate parser
speed. Texts are written for this project; pieces are built once per language and reused.
"""

from __future__ import annotations

from functools import lru_cache

_GROUNDS: dict[str, dict[str, str]] = {
    "crime-org": {
        "fin": "Tarjoajalle on annettu lainvoimainen tuomio rikollisjärjestön toimintaan osallistumisesta.",
        "swe": "Anbudsgivaren har dömts för deltagande i en kriminell organisation.",
        "eng": "The tenderer has been convicted of participation in a criminal organisation.",
    },
    "corruption": {
        "fin": "Tarjoajalle on annettu lainvoimainen tuomio lahjonnasta.",
        "swe": "Anbudsgivaren har dömts för bestickning.",
        "eng": "The tenderer has been convicted of corruption.",
    },
    "fraud": {
        "fin": "Tarjoajalle on annettu lainvoimainen tuomio petoksesta.",
        "swe": "Anbudsgivaren har dömts för bedrägeri.",
        "eng": "The tenderer has been convicted of fraud.",
    },
    "tax-pay": {
        "fin": "Tarjoaja on laiminlyönyt verojen maksamisen sijoittautumismaassaan.",
        "swe": "Anbudsgivaren har inte fullgjort sina skyldigheter avseende skatter.",
        "eng": "The tenderer has breached its obligations relating to the payment of taxes.",
    },
    "socsec-pay": {
        "fin": "Tarjoaja on laiminlyönyt sosiaaliturvamaksujen maksamisen.",
        "swe": "Anbudsgivaren har inte fullgjort sina skyldigheter avseende socialförsäkringsavgifter.",
        "eng": "The tenderer has breached its obligations relating to social security contributions.",
    },
    "bankruptcy": {
        "fin": "Tarjoaja on konkurssissa.",
        "swe": "Anbudsgivaren är i konkurs.",
        "eng": "The tenderer is bankrupt.",
    },
    "prof-misconduct": {
        "fin": "Tarjoaja on syyllistynyt ammatin harjoittamiseen liittyvään vakavaan virheeseen.",
        "swe": "Anbudsgivaren har gjort sig skyldig till allvarligt fel i yrkesutövningen.",
        "eng": "The tenderer is guilty of grave professional misconduct.",
    },
    "terr-offence": {
        "fin": "Tarjoajalle on annettu lainvoimainen tuomio terrorismirikoksesta.",
        "swe": "Anbudsgivaren har dömts för terroristbrott eller brott med anknytning till terrorism.",
        "eng": "The tenderer has been convicted of terrorist offences or offences linked to terrorism.",
    },
    "finan-laund": {
        "fin": "Tarjoajalle on annettu lainvoimainen tuomio rahanpesusta tai terrorismin rahoittamisesta.",
        "swe": "Anbudsgivaren har dömts för penningtvätt eller finansiering av terrorism.",
        "eng": "The tenderer has been convicted of money laundering or terrorist financing.",
    },
    "human-traffic": {
        "fin": "Tarjoajalle on annettu lainvoimainen tuomio lapsityövoiman käytöstä tai ihmiskaupasta.",
        "swe": "Anbudsgivaren har dömts för barnarbete eller andra former av människohandel.",
        "eng": "The tenderer has been convicted of child labour or trafficking in human beings.",
    },
    "envir-law": {
        "fin": "Tarjoaja on rikkonut ympäristölainsäädännön mukaisia velvoitteitaan.",
        "swe": "Anbudsgivaren har åsidosatt sina skyldigheter enligt miljörätten.",
        "eng": "The tenderer has breached its obligations in the field of environmental law.",
    },
    "labour-law": {
        "fin": "Tarjoaja on rikkonut työlainsäädännön mukaisia velvoitteitaan.",
        "swe": "Anbudsgivaren har åsidosatt sina skyldigheter enligt arbetsrätten.",
        "eng": "The tenderer has breached its obligations in the field of labour law.",
    },
    "partic-confl": {
        "fin": "Tarjoajan osallistumisesta aiheutuu eturistiriita, jota ei voida poistaa.",
        "swe": "Anbudsgivarens deltagande medför en intressekonflikt som inte kan avhjälpas.",
        "eng": "The tenderer's participation creates a conflict of interest that cannot be remedied.",
    },
    "insolvency": {
        "fin": "Tarjoajan osalta on käynnistetty maksukyvyttömyys- tai likvidaatiomenettely.",
        "swe": "Anbudsgivaren är föremål för insolvens- eller likvidationsförfarande.",
        "eng": "The tenderer is the subject of insolvency or winding-up proceedings.",
    },
    "distorsion": {
        "fin": "Tarjoaja on tehnyt muiden kanssa sopimuksia, joilla pyritään vääristämään kilpailua.",
        "swe": "Anbudsgivaren har ingått överenskommelser som syftar till att snedvrida konkurrensen.",
        "eng": "The tenderer has entered into agreements aimed at distorting competition.",
    },
}

_SELECTION: dict[str, tuple[tuple[str, str, str], ...]] = {
    "fin": (
        ("sui-act", "Rekisteröinti", "Tarjoaja on merkitty kaupparekisteriin ja ennakkoperintärekisteriin."),
        ("ef-stand", "Taloudellinen tilanne", "Tarjoajan luottoluokitus on vähintään tyydyttävä."),
        (
            "tp-abil",
            "Referenssit",
            "Tarjoajalla on vähintään kaksi vastaavaa toimitusta kolmen vuoden ajalta.",
        ),
    ),
    "swe": (
        ("sui-act", "Registrering", "Anbudsgivaren är registrerad i handelsregistret."),
        ("ef-stand", "Ekonomisk ställning", "Anbudsgivaren har minst tillfredsställande kreditvärdighet."),
        ("tp-abil", "Referenser", "Anbudsgivaren har minst två motsvarande uppdrag under tre år."),
    ),
    "eng": (
        ("sui-act", "Registration", "The tenderer is entered in the trade register."),
        ("ef-stand", "Economic standing", "The tenderer has at least a satisfactory credit rating."),
        ("tp-abil", "References", "The tenderer has at least two similar contracts in the last three years."),
    ),
}

_AWARD: dict[str, tuple[str, str]] = {
    "fin": ("Hinta", "Laatu: toteutussuunnitelma ja laadunvarmistus"),
    "swe": ("Pris", "Kvalitet: genomförandeplan och kvalitetssäkring"),
    "eng": ("Price", "Quality: delivery plan and quality assurance"),
}

REVIEW_BODIES: dict[str, tuple[str, str, str, str]] = {
    "FIN": ("Markkinaoikeus", "Helsinki", "FI1B1", "00520"),
    "SWE": ("Förvaltningsrätten i Stockholm", "Stockholm", "SE110", "11524"),
    "EST": ("Riigihangete vaidlustuskomisjon", "Tallinn", "EE001", "10122"),
    "DEU": ("Vergabekammer des Bundes", "Bonn", "DEA22", "53123"),
}


def _lang(lang: str) -> str:
    return lang if lang in ("fin", "swe", "eng") else "eng"


_GROUND_CLAUSE: dict[str, str] = {
    "fin": " Poissulkeminen koskee myös henkilöä, joka on tarjoajan hallinto-, johto- tai valvontaelimen "
    "jäsen tai jolla on siinä edustus-, päätös- tai valvontavaltaa, ja tuomio on annettu enintään viisi "
    "vuotta sitten tai poissulkeminen on edelleen voimassa.",
    "swe": " Uteslutningen gäller även en person som ingår i anbudsgivarens förvaltnings-, lednings- eller "
    "kontrollorgan eller som har befogenhet att företräda, fatta beslut om eller kontrollera den, om "
    "domen meddelats för högst fem år sedan.",
    "eng": " Exclusion also applies where a member of the tenderer's administrative, management or "
    "supervisory body, or a person with powers of representation, decision or control in it, has been "
    "so convicted by a final judgment given within the last five years.",
}


@lru_cache(maxsize=16)
def procedure_terms(lang: str) -> str:
    """Procedure-level ``cac:TenderingTerms``: the exclusion grounds, described in ``lang``."""
    key = _lang(lang)
    out = ["<cac:TenderingTerms><cac:TendererQualificationRequest>"]
    for code, texts in _GROUNDS.items():
        out.append(
            "<cac:SpecificTendererRequirement>"
            f'<cbc:TendererRequirementTypeCode listName="exclusion-ground">{code}'
            "</cbc:TendererRequirementTypeCode>"
            f'<cbc:Description languageID="{key.upper()}">{texts[key]}{_GROUND_CLAUSE[key]}</cbc:Description>'
            "</cac:SpecificTendererRequirement>"
        )
    out.append("</cac:TendererQualificationRequest></cac:TenderingTerms>")
    return "".join(out)


@lru_cache(maxsize=16)
def selection_criteria(lang: str) -> str:
    """``efac:SelectionCriteria`` entries for a lot's eForms extension."""
    key = _lang(lang)
    return "".join(
        f'<efac:SelectionCriteria><cbc:CriterionTypeCode listName="selection-criterion">{code}'
        f'</cbc:CriterionTypeCode><cbc:Name languageID="{key.upper()}">{name}</cbc:Name>'
        f'<cbc:Description languageID="{key.upper()}">{text}</cbc:Description>'
        '<cbc:CalculationExpressionCode listName="usage">used</cbc:CalculationExpressionCode>'
        "</efac:SelectionCriteria>"
        for code, name, text in _SELECTION[key]
    )


@lru_cache(maxsize=16)
def lot_terms_middle(lang: str) -> str:
    """Reserved procurement and execution requirements (between documents and awarding terms)."""
    return (
        "<cac:TendererQualificationRequest><cac:SpecificTendererRequirement>"
        '<cbc:TendererRequirementTypeCode listName="reserved-procurement">none'
        "</cbc:TendererRequirementTypeCode>"
        "</cac:SpecificTendererRequirement></cac:TendererQualificationRequest>"
        '<cac:ContractExecutionRequirement><cbc:ExecutionRequirementCode listName="reserved-execution">no'
        "</cbc:ExecutionRequirementCode></cac:ContractExecutionRequirement>"
        '<cac:ContractExecutionRequirement><cbc:ExecutionRequirementCode listName="einvoicing">required'
        "</cbc:ExecutionRequirementCode></cac:ContractExecutionRequirement>"
    )


@lru_cache(maxsize=16)
def award_criteria(lang: str) -> str:
    """``cac:AwardingCriterion`` with price and quality weighted 40/60, inside AwardingTerms."""
    key = _lang(lang)
    price, quality = _AWARD[key]
    parts = []
    for code, weight, text in (("price", 40, price), ("quality", 60, quality)):
        parts.append(
            "<cac:SubordinateAwardingCriterion><ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>"
            "<efext:EformsExtension><efac:AwardCriterionParameter>"
            '<efbc:ParameterCode listName="number-weight">per-exa</efbc:ParameterCode>'
            f"<efbc:ParameterNumeric>{weight}</efbc:ParameterNumeric></efac:AwardCriterionParameter>"
            "</efext:EformsExtension></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>"
            f'<cbc:AwardingCriterionTypeCode listName="award-criterion-type">{code}'
            "</cbc:AwardingCriterionTypeCode>"
            f'<cbc:Description languageID="{key.upper()}">{text}</cbc:Description>'
            "</cac:SubordinateAwardingCriterion>"
        )
    return "<cac:AwardingCriterion>" + "".join(parts) + "</cac:AwardingCriterion>"


def lot_terms_tail(lang: str, review_org: str, endpoint: str) -> str:
    """Submission endpoint, tender validity, appeal terms (the review body) and language."""
    return (
        f"<cac:TenderRecipientParty><cbc:EndpointID>{endpoint}</cbc:EndpointID></cac:TenderRecipientParty>"
        '<cac:TenderValidityPeriod><cbc:DurationMeasure unitCode="MONTH">3</cbc:DurationMeasure>'
        "</cac:TenderValidityPeriod><cac:AppealTerms><cac:AppealReceiverParty><cac:PartyIdentification>"
        f'<cbc:ID schemeName="organization">{review_org}</cbc:ID></cac:PartyIdentification>'
        "</cac:AppealReceiverParty></cac:AppealTerms>"
        f"<cac:Language><cbc:ID>{lang.upper()}</cbc:ID></cac:Language>"
    )


def contact(name: str, domain: str) -> str:
    """Contact details of an organisation (``cac:Contact``)."""
    return (
        "<cac:Contact><cbc:Telephone>+358 29 000 0000</cbc:Telephone>"
        f"<cbc:ElectronicMail>kirjaamo@{domain}</cbc:ElectronicMail></cac:Contact>"
    )
