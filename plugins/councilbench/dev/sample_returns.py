"""Realistic sample returns for the 33 councils, for any months, and named faults.

The demo, the tests and the benchmark need council returns that look like the real
thing: the right metrics for each tier, the right periods, plausible sizes (Birmingham
is ten times a district), long-run trends (empty shops worsening across the region),
seasons (fly-tipping in summer, sickness in winter, year-to-date collection rates
climbing from April to March) and noise small enough that month-on-month changes stay
below each metric's warning threshold. Everything is a pure function of
(seed, council, metric, month): the same seed gives byte-identical files, and one
month can be generated without generating the months before it.

Faults are the mistakes real files have (a BOM, a '£' saved in Windows-1252, a login
page instead of a CSV ...). Each is a small function in FAULTS with a one-line
description and the outcome the validator should reach: rejected, warning, or
accepted after normalisation.

    write_returns(out, ["2026-09", "2026-10"], faults={"E08000027": ["semicolon_delimiter"]})

writes <out>/<short_name>/<YYYY-MM>.csv for every council: the layout of the registry's
return_source `{returns_base_url}/<short_name>/{period}.csv`, so serving `out` over HTTP
gives every council its URL. A fault applies to the last month written. A faulted file
keeps the .csv name whatever its content (an XLSX, a PNG, a web page): that is what a
council's address serves, and the parser decides the format from the content.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from councilbench.core import catalogue
from councilbench.core.calendar import (
    add_months,
    month_from_index,
    month_index,
    months_between,
)
from councilbench.core.catalogue import Council, Metric
from councilbench.returns.contract import COLUMNS, expected_period
from councilbench.returns.template import deterministic_xlsx

#: Model levels are for April 2026; history before it follows each council's trend back.
ANCHOR_YEAR, ANCHOR_MONTH = 2026, 4
_ANCHOR = ANCHOR_YEAR * 12 + ANCHOR_MONTH - 1


# --- the councils' areas ----------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """Fixed facts about a council's area that sizes its figures (about mid-2025).

    population: residents (ONS mid-year estimate, rounded); county figures are the sum of
    their districts. under_18 / over_65: shares of the population. deprivation: 0 (least)
    to 1 (most deprived in the region), a rough reading of the IMD. council_homes: homes
    the council owns (0 after stock transfer). road_*_km: the highway authority's network.
    """

    population: int
    under_18: float
    over_65: float
    deprivation: float
    household_size: float = 2.35
    growth: float = 0.006  # population growth a year
    council_homes: int = 0
    road_a_km: float = 0.0
    road_bc_km: float = 0.0
    road_total_km: float = 0.0

    @property
    def households(self) -> float:
        return self.population / self.household_size


_A = Area
AREAS: dict[str, Area] = {
    # metropolitan boroughs
    "birmingham": _A(1_160_000, 0.250, 0.130, 0.90, 2.60, 0.007, 58_000, 180, 210, 2_550),
    "coventry": _A(357_000, 0.215, 0.140, 0.62, 2.50, 0.012, 0, 95, 140, 900),
    "dudley": _A(326_000, 0.212, 0.205, 0.58, 2.35, 0.004, 21_500, 110, 160, 900),
    "sandwell": _A(349_000, 0.243, 0.148, 0.90, 2.50, 0.006, 27_000, 120, 150, 850),
    "solihull": _A(218_000, 0.212, 0.212, 0.32, 2.35, 0.005, 9_800, 90, 150, 700),
    "walsall": _A(289_000, 0.232, 0.180, 0.80, 2.45, 0.005, 0, 100, 150, 850),
    "wolverhampton": _A(268_000, 0.232, 0.170, 0.84, 2.40, 0.006, 21_000, 85, 120, 750),
    # unitaries
    "herefordshire": _A(188_000, 0.185, 0.255, 0.38, 2.30, 0.005, 0, 330, 1_900, 3_300),
    "telford-and-wrekin": _A(189_000, 0.225, 0.172, 0.58, 2.35, 0.008, 0, 80, 200, 1_000),
    "stoke-on-trent": _A(260_000, 0.225, 0.180, 0.86, 2.35, 0.005, 17_500, 90, 120, 800),
    "shropshire": _A(327_000, 0.185, 0.258, 0.32, 2.30, 0.005, 4_000, 550, 2_400, 5_200),
    # counties: population, ages and deprivation come from their districts
    "staffordshire": _A(0, 0, 0, 0, 2.30, 0.005, 0, 650, 2_700, 6_200),
    "warwickshire": _A(0, 0, 0, 0, 2.30, 0.007, 0, 500, 1_600, 4_000),
    "worcestershire": _A(0, 0, 0, 0, 2.30, 0.005, 0, 450, 2_000, 4_300),
    # Staffordshire districts
    "cannock-chase": _A(101_000, 0.205, 0.195, 0.55, 2.35, 0.004, 5_000),
    "east-staffordshire": _A(127_000, 0.215, 0.190, 0.45, 2.35, 0.007),
    "lichfield": _A(107_000, 0.195, 0.235, 0.20, 2.30, 0.008),
    "newcastle-under-lyme": _A(125_000, 0.190, 0.205, 0.50, 2.30, 0.004),
    "south-staffordshire": _A(111_000, 0.180, 0.250, 0.20, 2.30, 0.003),
    "stafford": _A(138_000, 0.185, 0.225, 0.30, 2.30, 0.006),
    "staffordshire-moorlands": _A(96_000, 0.175, 0.265, 0.30, 2.25, 0.002),
    "tamworth": _A(79_000, 0.215, 0.180, 0.55, 2.35, 0.004, 4_200),
    # Warwickshire districts
    "north-warwickshire": _A(66_000, 0.190, 0.225, 0.40, 2.30, 0.005, 2_600),
    "nuneaton-and-bedworth": _A(136_000, 0.215, 0.190, 0.60, 2.35, 0.006, 5_600),
    "rugby": _A(117_000, 0.220, 0.180, 0.30, 2.35, 0.011, 3_700),
    "stratford-on-avon": _A(139_000, 0.185, 0.260, 0.10, 2.25, 0.010),
    "warwick": _A(150_000, 0.180, 0.180, 0.15, 2.35, 0.009, 5_500),
    # Worcestershire districts
    "bromsgrove": _A(100_000, 0.195, 0.230, 0.10, 2.30, 0.005),
    "malvern-hills": _A(80_000, 0.170, 0.285, 0.15, 2.20, 0.006),
    "redditch": _A(87_000, 0.215, 0.180, 0.55, 2.35, 0.003, 5_800),
    "worcester": _A(104_000, 0.200, 0.175, 0.45, 2.30, 0.005),
    "wychavon": _A(133_000, 0.190, 0.250, 0.15, 2.30, 0.008),
    "wyre-forest": _A(102_000, 0.190, 0.240, 0.50, 2.30, 0.003),
}


@cache
def area(council_code: str) -> Area:
    """The council's area; a county's population, ages and deprivation from its districts."""
    council = catalogue.councils()[council_code]
    a = AREAS[council.short_name]
    if council.tier != "county":
        return a
    districts = [AREAS[c.short_name] for c in catalogue.councils().values() if c.county_code == council_code]
    pop = sum(d.population for d in districts)
    share = lambda attr: sum(getattr(d, attr) * d.population for d in districts) / pop  # noqa: E731
    return Area(
        pop,
        share("under_18"),
        share("over_65"),
        share("deprivation"),
        a.household_size,
        a.growth,
        0,
        a.road_a_km,
        a.road_bc_km,
        a.road_total_km,
    )


# --- deterministic random numbers ---------------------------------------------------------


def _uniforms(*key) -> list[float]:
    """Eight uniforms in (0, 1) from a key: stable across runs, machines and Python versions."""
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=64).digest()
    return [(n + 0.5) / 2.0**64 for n in struct.unpack("<8Q", digest)]


def _normal(u1: float, u2: float, clip: float = 3.0) -> float:
    z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    return max(-clip, min(clip, z))


def _sround(x: float, u: float) -> int:
    """Round to floor or ceiling, ceiling with probability frac(x): counts that vary by at
    most one around a smooth level, so small numbers do not jump month to month."""
    lo = math.floor(x)
    return int(lo + (1 if u < x - lo else 0))


# --- the metric models ----------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """How one metric behaves, in model space (logit of value/100 for percentages, log for
    everything positive, plain for the signed forecast variance).

    level: the value for a typical council (deprivation 0.5) in April 2026; for counts and
    amounts the value per unit of `size`. spread: sd between councils. dep: shift per unit
    of deprivation. drift / drift_sd: long-run trend a year (mean, council sd); positive
    raises the value. season / peak: amplitude and month of the seasonal peak. noise: sd of
    the period-to-period noise (capped so month-on-month changes stay under the warning
    threshold). den: the denominator for proportions and means; size: the exposure for
    counts. num_dp / den_dp: decimals of numerator and denominator. tier: shift by tier.
    """

    level: float
    shape: str = "logit"  # logit | log | ytd | signed
    spread: float = 0.2
    dep: float = 0.0
    drift: float = 0.0
    drift_sd: float = 0.01
    season: float = 0.0
    peak: int = 1
    noise: float = 0.03
    den: Callable | None = None
    size: Callable | None = None
    num_dp: int = 0
    den_dp: int = 0
    den_noise: float = 0.02
    tier: dict = field(default_factory=dict)
    min_num: float = 0.0  # smallest expected numerator or count
    council_homes_only: bool = False


@dataclass
class _Place:
    """A council in a month: the sizes denominators are built from."""

    seed: int
    council: Council
    area: Area
    month_index: int
    fy_offset: int  # financial years since 2026-27 (negative before)
    fy_month: int  # 1 = April ... 12 = March

    @property
    def growth(self) -> float:
        return (1 + self.area.growth) ** self.fy_offset

    @property
    def pop(self) -> float:
        return self.area.population * self.growth

    @property
    def hh(self) -> float:
        return self.area.households * self.growth

    @property
    def u18(self) -> float:
        return self.pop * self.area.under_18

    @property
    def o65(self) -> float:
        return self.pop * self.area.over_65

    @property
    def a18_64(self) -> float:
        return self.pop * (1 - self.area.under_18 - self.area.over_65)

    @property
    def a18p(self) -> float:
        return self.pop * (1 - self.area.under_18)

    @property
    def roads(self) -> float:
        return self.area.road_total_km

    @property
    def budget(self) -> float:
        """Net revenue budget (£) for the financial year."""
        per_head = {"metropolitan_borough": 950, "unitary": 1_000, "county": 900, "district": 145}[self.council.tier]
        return self.pop * per_head * 1.04**self.fy_offset

    @property
    def ct_debit(self) -> float:
        """Net collectable council tax debit (£) for the financial year."""
        return self.hh * 1_900 * 1.045**self.fy_offset

    @property
    def fte(self) -> float:
        return _continuous(self.seed, self.council.code, "wf_fte_employees", self.month_index)

    @property
    def children_looked_after(self) -> float:
        rate = _continuous(self.seed, self.council.code, "cs_children_looked_after_per_1000", self.month_index)
        return self.u18 * rate / 1000

    @property
    def rent_due_to_date(self) -> float:
        """Council housing rent due in the financial year to date plus arrears brought forward (£)."""
        year = self.area.council_homes * 5_200 * 1.04**self.fy_offset
        return year * (self.fy_month / 12 + 0.035)


def _season(p: _Place, amplitude: float, peak: int) -> float:
    """A seasonal factor for denominators: exp(amplitude) in the peak month."""
    return math.exp(amplitude * math.cos(2 * math.pi * (p.month_index % 12 + 1 - peak) / 12))


_MET, _UNI, _CTY, _DIS = "metropolitan_borough", "unitary", "county", "district"
# Planning decisions per 100,000 residents a month (counties decide county matters only),
# invoices paid per 1,000 residents a month.
_MAJORS = {_MET: 2.2, _UNI: 3.0, _CTY: 0.35, _DIS: 4.5}
_MINORS = {_MET: 12, _UNI: 18, _DIS: 22}
_OTHERS = {_MET: 55, _UNI: 70, _DIS: 85}
_INVOICES = {_MET: 8, _UNI: 9, _CTY: 10, _DIS: 4}

MODELS: dict[str, Model] = {
    # waste
    "waste_household_recycling_rate": Model(
        44,
        spread=0.25,
        dep=-0.8,
        drift_sd=0.03,
        season=0.12,
        peak=7,
        noise=0.03,
        den=lambda p: p.hh * 0.2375 * _season(p, 0.08, 7),
        num_dp=1,
        den_dp=1,
    ),
    "waste_residual_household_waste_per_household": Model(
        128,
        "log",
        spread=0.12,
        dep=0.1,
        drift=-0.015,
        season=0.05,
        peak=1,
        noise=0.02,
        den=lambda p: p.hh,
        den_noise=0.0,
    ),
    "waste_municipal_waste_landfilled_pct": Model(
        5, spread=0.7, drift=-0.06, drift_sd=0.03, noise=0.08, den=lambda p: p.pop * 0.11, num_dp=1, den_dp=1
    ),
    "waste_missed_collections_per_100k": Model(
        55, "log", spread=0.45, dep=0.2, season=0.1, peak=1, noise=0.08, den=lambda p: p.hh * 5.2, min_num=3
    ),
    "waste_fly_tipping_incidents": Model(
        1.6,
        "log",
        spread=0.3,
        dep=1.6,
        drift=0.02,
        drift_sd=0.03,
        season=0.12,
        peak=7,
        noise=0.06,
        size=lambda p: p.pop / 1000,
        min_num=5,
    ),
    "waste_fly_tipping_enforcement_actions": Model(
        0.7,
        "log",
        spread=0.6,
        dep=0.8,
        drift=0.02,
        season=0.08,
        peak=7,
        noise=0.08,
        size=lambda p: p.pop / 1000,
        min_num=3,
    ),
    # roads
    "roads_principal_roads_maintenance_pct": Model(
        3.5,
        spread=0.35,
        drift_sd=0.02,
        noise=0.08,
        den=lambda p: p.area.road_a_km * 0.9,
        num_dp=1,
        den_dp=1,
        den_noise=0.01,
    ),
    "roads_non_principal_roads_maintenance_pct": Model(
        6.5,
        spread=0.35,
        drift=0.01,
        noise=0.08,
        den=lambda p: p.area.road_bc_km * 0.8,
        num_dp=1,
        den_dp=1,
        den_noise=0.01,
    ),
    "roads_cat1_defects_repaired_in_time_pct": Model(
        91,
        spread=0.5,
        drift=0.02,
        season=-0.2,
        peak=2,
        noise=0.12,
        den=lambda p: p.roads * 0.11 * _season(p, 0.35, 2),
        min_num=10,
    ),
    "roads_potholes_repaired": Model(
        0.55, "log", spread=0.3, drift=0.03, season=0.3, peak=3, noise=0.07, size=lambda p: p.roads, min_num=50
    ),
    "roads_street_light_faults_repaired_in_time_pct": Model(
        93, spread=0.4, noise=0.1, den=lambda p: p.pop / 1000 * 1.3 * _season(p, 0.25, 12), min_num=10
    ),
    "roads_ksi_casualties": Model(
        0.42, "log", spread=0.2, drift=-0.01, noise=0.06, size=lambda p: p.pop / 1000, min_num=20
    ),
    # planning
    "plan_major_applications_in_time_pct": Model(
        89,
        spread=0.5,
        dep=-0.2,
        drift=0.03,
        noise=0.1,
        den=lambda p: p.pop / 100_000 * _MAJORS[p.council.tier],
        den_noise=0.1,
        min_num=1,
    ),
    "plan_minor_applications_in_time_pct": Model(
        86,
        spread=0.5,
        drift=0.02,
        noise=0.08,
        den=lambda p: p.pop / 100_000 * _MINORS[p.council.tier],
        den_noise=0.06,
        min_num=3,
    ),
    "plan_other_applications_in_time_pct": Model(
        91,
        spread=0.5,
        drift=0.01,
        noise=0.06,
        den=lambda p: p.pop / 100_000 * _OTHERS[p.council.tier],
        den_noise=0.05,
        min_num=10,
    ),
    "plan_applications_received": Model(
        0.8,
        "log",
        spread=0.2,
        dep=-0.5,
        drift=-0.02,
        season=0.08,
        peak=5,
        noise=0.05,
        size=lambda p: p.pop / 1000,
        tier={_MET: -0.6, _UNI: -0.1},
        min_num=20,
    ),
    "plan_major_decisions_overturned_at_appeal_pct": Model(
        1.2, spread=0.4, noise=0.1, den=lambda p: p.pop / 100_000 * 3 * _MAJORS[p.council.tier], den_noise=0.1
    ),
    "plan_net_additional_dwellings": Model(
        5.5,
        "log",
        spread=0.35,
        dep=-0.3,
        drift=0.02,
        noise=0.12,
        size=lambda p: p.pop / 1000,
        tier={_MET: -0.35},
        min_num=50,
    ),
    # housing
    "housing_temporary_accommodation_per_1000": Model(
        2.0,
        "log",
        spread=0.3,
        dep=3.5,
        drift=0.07,
        drift_sd=0.03,
        noise=0.02,
        den=lambda p: p.hh,
        den_noise=0.0,
        min_num=5,
    ),
    "housing_families_in_bb_over_6_weeks": Model(
        2.0,
        "log",
        spread=0.4,
        dep=2.5,
        drift=0.08,
        drift_sd=0.04,
        noise=0.06,
        size=lambda p: p.pop / 100_000,
        min_num=1.2,
    ),
    "housing_homelessness_preventions": Model(
        16, "log", spread=0.3, dep=0.3, noise=0.06, size=lambda p: p.pop / 100_000, min_num=4
    ),
    "housing_prevention_success_pct": Model(52, spread=0.3, noise=0.05, den=lambda p: p.pop / 100_000 * 92, min_num=5),
    "housing_average_relet_days": Model(
        45,
        "log",
        spread=0.35,
        dep=0.2,
        drift=-0.01,
        noise=0.06,
        den=lambda p: p.area.council_homes * 0.075 / 12,
        den_noise=0.08,
        council_homes_only=True,
    ),
    "housing_rent_collected_pct": Model(
        97.6,
        spread=0.25,
        dep=-0.3,
        noise=0.05,
        den=lambda p: p.rent_due_to_date,
        den_noise=0.0,
        council_homes_only=True,
    ),
    "housing_long_term_empty_homes": Model(
        0.011, "log", spread=0.3, dep=0.3, drift=0.02, noise=0.02, size=lambda p: p.hh, min_num=50
    ),
    # adult social care
    "asc_admissions_65_plus_per_100k": Model(
        46, "log", spread=0.2, dep=0.15, drift=-0.02, noise=0.08, den=lambda p: p.o65, den_noise=0.0, min_num=3
    ),
    "asc_admissions_18_64_per_100k": Model(
        1.2, "log", spread=0.3, drift=-0.01, noise=0.08, den=lambda p: p.a18_64, den_noise=0.0, min_num=1.2
    ),
    "asc_still_at_home_91_days_pct": Model(
        82, spread=0.35, drift=0.01, noise=0.05, den=lambda p: p.o65 / 100_000 * 150, min_num=10
    ),
    "asc_delayed_discharges_per_100k": Model(
        5.5,
        "log",
        spread=0.4,
        dep=0.1,
        drift=-0.04,
        season=0.12,
        peak=1,
        noise=0.06,
        den=lambda p: p.a18p,
        den_noise=0.0,
        num_dp=1,
        min_num=3,
    ),
    "asc_direct_payments_pct": Model(26, spread=0.3, drift=-0.01, noise=0.015, den=lambda p: p.a18p * 0.0075),
    "asc_assessments_within_28_days_pct": Model(
        58, spread=0.6, drift=0.02, noise=0.06, den=lambda p: p.a18p / 100_000 * 45, min_num=10
    ),
    "asc_people_awaiting_assessment": Model(
        1.4, "log", spread=0.45, dep=0.2, drift=-0.03, noise=0.05, size=lambda p: p.pop / 1000, min_num=20
    ),
    # children's services
    "cs_children_in_need_per_1000": Model(
        33, "log", spread=0.15, dep=0.5, drift=0.005, noise=0.012, den=lambda p: p.u18, den_noise=0.0
    ),
    "cs_re_referrals_12_months_pct": Model(
        21, spread=0.25, noise=0.05, den=lambda p: p.u18 * 0.047 / 12 * _season(p, 0.12, 11), min_num=5
    ),
    "cs_assessments_within_45_days_pct": Model(
        84, spread=0.55, drift=0.01, noise=0.08, den=lambda p: p.u18 * 0.045 / 12, min_num=10
    ),
    "cs_children_looked_after_per_1000": Model(
        8.5, "log", spread=0.15, dep=0.6, drift=0.02, noise=0.006, den=lambda p: p.u18, den_noise=0.0
    ),
    "cs_child_protection_plans_per_1000": Model(
        4.3, "log", spread=0.2, dep=0.4, noise=0.02, den=lambda p: p.u18, den_noise=0.0
    ),
    "cs_ehcp_within_20_weeks_pct": Model(
        48,
        spread=0.9,
        drift=-0.05,
        drift_sd=0.03,
        noise=0.08,
        den=lambda p: p.u18 * 0.0075 / 12,
        den_noise=0.06,
        min_num=3,
    ),
    "cs_cla_three_plus_placements_pct": Model(
        10, spread=0.25, noise=0.05, den=lambda p: p.children_looked_after, den_noise=0.0, min_num=3
    ),
    "cs_neet_or_not_known_16_17_pct": Model(
        5.2, spread=0.3, dep=0.4, season=0.08, peak=10, noise=0.04, den=lambda p: p.u18 * 2 / 18, min_num=10
    ),
    # finance
    "fin_council_tax_collection_rate": Model(
        96.5,
        "ytd",
        spread=0.6,
        dep=-5.0,
        drift=-0.1,
        drift_sd=0.05,
        noise=0.15,
        den=lambda p: p.ct_debit,
        den_noise=0.0,
    ),
    "fin_business_rates_collection_rate": Model(
        97.6,
        "ytd",
        spread=0.6,
        dep=-3.0,
        drift=-0.05,
        drift_sd=0.05,
        noise=0.2,
        den=lambda p: p.pop * 330 * 1.03**p.fy_offset,
        den_noise=0.0,
    ),
    "fin_invoices_paid_within_30_days_pct": Model(
        92, spread=0.4, drift=0.02, noise=0.05, den=lambda p: p.pop / 1000 * _INVOICES[p.council.tier], min_num=20
    ),
    "fin_hb_new_claims_days": Model(
        20,
        "log",
        spread=0.3,
        dep=0.2,
        drift=0.01,
        noise=0.06,
        den=lambda p: p.pop / 1000 * 0.25 * 0.9**p.fy_offset,
        den_noise=0.06,
    ),
    "fin_forecast_revenue_variance_pct": Model(
        1.2, "signed", spread=1.2, dep=3.0, noise=0.06, den=lambda p: p.budget, den_noise=0.0
    ),
    "fin_non_ringfenced_reserves_pct": Model(
        28,
        "log",
        spread=0.35,
        dep=-0.4,
        noise=0.08,
        tier={_DIS: 1.2, _CTY: -0.1},
        den=lambda p: p.budget,
        den_noise=0.0,
    ),
    "fin_total_debt_pct_core_spending_power": Model(
        180,
        "log",
        spread=0.6,
        noise=0.05,
        tier={_UNI: 0.2, _CTY: -0.4, _DIS: 0.3},
        den=lambda p: p.budget * 1.05,
        den_noise=0.0,
    ),
    "fin_council_tax_arrears_gbp": Model(
        0.07, "log", spread=0.25, dep=0.6, drift=0.05, noise=0.02, size=lambda p: p.ct_debit
    ),
    # workforce
    "wf_sickness_days_per_fte": Model(
        0.92,
        "log",
        spread=0.1,
        dep=0.25,
        drift=0.01,
        season=0.12,
        peak=1,
        noise=0.04,
        den=lambda p: p.fte,
        num_dp=1,
        den_dp=1,
        den_noise=0.005,
    ),
    "wf_agency_staff_pct": Model(
        9, spread=0.35, dep=0.3, drift=-0.02, noise=0.04, den=lambda p: p.fte, num_dp=1, den_dp=1, den_noise=0.005
    ),
    "wf_voluntary_turnover_pct": Model(10.5, spread=0.2, noise=0.015, den=lambda p: p.fte * 1.28, den_noise=0.005),
    "wf_fte_employees": Model(
        9.0,
        "log",
        spread=0.12,
        drift=-0.005,
        noise=0.008,
        size=lambda p: p.pop / 1000,
        tier={_UNI: 0.1, _CTY: -0.4, _DIS: -0.84},
    ),
    "wf_childrens_social_worker_vacancy_pct": Model(
        19,
        spread=0.35,
        dep=0.3,
        drift=-0.02,
        noise=0.05,
        den=lambda p: p.u18 / 1000 * 1.55,
        num_dp=1,
        den_dp=1,
        den_noise=0.01,
    ),
    "wf_apprentices_pct": Model(
        2.6, spread=0.25, drift=0.03, noise=0.04, den=lambda p: p.fte * 1.28, den_noise=0.005, min_num=5
    ),
    # economy
    "econ_vacant_retail_units_pct": Model(
        15,
        spread=0.2,
        dep=0.45,
        drift=0.05,
        drift_sd=0.035,
        season=0.03,
        peak=3,
        noise=0.025,
        den=lambda p: p.pop / 1000 * 4.6,
        den_noise=0.01,
    ),
    "econ_empty_business_premises_pct": Model(
        9.5, spread=0.2, dep=0.35, drift=0.02, noise=0.015, den=lambda p: p.pop / 1000 * 37, den_noise=0.003
    ),
    "econ_local_spend_pct": Model(48, spread=0.3, noise=0.05, den=lambda p: p.budget * 0.55 / 4, den_noise=0.05),
    "econ_businesses_supported": Model(
        0.55, "log", spread=0.5, drift=0.05, noise=0.08, size=lambda p: p.pop / 1000, tier={_CTY: -0.8}, min_num=5
    ),
}

#: Per-council shifts (model space) for figures the region knows stand out.
OVERRIDES: dict[tuple[str, str], float] = {
    ("birmingham", "cs_ehcp_within_20_weeks_pct"): -1.8,  # long-standing SEND delays
    ("birmingham", "fin_non_ringfenced_reserves_pct"): -0.7,  # s114 notice, reserves run down
    ("birmingham", "fin_forecast_revenue_variance_pct"): 2.5,
    ("birmingham", "waste_missed_collections_per_100k"): 0.6,
    ("stoke-on-trent", "econ_vacant_retail_units_pct"): 0.35,
    ("stoke-on-trent", "cs_children_looked_after_per_1000"): 0.25,
    ("herefordshire", "waste_municipal_waste_landfilled_pct"): 0.9,
    ("shropshire", "waste_municipal_waste_landfilled_pct"): 0.5,
}

#: Cumulative share of the year's debit collected by the end of each month (April first),
#: for a council that collects 96.4% (council tax: ten instalments April-January).
_CT_PROFILE = (10.8, 19.9, 29.0, 38.1, 47.2, 56.3, 65.4, 74.5, 83.4, 91.6, 94.6, 96.4)
_NNDR_PROFILE = (11.5, 20.8, 30.0, 39.2, 48.4, 57.6, 66.8, 76.0, 85.0, 93.0, 96.0, 98.0)

_NOT_AVAILABLE_REASONS = (
    "Not available this month: the service is moving to a new case management system.",
    "Not available this month: the figure is still being checked by the service.",
    "Not available: the data owner is on leave; it will be sent with next month's return.",
    "Not available this month: the supplier's monthly extract did not arrive in time.",
)
_NO_HOUSING_STOCK = (
    "Not applicable: the council owns no housing stock (its homes were transferred to a housing association)."
)
_ESTIMATE_NOTES = (
    "Provisional figure; it will be confirmed in next month's return.",
    "Estimate: the final figure depends on a supplier's data due after the return date.",
    "Estimate pending quality assurance by the service.",
)
_WASTE_ESTIMATE_NOTE = "Estimate: WasteDataFlow tonnages for the quarter are not yet finalised."
_ACTUAL_NOTES = (
    "Figure checked against the service's own dashboard.",
    "Includes a backlog cleared after a system change.",
    "Lower than usual: a bank holiday in the month.",
)


# --- months ---------------------------------------------------------------------------------


def parse_months(text: str) -> list[str]:
    """'2026-01:2026-10' -> the months in between (inclusive); '2026-10' -> one month;
    '2026-08,2026-10' -> a list."""
    out: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            first, last = part.split(":", 1)
            out.extend(months_between(first.strip(), last.strip()))
        elif part:
            month_index(part)
            out.append(part)
    if not out:
        raise ValueError("no months given")
    return out


# --- generating one return -----------------------------------------------------------------


def _place(seed: int, council: Council, mi: int) -> _Place:
    fy_start = mi - ((mi % 12) - 3) % 12  # the April that starts the financial year
    return _Place(seed, council, area(council.code), mi, (fy_start - _ANCHOR) // 12, (mi - fy_start) + 1)


@cache
def _council_effects(seed: int, council_code: str, metric_id: str) -> tuple[float, float]:
    """(level shift, trend a year) for one council and metric."""
    model = MODELS[metric_id]
    council = catalogue.councils()[council_code]
    u = _uniforms(seed, "council", council_code, metric_id)
    level = model.spread * _normal(u[0], u[1], clip=2.5)
    level += model.dep * (area(council_code).deprivation - 0.5)
    level += model.tier.get(council.tier, 0.0) + OVERRIDES.get((council.short_name, metric_id), 0.0)
    trend = model.drift + model.drift_sd * _normal(u[2], u[3], clip=2.5)
    return level, trend


@cache
def _effective_noise(metric_id: str) -> float:
    """The model's noise, capped so that noise plus season rarely crosses the metric's
    month-on-month warning threshold (which compares a period with the one before)."""
    model = MODELS[metric_id]
    metric = catalogue.metrics()[metric_id]
    if metric.mom_warn_pct is None or model.shape in ("ytd", "signed"):
        return model.noise
    step_months = {"monthly": 1, "quarterly": 3, "annual": 12}[metric.frequency]
    season_step = abs(model.season) * 2 * math.sin(math.pi * step_months / 12)
    budget = math.log(1 + metric.mom_warn_pct / 100) * 0.8 - season_step - abs(model.drift) * step_months / 12
    return max(0.0, min(model.noise, budget / (3 * math.sqrt(2))))


def _x(seed: int, council_code: str, metric_id: str, mi: int) -> float:
    """The metric in model space for this council and month (before rounding)."""
    model = MODELS[metric_id]
    level, trend = _council_effects(seed, council_code, metric_id)
    u = _uniforms(seed, "noise", council_code, metric_id, mi)
    base = (
        math.log(model.level / (100 - model.level))
        if model.shape == "logit"
        else math.log(model.level)
        if model.shape == "log"
        else 0.0
    )
    t = (mi - _ANCHOR) / 12
    season = model.season * math.cos(2 * math.pi * ((mi % 12 + 1) - model.peak) / 12)
    return base + level + trend * t + season + _effective_noise(metric_id) * _normal(u[0], u[1])


@lru_cache(maxsize=200_000)
def _continuous(seed: int, council_code: str, metric_id: str, mi: int) -> float:
    """The smooth value (value units, before rounding) of a logit/log metric."""
    model = MODELS[metric_id]
    x = _x(seed, council_code, metric_id, mi)
    if model.shape == "logit":
        return 100 / (1 + math.exp(-x))
    value = math.exp(x)
    if model.size is not None:
        council = catalogue.councils()[council_code]
        value *= model.size(_place(seed, council, mi))
    return value


def _ytd_value(seed: int, council_code: str, metric_id: str, p: _Place) -> float:
    """Year-to-date collection rate: the council's final rate for the year times the
    share usually collected by this month."""
    model = MODELS[metric_id]
    level, trend = _council_effects(seed, council_code, metric_id)
    fy = _uniforms(seed, "fy", council_code, metric_id, p.fy_offset)
    final = model.level + level + trend * p.fy_offset + 0.3 * _normal(fy[0], fy[1])
    final = min(99.3, max(90.0, final))
    profile = _CT_PROFILE if metric_id == "fin_council_tax_collection_rate" else _NNDR_PROFILE
    u = _uniforms(seed, "noise", council_code, metric_id, p.month_index)
    value = final * profile[p.fy_month - 1] / profile[-1] + model.noise * _normal(u[0], u[1]) * p.fy_month / 12
    return min(99.6, value)


def _signed_value(seed: int, council_code: str, metric_id: str, p: _Place) -> float:
    """Forecast revenue variance: each council leans one way (most overspend), shaped by the
    quarter of the financial year (the outturn in March is usually smaller)."""
    model = MODELS[metric_id]
    level, _ = _council_effects(seed, council_code, metric_id)
    mean = model.level + level
    if abs(mean) < 0.5:
        mean = 0.5 if mean >= 0 else -0.5
    quarter_shape = {3: 1.0, 6: 1.15, 9: 1.05, 12: 0.8}[(p.fy_month + 2) // 3 * 3]
    fy = _uniforms(seed, "fy", council_code, metric_id, p.fy_offset)
    u = _uniforms(seed, "noise", council_code, metric_id, p.month_index)
    factor = quarter_shape * math.exp(0.12 * _normal(fy[0], fy[1]) + model.noise * _normal(u[0], u[1]))
    return max(-20.0, min(20.0, mean * factor))


def _round(x: float, dp: int, u: float) -> float | int:
    return _sround(x, u) if dp == 0 else round(x, dp)


def _inside(value: float, metric: Metric) -> float:
    """Keep a smooth value inside the catalogue bounds with a small margin."""
    margin = (metric.upper_bound - metric.lower_bound) * 0.002
    return min(metric.upper_bound - margin, max(metric.lower_bound + margin, value))


def _metric_row(seed: int, council: Council, metric: Metric, mi: int) -> dict:
    model = MODELS[metric.metric_id]
    p = _place(seed, council, mi)
    u = _uniforms(seed, "row", council.code, metric.metric_id, mi)
    row = {
        "council_code": council.code,
        "period": expected_period(metric.frequency, month_from_index(mi)),
        "metric_id": metric.metric_id,
        "value": None,
        "numerator": None,
        "denominator": None,
        "status": "actual",
        "note": "",
    }

    if model.council_homes_only and p.area.council_homes == 0:
        row.update(status="not_available", note=_NO_HOUSING_STOCK)
        return row
    if not metric.required and u[5] < 0.025:
        row.update(status="not_available", note=_NOT_AVAILABLE_REASONS[int(u[6] * len(_NOT_AVAILABLE_REASONS))])
        return row
    estimate_chance = 0.25 if metric.metric_id.startswith("waste_") and metric.frequency == "quarterly" else 0.03
    if u[5] > 1 - estimate_chance:
        row["status"] = "estimate"
        row["note"] = (
            _WASTE_ESTIMATE_NOTE if estimate_chance > 0.1 else _ESTIMATE_NOTES[int(u[6] * len(_ESTIMATE_NOTES))]
        )
    elif u[6] < 0.01:
        row["note"] = _ACTUAL_NOTES[int(u[7] * len(_ACTUAL_NOTES))]

    if model.shape == "ytd":
        value = _ytd_value(seed, council.code, metric.metric_id, p)
    elif model.shape == "signed":
        value = _signed_value(seed, council.code, metric.metric_id, p)
    else:
        value = _continuous(seed, council.code, metric.metric_id, mi)

    if metric.value_type in ("count", "amount"):
        value = _inside(value, metric)
        count = _sround(max(value, model.min_num), u[0])
        if model.min_num >= 1:
            count = max(count, 1)
        row["value"] = min(count, int(metric.upper_bound) - 1)
        return row

    # proportions and means: a denominator, a numerator consistent with it, and the value
    value = _inside(value, metric)
    den = model.den(p) * math.exp(model.den_noise * _normal(u[1], u[2]))
    if metric.metric_id == "wf_agency_staff_pct":
        den /= 1 - value / 100  # employees plus the agency workers on top of them
    den = max(_round(den, model.den_dp, u[3]), 1 if model.den_dp == 0 else 1.0)
    num_exact = value * den / metric.scale
    if model.min_num:
        num_exact = max(num_exact, model.min_num)
    num = _round(num_exact, model.num_dp, u[4])
    if metric.value_type == "proportion" and metric.upper_bound <= metric.scale:
        num = min(num, den)  # a part of a whole
    row["numerator"], row["denominator"] = num, den
    row["value"] = round(metric.scale * num / den, 2)
    if not (metric.lower_bound <= row["value"] <= metric.upper_bound):  # tiny denominators only
        num = _round(_inside(row["value"], metric) * den / metric.scale, model.num_dp, 0.5)
        row["numerator"], row["value"] = num, round(metric.scale * num / den, 2)
    return row


def metrics_due(council_code: str, return_month: str) -> list[Metric]:
    """Metrics this council reports in this month's return (its tier's, due this month)."""
    council = catalogue.councils()[council_code]
    return [
        m for m in catalogue.return_metrics_for(council.tier) if expected_period(m.frequency, return_month) is not None
    ]


def generate_return(council_code: str, return_month: str, *, seed: int = 0) -> list[dict]:
    """One council's return for one month: a dict per metric due, with contract.COLUMNS.

    Numbers are int (counts, whole-pound amounts, whole-unit numerators) or float rounded
    to the decimals they are written with; value is scale x numerator / denominator rounded
    to 2 decimals for proportions and means. Blank cells are None.
    """
    council = catalogue.find_council(council_code)
    mi = month_index(return_month)
    return [_metric_row(seed, council, m, mi) for m in metrics_due(council.code, return_month)]


def resolve_council(code_or_name: str) -> str:
    """The GSS code of a council given by GSS code or short name."""
    return catalogue.find_council(code_or_name).code


# --- rendering ------------------------------------------------------------------------------


def format_number(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        raise TypeError("a boolean is not a figure")
    if isinstance(x, int):
        return str(x)
    text = repr(float(x))
    if "e" in text or "E" in text:
        text = f"{x:f}".rstrip("0").rstrip(".")
    return text[:-2] if text.endswith(".0") else text


def as_text_rows(rows: Iterable[dict]) -> list[dict[str, str]]:
    """Rows with every cell as the text written to the file."""
    out = []
    for r in rows:
        out.append(
            {
                c: format_number(r.get(c)) if c in ("value", "numerator", "denominator") else (r.get(c) or "")
                for c in COLUMNS
            }
        )
    return out


def csv_bytes(
    rows: Iterable[dict],
    *,
    columns: Sequence[str] = COLUMNS,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
    trailing_blank_rows: int = 0,
) -> bytes:
    """A CSV file as Excel writes it (CRLF line ends, quotes only where needed)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns])
    for _ in range(trailing_blank_rows):
        w.writerow([""] * len(columns))
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def _cell_value(text: str):
    """A number cell when the text is a plain number, else the text (as Excel stores it)."""
    try:
        number = float(text)
    except ValueError:
        return text if text != "" else None
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text else number


