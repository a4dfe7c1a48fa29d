"""An independent oracle for the benchmarking and region marts: the catalogue's rules as
the dbt docs (_marts__*.yml), ../shared/DESIGN.md and the catalogue describe them, in
plain Python, from the rows the loaders wrote (raw.council_return_rows,
raw.public_observations, ops.submissions) and the seed files (metric catalogue, member
registry) and the dbt vars (dbt_project.yml's, and the settings dbt is given on its command
line). No dbt model, macro or production rule is read: the only marts read are the ones
compared (diff.py).

Numbers are exact: the warehouse's numerics arrive as Decimal and every rule that decides
(a rank, a tie, a direction, a threshold, the sign of a slope) is taken on exact values
(Decimal at 50 digits, Fraction for least-squares slopes); only the published figures are
rounded, to the decimals the docs give (6 for values and group statistics, 4 for the
outlier score, 8 for slopes). Floats only in the nearest-neighbour model's z-scores
(math.log), rounded to the 6 decimals published before any distance is taken.

Recomputed: mart_benchmark (every group type: region, tier, county family and the
nearest neighbours, recomputed from the public features), mart_region_performance,
mart_region_problems and mart_best_practice; and the facts (build_world) and the
nearest-neighbour model (neighbour_model) that facts.py and groups.py publish as
fct_metric_value and the neighbour and comparison group marts.
"""

from __future__ import annotations

import csv
import decimal
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import yaml

decimal.getcontext().prec = 50

REGION_CODE, ENGLAND_CODE = "E12000005", "E92000001"
TIER_PLURAL = {
    "metropolitan_borough": "metropolitan boroughs",
    "unitary": "unitary councils",
    "county": "county councils",
    "district": "district councils",
}
TIERS = tuple(TIER_PLURAL)
PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4, "annual": 1}
#: The outlier score's MAD = 0 fallback: mean absolute deviation x 0.8453 (the model doc).
MEAN_ABS_DEV_TO_MAD = Decimal("0.8453")
#: The group-size rule (issue 18): dbt var min_group_size, 4 unless dbt_project.yml says.
DEFAULT_MIN_GROUP_SIZE = 4
NEIGHBOUR_FEATURES = ("population", "share_16_64", "claimant_rate", "deprivation", "density")


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class Metric:
    metric_id: str
    metric_name: str
    service_area: str
    unit: str
    value_type: str
    polarity: str
    frequency: str
    delivering_tiers: tuple[str, ...]
    scale: Decimal
    per_capita_basis: str | None
    source: str
    area_based: bool
    year_to_date: bool
    annual_rule: str

    @property
    def per_capita(self) -> bool:
        return self.value_type in ("count", "amount") and self.per_capita_basis is not None

    @property
    def regional_total(self) -> bool:
        """Counts and amounts with no population basis sum to a regional total."""
        return self.value_type in ("count", "amount") and self.per_capita_basis is None

    @property
    def norm_scale(self) -> Decimal:
        return Decimal(1000) if self.per_capita else self.scale

    @property
    def normalised_unit(self) -> str:
        if self.per_capita:
            return (
                "per 1,000 residents aged 16-64"
                if self.per_capita_basis == "population_16_64"
                else "per 1,000 residents"
            )
        return self.unit

    @property
    def aggregate_tiers(self) -> tuple[str, ...]:
        """DESIGN.md: the councils that deliver the service; an area-based metric delivered
        by counties and districts leaves the counties out (never a county and its districts)."""
        if self.area_based and "county" in self.delivering_tiers and "district" in self.delivering_tiers:
            return tuple(t for t in self.delivering_tiers if t != "county")
        return self.delivering_tiers

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.frequency]


@dataclass(frozen=True)
class Council:
    code: str
    name: str
    tier: str
    county_code: str | None
    county_name: str | None
    website: str


