"""Property: the regional aggregate the marts publish is the sum of the numerators over the
sum of the denominators of the delivering councils, for random subsets of submissions.

Each example draws, from the run's seed, some months of the financial year 2023-24 and for
each a random subset of the 33 councils; each council's return is a sample return with a
random generator seed, where some figures are given as a value only (blank numerator and
denominator) and some rows are not_available with a reason. Some returns are then
corrected (a new file supersedes the first) and some corrections are broken (rejected:
the first stays). The files are served over HTTP and loaded by the real pipeline (the
DAG's land_return + validate_landed) into a copy of a warehouse holding the reference
data and ONS mid-year population estimates (2022 and 2023, loaded by the public loader
from a NOMIS file served on 127.0.0.1); then dbt builds the marts
(`+mart_benchmark +mart_region_performance`).

The test recomputes the regional aggregates from the files it served (the last accepted
file of each council-month, read back with the csv module) and the population file, by
the rules of the catalogue and the design (../shared/DESIGN.md: "sum of numerators over
sum of denominators, over the councils that deliver the service, so county and district
figures are never counted twice"; the model docs in _marts__benchmarking.yml and
_marts__region.yml):

- a ratio (proportion or mean): scale x sum(numerator) / sum(denominator) over the
  councils that gave both; a council giving only a value is not in the sum;
- a count or amount with a per-capita basis: 1,000 x sum(value) / sum(population of the
  period's calendar year, or the latest estimate before it);
- a count or amount without one: a regional total, the sum of the values
  (mart_region_performance: the average per period over the year);
- the councils summed are those whose tier delivers the metric; for an area-based metric
  (dbt var area_based_metrics) delivered by counties and districts the counties are left
  out; year-to-date and rolling metrics (dbt vars) take the year's latest period in
  mart_region_performance.

and compares, for every metric and period, mart_benchmark's region_value and
regional_councils, and for every metric, mart_region_performance's region_value,
councils_reporting and councils_in_aggregate (6 decimals, as published: a difference of
at most 0.000001).

Random and reproducible: the run's seed (tests/property_seed.py) is printed at the start
and in any failure; `COUNCILBENCH_PROPERTY_SEED=<seed>` replays a run.
`COUNCILBENCH_PROPERTY_REGIONAL_EXAMPLES` sets the number of examples (default 1: each
costs a dbt build of ~15 s). Every example's warehouse is dropped, and the module's own
template at the end.

    COUNCILBENCH_PROPERTY_SEED=1234 .venv/bin/python -m pytest tests/returns/test_property_regional.py
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from councilbench.core import catalogue
from councilbench.core.calendar import months_between
from councilbench.dev import public_samples
from councilbench.dev import sample_returns as sample
from councilbench.dev.public_server import SourceServer
from councilbench.ingest.fetch import RetryPolicy
from councilbench.public import datasets as dsets
from councilbench.public.load import refresh_dataset
from councilbench.returns.pipeline import ReturnOutcome, land_return, validate_landed
from councilbench.warehouse import bootstrap
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt
from property_seed import REPRODUCE, SEED, announce, reproducible
from warehouse_copy import copy_database

REPO = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=2, read_timeout=10)
FINANCIAL_YEAR = "2023-24"
MONTHS = months_between("2023-04", "2024-03")
#: Mid-year estimates loaded: periods of 2024 take 2023's (the latest before their year).
POPULATION_YEARS = ["2022", "2023"]
AGE_BANDS = {"200": "population_all_ages", "203": "population_16_64"}
EXAMPLES = int(os.environ.get("COUNCILBENCH_PROPERTY_REGIONAL_EXAMPLES", 1))
FOLDER = "property-regional"
CODES = sorted(catalogue.councils())
VARS = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text())["vars"]
TOLERANCE = Decimal("0.000001")  # the marts publish 6 decimals
NOT_AVAILABLE_NOTE = "System migration: figure not available this month."

_mtimes = itertools.count(1_100_000_000 * 10**9, 10**7)  # distinct mtimes: the server's ETag follows them


@pytest.fixture(scope="module", autouse=True)
def _print_seed(request):
    announce(request.config, f"[property] seed {SEED} ({REPRODUCE} replays this run)")


@pytest.fixture(scope="module")
def populated(reference_template, state_dir):
    """A template of this module's own: the reference data, and the mid-year population
    estimates loaded by the public loader from a NOMIS file served on 127.0.0.1. Each
    example copies it. Yields it and the estimates as the file gives them."""
    warehouse = copy_database(reference_template, "regional_template")
    try:
        folder = Path(state_dir) / "property-regional-public"
        (folder / "nomis").mkdir(parents=True, exist_ok=True)
        population_file = folder / "nomis" / "NM_2002_1.data.csv"
        population_file.write_text(public_samples.nomis_population_csv(POPULATION_YEARS), encoding="utf-8")
        ranges = dsets.Ranges(MONTHS[0], MONTHS[-1], POPULATION_YEARS[0], POPULATION_YEARS[-1])
        with SourceServer(folder) as server, pytest.MonkeyPatch.context() as env:
            env.setenv(dsets.NOMIS_BASE_URL_ENV, server.base_url)
            result = refresh_dataset(warehouse, "nomis_population", ranges, policy=FAST)
        assert result.as_dict()["status"] == "loaded", result.as_dict()
        yield warehouse, read_population(population_file.read_text(encoding="utf-8"))
    finally:
        bootstrap.drop_database(warehouse)


def read_population(text: str) -> dict[tuple[str, int, str], Decimal]:
    """(council code, year, basis) -> residents, from the NOMIS file as served."""
    out = {}
    for r in csv.DictReader(io.StringIO(text)):
        if r["C_AGE"] in AGE_BANDS and r["GEOGRAPHY_CODE"] in catalogue.councils():
            out[(r["GEOGRAPHY_CODE"], int(r["DATE"]), AGE_BANDS[r["C_AGE"]])] = Decimal(r["OBS_VALUE"])
    return out


# --- the plan: which councils send what, when ----------------------------------------------


@dataclass
class Submission:
    council_code: str
    month: str
    data: bytes
    accepted: bool  # what the file is built to be: a valid return, or one the contract refuses


@dataclass
class Plan:
    months: list[str]
    rounds: list[list[Submission]] = field(default_factory=list)  # each: one month's files, loaded together

    def counted_files(self) -> dict[tuple[str, str], bytes]:
        """The file that counts for each council-month: the last accepted one."""
        out = {}
        for submissions in self.rounds:
            for s in submissions:
                if s.accepted:
                    out[(s.council_code, s.month)] = s.data
        return out


def a_return(rnd: random.Random, council_code: str, month: str) -> bytes:
    """A valid return: a sample with a random seed, some ratios given as a value only and
    some rows not available (with the reason), written as Excel writes a CSV."""
    rows = sample.as_text_rows(sample.generate_return(council_code, month, seed=rnd.randrange(2**31)))
    metrics = catalogue.metrics()
    fractions = [r for r in rows if r["numerator"] and metrics[r["metric_id"]].value_type in ("proportion", "mean")]
    for r in rnd.sample(fractions, min(len(fractions), rnd.choice([0, 0, 1, 3]))):
        r.update(numerator="", denominator="")
    for r in rnd.sample(rows, rnd.choice([0, 0, 1, 2])):
        r.update(status="not_available", value="", numerator="", denominator="", note=NOT_AVAILABLE_NOTE)
    return sample.csv_bytes(rows, bom=rnd.random() < 0.3, trailing_blank_rows=rnd.choice([0, 0, 2]))


def a_broken_return(rnd: random.Random, council_code: str, month: str) -> bytes:
    """A correction the contract refuses: one row given twice."""
    rows = sample.as_text_rows(sample.generate_return(council_code, month, seed=rnd.randrange(2**31)))
    return sample.csv_bytes([*rows, dict(rows[rnd.randrange(len(rows))])])


def draw_plan(rnd: random.Random) -> Plan:
    plan = Plan(sorted(rnd.sample(MONTHS, rnd.randint(3, 5))))
    for month in plan.months:
        councils = rnd.sample(CODES, rnd.randint(2, 20))
        plan.rounds.append([Submission(c, month, a_return(rnd, c, month), True) for c in councils])
        corrections = []
        for c in rnd.sample(councils, min(len(councils), rnd.choice([0, 1, 2]))):
            broken = rnd.random() < 0.4
            data = a_broken_return(rnd, c, month) if broken else a_return(rnd, c, month)
            corrections.append(Submission(c, month, data, not broken))
        if corrections:
            plan.rounds.append(corrections)
    return plan


# --- the oracle: the catalogue's rules over the files -------------------------------------------


@dataclass(frozen=True)
class Fact:
    council_code: str
    tier: str
    metric_id: str
    period: str
    value: Decimal
    numerator: Decimal | None  # what is summed
    denominator: Decimal | None


def six(x: Decimal) -> Decimal:
    """Rounded to 6 decimals as PostgreSQL's round() does (halves away from zero)."""
    return x.quantize(TOLERANCE, rounding=ROUND_HALF_UP)


