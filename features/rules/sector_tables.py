"""Industry-dependent size limits of the foreign schemes, keyed by GB/T 4754 code.

Korean and Japanese size rules are written against their own industry codes (KSIC,
JSIC); these tables map GB/T 4754-2017 sections and manufacturing divisions to the
nearest class. The mapping is approximate and documented in ``docs/schemes.md``.
A division code (``C39``) is looked up first, then its section letter (``C``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Korean SME size standard: ceiling of the 3-year average revenue, ₩ billion
# (Framework Act on SMEs, Enforcement Decree, Annex 1; classes 150/100/80/60/40).
KR_SME_REVENUE_BOUNDS_KRW_BN: Mapping[str, float] = MappingProxyType(
    {
        # sections
        "A": 100.0,  # agriculture, forestry, fishery
        "B": 100.0,  # mining
        "C": 100.0,  # manufacturing not listed below
        "D": 100.0,  # electricity, heat, gas, water
        "E": 100.0,  # construction
        "F": 100.0,  # wholesale and retail
        "G": 80.0,  # transport, storage, post
        "H": 40.0,  # accommodation and catering
        "I": 80.0,  # information transmission, software, IT services
        "J": 40.0,  # finance
        "K": 40.0,  # real estate
        "L": 60.0,  # leasing and business services
        "M": 60.0,  # scientific research and technical services
        "N": 80.0,  # water conservancy, environment, public facilities
        "O": 60.0,  # resident services and repair
        "P": 40.0,  # education
        "Q": 60.0,  # health and social work
        "R": 60.0,  # culture, sports, entertainment
        "S": 40.0,  # public administration
        "T": 40.0,  # international organisations
        # manufacturing divisions in the ₩150bn class
        "C18": 150.0,  # apparel
        "C19": 150.0,  # leather, fur, footwear
        "C21": 150.0,  # furniture
        "C22": 150.0,  # paper
        "C31": 150.0,  # ferrous metals
        "C32": 150.0,  # non-ferrous metals
        "C38": 150.0,  # electrical machinery
        # manufacturing divisions in the ₩80bn class
        "C15": 80.0,  # beverages, tea
        "C23": 80.0,  # printing
        "C24": 80.0,  # culture, sports goods
        "C27": 80.0,  # pharmaceuticals
        "C30": 80.0,  # non-metallic minerals
        "C40": 80.0,  # instruments (medical, precision, optical)
        "C41": 80.0,  # other manufacturing
        "C42": 80.0,  # recycling
        "C43": 80.0,  # repair of metal products and machinery
    }
)

# Financial, public-administration and international bodies cannot be mid-sized firms.
KR_EXCLUDED_SECTIONS: frozenset[str] = frozenset({"J", "S", "T"})

# Japanese SME Basic Act employee ceilings (the capital test has no input field).
JP_SME_EMPLOYEE_LIMIT_DEFAULT = 300.0  # manufacturing, construction, transport, other
JP_SME_EMPLOYEE_LIMITS: Mapping[str, float] = MappingProxyType(
    {
        "F51": 100.0,  # wholesale
        "F52": 50.0,  # retail
        "H": 100.0,  # accommodation, catering (services)
        "K": 100.0,  # real estate (services)
        "L": 100.0,  # leasing, business services
        "M": 100.0,  # research, technical services
        "O": 100.0,  # resident services
        "P": 100.0,  # education
        "Q": 100.0,  # health
        "R": 100.0,  # culture, sports
    }
)


def lookup_by_division(table: Mapping[str, float], code: str) -> float:
    """Value for a division code, falling back to its section letter.

    Raises
    ------
    KeyError
        When neither the code nor its section is in the table.
    """
    if code in table:
        return table[code]
    return table[code[:1]]