def _seed(seeds: Path, name: str) -> list[dict]:
    with (seeds / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def dbt_vars(dbt_project: Path) -> dict:
    with (dbt_project / "dbt_project.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)["vars"]


def load_reference(dbt_project: Path, given: dict | None = None) -> tuple[dict[str, Metric], dict[str, Council], dict]:
    """The catalogue, the registry and the dbt vars (dbt_project.yml's, with those dbt is
    `given` on its command line over them)."""
    v = {**dbt_vars(dbt_project), **(given or {})}
    seeds = dbt_project / "seeds"
    area_based, ytd = set(v["area_based_metrics"]), set(v["year_to_date_metrics"])
    latest_rule = ytd | set(v["rolling_metrics"])
    metrics = {}
    for r in _seed(seeds, "metric_catalogue.csv"):
        mid = r["metric_id"]
        metrics[mid] = Metric(
            metric_id=mid,
            metric_name=r["metric_name"],
            service_area=r["service_area"],
            unit=r["unit"],
            value_type=r["value_type"],
            polarity=r["polarity"],
            frequency=r["frequency"],
            delivering_tiers=tuple(r["delivering_tiers"].split("|")),
            scale=Decimal(r["scale"]),
            per_capita_basis=None if r["per_capita_basis"] in ("", "none") else r["per_capita_basis"],
            source=r["source"],
            area_based=r["source"] != "council_return" or mid in area_based,
            year_to_date=mid in ytd,
            annual_rule="latest_period" if mid in latest_rule else "all_periods",
        )
    councils = {
        r["gss_code"]: Council(
            code=r["gss_code"],
            name=r["council_name"],
            tier=r["tier"],
            county_code=r["county_gss_code"] or None,
            county_name=r["county_name"] or None,
            website=r["website"],
        )
        for r in _seed(seeds, "council_registry.csv")
    }
    return metrics, councils, v


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A period of one frequency: 'YYYY-MM', 'YYYY-Qn' or a financial year 'YYYY-YY'."""

    text: str
    frequency: str

    @property
    def start(self) -> tuple[int, int]:
        """(year, month) of its first day."""
        if self.frequency == "monthly":
            return int(self.text[:4]), int(self.text[5:7])
        if self.frequency == "quarterly":
            return int(self.text[:4]), (int(self.text[-1]) - 1) * 3 + 1
        return int(self.text[:4]), 4

    @property
    def index(self) -> int:
        """Consecutive within a frequency (what 'the previous period' steps by)."""
        y, m = self.start
        if self.frequency == "monthly":
            return y * 12 + m - 1
        if self.frequency == "quarterly":
            return y * 4 + (m - 1) // 3
        return y

    @property
    def calendar_year(self) -> int:
        return self.start[0]

    @property
    def financial_year(self) -> str:
        y, m = self.start
        return fy_label(y if m >= 4 else y - 1)


def fy_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def period_at(index: int, frequency: str) -> str:
    if frequency == "monthly":
        return f"{index // 12}-{index % 12 + 1:02d}"
    if frequency == "quarterly":
        return f"{index // 4}-Q{index % 4 + 1}"
    return fy_label(index)


def parse_period(text: str, frequency: str) -> Period | None:
    """The period, if the text is one of that frequency (a return's row for a period of
    another frequency, or before April 2000, is not a fact)."""
    try:
        if frequency == "monthly":
            ok = len(text) == 7 and text[4] == "-" and 1 <= int(text[5:]) <= 12
        elif frequency == "quarterly":
            ok = len(text) == 7 and text[4:6] == "-Q" and text[6] in "1234"
        else:
            ok = len(text) == 7 and text[4] == "-" and int(text[5:]) == (int(text[:4]) + 1) % 100
        ok = ok and int(text[:4]) >= 2000
    except ValueError:
        return None
    if not ok:
        return None
    p = Period(text, frequency)
    return p if p.start >= (2000, 4) else None


def period_count(n: int, frequency: str) -> str:
    word = {"monthly": "month", "quarterly": "quarter"}.get(frequency, "year")
    return f"{n} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------- rules


def round_to(value, digits: int) -> Decimal | None:
    """Half away from zero, as PostgreSQL rounds numeric."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def compare_by_polarity(a, b, polarity: str) -> str | None:
    if polarity == "context" or a is None or b is None:
        return None
    if a == b:
        return "same"
    return "better" if (a > b) == (polarity == "higher_is_better") else "worse"


def direction_of_travel(current, previous, polarity: str) -> str:
    if polarity == "context" or current is None or previous is None:
        return "not comparable"
    if current == previous:
        return "no change"
    return "improving" if (current > previous) == (polarity == "higher_is_better") else "worsening"


def trend_direction(slope: Fraction | None, points: int, polarity: str, min_points: int) -> str:
    if polarity == "context" or slope is None or points < min_points:
        return "not comparable"
    if slope == 0:
        return "no change"
    return "improving" if (slope > 0) == (polarity == "higher_is_better") else "worsening"


def least_squares_slope(points: list[tuple[int, Decimal]]) -> Fraction | None:
    """The exact least-squares slope of y on x, (n Sxy - Sx Sy) / (n Sxx - Sx^2), in integers
    (y scaled by a power of ten); None below two points."""
    if len(points) < 2:
        return None
    n, x0 = len(points), points[0][0]
    shift = max(0, *(-Decimal(y).as_tuple().exponent for _, y in points))
    xs = [x - x0 for x, _ in points]
    ys = [int(Decimal(y).scaleb(shift)) for _, y in points]
    sx, sy = sum(xs), sum(ys)
    sxx = n * sum(x * x for x in xs) - sx * sx
    if sxx == 0:
        return None
    return Fraction(n * sum(x * y for x, y in zip(xs, ys, strict=True)) - sx * sy, sxx * 10**shift)


def median(values: list[Decimal]) -> Decimal:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def readable_value(value, unit: str, normalised_unit: str) -> str:
    """A value in a sentence ('16.2%', '£69,437 per 1,000 residents', '0.91 days per FTE',
    '94.4 per 100,000', '412 kg'): 1 decimal for percentages, none from 1,000 (nor from 100
    for counts and pounds), whole counts as they are, otherwise 2 below 10 and 1 above."""
    if value is None:
        return "no value"
    v = Decimal(value)
    a = abs(v)
    if normalised_unit == "percent":
        digits = 1
    elif a >= 1000:
        digits = 0
    elif a >= 100:
        digits = 0 if normalised_unit in ("count", "gbp") else 1
    elif normalised_unit == "count" and v == v.to_integral_value():
        digits = 0
    else:
        digits = 2 if a < 10 else 1
    r = round_to(v, digits)
    text = ("-" if r < 0 else "") + ("£" if unit == "gbp" else "") + f"{abs(r):,.{digits}f}"
    suffix = {
        "percent": "%",
        "per_100k": " per 100,000",
        "per_1000": " per 1,000",
        "days": " days",
        "weeks": " weeks",
        "fte_days": " days per FTE",
        "kg": " kg",
    }
    if normalised_unit in suffix:
        return text + suffix[normalised_unit]
    return text + (" " + normalised_unit if normalised_unit.startswith("per ") else "")


# --------------------------------------------------------------------------- inputs


@dataclass
class Raw:
    """What the loaders wrote: loaded submissions' rows, each with its ledger entry."""

    returns: list[tuple]  # council, metric, period, value, numerator, denominator, status, fetched_at, sub, row
    public: list[tuple]  # dataset, area, period, measure, value, obs_status, fetched_at, sub


def read_raw(conn) -> Raw:
    returns = conn.execute("""
        select r.council_code, r.metric_id, r.period, r.value, r.numerator, r.denominator, r.status,
               s.fetched_at, r.submission_id, r.row_number
        from raw.council_return_rows r join ops.submissions s using (submission_id)
        where s.source_kind = 'council_return' and s.status = 'loaded'""").fetchall()
    return Raw(returns=returns, public=read_public(conn))


def read_public(conn) -> list[tuple]:
    """The public observations of loaded submissions, each with its ledger entry."""
    return conn.execute("""
        select o.dataset, o.area_code, o.period, o.measure, o.value, o.obs_status, s.fetched_at, o.submission_id
        from raw.public_observations o join ops.submissions s using (submission_id)
        where s.source_kind = 'public_source' and s.status = 'loaded'""").fetchall()


@dataclass
class Fact:
    council: str
    metric: str
    period: Period
    value: Decimal | None
    status: str
    normalised: Decimal | None
    norm_numerator: Decimal | None
    norm_denominator: Decimal | None
    # where it came from and what it was divided by (fct_metric_value's own columns)
    source_kind: str = "council_return"
    submission_id: int | None = None
    row_number: int | None = None  # the return's row (council returns)
    numerator: Decimal | None = None  # as reported
    denominator: Decimal | None = None  # as reported; the claimant rate's: residents aged 16-64
    population_year: int | None = None
    population: Decimal | None = None  # the population divided by (per-capita metrics)


@dataclass
class World:
    metrics: dict[str, Metric]
    councils: dict[str, Council]
    vars: dict
    facts: dict[tuple[str, str, str], Fact]  # (council, metric, period)
    public: dict[tuple[str, str, str, str], tuple]  # (dataset, area, period, measure) -> (value, status)
    neighbours: dict[str, list[str]] = field(default_factory=dict)


def newest_public(raw: Raw) -> dict[tuple[str, str, str, str], tuple]:
    """Per dataset, area, period and measure: the newest loaded submission's figure."""
    return {k: v for k, (_, v) in newest_public_sources(raw).items()}


def newest_public_sources(raw: Raw) -> dict[tuple[str, str, str, str], tuple]:
    """newest_public with the submission each figure comes from: key -> ((fetched_at,
    submission), (value, status))."""
    best: dict = {}
    for dataset, area, period, measure, value, status, at, sub in raw.public:
        key = (dataset, area, period, measure)
        if key not in best or (at, sub) > best[key][0]:
            best[key] = ((at, sub), (value, status))
    return best


def populations(public: dict, councils: dict[str, Council]) -> dict[str, dict[int, tuple]]:
    """council -> year -> (all ages, aged 16-64): ONS mid-year estimates with residents."""
    years: dict = defaultdict(dict)
    for (dataset, area, period, measure), (value, _) in public.items():
        if dataset == "nomis_population" and area in councils:
            years[(area, int(period))][measure] = value
    out: dict = defaultdict(dict)
    for (area, year), m in years.items():
        everyone = m.get("econ_population_all_ages")
        if everyone is not None and everyone > 0:
            out[area][year] = (everyone, m.get("econ_population_16_64"))
    return out


def population_for(pops: dict[int, tuple], year: int) -> tuple | None:
    """The estimate for the year; else the latest before it; else the earliest after."""
    chosen = population_year_for(pops, year)
    return None if chosen is None else pops[chosen]


def population_year_for(pops: dict[int, tuple], year: int) -> int | None:
    """The year of the estimate population_for takes."""
    if not pops:
        return None
    before = [y for y in pops if y <= year]
    return max(before) if before else min(pops)


def build_world(raw: Raw, metrics: dict[str, Metric], councils: dict[str, Council], v: dict) -> World:
    sources = newest_public_sources(raw)
    public = {k: figure for k, (_, figure) in sources.items()}
    pops = populations(public, councils)
    rows: dict = {}
    # council returns: the newest loaded submission's row wins (then the first row of it)
    newest: dict = {}
    for council, metric, period, value, num, den, status, at, sub, row in raw.returns:
        key = (council, metric, period)
        rank = (at, sub, -row)
        if key not in newest or rank > newest[key][0]:
            newest[key] = (rank, (value, num, den, status))
    for (council, metric, period), ((_, sub, row), (value, num, den, status)) in newest.items():
        rows[(council, metric, period)] = (value, num, den, status, "council_return", sub, -row)
    # public statistics that are metrics of a council (never context), for delivering tiers
    claimant_counts = {
        (area, period): value
        for (_, area, period, measure), (value, _) in public.items()
        if measure == "econ_claimant_count"
    }
    for (dataset, area, period, measure), (value, _) in public.items():
        m = metrics.get(measure)
        if m is None or m.source == "council_return" or m.polarity == "context":
            continue
        if area not in councils or councils[area].tier not in m.delivering_tiers:
            continue
        num = claimant_counts.get((area, period)) if measure == "econ_claimant_rate" else None
        status = "published" if value is not None else "suppressed"
        sub = sources[(dataset, area, period, measure)][0][1]
        rows[(area, measure, period)] = (value, num, None, status, "public_source", sub, None)
    facts = {}
    for (council, metric_id, text), (value, num, den, status, kind, sub, row) in rows.items():
        m = metrics.get(metric_id)
        period = parse_period(text, m.frequency) if m else None
        if period is None:
            continue
        pop_year = population_year_for(pops.get(council, {}), period.calendar_year)
        pop = None if pop_year is None else pops[council][pop_year]
        reported_den = den
        if metric_id == "econ_claimant_rate":  # NOMIS's rate is over residents aged 16-64
            den = reported_den = pop[1] if pop else None
        basis = None
        if m.per_capita:
            basis = (pop[0] if m.per_capita_basis == "population_all_ages" else pop[1]) if pop else None
        if value is None:
            normalised = None
        elif m.per_capita:
            normalised = round_to(1000 * value / basis, 6) if basis else None
        else:
            normalised = value
        counts = m.value_type in ("count", "amount")
        facts[(council, metric_id, text)] = Fact(
            council=council,
            metric=metric_id,
            period=period,
            value=value,
            status=status,
            normalised=normalised,
            norm_numerator=value if counts else num,
            norm_denominator=basis if m.per_capita else (None if counts else den),
            source_kind=kind,
            submission_id=sub,
            row_number=row,
            numerator=num,
            denominator=reported_den,
            population_year=pop_year if m.per_capita or metric_id == "econ_claimant_rate" else None,
            population=basis,
        )
    world = World(metrics=metrics, councils=councils, vars=v, facts=facts, public=public)
    world.neighbours = nearest_neighbours(world)
    return world


# --------------------------------------------------------------------------- neighbours


def neighbour_inputs(world: World) -> dict[str, dict]:
    """Each council's figures behind the five features (mart_council_neighbours' doc) and
    their periods: the latest population estimate with residents aged 16-64, the latest 12
    published claimant rates, the newest IMD average score (the council's own geography
    first) and the newest land area. A council without a population estimate or a claimant
    rate is not in the model."""
    pub, councils = world.public, world.councils
    out = {}
    for code, council in councils.items():
        years = {
            int(p): (val, pub.get(("nomis_population", code, p, "econ_population_16_64"), (None,))[0])
            for (d, a, p, meas), (val, _) in pub.items()
            if d == "nomis_population" and a == code and meas == "econ_population_all_ages"
        }
        years = {y: x for y, x in years.items() if x[0] is not None and x[0] > 0 and x[1] is not None}
        rates = sorted(
            (p, val)
            for (d, a, p, meas), (val, _) in pub.items()
            if a == code
            and meas == "econ_claimant_rate"
            and val is not None
            and d in ("nomis_claimant_count", "nomis_claimant_count_18_24")
        )
        if not years or not rates:
            continue
        everyone, aged = years[max(years)]
        imd = [
            (p, (d == ("mhclg_iod_utla" if council.tier == "county" else "mhclg_iod_lad")), d, val)
            for (d, a, p, meas), (val, _) in pub.items()
            if a == code and meas == "econ_imd_avg_score" and val is not None
        ]
        imd.sort(key=lambda t: t[2])  # then the newest release, the council's own geography first
        imd.sort(key=lambda t: (t[0], t[1]), reverse=True)
        land = [
            (p, d, val)
            for (d, a, p, meas), (val, _) in pub.items()
            if a == code and meas == "econ_land_area_hectares" and val is not None and val > 0
        ]
        land.sort(key=lambda t: t[1])  # then the newest release first
        land.sort(key=lambda t: t[0], reverse=True)
        last12 = rates[-12:]
        out[code] = {
            "population": Decimal(everyone),
            "population_16_64": Decimal(aged),
            "population_year": max(years),
            "claimant_rate": sum(Decimal(v) for _, v in last12) / len(last12),
            "claimant_months": f"{last12[0][0]} to {last12[-1][0]}",
            "imd_avg_score": Decimal(imd[0][3]) if imd else None,
            "imd_period": imd[0][0] if imd else None,
            "land_area_hectares": Decimal(land[0][2]) if land else None,
            "land_area_period": land[0][0] if land else None,
        }
    return out


def neighbour_features(world: World) -> dict[str, dict[str, float]]:
    """Each council's five features (mart_council_neighbours' doc), NaN where missing."""
    out = {}
    for code, x in neighbour_inputs(world).items():
        everyone = float(x["population"])
        out[code] = {
            "population": math.log(everyone),
            "share_16_64": float(x["population_16_64"]) / everyone,
            "claimant_rate": float(x["claimant_rate"]),
            "deprivation": math.nan if x["imd_avg_score"] is None else float(x["imd_avg_score"]),
            "density": math.nan
            if x["land_area_hectares"] is None
            else math.log(everyone / float(x["land_area_hectares"])),
        }
    return out


@dataclass
class NeighbourModel:
    """The model in full: each council's features and z-scores (published at 6 decimals,
    the figures its distances are taken over), each feature's mean, population sd and
    councils with a figure, and every pair's weighted squared differences."""

    inputs: dict[str, dict]
    features: dict[str, dict[str, float]]
    z: dict[str, dict[str, Decimal]]
    stats: dict[str, tuple[float | None, float | None, int]]  # feature -> (mean, sd, councils with one)
    distances: dict[str, list[tuple[Decimal, str, dict[str, Decimal]]]]  # nearest first, with each term


def neighbour_model(world: World) -> NeighbourModel:
    """Weighted Euclidean distance over the z-scores (population sd over the councils with a
    figure; a missing figure scores 0) plus the tier one-hot x neighbour_tier_weight (a
    different tier adds 2 x weight^2); ties broken by GSS code. The distances are exact
    over the published z-scores."""
    inputs = neighbour_inputs(world)
    feats = neighbour_features(world)
    weights = {k: Decimal(str(x)) for k, x in world.vars["neighbour_weights"].items()}
    tier_w = Decimal(str(world.vars["neighbour_tier_weight"]))
    z: dict[str, dict[str, Decimal]] = {c: {} for c in feats}
    stats = {}
    for f in NEIGHBOUR_FEATURES:
        have = [feats[c][f] for c in feats if not math.isnan(feats[c][f])]
        mean = sum(have) / len(have) if have else None
        sd = math.sqrt(sum((x - mean) ** 2 for x in have) / len(have)) if have else None
        stats[f] = (mean, sd, len(have))
        for c in feats:
            x = feats[c][f]
            z[c][f] = Decimal(0) if math.isnan(x) or not sd else round_to(Decimal(repr((x - mean) / sd)), 6)
    distances = {}
    for a in feats:
        pairs = []
        for b in feats:
            if a == b:
                continue
            terms = {f: weights[f] * (z[a][f] - z[b][f]) ** 2 for f in NEIGHBOUR_FEATURES}
            terms["tier"] = Decimal(0) if world.councils[a].tier == world.councils[b].tier else 2 * tier_w**2
            pairs.append((sum(terms.values()), b, terms))
        distances[a] = sorted(pairs, key=lambda t: (t[0], t[1]))
    return NeighbourModel(inputs, feats, z, stats, distances)


def nearest_neighbours(world: World) -> dict[str, list[str]]:
    """council -> its neighbour_count nearest (neighbour_model)."""
    count = int(world.vars["neighbour_count"])
    return {a: [b for _, b, _ in pairs[:count]] for a, pairs in neighbour_model(world).distances.items()}


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class Group:
    group_type: str
    group_id: str
    label: str
    members: frozenset[str]
    owner: str | None = None  # a nearest-neighbours group is one council's own


def groups_of(world: World, code: str) -> list[Group]:
    councils = world.councils
    me = councils[code]
    out = [
        Group("region", "region", "West Midlands: all member councils", frozenset(councils)),
        Group(
            "tier",
            f"tier:{me.tier}",
            f"Same tier: {TIER_PLURAL[me.tier]}",
            frozenset(c for c, x in councils.items() if x.tier == me.tier),
        ),
    ]
    if me.tier in ("county", "district"):
        county = me.county_code or me.code
        name = me.county_name or me.name.replace(" County Council", "")
        out.append(
            Group(
                "county_family",
                f"county_family:{county}",
                f"County family: {name} (county and districts)",
                frozenset(c for c, x in councils.items() if c == county or x.county_code == county),
            )
        )
    if code in world.neighbours:
        out.append(
            Group(
                "nearest_neighbours",
                f"nearest_neighbours:{code}",
                f"Nearest neighbours of {me.name}",
                frozenset([code, *world.neighbours[code]]),
                owner=code,
            )
        )
    return out


# --------------------------------------------------------------------------- mart_benchmark


def series(world: World) -> dict[tuple[str, str], dict[int, Decimal]]:
    """(council, metric) -> period index -> normalised value (values only)."""
    out: dict = defaultdict(dict)
    for (council, metric, _), f in world.facts.items():
        if f.normalised is not None:
            out[(council, metric)][f.period.index] = f.normalised
    return out


def regional(m: Metric, facts: dict[str, Fact], world: World) -> tuple[Decimal | None, int]:
    """The regional aggregate of one metric-period over the councils with a value: norm_scale
    x sum of numerators / sum of denominators over the aggregate tiers' councils that report
    both (a count with no population basis: the sum); (value rounded to 6, councils)."""
    counted = [
        f
        for c, f in facts.items()
        if world.councils[c].tier in m.aggregate_tiers
        and f.norm_numerator is not None
        and (m.regional_total or f.norm_denominator is not None)
    ]
    if not counted:
        return None, 0
    num = sum(f.norm_numerator for f in counted)
    if m.regional_total:
        return round_to(num, 6), len(counted)
    den = sum(f.norm_denominator for f in counted)
    return (round_to(Fraction(m.norm_scale) * Fraction(num) / Fraction(den), 6) if den != 0 else None), len(counted)


def benchmark(world: World) -> list[dict]:
    v = world.vars
    window = int(v["trend_periods"])
    min_points = int(v["trend_min_periods"])
    threshold = Decimal(str(v["outlier_threshold"]))
    min_group = int(v.get("min_group_size", DEFAULT_MIN_GROUP_SIZE))
    own = series(world)
    by_metric_period: dict = defaultdict(dict)
    for (council, metric, period), f in world.facts.items():
        m = world.metrics[metric]
        if (
            f.normalised is not None
            and council in world.councils
            and world.councils[council].tier in m.delivering_tiers
        ):
            by_metric_period[(metric, period)][council] = f
    groups = {code: groups_of(world, code) for code in world.councils}
    rows = []
    for (metric, period_text), facts in by_metric_period.items():
        m = world.metrics[metric]
        period = next(iter(facts.values())).period
        idx, ppy = period.index, m.periods_per_year
        region_value, regional_councils = regional(m, facts, world)
        stats: dict[str, dict] = {}
        for code, f in facts.items():
            x = f.normalised
            mine = own[(code, metric)]
            previous = mine.get(idx - 1)
            last_year = mine.get(idx - ppy)
            points = [(i, mine[i]) for i in range(idx - window + 1, idx + 1) if i in mine]
            slope = least_squares_slope(points)
            for g in groups[code]:
                if g.group_id not in stats:
                    stats[g.group_id] = group_stats([facts[c].normalised for c in g.members if c in facts])
                s = stats[g.group_id]
                n = s["size"]
                higher = n - bisect_right(s["sorted"], x)  # councils with a higher value
                if m.polarity == "context":
                    rank = None
                else:  # 1 + the councils that did better: ties share a rank
                    rank = 1 + (higher if m.polarity == "higher_is_better" else bisect_left(s["sorted"], x))
                too_small = n < min_group
                if too_small:
                    rank = None
                deviation = x - s["median"]
                if s["mad"] > 0:
                    score, scale = deviation / s["mad"], "median absolute deviation"
                elif deviation == 0:
                    score, scale = Decimal(0), None
                else:  # MAD is 0 and the value is not the median: the mean absolute deviation is not 0
                    score, scale = (
                        deviation / (MEAN_ABS_DEV_TO_MAD * s["mean_abs_dev"]),
                        "mean absolute deviation (MAD is 0)",
                    )
                rows.append(
                    {
                        "council_code": code,
                        "metric_id": metric,
                        "period": period_text,
                        "frequency": m.frequency,
                        "period_index": idx,
                        "group_type": g.group_type,
                        "group_id": g.group_id,
                        "group_label": g.label,
                        "polarity": m.polarity,
                        "value": f.value,
                        "normalised_value": x,
                        "value_status": f.status,
                        "group_size": n,
                        "rank": rank,
                        "quartile": None if rank is None else 1 + (4 * (rank - 1)) // n,
                        "not_ranked_reason": "group_too_small" if too_small else None,
                        "position_high_to_low": 1 + higher,
                        "group_median": s["published_median"],
                        "group_mean": s["published_mean"],
                        "group_min": s["min"],
                        "group_max": s["max"],
                        "group_mad": s["published_mad"],
                        "outlier_score": round_to(score, 4),
                        "outlier_scale": scale,
                        "is_outlier": abs(score) >= threshold,
                        "vs_group_median": compare_by_polarity(x, s["median"], m.polarity),
                        "region_value": region_value,
                        "regional_councils": regional_councils,
                        "vs_region": None if m.regional_total else compare_by_polarity(x, region_value, m.polarity),
                        "previous_period": period_at(idx - 1, m.frequency),
                        "previous_value": previous,
                        "change_vs_previous": None if previous is None else x - previous,
                        "direction_vs_previous": "not comparable"
                        if m.year_to_date
                        else direction_of_travel(x, previous, m.polarity),
                        "same_period_last_year": period_at(idx - ppy, m.frequency),
                        "last_year_value": last_year,
                        "change_vs_last_year": None if last_year is None else x - last_year,
                        "direction_vs_last_year": direction_of_travel(x, last_year, m.polarity),
                        "trend_periods": len(points),
                        "trend_slope": None if m.year_to_date else round_to(slope, 8),
                        "trend_direction": "not comparable"
                        if m.year_to_date
                        else trend_direction(slope, len(points), m.polarity, min_points),
                        "_slope": slope,
                    }
                )
    return rows


def group_stats(values: list[Decimal]) -> dict:
    """A group's statistics, exact, and as published (6 decimals)."""
    med = median(values)
    deviations = [abs(x - med) for x in values]
    stats = {
        "sorted": sorted(values),
        "size": len(values),
        "median": med,
        "mean": sum(values) / len(values),
        "min": min(values),
        "max": max(values),
        "mad": median(deviations),
        "mean_abs_dev": sum(deviations) / len(deviations),
    }
    return {**stats, **{f"published_{k}": round_to(stats[k], 6) for k in ("median", "mean", "mad")}}


# --------------------------------------------------------------------------- region marts


def area_comparators(world: World) -> dict[tuple[str, str], dict]:
    """(metric, financial year) -> the published West Midlands and England figures:
    claimant rate (mean of the monthly NOMIS rates, a part-year until 12 are out) and
    DEFRA's household recycling rate (also for the quarterly rate councils return)."""
    claimant: dict = defaultdict(lambda: defaultdict(list))
    defra: dict = defaultdict(dict)
    for (dataset, area, period, measure), (value, _) in world.public.items():
        if area not in (REGION_CODE, ENGLAND_CODE):
            continue
        if dataset in ("nomis_claimant_count", "nomis_claimant_count_18_24") and measure == "econ_claimant_rate":
            p = parse_period(period, "monthly")
            if p is not None and value is not None:
                claimant[p.financial_year][area].append(value)
        elif dataset == "defra_waste" and measure == "waste_defra_household_recycling_rate":
            defra[period][area] = value
    out = {}
    for fy, areas in claimant.items():
        months = max(len(v) for v in areas.values())
        out[("econ_claimant_rate", fy)] = {
            "england_value": round_to(sum(areas[ENGLAND_CODE]) / len(areas[ENGLAND_CODE]), 6)
            if areas.get(ENGLAND_CODE)
            else None,
            "region_published_value": round_to(sum(areas[REGION_CODE]) / len(areas[REGION_CODE]), 6)
            if areas.get(REGION_CODE)
            else None,
            "comparator_source": f"NOMIS claimant count (NM_162_1): mean of {months} monthly rates",
            "periods": months,
            "whole_year": months == 12,
        }
    for fy, areas in defra.items():
        for metric in ("waste_defra_household_recycling_rate", "waste_household_recycling_rate"):
            out[(metric, fy)] = {
                "england_value": round_to(areas.get(ENGLAND_CODE), 6),
                "region_published_value": round_to(areas.get(REGION_CODE), 6),
                "comparator_source": "DEFRA local authority collected waste statistics (annual, ex NI 192)",
                "periods": 1,
                "whole_year": True,
            }
    return out


def region_performance(world: World, bench: list[dict]) -> list[dict]:
    min_points = int(world.vars["trend_min_periods"])
    window = int(world.vars["trend_periods"])
    comparators = area_comparators(world)
    years: dict = defaultdict(list)  # (metric, fy) -> facts with a value, delivering councils
    for (council, metric, _), f in world.facts.items():
        m = world.metrics[metric]
        if (
            f.normalised is not None
            and council in world.councils
            and world.councils[council].tier in m.delivering_tiers
        ):
            years[(metric, f.period.financial_year)].append(f)
    regional_series: dict = defaultdict(dict)  # metric -> period index -> region value
    trends_at: dict = defaultdict(lambda: defaultdict(int))  # (metric, index) -> direction -> councils
    for r in bench:
        if r["group_type"] == "region":
            regional_series[r["metric_id"]][r["period_index"]] = r["region_value"]
            trends_at[(r["metric_id"], r["period_index"])][r["trend_direction"]] += 1
    rows = {}
    for (metric, fy), facts in years.items():
        m = world.metrics[metric]
        latest = max(facts, key=lambda f: f.period.index).period
        covered = len({f.period.index for f in facts})
        scope = facts if m.annual_rule == "all_periods" else [f for f in facts if f.period.index == latest.index]
        per_council: dict = defaultdict(list)
        for f in scope:
            per_council[f.council].append(f)
        annual = {}
        for c, fs in per_council.items():
            if all(f.norm_numerator is not None and f.norm_denominator is not None for f in fs) and (
                sum(f.norm_denominator for f in fs) > 0
            ):
                val = (
                    Fraction(m.norm_scale)
                    * Fraction(sum(f.norm_numerator for f in fs))
                    / Fraction(sum(f.norm_denominator for f in fs))
                )
            else:
                val = Fraction(sum(f.normalised for f in fs)) / len(fs)
            annual[c] = round_to(val, 6)
        counted = [
            f
            for f in scope
            if world.councils[f.council].tier in m.aggregate_tiers
            and f.norm_numerator is not None
            and (m.regional_total or f.norm_denominator is not None)
        ]
        aggregate = None
        if counted and m.regional_total:
            aggregate = round_to(
                Fraction(sum(f.norm_numerator for f in counted)) / len({f.period.index for f in counted}), 6
            )
        elif counted and sum(f.norm_denominator for f in counted) != 0:
            aggregate = round_to(
                Fraction(m.norm_scale)
                * Fraction(sum(f.norm_numerator for f in counted))
                / Fraction(sum(f.norm_denominator for f in counted)),
                6,
            )
        comp = comparators.get((metric, fy), {})
        region_value = aggregate if aggregate is not None else comp.get("region_published_value")
        complete = covered >= m.periods_per_year
        withheld = None
        if (
            compare_by_polarity(region_value, comp.get("england_value"), m.polarity) is not None
            and not complete
            and (comp["whole_year"] or comp["periods"] != covered)
        ):
            # a year with periods missing is never set against England's whole year
            england_part = "the whole year" if comp["whole_year"] else period_count(comp["periods"], m.frequency)
            withheld = (
                f"{covered} of {period_count(m.periods_per_year, m.frequency)} reported; "
                f"England's figure is for {england_part}"
            )
        best = worst = None
        if m.polarity != "context" and annual:
            hib = m.polarity == "higher_is_better"
            best = sorted(annual, key=lambda c: (-annual[c] if hib else annual[c], c))[0]
            worst = sorted(annual, key=lambda c: (annual[c] if hib else -annual[c], c))[0]
        regional_points = [
            (i, regional_series[metric][i])
            for i in range(latest.index - window + 1, latest.index + 1)
            if regional_series[metric].get(i) is not None
        ]
        slope = least_squares_slope(regional_points)
        directions = trends_at.get((metric, latest.index), {})
        rows[(metric, fy)] = {
            "financial_year": fy,
            "service_area": m.service_area,
            "metric_id": metric,
            "metric_name": m.metric_name,
            "polarity": m.polarity,
            "unit": m.normalised_unit,
            "annual_rule": m.annual_rule,
            "periods_expected": m.periods_per_year,
            "periods_covered": covered,
            "is_complete_year": complete,
            "latest_period": latest.text,
            "councils_reporting": len({f.council for f in scope}),
            "councils_in_aggregate": len({f.council for f in counted}),
            "region_value": region_value,
            "region_value_basis": "sum of numerators over sum of denominators of the delivering councils"
            if aggregate is not None
            else ("published West Midlands figure (no council numerators)" if region_value is not None else None),
            "region_published_value": comp.get("region_published_value"),
            "england_value": comp.get("england_value"),
            "comparator_source": comp.get("comparator_source"),
            "region_vs_england_withheld_reason": withheld,
            "best_council_code": best,
            "best_council_name": world.councils[best].name if best else None,
            "best_council_value": annual[best] if best else None,
            "worst_council_code": worst,
            "worst_council_name": world.councils[worst].name if worst else None,
            "worst_council_value": annual[worst] if worst else None,
            "region_trend_slope": None if m.year_to_date else round_to(slope, 8),
            "region_trend_periods": len(regional_points),
            "region_trend_direction": "not comparable"
            if m.year_to_date
            else trend_direction(slope, len(regional_points), m.polarity, min_points),
            "councils_improving": directions.get("improving", 0),
            "councils_worsening": directions.get("worsening", 0),
            "councils_no_change": directions.get("no change", 0),
            "region_vs_england": "not comparable"
            if withheld
            else compare_by_polarity(region_value, comp.get("england_value"), m.polarity),
        }
    for (metric, fy), r in rows.items():
        before = rows.get((metric, fy_label(int(fy[:4]) - 1)))
        r["previous_year_region_value"] = before["region_value"] if before else None
        comparable = r["is_complete_year"] and before is not None and before["is_complete_year"]
        r["direction_vs_previous_year"] = (
            direction_of_travel(r["region_value"], before["region_value"], r["polarity"])
            if comparable
            else "not comparable"
        )
    return list(rows.values())


def problem_row(m: Metric, idx: int, *, idx_is_latest: bool, problem_type: str, detail: str, **cols) -> dict:
    """A row of mart_region_problems: the metric's period, the problem and its figures, and
    the reason in a sentence with the metric's polarity in words."""
    text = period_at(idx, m.frequency)
    closing = "Higher is better." if m.polarity == "higher_is_better" else "Lower is better."
    return {
        "metric_id": m.metric_id,
        "metric_name": m.metric_name,
        "service_area": m.service_area,
        "polarity": m.polarity,
        "unit": m.normalised_unit,
        "period": text,
        "frequency": m.frequency,
        "period_index": idx,
        "is_latest": idx_is_latest,
        "problem_type": problem_type,
        "as_of_period": text,
        "region_value": None,
        "england_value": None,
        "councils_worsening": None,
        "councils_compared": None,
        "worsening_periods": None,
        "worsening_since_period": None,
        "worsening_from_value": None,
        **cols,
        "reason": f"{m.metric_name}: {detail} {closing}",
    }


def region_problems(world: World, bench: list[dict], performance: list[dict]) -> list[dict]:
    streak_needed = int(world.vars["problem_consecutive_periods"])
    window = int(world.vars["trend_periods"])
    majority_minimum = MOST_COUNCILS_MINIMUM
    region_rows: dict = defaultdict(list)  # (metric, period index) -> region group rows
    for r in bench:
        if r["group_type"] == "region" and world.metrics[r["metric_id"]].polarity != "context":
            region_rows[(r["metric_id"], r["period_index"])].append(r)
    latest_year: dict = {}
    for p in performance:
        if p["metric_id"] not in latest_year or p["financial_year"] > latest_year[p["metric_id"]]["financial_year"]:
            latest_year[p["metric_id"]] = p
    compared_years: dict = defaultdict(list)  # metric -> (year end index, performance row)
    for p in performance:
        m = world.metrics[p["metric_id"]]
        if m.polarity != "context" and p["is_complete_year"] and p["region_vs_england"] in ("better", "worse", "same"):
            compared_years[p["metric_id"]].append((Period(p["latest_period"], m.frequency).index, p))
    by_metric: dict = defaultdict(dict)  # metric -> index -> rows
    for (metric, idx), rs in region_rows.items():
        by_metric[metric][idx] = rs
    out = []
    for metric, periods in by_metric.items():
        m = world.metrics[metric]
        latest = latest_year.get(metric, {}).get("latest_period")

        def add(idx: int, problem: str, detail: str, m: Metric = m, latest: str | None = latest, **cols) -> None:
            out.append(
                problem_row(
                    m,
                    idx,
                    idx_is_latest=period_at(idx, m.frequency) == latest,
                    **cols,
                    problem_type=problem,
                    detail=detail,
                )
            )

        values = {i: rs[0]["region_value"] for i, rs in periods.items() if rs[0]["region_value"] is not None}
        run = 0
        for idx in sorted(periods):
            rs = periods[idx]
            text = period_at(idx, m.frequency)
            region_value = rs[0]["region_value"]
            # region_worsening: the regional value worse than the period before, n periods in a row
            if region_value is not None:
                step = direction_of_travel(region_value, values.get(idx - 1), m.polarity)
                run = run + 1 if step == "worsening" else 0
                if run >= streak_needed:
                    since = idx - run + 1
                    start = values[since - 1]
                    add(
                        idx,
                        "region_worsening",
                        f"The regional figure has got worse {run} periods in a row, from "
                        f"{readable_value(start, m.unit, m.normalised_unit)} before {period_at(since, m.frequency)} "
                        f"to {readable_value(region_value, m.unit, m.normalised_unit)} in {text}.",
                        region_value=region_value,
                        worsening_periods=run,
                        worsening_since_period=period_at(since, m.frequency),
                        worsening_from_value=start,
                    )
            else:
                run = 0
            # most councils worse than a year earlier / trending worse
            worse = sum(1 for r in rs if r["direction_vs_last_year"] == "worsening")
            comparable = sum(1 for r in rs if r["direction_vs_last_year"] != "not comparable")
            if comparable >= majority_minimum and 2 * worse > comparable:
                add(
                    idx,
                    "most_councils_worsening",
                    f"{worse} of {comparable} councils are worse in {text} than a year earlier "
                    f"({rs[0]['same_period_last_year']}).",
                    region_value=region_value,
                    councils_worsening=worse,
                    councils_compared=comparable,
                )
            trending = sum(1 for r in rs if r["trend_direction"] == "worsening")
            with_trend = sum(1 for r in rs if r["trend_direction"] != "not comparable")
            if with_trend >= majority_minimum and 2 * trending > with_trend:
                add(
                    idx,
                    "most_councils_trending_worse",
                    f"{trending} of {with_trend} councils have been getting worse over the last {window} "
                    f"periods to {text} (least-squares trend).",
                    region_value=region_value,
                    councils_worsening=trending,
                    councils_compared=with_trend,
                )
            # worse than England: the latest complete year compared with England by then
            done = [(end, p) for end, p in compared_years.get(metric, []) if end <= idx]
            if done:
                _, year = max(done, key=lambda t: t[0])
                if year["region_vs_england"] == "worse":
                    add(
                        idx,
                        "worse_than_england",
                        f"In {year['financial_year']} the West Midlands figure was "
                        f"{readable_value(year['region_value'], m.unit, m.normalised_unit)} against "
                        f"{readable_value(year['england_value'], m.unit, m.normalised_unit)} for England.",
                        as_of_period=year["financial_year"],
                        region_value=year["region_value"],
                        england_value=year["england_value"],
                    )
    return out


#: mart_region_problems' majorities are taken over at least this many councils (in the
#: model's SQL, not in its yml: reported to the lead as a documentation gap).
MOST_COUNCILS_MINIMUM = 3


def best_practice(world: World, bench: list[dict]) -> list[dict]:
    region = [r for r in bench if r["group_type"] == "region"]
    latest: dict = {}
    for r in region:
        latest[r["metric_id"]] = max(latest.get(r["metric_id"], r["period_index"]), r["period_index"])
    out = []
    for r in region:
        if r["period_index"] != latest[r["metric_id"]]:
            continue
        if r["quartile"] != 1 or r["trend_direction"] != "improving" or r["direction_vs_last_year"] != "improving":
            continue
        m, c = world.metrics[r["metric_id"]], world.councils[r["council_code"]]
        out.append(
            {
                "council_code": c.code,
                "council_name": c.name,
                "tier": c.tier,
                "website": c.website,
                "metric_id": m.metric_id,
                "metric_name": m.metric_name,
                "service_area": m.service_area,
                "polarity": m.polarity,
                "unit": m.normalised_unit,
                "period": r["period"],
                "value": r["value"],
                "normalised_value": r["normalised_value"],
                "rank": r["rank"],
                "group_size": r["group_size"],
                "quartile": r["quartile"],
                "same_period_last_year": r["same_period_last_year"],
                "last_year_value": r["last_year_value"],
                "improvement_vs_last_year": abs(r["change_vs_last_year"]),
                "trend_periods": r["trend_periods"],
                "trend_slope": r["trend_slope"],
                "why": f"{c.name} ranks {r['rank']} of {r['group_size']} in {r['period']} on {m.metric_name} "
                f"({readable_value(r['normalised_value'], m.unit, m.normalised_unit)}), better than a year "
                f"earlier ({readable_value(r['last_year_value'], m.unit, m.normalised_unit)} in "
                f"{r['same_period_last_year']}) and improving over the last {r['trend_periods']} periods.",
            }
        )
    return out


def load_world(conn, dbt_project: Path, given: dict | None = None) -> World:
    """The facts and the neighbour model from the warehouse's raw and ops rows; `given`: the
    dbt vars dbt is given over dbt_project.yml's (the settings, transform.project_vars)."""
    metrics, councils, v = load_reference(dbt_project, given)
    return build_world(read_raw(conn), metrics, councils, v)


def recompute(conn, dbt_project: Path, given: dict | None = None, world: World | None = None) -> dict[str, list[dict]]:
    """Every mart this module covers, recomputed from the warehouse's raw and ops rows (or
    from the `world` load_world built already)."""
    world = world or load_world(conn, dbt_project, given)
    bench = benchmark(world)
    performance = region_performance(world, bench)
    return {
        "mart_benchmark": bench,
        "mart_region_performance": performance,
        "mart_region_problems": region_problems(world, bench, performance),
        "mart_best_practice": best_practice(world, bench),
        "_neighbours": [{"council_code": c, "neighbours": n} for c, n in world.neighbours.items()],
    }