def period_parts(period: str, frequency: str) -> tuple[int, int, str]:
    """(calendar year of the period's start, index within its frequency, financial year)."""
    year = int(period[:4])
    if frequency == "monthly":
        month = int(period[5:7])
        start_year, start_month, index = year, month, year * 12 + month - 1
    elif frequency == "quarterly":
        quarter = int(period[-1])
        start_year, start_month, index = year, 3 * quarter - 2, year * 4 + quarter - 1
    else:  # a financial year, April to March
        start_year, start_month, index = year, 4, year
    fy_start = start_year if start_month >= 4 else start_year - 1
    return start_year, index, f"{fy_start}-{(fy_start + 1) % 100:02d}"


def estimate(population: dict, council_code: str, year: int, basis: str) -> Decimal | None:
    """The estimate for the year; else the latest before it; else the earliest after it."""
    years = sorted(y for (c, y, b) in population if c == council_code and b == basis)
    before = [y for y in years if y <= year]
    chosen = before[-1] if before else (years[0] if years else None)
    return None if chosen is None else population[(council_code, chosen, basis)]


def is_regional_total(m) -> bool:
    return m.value_type in ("count", "amount") and m.per_capita_basis is None


def aggregate_tiers(m) -> tuple[str, ...]:
    area_based = not m.from_council_return or m.metric_id in VARS["area_based_metrics"]
    if area_based and "county" in m.delivering_tiers and "district" in m.delivering_tiers:
        return tuple(t for t in m.delivering_tiers if t != "county")
    return m.delivering_tiers


