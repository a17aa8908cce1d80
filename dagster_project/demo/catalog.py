"""Static reference data: products, features, countries, word lists."""

from __future__ import annotations

import numpy as np

# Product lines (index = line code)
CORE, SECURITY, AUTOMATION, ANALYTICS, SUPPORT = range(5)
N_LINES = 5

# product_id, product_name, line, edition_rank, pricing_model (0 per_seat, 1 usage, 2 flat), list_price_annual USD
PRODUCTS: tuple[tuple[str, str, int, int, int, float], ...] = (
    ("PRD-CORE-STD", "Core Platform Standard", CORE, 1, 0, 240.0),
    ("PRD-CORE-PRO", "Core Platform Professional", CORE, 2, 0, 420.0),
    ("PRD-CORE-ENT", "Core Platform Enterprise", CORE, 3, 0, 660.0),
    ("PRD-SEC-STD", "Security Module Standard", SECURITY, 1, 0, 120.0),
    ("PRD-SEC-ADV", "Security Module Advanced", SECURITY, 2, 0, 204.0),
    ("PRD-AUTO", "Automation Module", AUTOMATION, 1, 1, 1200.0),
    ("PRD-ANL-STD", "Analytics Add-On Standard", ANALYTICS, 1, 0, 96.0),
    ("PRD-ANL-PRO", "Analytics Add-On Professional", ANALYTICS, 2, 0, 168.0),
    ("PRD-SUPPORT", "Premium Support", SUPPORT, 1, 2, 9600.0),
)
PRODUCT_IDS = tuple(p[0] for p in PRODUCTS)
PROD_LINE = np.array([p[2] for p in PRODUCTS], dtype=np.int64)
PROD_RANK = np.array([p[3] for p in PRODUCTS], dtype=np.int64)
PROD_MODEL = np.array([p[4] for p in PRODUCTS], dtype=np.int64)
PROD_PRICE = np.array([p[5] for p in PRODUCTS], dtype=np.float64)
# first (entry) product of each line, and the next edition of each product (-1 = top edition)
LINE_ENTRY = np.array([0, 3, 5, 6, 8], dtype=np.int64)
NEXT_EDITION = np.array([1, 2, -1, 4, -1, -1, 7, -1, -1], dtype=np.int64)
# Automation Module: one purchased unit = capacity of 1,000 api_calls per day (usage_daily.api_calls)
AUTOMATION_UNIT_CALLS = 1000

_CORE_BASIC = ("Dashboards", "Projects", "Task Boards", "File Sharing")
_FEATURES: dict[str, tuple[tuple[str, int], ...]] = {
    "PRD-CORE-STD": (*((n, 0) for n in _CORE_BASIC), ("Workflow Rules", 1), ("Webhooks", 1)),
    "PRD-CORE-PRO": (*((n, 0) for n in _CORE_BASIC), ("Workflow Rules", 1), ("Webhooks", 1), ("Custom Reports", 1)),
    "PRD-CORE-ENT": (
        *((n, 0) for n in _CORE_BASIC),
        ("Workflow Rules", 1),
        ("Webhooks", 1),
        ("Custom Reports", 1),
        ("SSO and SCIM", 1),
    ),
    "PRD-SEC-STD": (
        ("Access Policies", 0),
        ("Audit Log", 0),
        ("MFA Enforcement", 0),
        ("Threat Alerts", 1),
        ("DLP Rules", 1),
    ),
    "PRD-SEC-ADV": (
        ("Access Policies", 0),
        ("Audit Log", 0),
        ("MFA Enforcement", 0),
        ("Threat Alerts", 1),
        ("DLP Rules", 1),
        ("Anomaly Detection", 1),
    ),
    "PRD-AUTO": (
        ("Triggers", 0),
        ("Scheduled Jobs", 0),
        ("Connectors", 0),
        ("Custom Scripts", 1),
        ("Event Streams", 1),
    ),
    "PRD-ANL-STD": (("Standard Reports", 0), ("Data Export", 0), ("Cohort Analysis", 1), ("Forecasting", 1)),
    "PRD-ANL-PRO": (
        ("Standard Reports", 0),
        ("Data Export", 0),
        ("Cohort Analysis", 1),
        ("Forecasting", 1),
        ("Embedded Analytics", 1),
        ("SQL Workspace", 1),
    ),
    "PRD-SUPPORT": (("Support Portal", 0), ("Priority Queue", 0), ("TAM Reviews", 1), ("Health Checks", 1)),
}
FEATURE_PRODUCT = np.array([PRODUCT_IDS.index(p) for p, fs in _FEATURES.items() for _ in fs], dtype=np.int64)
FEATURE_NAME = tuple(f"{n}" for fs in _FEATURES.values() for n, _ in fs)
FEATURE_TIER = np.array([t for fs in _FEATURES.values() for _, t in fs], dtype=np.int64)
FEATURE_IDS = tuple(f"FTR-{p.removeprefix('PRD-')}-{i + 1:02d}" for p, fs in _FEATURES.items() for i in range(len(fs)))
FEATURE_COUNT = np.bincount(FEATURE_PRODUCT, minlength=len(PRODUCTS)).astype(np.int64)
FEATURE_START = np.concatenate([[0], np.cumsum(FEATURE_COUNT)[:-1]]).astype(np.int64)