def xlsx_bytes(
    rows: Iterable[dict],
    *,
    columns: Sequence[str] = COLUMNS,
    instructions_first: bool = False,
    sheet_name: str = "Return",
) -> bytes:
    """An Excel workbook holding the return; with instructions_first, an 'Instructions'
    sheet (no header) comes before the data sheet, as in many councils' own workbooks."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if instructions_first:
        ws.title = "Instructions"
        for line in (
            "Monthly performance return to the West Midlands benchmarking partnership",
            "Fill in the 'Return' sheet: one row per metric. Do not change the header row.",
            "Signed off by the Head of Performance before sending.",
        ):
            ws.append([line])
        ws = wb.create_sheet(sheet_name)
    else:
        ws.title = sheet_name
    ws.append(list(columns))
    for r in rows:
        ws.append([_cell_value(r.get(c, "")) for c in columns])
    return deterministic_xlsx(wb)


def png_bytes(width: int = 32, height: int = 16) -> bytes:
    """A small valid PNG (a bar chart someone pasted): bytes that are no spreadsheet."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(
        b"\x00" + bytes(0 if (x // 8) % 2 and y > height // 3 else 255 for x in range(width)) for y in range(height)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - Council file share</title></head>
<body>
<h1>Sign in</h1>
<p>Your session has expired. Sign in with your council account to download this file.</p>
<form method="post" action="/login">
<label>Email <input type="email" name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form>
</body>
</html>
"""


# --- faults ----------------------------------------------------------------------------------


@dataclass
class ReturnFile:
    """A return on its way to bytes; faults change it, render() writes it."""

    council: Council
    return_month: str
    seed: int
    rows: list[dict[str, str]]
    columns: list[str] = field(default_factory=lambda: list(COLUMNS))
    delimiter: str = ","
    encoding: str = "utf-8"
    bom: bool = False
    format: str = "csv"  # csv | xlsx
    instructions_first: bool = False  # xlsx: an instructions sheet before the data
    trailing_blank_rows: int = 0
    content: bytes | None = None  # bytes that replace the file entirely

    def render(self) -> bytes:
        if self.content is not None:
            return self.content
        if self.format == "xlsx":
            return xlsx_bytes(self.rows, columns=self.columns, instructions_first=self.instructions_first)
        return csv_bytes(
            self.rows,
            columns=self.columns,
            delimiter=self.delimiter,
            encoding=self.encoding,
            bom=self.bom,
            trailing_blank_rows=self.trailing_blank_rows,
        )

    def rows_for(self, predicate: Callable[[Metric], bool]) -> list[dict[str, str]]:
        metrics = catalogue.metrics()
        return [
            r
            for r in self.rows
            if r["metric_id"] in metrics and r["value"] != "" and predicate(metrics[r["metric_id"]])
        ]


class FaultNotApplicable(ValueError):
    """The fault cannot be shown in this council's return (e.g. its tier reports every metric)."""


@dataclass(frozen=True)
class Fault:
    """A mistake a real return can have.

    outcome: what the validator should conclude: 'rejected' (report outcome fail),
    'warning' (warn: loaded, the council is told) or 'accepted' (pass, after the
    normalisation described). checks: the contract checks expected to catch it (at least
    one of them fails or warns); empty when accepted.
    """

    name: str
    description: str
    outcome: str
    checks: tuple[str, ...]
    apply: Callable[[ReturnFile], None]

    @property
    def report_outcome(self) -> str:
        return {"rejected": "fail", "warning": "warn", "accepted": "pass"}[self.outcome]


def _first(rf: ReturnFile, predicate: Callable[[Metric], bool], what: str) -> dict[str, str]:
    rows = rf.rows_for(predicate)
    if not rows:
        raise FaultNotApplicable(f"{rf.council.name}'s {rf.return_month} return has no {what}")
    return rows[0]


def _empty_file(rf):
    rf.content = b""


def _header_only(rf):
    rf.rows = []


def _semicolon_delimiter(rf):
    rf.delimiter = ";"


def _bom(rf):
    rf.bom = True


def _cp1252_pound(rf):
    row = next((r for r in rf.rows if r["metric_id"].startswith("fin_") and r["value"] != ""), rf.rows[0])
    row["note"] = "Includes £1.2m collected from a one-off court order; figure checked by the finance team."
    rf.encoding = "cp1252"


def _with_thousands(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    if abs(number) < 1000:
        return text
    whole, _, decimals = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return sign + f"{int(whole.lstrip('-')):,}" + (f".{decimals}" if decimals else "")


def _thousands_separators(rf):
    for r in rf.rows:
        for c in ("value", "numerator", "denominator"):
            r[c] = _with_thousands(r[c])
    if not any("," in r[c] for r in rf.rows for c in ("value", "numerator", "denominator")):
        raise FaultNotApplicable("no figure of 1,000 or more to write with a thousands separator")


def _percent_signs(rf):
    rows = rf.rows_for(lambda m: m.unit == "percent")
    if not rows:
        raise FaultNotApplicable("no percentage metric in this return")
    for r in rows:
        r["value"] += "%"


def _text_in_numeric(rf):
    row = _first(rf, lambda m: m.value_type == "count", "count metric")
    row["value"] = f"approx {row['value']}"


def _suppression_markers(rf):
    rows = rf.rows_for(lambda m: True)
    for row, marker in zip((rows[0], rows[-1]), ("..", "n/a"), strict=True):
        row.update(value=marker, numerator="", denominator="")


def _duplicate_rows(rf):
    rf.rows.append(dict(rf.rows[0]))


def _unknown_metric(rf):
    period = rf.return_month
    rf.rows.append(
        {
            "council_code": rf.council.code,
            "period": period,
            "metric_id": "waste_garden_waste_subscribers",
            "value": "18250",
            "numerator": "",
            "denominator": "",
            "status": "actual",
            "note": "",
        }
    )


def _other_council_code(rf):
    codes = list(catalogue.councils())
    neighbour = codes[(codes.index(rf.council.code) + 1) % len(codes)]
    for r in rf.rows:
        r["council_code"] = neighbour


def _future_period(rf):
    metrics = catalogue.metrics()
    nxt = add_months(rf.return_month, 1)
    for r in rf.rows:
        if metrics[r["metric_id"]].frequency == "monthly":
            r["period"] = nxt


def _excel_date_period(rf):
    import calendar

    label = f"{calendar.month_abbr[int(rf.return_month[5:])]}-{rf.return_month[2:4]}"  # Excel shows 2026-10 as Oct-26
    for r in rf.rows:
        if r["period"] == rf.return_month:
            r["period"] = label


def _negative_count(rf):
    row = _first(rf, lambda m: m.value_type == "count" and m.lower_bound >= 0, "count metric")
    row["value"] = f"-{row['value']}"


def _numerator_above_denominator(rf):
    row = _first(rf, lambda m: m.value_type == "proportion" and m.upper_bound <= m.scale, "proportion")
    den = float(row["denominator"])
    extra = max(1.0, round(den * 0.1))
    row["numerator"] = format_number(int(den + extra) if float(den).is_integer() else round(den + extra, 1))


def _out_of_bounds(rf):
    row = _first(rf, lambda m: m.metric_id == "fin_invoices_paid_within_30_days_pct", "invoice payment row")
    metric = catalogue.metrics()[row["metric_id"]]
    value = max(float(row["value"]) * 10, metric.upper_bound + 1)  # a decimal point lost: 93.4 -> 934
    row.update(value=format_number(round(value, 1)), numerator="", denominator="")


def _missing_required(rf):
    target = "wf_sickness_days_per_fte"
    rf.rows = [r for r in rf.rows if r["metric_id"] != target]


def _not_available_without_reason(rf):
    row = _first(rf, lambda m: m.required, "required metric")
    row.update(value="", numerator="", denominator="", status="not_available", note="")


def _wrong_tier_metric(rf):
    tier = rf.council.tier
    other = next(
        (
            m
            for m in catalogue.metrics().values()
            if m.from_council_return and not m.delivered_by(tier) and expected_period(m.frequency, rf.return_month)
        ),
        None,
    )
    if other is None:
        raise FaultNotApplicable(f"a {tier.replace('_', ' ')} reports every metric due this month")
    rf.rows.append(
        {
            "council_code": rf.council.code,
            "period": expected_period(other.frequency, rf.return_month),
            "metric_id": other.metric_id,
            "value": format_number(round(other.lower_bound + (other.upper_bound - other.lower_bound) / 4)),
            "numerator": "",
            "denominator": "",
            "status": "actual",
            "note": "",
        }
    )


def _blank_trailing_rows(rf):
    rf.trailing_blank_rows = 3


def _xlsx_single_sheet(rf):
    rf.format = "xlsx"


def _xlsx_second_sheet(rf):
    rf.format = "xlsx"
    rf.instructions_first = True


def _html_error_page(rf):
    rf.content = LOGIN_PAGE.encode("utf-8")


def _not_a_spreadsheet(rf):
    rf.content = png_bytes()


#: Metric the month_on_month_jump fault moves (monthly, every tier, room inside its bounds).
JUMP_METRIC = "wf_agency_staff_pct"


def _month_on_month_jump(rf):
    metric = catalogue.metrics()[JUMP_METRIC]
    last_month = add_months(rf.return_month, -1)
    previous = {r["metric_id"]: r for r in generate_return(rf.council.code, last_month, seed=rf.seed)}
    prev = previous[JUMP_METRIC]["value"]
    row = next(r for r in rf.rows if r["metric_id"] == JUMP_METRIC)
    den = float(row["denominator"])
    employees = den - float(row["numerator"])
    # agency FTE up so the rate rises by 1.6 x the threshold: big, plausible, inside bounds
    target = min(prev * (1 + 1.6 * metric.mom_warn_pct / 100), metric.upper_bound * 0.9)
    agency = round(employees * target / (100 - target), 1)
    den = round(employees + agency, 1)
    row.update(
        numerator=format_number(agency),
        denominator=format_number(den),
        value=format_number(round(100 * agency / den, 2)),
        note="Agency use up to cover vacancies during the restructure.",
    )


_F = Fault
FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        _F("empty_file", "a 0-byte file", "rejected", ("readable",), _empty_file),
        _F(
            "header_only", "the header row and no data rows", "rejected", ("readable", "required_metrics"), _header_only
        ),
        _F(
            "semicolon_delimiter",
            "columns separated by ';' (Excel in a decimal-comma region)",
            "rejected",
            ("readable",),
            _semicolon_delimiter,
        ),
        _F("bom", "a UTF-8 byte-order mark (EF BB BF) before the header", "accepted", (), _bom),
        _F("cp1252_pound", "saved in Windows-1252, with a '£' (byte A3) in a note", "accepted", (), _cp1252_pound),
        _F(
            "thousands_separators",
            'figures of 1,000 or more written with commas (quoted: "12,345")',
            "accepted",
            (),
            _thousands_separators,
        ),
        _F("percent_signs", "a '%' after the value of every percentage metric", "accepted", (), _percent_signs),
        _F("blank_trailing_rows", "three blank rows (',,,,,,,') after the data", "accepted", (), _blank_trailing_rows),
        _F(
            "xlsx_single_sheet",
            "an Excel workbook with the return on its only sheet",
            "accepted",
            (),
            _xlsx_single_sheet,
        ),
        _F(
            "xlsx_second_sheet",
            "an Excel workbook: an 'Instructions' sheet first, the return on the second sheet",
            "accepted",
            (),
            _xlsx_second_sheet,
        ),
        _F("text_in_numeric", "text in a number column ('approx 1234')", "rejected", ("columns",), _text_in_numeric),
        _F(
            "suppression_markers",
            "'..' and 'n/a' as values (statistical suppression habits)",
            "rejected",
            ("columns",),
            _suppression_markers,
        ),
        _F("duplicate_rows", "the first data row repeated at the end", "rejected", ("no_duplicates",), _duplicate_rows),
        _F(
            "unknown_metric",
            "an extra row for a metric not in the catalogue (waste_garden_waste_subscribers)",
            "rejected",
            ("metric_known",),
            _unknown_metric,
        ),
        _F(
            "wrong_tier_metric",
            "a row for a metric the council's tier does not deliver (districts and counties only)",
            "rejected",
            ("metric_tier",),
            _wrong_tier_metric,
        ),
        _F(
            "other_council_code",
            "every row carries the next council's GSS code (a neighbour's file reused)",
            "rejected",
            ("council_code",),
            _other_council_code,
        ),
        _F(
            "future_period",
            "monthly rows dated the month after the return month",
            "rejected",
            ("period",),
            _future_period,
        ),
        _F(
            "excel_date_period",
            "monthly periods written as Excel shows a date ('Oct-26') in a CSV",
            "rejected",
            ("period",),
            _excel_date_period,
        ),
        _F("negative_count", "a count written as a negative number", "rejected", ("within_bounds",), _negative_count),
        _F(
            "numerator_above_denominator",
            "a proportion's numerator larger than its denominator",
            "rejected",
            ("numerator_denominator",),
            _numerator_above_denominator,
        ),
        _F(
            "out_of_bounds",
            "invoices paid on time written as 934 (a lost decimal point), value only",
            "rejected",
            ("within_bounds",),
            _out_of_bounds,
        ),
        _F(
            "missing_required",
            "the required metric wf_sickness_days_per_fte left out",
            "rejected",
            ("required_metrics",),
            _missing_required,
        ),
        _F(
            "not_available_without_reason",
            "a required metric marked not_available with no reason in note",
            "rejected",
            ("status",),
            _not_available_without_reason,
        ),
        _F(
            "html_error_page",
            "a sign-in web page (HTML) served instead of the return",
            "rejected",
            ("readable",),
            _html_error_page,
        ),
        _F("not_a_spreadsheet", "a PNG image instead of the return", "rejected", ("readable",), _not_a_spreadsheet),
        _F(
            "month_on_month_jump",
            f"{JUMP_METRIC} up by 1.6 x its month-on-month threshold: plausible, inside bounds",
            "warning",
            ("month_on_month",),
            _month_on_month_jump,
        ),
    )
}


def faulted_bytes(council_code: str, return_month: str, fault_names: Sequence[str] = (), *, seed: int = 0) -> bytes:
    """The return file's bytes, with the named faults applied in order."""
    council = catalogue.find_council(council_code)
    unknown = [f for f in fault_names if f not in FAULTS]
    if unknown:
        raise KeyError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    rf = ReturnFile(council, return_month, seed, as_text_rows(generate_return(council.code, return_month, seed=seed)))
    for name in fault_names:
        FAULTS[name].apply(rf)
    return rf.render()


# --- writing many returns --------------------------------------------------------------------


def return_path(out_dir: Path | str, council: Council, return_month: str) -> Path:
    """<out_dir>/<short_name>/<YYYY-MM>.csv: the layout of the registry's return_source."""
    return Path(out_dir) / council.short_name / f"{return_month}.csv"


def write_returns(
    out_dir: Path | str,
    months: Iterable[str],
    *,
    councils: Iterable[str] | None = None,
    seed: int = 0,
    faults: dict[str, list[str]] | None = None,
) -> list[Path]:
    """Write each council's return for each month; the files written, in order.

    councils: GSS codes or short names (default: all 33). faults: council -> fault names,
    applied to that council's return for the last month given (earlier months stay clean,
    so a month-on-month fault has a clean month before it).
    """
    months = list(months)
    if not months:
        return []
    for m in months:
        month_index(m)
    chosen = [catalogue.find_council(c) for c in councils] if councils else list(catalogue.councils().values())
    fault_map = {catalogue.find_council(k).code: list(v) for k, v in (faults or {}).items()}
    for code, names in fault_map.items():
        if code not in {c.code for c in chosen}:
            raise ValueError(f"fault given for {code}, which is not among the councils written")
        unknown = [f for f in names if f not in FAULTS]
        if unknown:
            raise KeyError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    last = max(months, key=month_index)
    written = []
    made_dirs: set[Path] = set()
    for month in months:
        for council in chosen:
            path = return_path(out_dir, council, month)
            if path.parent not in made_dirs:
                path.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(path.parent)
            names = fault_map.get(council.code, []) if month == last else []
            if names:
                data = faulted_bytes(council.code, month, names, seed=seed)
            else:
                data = csv_bytes(as_text_rows(generate_return(council.code, month, seed=seed)))
            path.write_bytes(data)
            written.append(path)
    return written


def generate_history(
    out_dir: Path | str,
    first_month: str,
    last_month: str,
    *,
    councils: Iterable[str] | None = None,
    seed: int = 0,
    faults: dict[str, list[str]] | None = None,
) -> list[Path]:
    """Every council's return for every month from first_month to last_month inclusive
    (10 years x 33 councils is about 4,000 files, written in a few seconds)."""
    return write_returns(out_dir, months_between(first_month, last_month), councils=councils, seed=seed, faults=faults)
