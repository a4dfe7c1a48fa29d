"""How each council's establishment looks and how its HR system writes it: how many posts,
which catalogue roles, its own grades (bands of the NJC spine), job titles, supplements
and the file's layout. A profile is a pure function of (council, seed)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from councilbench.core import catalogue
from councilbench.core.catalogue import Council
from councilbench.dev.sample_returns import area
from councilbench.pay.catalogue import Role, roles

SEED = 2025
#: Posts per 1,000 residents at scale 1.0: about 200,000 over the 33 councils. Counties and
#: metropolitan boroughs employ school support staff and carers; districts collect waste,
#: plan and collect council tax with a few hundred staff.
POSTS_PER_1000 = {"metropolitan_borough": 36.0, "unitary": 32.0, "county": 25.0, "district": 5.0}
#: A file never has fewer posts than this, however small the scale.
MIN_POSTS = 40

# --- which roles a council employs, and how many of each ------------------------------------------

#: Upper-tier services (counties, unitaries, metropolitan boroughs): a district has none of these.
UPPER_FAMILIES = frozenset({"Social care (children)", "Social care (adults)", "Education support", "Public health"})
UPPER_ROLES = frozenset(
    {"household_waste_site_operative", "trading_standards_officer", "registrar", "coroners_officer", "archivist",
     "highways_engineer", "senior_highways_engineer", "highways_technician", "highways_inspector",
     "highways_operative", "traffic_engineer", "transport_planner", "street_works_coordinator",
     "street_lighting_technician", "road_safety_officer", "structures_engineer", "flood_risk_officer",
     "public_transport_officer", "community_transport_driver", "library_assistant", "librarian", "library_manager",
     "rights_of_way_officer", "domestic_abuse_coordinator"}
)  # fmt: skip
#: Lower-tier services (districts, unitaries, metropolitan boroughs): a county has none of these.
LOWER_FAMILIES = frozenset({"Environmental health", "Housing"})
LOWER_ROLES = frozenset(
    {"refuse_collection_driver", "refuse_loader", "street_cleansing_operative", "road_sweeper_driver",
     "waste_services_supervisor", "recycling_officer", "environmental_enforcement_officer",
     "bereavement_services_officer", "cemetery_operative", "planning_officer", "senior_planning_officer",
     "principal_planning_officer", "planning_enforcement_officer", "planning_technician", "conservation_officer",
     "building_control_surveyor", "local_land_charges_officer", "revenues_officer", "benefits_assessor",
     "revenues_and_benefits_team_leader", "revenues_recovery_officer", "electoral_services_officer",
     "licensing_officer", "cctv_operator", "markets_officer", "community_protection_officer", "town_centre_manager",
     "leisure_centre_assistant", "lifeguard", "swimming_teacher", "fitness_instructor", "leisure_centre_manager"}
)  # fmt: skip
#: Roles held by many people, against 1 for any other role (0.4 for a manager, SCP 35 up).
BULK = {
    "teaching_assistant": 40, "sen_teaching_assistant": 15, "midday_supervisor": 15, "cleaner": 15,
    "catering_assistant": 10, "home_care_worker": 10, "care_assistant": 10, "higher_level_teaching_assistant": 5,
    "school_administrator": 6, "school_cook": 4, "school_site_manager": 4, "early_years_practitioner": 5,
    "school_crossing_patrol": 3, "passenger_assistant": 6, "reablement_support_worker": 5,
    "support_worker_learning_disabilities": 6, "senior_care_worker": 4, "day_services_officer": 3,
    "childrens_social_worker": 8, "adult_social_worker": 6, "family_support_worker": 4,
    "residential_childcare_worker": 5, "social_care_assessor": 3, "occupational_therapist": 2,
    "refuse_loader": 10, "refuse_collection_driver": 6, "street_cleansing_operative": 6,
    "grounds_maintenance_operative": 5, "highways_operative": 4, "customer_service_adviser": 5,
    "administrative_assistant": 8, "administrative_officer": 8, "revenues_officer": 4, "benefits_assessor": 4,
    "housing_officer": 3, "multi_trade_operative": 4, "library_assistant": 4, "leisure_centre_assistant": 3,
    "lifeguard": 3, "civil_enforcement_officer": 2, "accountant": 2, "finance_officer": 2,
}  # fmt: skip
#: Roles councils struggle to fill, and the market supplement (£ a year) one pays for them.
HARD_TO_FILL = {
    "childrens_social_worker": (2_000, 6_000), "senior_childrens_social_worker": (2_500, 7_000),
    "childrens_social_work_team_manager": (3_000, 8_000), "independent_reviewing_officer": (2_000, 5_000),
    "fostering_social_worker": (1_500, 4_000), "approved_mental_health_professional": (1_500, 4_000),
    "occupational_therapist": (1_500, 3_500), "planning_officer": (1_500, 4_000),
    "senior_planning_officer": (2_000, 5_000), "principal_planning_officer": (2_500, 6_000),
    "building_control_surveyor": (2_000, 5_000), "environmental_health_officer": (1_500, 3_500),
    "refuse_collection_driver": (1_000, 3_000), "road_sweeper_driver": (800, 2_000),
    "vehicle_technician": (1_000, 2_500), "solicitor": (2_000, 5_000), "highways_engineer": (1_500, 4_000),
    "structures_engineer": (1_500, 4_000), "software_developer": (2_000, 5_000),
    "cyber_security_analyst": (2_500, 6_000), "quantity_surveyor": (1_500, 4_000),
}  # fmt: skip
#: Roles with part-time incumbents and the weekly hours they work (of 37), against a share
#: of 15% working 18.5 to 32 hours in any other role.
PART_TIME = {
    "midday_supervisor": (1.0, (5, 6.25, 7.5, 10)), "school_crossing_patrol": (1.0, (7.5, 10)),
    "passenger_assistant": (0.9, (10, 12.5, 15, 20)), "cleaner": (0.8, (7.5, 10, 12.5, 15, 20)),
    "catering_assistant": (0.8, (10, 12.5, 15, 20, 25)), "teaching_assistant": (0.7, (25, 27.5, 30, 32.5)),
    "sen_teaching_assistant": (0.6, (25, 27.5, 30, 32.5)), "home_care_worker": (0.6, (18.5, 20, 22.5, 25, 30)),
    "care_assistant": (0.5, (18.5, 22.5, 30)), "school_cook": (0.6, (25, 27.5, 30)),
    "school_administrator": (0.5, (18.5, 22.5, 25, 30)), "library_assistant": (0.6, (11, 15, 18.5, 22.5)),
    "lifeguard": (0.5, (8, 12, 16, 20)), "swimming_teacher": (0.7, (6, 10, 14)),
}  # fmt: skip
OTHER_PART_TIME = (0.15, (18.5, 22.5, 25, 29.6, 30, 32))
#: Roles with casual (zero-hours) incumbents, paid for the hours worked.
CASUAL_ROLES = frozenset(
    {"lifeguard", "leisure_centre_assistant", "swimming_teacher", "fitness_instructor", "events_officer",
     "electoral_services_officer", "midday_supervisor", "catering_assistant", "cleaner", "museum_assistant",
     "library_assistant", "passenger_assistant", "school_crossing_patrol", "care_assistant"}
)  # fmt: skip
#: Job families whose posts are paid standby, shift or essential car user allowances, and how much.
ALLOWANCE_FAMILIES = {
    "Social care (children)": (600, 3_000), "Social care (adults)": (500, 2_500), "Highways and transport": (600, 3_000),
    "ICT": (600, 2_500), "Environmental health": (400, 2_000), "Housing": (400, 2_000),
    "Waste and environment": (300, 1_500),
}  # fmt: skip
OTHER_ALLOWANCE = (150, 1_200)

# --- how a council writes things ----------------------------------------------------------------

GRADE_STYLES = ("grade", "g", "band", "njc", "scale_so_po", "level")
SUFFIXES = ("North", "South", "East", "West", "Central", "Locality 1", "Locality 2", "Team A", "Team B", "County Hall")
POST_ID_STYLES = ("P{:06d}", "POS-{:05d}", "{:08d}", "{prefix}/P/{:05d}", "E{:07d}")
HEADER_STYLES = ("snake", "title", "upper")
MONEY_STYLES = ("plain", "decimals", "pounds", "thousands")
#: Column orders: the template's, and an HR system's export that puts the post first.
ORDERS = {
    "template": ("council_code", "pay_year", "post_id", "job_title", "role_id", "grade", "scp_min", "scp_max",
                 "fte_salary", "fte", "headcount", "allowances", "market_supplement", "contract_type"),
    "hr_export": ("post_id", "job_title", "grade", "scp_min", "scp_max", "fte_salary", "fte", "headcount",
                  "contract_type", "allowances", "market_supplement", "role_id", "council_code", "pay_year"),
}  # fmt: skip


@dataclass(frozen=True)
class Band:
    """One grade of a council's pay structure: its label and its spine points."""

    label: str
    scp_min: int
    scp_max: int