# Regions → countries (ISO alpha-2) with weights; currency per country
COUNTRIES: tuple[tuple[str, int, float, int], ...] = (  # code, region, weight within region, currency
    ("US", 0, 0.86, 0),
    ("CA", 0, 0.14, 0),
    ("GB", 1, 0.30, 2),
    ("DE", 1, 0.22, 1),
    ("FR", 1, 0.16, 1),
    ("NL", 1, 0.10, 1),
    ("SE", 1, 0.07, 1),
    ("ES", 1, 0.08, 1),
    ("IE", 1, 0.07, 1),
    ("AU", 2, 0.45, 3),
    ("NZ", 2, 0.10, 3),
    ("SG", 2, 0.17, 0),
    ("JP", 2, 0.15, 0),
    ("IN", 2, 0.13, 0),
    ("BR", 3, 0.40, 0),
    ("MX", 3, 0.30, 0),
    ("AR", 3, 0.10, 0),
    ("CL", 3, 0.10, 0),
    ("CO", 3, 0.10, 0),
)
COUNTRY_CODES = tuple(c[0] for c in COUNTRIES)
COUNTRY_REGION = np.array([c[1] for c in COUNTRIES], dtype=np.int64)
COUNTRY_WEIGHT = np.array([c[2] for c in COUNTRIES], dtype=np.float64)
COUNTRY_CURRENCY = np.array([c[3] for c in COUNTRIES], dtype=np.int64)
REGION_WEIGHTS = (0.45, 0.30, 0.15, 0.10)

INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
    "Public Sector",
    "Media",
    "Telecommunications",
    "Energy",
    "Professional Services",
    "Hospitality",
    "Construction",
)

EXEC_TITLES = (
    "Chief Executive Officer",
    "Chief Information Officer",
    "Chief Technology Officer",
    "Chief Operating Officer",
    "Chief Financial Officer",
    "Chief Information Security Officer",
    "VP Engineering",
    "VP Operations",
    "VP Information Technology",
)
STAFF_TITLES = (
    "IT Manager",
    "Project Manager",
    "Systems Administrator",
    "Operations Analyst",
    "Team Lead",
    "Software Engineer",
    "Procurement Specialist",
    "Finance Manager",
    "Director of IT",
    "Security Analyst",
    "Business Analyst",
    "Head of Customer Support",
    "Data Analyst",
    "Office Manager",
)

COURSES = tuple(f"CRS-{n}" for n in (101, 102, 103, 110, 150, 201, 202, 210, 250, 301, 310, 401))

NAME_A = (
    "Acme",
    "Apex",
    "Aurora",
    "Beacon",
    "Blue",
    "Bright",
    "Cedar",
    "Cobalt",
    "Crest",
    "Delta",
    "Echo",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Helix",
    "Horizon",
    "Iron",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "Meridian",
    "Nimbus",
    "North",
    "Nova",
    "Oak",
    "Orbit",
    "Pioneer",
    "Prism",
    "Quantum",
    "Quartz",
    "Red",
    "Ridge",
    "River",
    "Sage",
    "Silver",
    "Sky",
    "Solar",
    "Spruce",
    "Summit",
    "Terra",
    "Tidal",
    "Titan",
    "Vector",
    "Vertex",
    "Willow",
    "Zenith",
)
NAME_B = (
    "Analytics",
    "Bio",
    "Capital",
    "Clinics",
    "Commerce",
    "Data",
    "Dynamics",
    "Energy",
    "Foods",
    "Freight",
    "Health",
    "Holdings",
    "Industries",
    "Labs",
    "Learning",
    "Logistics",
    "Media",
    "Medical",
    "Motors",
    "Networks",
    "Outfitters",
    "Pharma",
    "Retail",
    "Robotics",
    "Systems",
    "Technologies",
    "Textiles",
    "Travel",
    "Ventures",
    "Works",
)
NAME_SUFFIX = ("Inc", "LLC", "Ltd", "GmbH", "Group", "Co", "SA", "Pty Ltd", "BV", "AB")
PARTNER_WORDS = (
    "Accel",
    "Arc",
    "Bridge",
    "Cloudline",
    "Core",
    "Elevate",
    "Fusion",
    "Gateway",
    "Insight",
    "Kinetic",
    "Lattice",
    "Nexus",
    "Optima",
    "Pinnacle",
    "Catalyst",
    "Synergy",
    "Trident",
    "Unity",
    "Vanguard",
    "Zephyr",
    "Atlas",
    "Brightpath",
    "Clearview",
    "Northstar",
)
PARTNER_SUFFIX = ("IT Services", "Solutions", "Consulting", "Technologies", "Partners", "Cloud", "Systems", "Digital")

EVENT_DESCRIPTIONS: tuple[tuple[str, ...], ...] = (
    ("Closed a Series B funding round", "Raised growth equity financing", "Announced a Series C round"),
    ("Announced 30% year-over-year revenue growth", "Reported record quarterly revenue"),
    ("Announced acquisition of a regional competitor", "Agreed to merge with a peer company"),
    ("Announced a company-wide reorganization", "Restructured the operations division"),
    ("New regulatory requirements announced for its industry", "Started a SOC 2 compliance program"),
    ("Launched a new product line", "Announced a major platform release"),
    ("Started an IT modernization program", "Announced a cloud migration initiative"),
    ("Opened a new office abroad", "Announced expansion into a new region"),
    ("Evaluating a competing vendor", "Issued an RFP for alternative tooling"),
)
MILESTONE_ONBOARDING = ("Kickoff call", "Admin setup", "First team live", "Integration live")
ONBOARDING_DUE = np.array([7, 21, 45, 75], dtype=np.int64)
ROI_NAMES = ("ROI review: time savings", "ROI review: cost reduction", "ROI review: revenue impact")
