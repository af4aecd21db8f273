"""Labels for CPV codes in emails: the 45 CPV divisions (2-digit level), in English.

THIN: the full CPV 2008 vocabulary (9,454 codes in 23 languages) is not bundled yet, so a
code is labelled by its division, and Finnish and Swedish readers see the English label.
Drop a ``cpv_labels.csv`` (``code,lang,label``) in the data directory to override; it is read
once per process.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DIVISIONS_EN = {
    "03": "Agricultural, farming, fishing, forestry and related products",
    "09": "Petroleum products, fuel, electricity and other sources of energy",
    "14": "Mining, basic metals and related products",
    "15": "Food, beverages, tobacco and related products",
    "16": "Agricultural machinery",
    "18": "Clothing, footwear, luggage articles and accessories",
    "19": "Leather and textile fabrics, plastic and rubber materials",
    "22": "Printed matter and related products",
    "24": "Chemical products",
    "30": "Office and computing machinery, equipment and supplies",
    "31": "Electrical machinery, apparatus, equipment and consumables; lighting",
    "32": "Radio, television, communication, telecommunication and related equipment",
    "33": "Medical equipment, pharmaceuticals and personal care products",
    "34": "Transport equipment and auxiliary products to transportation",
    "35": "Security, fire-fighting, police and defence equipment",
    "37": "Musical instruments, sport goods, games, toys, handicraft and art materials",
    "38": "Laboratory, optical and precision equipment",
    "39": "Furniture, furnishings, domestic appliances and cleaning products",
    "41": "Collected and purified water",
    "42": "Industrial machinery",
    "43": "Machinery for mining, quarrying, construction equipment",
    "44": "Construction structures and materials",
    "45": "Construction work",
    "48": "Software packages and information systems",
    "50": "Repair and maintenance services",
    "51": "Installation services (except software)",
    "55": "Hotel, restaurant and retail trade services",
    "60": "Transport services",
    "63": "Supporting and auxiliary transport services; travel agency services",
    "64": "Postal and telecommunications services",
    "65": "Public utilities",
    "66": "Financial and insurance services",
    "70": "Real estate services",
    "71": "Architectural, construction, engineering and inspection services",
    "72": "IT services: consulting, software development, Internet and support",
    "73": "Research and development services and related consultancy services",
    "75": "Administration, defence and social security services",
    "76": "Services related to the oil and gas industry",
    "77": "Agricultural, forestry, horticultural, aquacultural and apicultural services",
    "79": "Business services: law, marketing, consulting, recruitment, printing and security",
    "80": "Education and training services",
    "85": "Health and social work services",
    "90": "Sewage, refuse, cleaning and environmental services",
    "92": "Recreational, cultural and sporting services",
    "98": "Other community, social and personal services",
}


CpvOverrides = dict[tuple[str, str], str]
"""(8-digit code, language) → label, from the data folder's ``cpv_labels.csv``."""


@cache
def load_overrides(data_dir: Path) -> CpvOverrides:
    """The data folder's ``cpv_labels.csv``, read once per process (empty where there is none)."""
    path = data_dir / "cpv_labels.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {(r["code"][:8], r["lang"]): r["label"] for r in csv.DictReader(fh)}


def cpv_label(code: str, lang: str, overrides: CpvOverrides | None = None) -> str:
    code = code[:8]
    extra = overrides or {}
    return extra.get((code, lang)) or extra.get((code, "en")) or DIVISIONS_EN.get(code[:2], "")