@dataclass(frozen=True)
class Layout:
    """How a council's file looks: headers, column order, money, the optional cells."""

    header_style: str  # snake | title | upper
    order: str  # a key of ORDERS
    money: str  # plain | decimals | pounds | thousands
    council_cell: str  # code | name: the GSS code or the council's name in council_code
    optional_blank: bool  # no allowance written as a blank cell (else 0)
    contract_words: bool  # 'Fixed Term' rather than fixed_term
    fte_fixed: bool  # every FTE to 4 places ('1.0000'), else as short as it goes ('1', '0.6081')
    bom: bool
    line_end: str


@dataclass(frozen=True)
class Profile:
    council: Council
    posts: float  # posts at scale 1.0
    weights: tuple[tuple[str, float], ...]  # (role id, weight) of the roles it employs
    shifts: dict[str, int]  # role id -> points its grade sits above (or below) the typical range
    bands: tuple[Band, ...]  # its grades over SCP 1-43, lowest first
    titles: dict[str, tuple[str, ...]]  # role id -> the job titles it writes for the role
    suffix_share: float  # posts whose title names a team or place
    upper_case: bool  # an HR system that writes titles in capitals
    supplements: dict[str, int]  # role id -> market supplement (£ a year) it pays
    allowance_share: float
    post_id_style: str
    prefix: str
    layout: Layout


