"""What the reports read: the marts, as the analyst role reads them, and nothing else.

Reading as the analyst is deliberate: a report can only ever show what analysts may see
(no contact details, no raw or rejected rows: the marts are built from accepted
submissions only). Every row keeps its mart and key (``Source``), so each figure printed
can say where it came from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from councilbench.core import calendar
from councilbench.reports import format as fmt
from councilbench.warehouse.connection import Warehouse, connect


class NoData(LookupError):
    """The marts hold nothing to report on (not built yet, or no accepted return)."""


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: the mart and the key of its row."""

    mart: str
    key: tuple[tuple[str, str], ...]
    field: str | None = None

    @classmethod
    def of(cls, mart: str, field: str | None = None, **key) -> Source:
        return cls(mart, tuple((k, str(v)) for k, v in key.items()), field)

    @property
    def key_text(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.key)

    def __str__(self) -> str:
        return f"marts.{self.mart} ({self.key_text})" + (f" column {self.field}" if self.field else "")

    def attrs(self) -> dict:
        """data-* attributes for the HTML element showing the figure."""
        return {"mart": self.mart, "key": self.key_text, **({"field": self.field} if self.field else {})}


@dataclass
class Figure:
    """One printed figure and the mart row it comes from."""

    text: str
    value: object
    source: Source

    @property
    def attrs(self) -> dict:
        return {**self.source.attrs(), "value": "" if self.value is None else str(self.value)}


def figure(text: str, value, mart: str, field_name: str, **key) -> Figure:
    return Figure(text, value, Source.of(mart, field_name, **key))


@dataclass(frozen=True)
class MetricInfo:
    metric_id: str
    metric_name: str
    service_area: str
    definition: str
    unit: str
    normalised_unit: str
    polarity: str
    frequency: str
    delivering_tiers: tuple[str, ...]
    is_required: bool
    source: str
    per_capita_basis: str | None
    is_area_based: bool
    reference: str | None

    @property
    def ranked(self) -> bool:
        return self.polarity in ("higher_is_better", "lower_is_better")

    @property
    def money(self) -> bool:
        return self.unit == "gbp"

    def show(self, value) -> str:
        return fmt.value(value, self.normalised_unit, self.unit)

    def short(self, value) -> str:
        return fmt.short_value(value, self.normalised_unit, self.unit)

    @property
    def unit_text(self) -> str:
        return fmt.unit_label(self.normalised_unit, self.unit)


@dataclass(frozen=True)
class CouncilInfo:
    council_code: str
    council_name: str
    short_name: str
    tier: str
    county_code: str | None
    county_name: str | None
    website: str | None

    @property
    def display_name(self) -> str:
        return fmt.display_name(self.council_name)


def _rows(conn, sql: str, params=None) -> list[dict]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params or []).fetchall()


def open_marts(warehouse: Warehouse):
    """A read-only connection acting as the analyst role."""
    conn = connect(warehouse, role="analyst", autocommit=True)
    conn.execute("set default_transaction_read_only = on")
    return conn


def metrics(conn) -> dict[str, MetricInfo]:
    out = {}
    for r in _rows(conn, "select * from marts.dim_metric order by service_area, metric_id"):
        out[r["metric_id"]] = MetricInfo(
            metric_id=r["metric_id"],
            metric_name=r["metric_name"],
            service_area=r["service_area"],
            definition=r["definition"],
            unit=r["unit"],
            normalised_unit=r["normalised_unit"],
            polarity=r["polarity"],
            frequency=r["frequency"],
            delivering_tiers=tuple(t.strip() for t in (r["delivering_tiers"] or "").split(",") if t.strip()),
            is_required=bool(r["is_required"]),
            source=r["source"],
            per_capita_basis=r["per_capita_basis"],
            is_area_based=bool(r["is_area_based"]),
            reference=r.get("reference"),
        )
    return out


def councils(conn) -> dict[str, CouncilInfo]:
    return {
        r["council_code"]: CouncilInfo(
            r["council_code"],
            r["council_name"],
            r["short_name"],
            r["tier"],
            r["county_code"],
            r["county_name"],
            r["website"],
        )
        for r in _rows(conn, "select * from marts.dim_council order by council_name")
    }


@dataclass
class DataAsAt:
    latest_month: str  # the newest reporting month with an accepted return
    loaded_at: datetime | None  # when the newest figure in fct_metric_value was loaded
    built_at: datetime | None  # when the marts were last rebuilt (mart_benchmark)

    @property
    def latest_month_label(self) -> str:
        return fmt.month_label(self.latest_month)


