"""The pools generated values are drawn from: names, places, companies, words.

Shared by the column generators (``_values``) and the realistic record fields
(``_realistic``), so both kinds of record read like the same API's data.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _commas(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


def pick(pool: tuple[str, ...], bits: int) -> str:
    """The pool's value for these bits."""
    return pool[bits % len(pool)]


FIRST = _words(
    "Ada Ben Chloe Dario Elena Farid Grace Hugo Ines Jonas Keiko Liam Maya Noah Olga Pavel "
    "Quinn Rosa Sven Tara Umar Vera Wei Ximena Yusuf Zoe"
)
LAST = _words(
    "Anders Baker Costa Dubois Eriksen Fischer Garcia Hansen Ito Jensen Kowalski Lopez "
    "Moreau Nakamura Okafor Petrov Quispe Rossi Silva Tanaka Umarov Varga Weber Xu Yilmaz "
    "Zhang"
)
ADJECTIVES = _words(
    "Bold Bright Calm Clever Early Fresh Golden Quiet Rapid Silver Spring Summer Swift "
    "Winter Green Blue"
)
NOUNS = _words(
    "Launch Outreach Harbor Falcon Summit Pipeline Wave Beacon Bridge Canyon Meadow Orbit "
    "Signal Voyage Anchor Compass"
)
CITIES = _words(
    "Amsterdam Berlin Chicago Denver Dublin Lisbon Lyon Madrid Nairobi Osaka Oslo Porto "
    "Seattle Toronto Vienna Zurich"
)
COUNTRIES = _commas(
    "Austria,Canada,France,Germany,Ireland,Japan,Kenya,Netherlands,Norway,Portugal,Spain,"
    "Switzerland,United States"
)
STATES = _words("CA CO IL MA NY OR TX WA ON BC Bavaria Catalonia")
COMPANIES = _commas(
    "Acme Corp,Blue Harbor Ltd,Cobalt Systems,Delta Foods,Evergreen Labs,Foxglove GmbH,"
    "Granite Partners,Helix Health,Ionic Energy,Juniper Retail"
)
JOBS = _commas(
    "Account Executive,CTO,Data Engineer,Head of Sales,Marketing Manager,Operations Lead,"
    "Product Manager,Software Engineer,VP Engineering,CFO"
)
TIMEZONES = _words(
    "America/Chicago America/New_York America/Los_Angeles Europe/Berlin Europe/Lisbon "
    "Europe/London Asia/Tokyo Africa/Nairobi UTC"
)
STATUSES = _words("active paused draft archived completed")
CATEGORIES = _words("standard premium trial enterprise")
TIERS = _words("bronze silver gold")
DOMAINS = _words("example.com example.org example.net mail.example.com")
FIRST_LOWER = tuple(n.lower() for n in FIRST)
LAST_LOWER = tuple(n.lower() for n in LAST)
CURRENCIES = _words("USD EUR GBP JPY CHF")
WORDS = _words(
    "follow up call about renewal pricing demo next quarter budget meeting notes from the "
    "team review"
)
TAGS = _words(
    "vip churn-risk newsletter partner inbound outbound webinar trial-extended enterprise "
    "smb referral event beta renewal upsell cold"
)
SKUS = _words("SKU-100 SKU-200 SKU-300 SKU-400 SKU-500 SKU-600 SKU-700 SKU-800")
PRIORITIES = _words("low medium high urgent")
REGIONS = _words("EMEA AMER APAC LATAM")
SIZES = _words("S M L XL")