def facts_from_files(files: dict[tuple[str, str], bytes], population: dict) -> list[Fact]:
    metrics, councils = catalogue.metrics(), catalogue.councils()
    out = []
    for (code, _month), data in sorted(files.items()):
        for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
            if not r["metric_id"] or not r["value"]:
                continue  # blank rows; not available
            m = metrics[r["metric_id"]]
            value = Decimal(r["value"])
            if m.value_type in ("count", "amount") and m.per_capita_basis:
                year = period_parts(r["period"], m.frequency)[0]
                numerator, denominator = value, estimate(population, code, year, m.per_capita_basis)
                if denominator is None:
                    continue  # no population: no normalised value, not compared
            elif m.value_type in ("count", "amount"):
                numerator, denominator = value, None
            else:
                numerator = Decimal(r["numerator"]) if r["numerator"] else None
                denominator = Decimal(r["denominator"]) if r["denominator"] else None
            out.append(Fact(code, councils[code].tier, m.metric_id, r["period"], value, numerator, denominator))
    return out


def counted(f: Fact) -> bool:
    m = catalogue.metrics()[f.metric_id]
    return (
        f.tier in aggregate_tiers(m) and f.numerator is not None and (is_regional_total(m) or f.denominator is not None)
    )


def scale(m) -> Decimal:
    return Decimal(1000) if m.value_type in ("count", "amount") and m.per_capita_basis else Decimal(repr(m.scale))


def ratio(m, facts: list[Fact]) -> Decimal | None:
    numerator = sum((f.numerator for f in facts), Decimal(0))
    denominator = sum((f.denominator for f in facts), Decimal(0))
    return None if not facts or denominator == 0 else six(scale(m) * numerator / denominator)


def expected_benchmark(facts: list[Fact]) -> dict[tuple[str, str], tuple[Decimal | None, int, frozenset]]:
    """(metric, period) -> (region_value, regional_councils, the councils compared)."""
    grouped = defaultdict(list)
    for f in facts:
        grouped[(f.metric_id, f.period)].append(f)
    out = {}
    for key, group in grouped.items():
        m = catalogue.metrics()[key[0]]
        summed = [f for f in group if counted(f)]
        if is_regional_total(m):
            value = six(sum(f.numerator for f in summed)) if summed else None
        else:
            value = ratio(m, summed)
        out[key] = (value, len(summed), frozenset(f.council_code for f in group))
    return out


def expected_region_performance(facts: list[Fact]) -> dict[tuple[str, str], tuple[Decimal | None, int, int]]:
    """(metric, financial year) -> (region_value, councils_reporting, councils_in_aggregate)."""
    latest_only = set(VARS["year_to_date_metrics"]) | set(VARS["rolling_metrics"])
    grouped = defaultdict(list)
    for f in facts:
        m = catalogue.metrics()[f.metric_id]
        grouped[(f.metric_id, period_parts(f.period, m.frequency)[2])].append(f)
    out = {}
    for key, year_facts in grouped.items():
        m = catalogue.metrics()[key[0]]
        index = {f: period_parts(f.period, m.frequency)[1] for f in year_facts}
        latest = max(index.values())
        in_scope = [f for f in year_facts if m.metric_id not in latest_only or index[f] == latest]
        summed = [f for f in in_scope if counted(f)]
        if is_regional_total(m):
            periods = len({f.period for f in summed})
            value = six(sum(f.numerator for f in summed) / periods) if periods else None
        else:
            value = ratio(m, summed)
        out[key] = (value, len({f.council_code for f in in_scope}), len({f.council_code for f in summed}))
    return out