def latest_return_month(conn) -> str | None:
    """The newest reporting month for which at least one council's return was accepted."""
    row = conn.execute(
        "select max(return_month) from marts.mart_submission_quality where final_status = 'loaded'"
    ).fetchone()
    return row[0] if row else None


def data_as_at(conn, month: str | None = None) -> DataAsAt:
    latest = month or latest_return_month(conn)
    if latest is None:
        raise NoData("no accepted council return in marts.mart_submission_quality: build the warehouse first")
    loaded, built = conn.execute(
        "select (select max(loaded_at) from marts.fct_metric_value), "
        "(select max(dbt_updated_at) from marts.mart_benchmark)"
    ).fetchone()
    return DataAsAt(latest, loaded, built)


def financial_years(conn) -> list[str]:
    return [
        r[0]
        for r in conn.execute("select distinct financial_year from marts.mart_region_performance order by 1").fetchall()
    ]


def choose_years(conn, month: str) -> tuple[str | None, str | None]:
    """(latest complete financial year with data, the current year to date) as of
    `month`: a year is complete once its March return is in; in March the current year
    is complete and there is no separate year to date."""
    years = set(financial_years(conn))
    current = fmt.financial_year_of(month)
    if month.endswith("-03"):
        complete, ytd = current, None
    else:
        start = int(current[:4]) - 1
        complete, ytd = f"{start}-{(start + 1) % 100:02d}", current
    complete = complete if complete in years else max((y for y in years if y < current), default=None)
    ytd = ytd if ytd in years else None
    return complete, ytd


def latest_periods(conn, month: str) -> dict[str, str]:
    """metric_id -> its latest period with benchmark rows among those carried by returns up
    to `month`: what a pack or report as of that month shows."""
    return {
        r[0]: r[1]
        for r in conn.execute(
            """
        select distinct on (b.metric_id) b.metric_id, b.period
        from marts.mart_benchmark b
        join marts.dim_period d on d.period = b.period and d.frequency = b.frequency
        where b.group_type = 'region' and d.return_month <= %s
        order by b.metric_id, b.period_index desc""",
            [month],
        ).fetchall()
    }


def region_problems(conn, periods: dict[str, str]) -> list[dict]:
    """mart_region_problems as the list stood at the given period of each metric (metric_id ->
    period, see latest_periods): the mart keeps every period's problems, so a month's list
    can be shown again as it was."""
    return _rows(
        conn,
        """
        select p.* from marts.mart_region_problems p
        join unnest(%s::text[], %s::text[]) as k(metric_id, period) using (metric_id, period)
        order by p.service_area, p.metric_id, p.problem_type""",
        [list(periods), list(periods.values())],
    )


# --- context beside the comparisons: the economy, deprivation, density, good practice -------------


def council_context(conn) -> dict[str, dict]:
    """council_code -> its mart_council_context row. A figure whose source is not loaded
    yet is null in the row (the reports say so); a council with no row has none at all."""
    return {r["council_code"]: r for r in _rows(conn, "select * from marts.mart_council_context")}


def region_economy(conn) -> list[dict]:
    """mart_region_economy: one row per indicator and area (West Midlands, England, UK)."""
    return _rows(conn, "select * from marts.mart_region_economy order by indicator_id, area_code")


def case_studies(conn) -> list[dict]:
    """mart_case_studies: one row per case study and metric it bears on."""
    return _rows(conn, "select * from marts.mart_case_studies order by metric_id, council_name, title")


def case_studies_by_metric(rows: list[dict]) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for r in rows:
        out[r["metric_id"]].append(r)
    return dict(out)


# --- the annual report -------------------------------------------------------------------------


@dataclass
class AnnualData:
    financial_year: str
    year_to_date: bool
    as_at: DataAsAt
    metrics: dict[str, MetricInfo]
    councils: dict[str, CouncilInfo]
    performance: list[dict]  # mart_region_performance rows of the year
    previous_year: dict[str, dict]  # metric_id -> the year before's row
    regional_series: dict[str, list[dict]]  # metric_id -> [{period, period_index, region_value}]
    annual_series: dict[str, list[dict]]  # metric_id -> mart_region_performance rows, all years
    council_values: dict[str, list[dict]]  # metric_id -> region-group rows at the year's latest period
    problems: list[dict]
    best_practice: list[dict]
    submission_quality: list[dict]  # mart_submission_quality rows of the year's months
    period_labels: dict[str, str] = field(default_factory=dict)
    economy: list[dict] = field(default_factory=list)  # mart_region_economy rows
    case_studies: list[dict] = field(default_factory=list)  # mart_case_studies rows


