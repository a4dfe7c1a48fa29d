"""The public datasets, as configuration: adding a NOMIS dataset is a new entry here,
not new code.

A NOMIS entry names the dataset (``nomis_id``), the fixed dimension selections sent
with every query, the dimension whose codes become our measures, and the metric id each
code maps to (ids from dbt_project/seeds/metric_catalogue.csv, so the catalogue's bounds
apply). The query the client sends is, for the claimant count::

    {base}/api/v01/dataset/NM_162_1.data.csv?geography=E08000025,...,E12000005,E92000001
        &date=2025-01,...,2025-12&gender=0&age=0&measure=1,2&measures=20100
        &select=date_code,date_name,geography_code,...,record_offset,record_count

A spreadsheet entry (a GOV.UK statistical table) names the sheet, the header names to
look for (alternatives allowed, matched by name, never by position), the measure
columns, how aggregate rows are labelled, and the suppression markers the publisher uses.

This module is imported by the DAG file at parse time: standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from councilbench.core import calendar, settings

REGION_CODE = "E12000005"  # West Midlands (region)
REGION_NAME = "West Midlands"
ENGLAND_CODE = "E92000001"
ENGLAND_NAME = "England"
AGGREGATE_AREAS = {REGION_CODE: REGION_NAME, ENGLAND_CODE: ENGLAND_NAME}
#: The UK, for the sources that publish it (a dataset asks for it with ``"with_uk": True``).
UK_CODE = "K02000001"
UK_NAME = "United Kingdom"

NOMIS_BASE_URL_ENV = "COUNCILBENCH_NOMIS_BASE_URL"
NOMIS_DEFAULT_BASE_URL = "https://www.nomisweb.co.uk"
#: Anonymous NOMIS calls are capped at 25,000 cells; larger answers are cut short with
#: HTTP 200, so the client pages with RecordOffset (and RecordLimit) up to this size.
NOMIS_PAGE_SIZE = 25_000

# --- the configuration ----------------------------------------------------------------

DATASETS: dict[str, dict] = {
    "nomis_claimant_count": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "Claimant count by sex and age (ONS/DWP via NOMIS)",
        "nomis_id": "NM_162_1",
        "frequency": "monthly",  # DATE_CODE is YYYY-MM
        "fixed": {"gender": "0", "age": "0", "measures": "20100"},  # total, all 16+, value
        "measure_dimension": "measure",
        "measures": {
            "1": "econ_claimant_count",  # Claimant count
            "2": "econ_claimant_rate",
        },  # Claimants as a proportion of residents aged 16-64
        "areas": "all_councils",  # counties too: NOMIS publishes E10 areas
    },
    "nomis_population": {
        "kind": "nomis",
        "publisher": "nomis",
        "title": "Population estimates - local authority based by single year of age (ONS via NOMIS)",
        "nomis_id": "NM_2002_1",
        "frequency": "annual",  # DATE_CODE is YYYY (mid-year, 30 June)
        "fixed": {"gender": "0", "measures": "20100"},  # total, value
        "measure_dimension": "c_age",
        "measures": {
            "200": "econ_population_all_ages",  # All Ages
            "203": "econ_population_16_64",
        },  # Aged 16 - 64
        "areas": "all_councils",
    },
    "defra_waste": {
        "kind": "spreadsheet",
        "publisher": "defra",
        "title": "Local authority collected waste management - annual results (LA and regional spreadsheet, Table 3)",
        "url_env": "COUNCILBENCH_DEFRA_WASTE_URL",
        "default_url": "https://assets.publishing.service.gov.uk/media/69c3ce2b93cc6e8b87a6f62c/"
        "LA_and_Regional_Spreadsheet_2023-24.ods",
        "sheet": "Table_3",
        "frequency": "financial_year",  # Year is YYYY-YY
        # Header names to find (any of the alternatives; case, spacing and "[note n]"
        # markers ignored). The header row is the first row holding all of them.
        "columns": {
            "period": ["Year", "Financial Year"],
            "region": ["Region"],
            "area_code": ["ONS code", "LA code", "ONS Code"],
            "area_name": ["Authority", "Local Authority", "Local authority"],
        },
        "measures": {
            "waste_defra_household_recycling_rate": {
                "column": [
                    "Percentage of household waste sent for reuse, recycling or composting (Ex NI192)",
                    "Percentage of household waste sent for reuse, recycling or composting",
                ],
                # DEFRA publishes the rate as a fraction (0.4312); the catalogue's unit is percent.
                "scale": 100,
            },
        },
        # Only West Midlands rows are ours; the England and region totals come as labelled
        # rows without a code.
        "scope_region": "West Midlands",
        "label_areas": {"Total England": ENGLAND_CODE, "England": ENGLAND_CODE, "Total West Midlands": REGION_CODE},
        "suppression_markers": ["[x]", "[c]", "[z]", "[u]", "..", ":", "-"],
        # The release is named in the published file name (..._2023-24.ods, ..._202122.xlsx).
        "release_pattern": r"(20\d\d)[-_]?(\d\d)(?!\d)",
        "areas": "delivering_councils",  # the tiers the catalogue says deliver the metric
    },
}

#: Public datasets with a loader of their own: dataset id -> its module. GOV.UK's gender
#: pay gap data is one download per reporting year holding every employer, the councils
#: matched by EmployerId rather than area code, loaded into raw.public_gender_pay_gap:
#: not requested ranges of area observations like DATASETS, so the DAG loads it in a
#: task of its own.
OWN_LOADER_DATASETS = {"gender_pay_gap": "councilbench.public.gender_pay_gap_load"}

# --- typed views of the configuration -------------------------------------------------


@dataclass(frozen=True)
class NomisDataset:
    dataset_id: str
    publisher: str
    title: str
    nomis_id: str
    frequency: str
    fixed: dict[str, str]
    measure_dimension: str
    measures: dict[str, str]  # dimension code -> metric id
    areas: str
    with_uk: bool = False  # ask for (and expect) the UK beside the region and England
    kind: str = "nomis"

    @property
    def suite(self) -> str:
        return "public_nomis"

    def base_url(self) -> str:
        return settings.get("COUNCILBENCH_NOMIS_BASE_URL").rstrip("/")

    def data_url(self, base_url: str | None = None) -> str:
        return f"{(base_url or self.base_url()).rstrip('/')}/api/v01/dataset/{self.nomis_id}.data.csv"

    @property
    def select(self) -> list[str]:
        dim = self.measure_dimension.lower()
        return [
            "date_code",
            "date_name",
            "geography_code",
            "geography_name",
            "geography_type",
            dim,
            f"{dim}_name",
            "obs_value",
            "obs_status",
            "obs_status_name",
            "record_offset",
            "record_count",
        ]


@dataclass(frozen=True)
class MeasureColumn:
    metric_id: str
    headers: tuple[str, ...]
    scale: float = 1.0


@dataclass(frozen=True)
class SpreadsheetDataset:
    dataset_id: str
    publisher: str
    title: str
    url_env: str
    default_url: str
    sheet: str
    frequency: str
    columns: dict[str, tuple[str, ...]]
    measures: tuple[MeasureColumn, ...]
    scope_region: str
    label_areas: dict[str, str]
    suppression_markers: tuple[str, ...]
    release_pattern: str
    areas: str
    with_uk: bool = False  # expect the UK beside the region and England
    kind: str = "spreadsheet"

    @property
    def suite(self) -> str:
        return "public_spreadsheet"

    def url(self) -> str:
        return settings.get(self.url_env, self.default_url)

    def release(self, url: str | None = None) -> str:
        """The release named in the file name (2023-24), or 'latest' when it names none."""
        name = (url or self.url()).rstrip("/").rsplit("/", 1)[-1]
        m = re.search(self.release_pattern, name)
        return f"{m.group(1)}-{m.group(2)}" if m else "latest"


def get(dataset_id: str) -> NomisDataset | SpreadsheetDataset:
    try:
        cfg = dict(DATASETS[dataset_id])
    except KeyError:
        elsewhere = (
            f" ({dataset_id} is loaded by {OWN_LOADER_DATASETS[dataset_id]})"
            if dataset_id in OWN_LOADER_DATASETS
            else ""
        )
        raise KeyError(f"unknown public dataset {dataset_id!r}{elsewhere}; configured: {', '.join(DATASETS)}") from None
    kind = cfg.pop("kind")
    if kind == "nomis":
        return NomisDataset(dataset_id=dataset_id, **cfg)
    if kind == "spreadsheet":
        columns = {k: tuple(v) for k, v in cfg.pop("columns").items()}
        measures = tuple(
            MeasureColumn(metric_id=m, headers=tuple(spec["column"]), scale=float(spec.get("scale", 1)))
            for m, spec in cfg.pop("measures").items()
        )
        return SpreadsheetDataset(
            dataset_id=dataset_id,
            columns=columns,
            measures=measures,
            suppression_markers=tuple(cfg.pop("suppression_markers")),
            **cfg,
        )
    raise ValueError(f"dataset {dataset_id!r}: unknown kind {kind!r}")


DATASET_IDS = tuple(DATASETS)


def metric_ids(ds) -> list[str]:
    if isinstance(ds, NomisDataset):
        return list(ds.measures.values())
    return [m.metric_id for m in ds.measures]


# --- areas ----------------------------------------------------------------------------


def known_areas() -> dict[str, str]:
    """Every area code we accept: the 33 councils, the region, England and the UK (code -> name)."""
    from councilbench.core.catalogue import councils

    out = {c.code: c.name for c in councils().values()}
    out.update(AGGREGATE_AREAS)
    out[UK_CODE] = UK_NAME
    return out


def expected_areas(ds) -> dict[str, str]:
    """The areas that must be present: all councils (NOMIS publishes counties too) or the
    councils whose tier delivers the dataset's metrics; always the region and England, and
    the UK for a dataset configured ``with_uk``."""
    from councilbench.core.catalogue import councils, metrics

    if ds.areas == "all_councils":
        chosen = list(councils().values())
    elif ds.areas == "delivering_councils":
        tiers = {t for m in metric_ids(ds) for t in metrics()[m].delivering_tiers}
        chosen = [c for c in councils().values() if c.tier in tiers]
    else:
        raise ValueError(f"dataset {ds.dataset_id}: unknown areas rule {ds.areas!r}")
    out = {c.code: c.name for c in chosen}
    out.update(AGGREGATE_AREAS)
    if ds.with_uk:
        out[UK_CODE] = UK_NAME
    return out


# --- periods --------------------------------------------------------------------------

MONTH_RE = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])$")
YEAR_RE = re.compile(r"^\d{4}$")
FINANCIAL_YEAR_RE = re.compile(r"^\d{4}-\d{2}$")
PERIOD_REGEX = {"monthly": MONTH_RE.pattern, "annual": YEAR_RE.pattern, "financial_year": FINANCIAL_YEAR_RE.pattern}


def years_between(first: str | int, last: str | int) -> list[str]:
    a, b = int(first), int(last)
    if b < a:
        raise ValueError(f"year range {first}..{last} ends before it starts")
    return [str(y) for y in range(a, b + 1)]


@dataclass(frozen=True)
class Ranges:
    """What one run asks for: months (claimant count) and mid-year estimate years."""

    month_from: str
    month_to: str
    year_from: str
    year_to: str

    def periods(self, frequency: str) -> list[str]:
        if frequency == "monthly":
            return calendar.months_between(self.month_from, self.month_to)
        if frequency == "annual":
            return years_between(self.year_from, self.year_to)
        raise ValueError(f"no requested range for frequency {frequency!r}")

    def label(self, frequency: str) -> str:
        """The ledger period of a request: '2025-01/2025-12' or '2022/2024'."""
        if frequency == "monthly":
            return f"{self.month_from}/{self.month_to}"
        return f"{self.year_from}/{self.year_to}"


def default_ranges(as_of: date) -> Ranges:
    """Sensible ranges for a run on ``as_of``: the 12 published months of claimant count
    (a month is out by about the 20th of the next) and the 3 latest mid-year estimates
    (mid-year Y is out by about August of Y+1)."""
    last_month = calendar.month_index(f"{as_of.year:04d}-{as_of.month:02d}") - (1 if as_of.day >= 20 else 2)
    year_to = as_of.year - 1 if as_of.month >= 8 else as_of.year - 2
    return Ranges(
        month_from=calendar.month_from_index(last_month - 11),
        month_to=calendar.month_from_index(last_month),
        year_from=str(year_to - 2),
        year_to=str(year_to),
    )


def ranges_from_params(params: dict | None, as_of: date) -> Ranges:
    """The DAG's Params (empty means: derive from the run's date) merged over the defaults."""
    params = params or {}
    base = default_ranges(as_of)
    chosen = Ranges(
        month_from=params.get("month_from") or base.month_from,
        month_to=params.get("month_to") or base.month_to,
        year_from=str(params.get("year_from") or base.year_from),
        year_to=str(params.get("year_to") or base.year_to),
    )
    chosen.periods("monthly"), chosen.periods("annual")  # fail early on a malformed range
    return chosen


@dataclass
class Request:
    """One dataset to fetch for one run, with its ledger period."""

    dataset_id: str
    period: str  # ledger period: requested range or release
    periods: list[str] = field(default_factory=list)  # requested periods (NOMIS); empty = as published


def request_for(dataset_id: str, ranges: Ranges) -> Request:
    ds = get(dataset_id)
    if isinstance(ds, NomisDataset):
        return Request(dataset_id, ranges.label(ds.frequency), ranges.periods(ds.frequency))
    return Request(dataset_id, ds.release())
