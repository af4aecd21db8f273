"""Finland's NUTS regions with their names in Finnish, Swedish and English, for the region picker.

Notices carry NUTS 2021 codes (``FI197`` Pirkanmaa) or, since the eForms SDK 1.13, NUTS 2024 ones
(``FI19B``); the Finnish regions kept their borders but some got new codes. Each choice therefore
stands for every code the region has had, and a subscription stores them all. Subscriptions match
NUTS by prefix, so ``FI1B`` covers ``FI1B1``. The eForms SDK files we have name the regions in
Finnish only; the Swedish and English names are the regions' official ones.
"""

from __future__ import annotations

Region = tuple[tuple[str, ...], dict[str, str], int]
"""(codes, names by language, level: 2 = large area, 3 = region)."""


def _r(codes: str, fi: str, sv: str, en: str, level: int = 3) -> Region:
    return tuple(codes.split()), {"fi": fi, "sv": sv, "en": en}, level


NUTS_FI: list[Region] = [
    _r("FI1B", "Helsinki-Uusimaa", "Helsingfors-Nyland", "Helsinki-Uusimaa", 2),
    _r("FI1C", "Etelä-Suomi", "Södra Finland", "Southern Finland", 2),
    _r("FI1C1", "Varsinais-Suomi", "Egentliga Finland", "Southwest Finland"),
    _r("FI1C2", "Kanta-Häme", "Egentliga Tavastland", "Kanta-Häme"),
    _r("FI1C3 FI1C6", "Päijät-Häme", "Päijänne-Tavastland", "Päijät-Häme"),
    _r("FI1C4 FI1C7", "Kymenlaakso", "Kymmenedalen", "Kymenlaakso"),
    _r("FI1C5", "Etelä-Karjala", "Södra Karelen", "South Karelia"),
    _r("FI19", "Länsi-Suomi", "Västra Finland", "Western Finland", 2),
    _r("FI196", "Satakunta", "Satakunta", "Satakunta"),
    _r("FI197 FI19B", "Pirkanmaa", "Birkaland", "Pirkanmaa"),
    _r("FI193 FI198", "Keski-Suomi", "Mellersta Finland", "Central Finland"),
    _r("FI194 FI199", "Etelä-Pohjanmaa", "Södra Österbotten", "South Ostrobothnia"),
    _r("FI195 FI19A", "Pohjanmaa", "Österbotten", "Ostrobothnia"),
    _r("FI1D", "Pohjois- ja Itä-Suomi", "Norra och Östra Finland", "Northern and Eastern Finland", 2),
    _r("FI1D1 FI1DA", "Etelä-Savo", "Södra Savolax", "South Savo"),
    _r("FI1D2 FI1DB", "Pohjois-Savo", "Norra Savolax", "North Savo"),
    _r("FI1D3 FI1DC", "Pohjois-Karjala", "Norra Karelen", "North Karelia"),
    _r("FI1D5", "Keski-Pohjanmaa", "Mellersta Österbotten", "Central Ostrobothnia"),
    _r("FI1D7", "Lappi", "Lappland", "Lapland"),
    _r("FI1D8", "Kainuu", "Kajanaland", "Kainuu"),
    _r("FI1D9", "Pohjois-Pohjanmaa", "Norra Österbotten", "North Ostrobothnia"),
    _r("FI2", "Ahvenanmaa", "Åland", "Åland", 2),
]