def annual_data(conn, financial_year: str, *, as_at: DataAsAt | None = None) -> AnnualData:
    as_at = as_at or data_as_at(conn)
    performance = _rows(
        conn,
        """
        select * from marts.mart_region_performance where financial_year = %s
        order by service_area, metric_id""",
        [financial_year],
    )
    if not performance:
        raise NoData(f"no rows for {financial_year} in marts.mart_region_performance")
    first_month, last_month = fmt.financial_year_months(financial_year)
    year_to_date = last_month > as_at.latest_month
    previous = f"{int(financial_year[:4]) - 1}-{int(financial_year[:4]) % 100:02d}"
    previous_year = {
        r["metric_id"]: r
        for r in _rows(conn, "select * from marts.mart_region_performance where financial_year = %s", [previous])
    }
    # the regional aggregate per period, the year before and this year (trend lines)
    series = defaultdict(list)
    for r in _rows(
        conn,
        """
            select distinct b.metric_id, b.period, b.period_index, b.region_value, d.financial_year
            from marts.mart_benchmark b
            join marts.dim_period d on d.period = b.period and d.frequency = b.frequency
            where b.group_type = 'region' and d.financial_year in (%s, %s) and d.return_month <= %s
            order by b.metric_id, b.period_index""",
        [previous, financial_year, as_at.latest_month],
    ):
        series[r["metric_id"]].append(r)
    annual_series = defaultdict(list)
    for r in _rows(
        conn,
        """select metric_id, financial_year, region_value, england_value, is_complete_year
                            from marts.mart_region_performance where financial_year <= %s
                            order by metric_id, financial_year""",
        [financial_year],
    ):
        annual_series[r["metric_id"]].append(r)
    values = defaultdict(list)
    for r in _rows(
        conn,
        """
            select b.metric_id, b.period, b.council_code, c.council_name, c.short_name, b.normalised_value,
                   b.value_status, b.rank, b.quartile, b.not_ranked_reason, b.group_size, b.group_median,
                   b.region_value, b.is_outlier,
                   b.trend_direction, b.direction_vs_last_year
            from marts.mart_benchmark b
            join marts.mart_region_performance p
              on p.metric_id = b.metric_id and p.latest_period = b.period and p.financial_year = %s
            join marts.dim_council c on c.council_code = b.council_code
            where b.group_type = 'region'
            order by b.metric_id, b.rank nulls last, b.normalised_value desc""",
        [financial_year],
    ):
        values[r["metric_id"]].append(r)
    problems = region_problems(conn, latest_periods(conn, min(last_month, as_at.latest_month)))
    best = _rows(
        conn,
        """select * from marts.mart_best_practice
                          order by service_area, metric_id, rank, council_name""",
    )
    quality = _rows(
        conn,
        """select * from marts.mart_submission_quality
                             where return_month between %s and %s and return_month <= %s
                             order by council_name, return_month""",
        [first_month, last_month, as_at.latest_month],
    )
    labels = dict(conn.execute("select period, period_label from marts.dim_period").fetchall())
    return AnnualData(
        financial_year,
        year_to_date,
        as_at,
        metrics(conn),
        councils(conn),
        performance,
        previous_year,
        dict(series),
        dict(annual_series),
        dict(values),
        problems,
        best,
        quality,
        labels,
        economy=region_economy(conn),
        case_studies=case_studies(conn),
    )


# --- the monthly packs ------------------------------------------------------------------------------


@dataclass
class MonthData:
    """Everything the month's 33 packs need, read once and sliced per council."""

    month: str
    as_at: DataAsAt
    metrics: dict[str, MetricInfo]
    councils: dict[str, CouncilInfo]
    current_period: dict[str, str]  # metric_id -> latest period carried by returns up to month
    previous_pack_period: dict[str, str]  # metric_id -> what last month's pack showed
    benchmark: dict[tuple, dict]  # (council, metric, period, group_type) -> mart_benchmark row
    region_values: dict[tuple, list[dict]]  # (metric, period) -> region-group rows (all councils)
    facts: dict[tuple, dict]  # (council, metric, period) -> fct_metric_value row
    series: dict[tuple, list[dict]]  # (council, metric) -> region/neighbour rows over the trend window
    published_region: dict[tuple, dict]  # (metric, financial year) -> mart_region_performance row with
    # a published West Midlands figure
    neighbours: dict[str, list[dict]]  # council -> mart_comparison_groups rows of its nearest neighbours
    group_labels: dict[tuple, str]  # (council, group_type) -> label
    submission: dict[str, dict]  # council -> mart_submission_quality row for the month
    submission_year: dict[str, list[dict]]  # council -> the last 12 months of it
    problems: list[dict]
    best_practice: list[dict]
    period_labels: dict[str, str]
    context: dict[str, dict] = field(default_factory=dict)  # council -> mart_council_context row
    economy: list[dict] = field(default_factory=list)  # mart_region_economy rows (the region, England)
    case_studies: dict[str, list[dict]] = field(default_factory=dict)  # metric -> mart_case_studies rows