def employs(role: Role, tier: str) -> bool:
    """Whether a council of this tier has posts in the role."""
    upper = role.job_family in UPPER_FAMILIES or role.role_id in UPPER_ROLES
    lower = role.job_family in LOWER_FAMILIES or role.role_id in LOWER_ROLES
    return not ((upper and tier == "district") or (lower and tier == "county"))


def base_weight(role: Role) -> float:
    return BULK.get(role.role_id, 0.4 if role.typical_scp_min >= 35 else 1.0)


def _bands(rng: random.Random) -> tuple[Band, ...]:
    """Grades of 2 to 5 points from SCP 1 to 43, labelled in one of the styles councils use."""
    style, bounds, low = rng.choice(GRADE_STYLES), [], 1
    while low <= 43:
        high = min(43, low + rng.choice((1, 2, 2, 3, 3, 4)))
        if 43 - high < 2:  # no one-point grade at the top
            high = 43
        bounds.append((low, high))
        low = high + 1
    return tuple(Band(_grade_label(style, i), lo, hi) for i, (lo, hi) in enumerate(bounds))


def _grade_label(style: str, i: int) -> str:
    if style == "grade":
        return f"Grade {i + 1}"
    if style == "g":
        return f"G{i + 1:02d}"
    if style == "band":
        return f"Band {chr(65 + i)}"
    if style == "njc":
        return f"NJC {i + 1}"
    if style == "level":
        return f"Level {i + 1}"
    return f"Scale {i + 1}" if i < 6 else f"SO{i - 5}" if i < 8 else f"PO{i - 7}"  # the old APT&C grades


def _titles(role: Role, rng: random.Random) -> tuple[str, ...]:
    """One or two of the titles councils use for the role, in this council's wording."""
    named = role.synonyms or (role.role_name,)
    chosen = rng.sample(named, min(len(named), rng.choice((1, 1, 2))))
    if rng.random() < 0.3:
        chosen = [t.replace("Senior ", "Snr ").replace(" and ", " & ") for t in chosen]
    return tuple(chosen)


def _layout(rng: random.Random) -> Layout:
    return Layout(
        header_style=rng.choice(HEADER_STYLES),
        order=rng.choice(tuple(ORDERS)),
        money=rng.choice(MONEY_STYLES),
        council_cell=rng.choice(("code", "code", "name")),
        optional_blank=rng.random() < 0.5,
        contract_words=rng.random() < 0.4,
        fte_fixed=rng.random() < 0.3,
        bom=rng.random() < 0.3,
        line_end=rng.choice(("\n", "\r\n")),
    )


def _prefix(council: Council) -> str:
    return "".join(w[0] for w in council.short_name.split("-") if w not in ("and", "on", "under")).upper()


@lru_cache(maxsize=64)
def profile(code: str, seed: int = SEED) -> Profile:
    """How one council employs and writes: a pure function of (council, seed)."""
    council = catalogue.councils()[code]
    rng = random.Random(f"pay-profile:{seed}:{code}")
    weights, shifts, titles, supplements = [], {}, {}, {}
    for role in roles().values():
        if not employs(role, council.tier) or rng.random() < 0.06:  # a few roles a council does not have
            continue
        weights.append((role.role_id, base_weight(role) * math.exp(rng.gauss(0.0, 0.35))))
        shifts[role.role_id] = rng.choice((-1, 0, 0, 0, 1))
        titles[role.role_id] = _titles(role, rng)
        if role.role_id in HARD_TO_FILL and rng.random() < 0.6:
            low, high = HARD_TO_FILL[role.role_id]
            supplements[role.role_id] = round(rng.uniform(low, high), -2)
    return Profile(
        council=council,
        posts=area(code).population / 1000 * POSTS_PER_1000[council.tier],
        weights=tuple(weights),
        shifts=shifts,
        bands=_bands(rng),
        titles=titles,
        suffix_share=rng.choice((0.0, 0.05, 0.15, 0.3)),
        upper_case=rng.random() < 0.12,
        supplements=supplements,
        allowance_share=rng.uniform(0.06, 0.18),
        post_id_style=rng.choice(POST_ID_STYLES),
        prefix=_prefix(council),
        layout=_layout(rng),
    )


def post_count(code: str, scale: float = 1.0, seed: int = SEED) -> int:
    """How many posts (rows) the council's file holds at this scale."""
    return max(MIN_POSTS, round(profile(code, seed).posts * scale))