# --- the pipeline and the marts ------------------------------------------------------------------


def serve_and_load(warehouse, plan: Plan, folder: Path, base_url: str, tally: Counter) -> None:
    """Each round's files served, landed and validated as the DAG does; each file ends as
    it was built to (loaded, or rejected with the earlier file kept)."""
    for submissions in plan.rounds:
        landed = []
        for s in submissions:
            path = sample.return_path(folder, catalogue.councils()[s.council_code], s.month)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(s.data)
            stamp = next(_mtimes)
            os.utime(path, ns=(stamp, stamp))
            landed.append(land_return(warehouse, s.council_code, s.month, returns_base_url=base_url, policy=FAST))
        outcomes = [ReturnOutcome(**d) for d in validate_landed(warehouse, [o.as_dict() for o in landed])]
        for s, o in zip(submissions, outcomes, strict=True):
            assert o.status == ("loaded" if s.accepted else "rejected"), (s.council_code, s.month, o.message)
            tally["submissions"] += 1
            tally["rejected"] += not s.accepted


def build_marts(warehouse) -> None:
    run_dbt(warehouse, ["run", "--select", "+mart_benchmark", "+mart_region_performance"])


def published(warehouse):
    with connect(warehouse, role="analyst") as conn:
        benchmark = conn.execute(
            """select metric_id, period, council_code, region_value, regional_councils
               from marts.mart_benchmark where group_type = 'region'"""
        ).fetchall()
        region = conn.execute(
            """select metric_id, financial_year, region_value, councils_reporting, councils_in_aggregate
               from marts.mart_region_performance"""
        ).fetchall()
    by_period: dict[tuple[str, str], list] = defaultdict(list)
    for metric_id, period, code, value, councils in benchmark:
        by_period[(metric_id, period)].append((code, value, councils))
    return by_period, {(r[0], r[1]): tuple(r[2:]) for r in region}


def close(a: Decimal | None, b: Decimal | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= TOLERANCE)


def check_regional_aggregates(plan: Plan, populated, returns_server, tally: Counter) -> None:
    template, population = populated
    warehouse = copy_database(template, "regional")
    try:
        started = time.monotonic()
        serve_and_load(
            warehouse, plan, returns_server.folder / FOLDER / str(SEED), f"{returns_server.url}/{FOLDER}/{SEED}", tally
        )
        loaded = time.monotonic()
        build_marts(warehouse)
        tally["load_seconds"] += loaded - started
        tally["dbt_seconds"] += time.monotonic() - loaded
        benchmark, region = published(warehouse)
    finally:
        bootstrap.drop_database(warehouse)

    facts = facts_from_files(plan.counted_files(), population)
    expected = expected_benchmark(facts)
    assert set(benchmark) == set(expected), sorted(set(benchmark) ^ set(expected))[:10]
    for key, (value, councils, compared) in expected.items():
        rows = benchmark[key]
        assert {code for code, _, _ in rows} == compared, key
        for code, got, got_councils in rows:
            assert close(got, value) and got_councils == councils, (key, code, got, value, got_councils, councils)
        tally["metric_periods"] += 1
        tally["regional_total" if is_regional_total(catalogue.metrics()[key[0]]) else "ratio"] += 1
    yearly = expected_region_performance(facts)
    assert set(region) == set(yearly), sorted(set(region) ^ set(yearly))[:10]
    for key, (value, reporting, in_aggregate) in yearly.items():
        got, got_reporting, got_in_aggregate = region[key]
        assert close(got, value), (key, got, value)
        assert (got_reporting, got_in_aggregate) == (reporting, in_aggregate), key
        tally["metric_years"] += 1
    tally["facts"] += len(facts)


def test_regional_aggregates_are_sums_over_the_delivering_councils(populated, returns_server, request):
    tally: Counter = Counter()
    with reproducible("regional aggregate property"):
        for example in range(EXAMPLES):
            plan = draw_plan(random.Random(f"{SEED}:{example}"))
            check_regional_aggregates(plan, populated, returns_server, tally)
    announce(
        request.config,
        f"[property] regional aggregates: {EXAMPLES} example(s), {tally['submissions']} files loaded "
        f"({tally['rejected']} corrections rejected), {tally['facts']} council figures; "
        f"{tally['metric_periods']} metric-periods of mart_benchmark ({tally['ratio']} ratios, "
        f"{tally['regional_total']} regional totals) and {tally['metric_years']} metric-years of "
        f"mart_region_performance recomputed (loading {tally['load_seconds']:.0f} s, dbt {tally['dbt_seconds']:.0f} s)",
    )
    assert tally["regional_total"] and tally["ratio"] and tally["metric_years"]