TREND_WINDOW = 13  # a year and one period: this period, and the same one a year earlier


def month_data(conn, month: str) -> MonthData:
    as_at = data_as_at(conn, month)
    mets = metrics(conn)

    current = latest_periods(conn, month)
    if not current:
        raise NoData(f"no benchmark rows for periods carried by returns up to {month}")
    previous_pack = latest_periods(conn, calendar.add_months(month, -1))
    keys = sorted(set(current.items()) | set(previous_pack.items()))
    bench, region_values = {}, defaultdict(list)
    for r in _rows(
        conn,
        """
            select b.*, c.council_name, c.short_name
            from marts.mart_benchmark b
            join unnest(%s::text[], %s::text[]) as k(metric_id, period) using (metric_id, period)
            join marts.dim_council c on c.council_code = b.council_code""",
        [[k[0] for k in keys], [k[1] for k in keys]],
    ):
        bench[(r["council_code"], r["metric_id"], r["period"], r["group_type"])] = r
        if r["group_type"] == "region":
            region_values[(r["metric_id"], r["period"])].append(r)
    facts = {}
    for r in _rows(
        conn,
        """
            select f.council_code, f.metric_id, f.period, f.value, f.normalised_value, f.value_status, f.note,
                   f.source_kind, f.submission_id, f.return_month, f.loaded_versions, f.loaded_at, f.population_year,
                   f.population_basis
            from marts.fct_metric_value f
            join unnest(%s::text[], %s::text[]) as k(metric_id, period) using (metric_id, period)""",
        [[k[0] for k in keys], [k[1] for k in keys]],
    ):
        facts[(r["council_code"], r["metric_id"], r["period"])] = r
    series = defaultdict(list)
    for r in _rows(
        conn,
        """
            with cur as (
                select b.metric_id, max(b.period_index) as last_index
                from marts.mart_benchmark b
                join unnest(%s::text[], %s::text[]) as k(metric_id, period) using (metric_id, period)
                group by b.metric_id
            )
            select b.council_code, b.metric_id, b.period, b.period_index, b.group_type, b.normalised_value,
                   b.region_value, b.group_median, d.financial_year
            from marts.mart_benchmark b
            join cur on cur.metric_id = b.metric_id
            join marts.dim_period d on d.period = b.period and d.frequency = b.frequency
            where b.period_index between cur.last_index - %s and cur.last_index
              and b.group_type in ('region', 'nearest_neighbours')
            order by b.council_code, b.metric_id, b.period_index""",
        [list(current), list(current.values()), TREND_WINDOW - 1],
    ):
        series[(r["council_code"], r["metric_id"])].append(r)
    # DEFRA publishes rates only: with no council numerators the region's figure is the
    # published one (mart_region_performance, by financial year)
    published = {
        (r["metric_id"], r["financial_year"]): r
        for r in _rows(
            conn,
            """
        select metric_id, financial_year, region_published_value from marts.mart_region_performance
        where region_published_value is not null""",
        )
    }
    neighbours, labels = defaultdict(list), {}
    for r in _rows(
        conn,
        """select * from marts.mart_comparison_groups
                            order by council_code, group_type, neighbour_rank nulls first, member_council_name""",
    ):
        labels[(r["council_code"], r["group_type"])] = r["group_label"]
        if r["group_type"] == "nearest_neighbours" and not r["is_self"]:
            neighbours[r["council_code"]].append(r)
    submission = {
        r["council_code"]: r
        for r in _rows(conn, "select * from marts.mart_submission_quality where return_month = %s", [month])
    }
    year = defaultdict(list)
    for r in _rows(
        conn,
        """select * from marts.mart_submission_quality
                            where return_month > %s and return_month <= %s order by return_month""",
        [calendar.add_months(month, -12), month],
    ):
        year[r["council_code"]].append(r)
    problems = region_problems(conn, current)
    best = _rows(conn, "select * from marts.mart_best_practice order by metric_id, rank, council_name")
    period_labels = dict(conn.execute("select period, period_label from marts.dim_period").fetchall())
    return MonthData(
        month,
        as_at,
        mets,
        councils(conn),
        current,
        previous_pack,
        bench,
        dict(region_values),
        facts,
        dict(series),
        published,
        dict(neighbours),
        labels,
        submission,
        dict(year),
        problems,
        best,
        period_labels,
        context=council_context(conn),
        economy=region_economy(conn),
        case_studies=case_studies_by_metric(case_studies(conn)),
    )
