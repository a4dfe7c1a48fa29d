"""The region marts as analysts and the annual report read them (issue 12): a part-year is
never set against England's whole year, and the report says why; every value in a problem
reason carries its unit and one name (region_value) means the regional figure everywhere;
every period's list of region-wide problems is kept, so last month's can be read again;
model and column descriptions reach PostgreSQL comments; and a warehouse whose tables
were built before a column was renamed still builds, to the same rows."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from psycopg.rows import dict_row

import warehouse_data as wd
from councilbench.dev.sample_returns import add_months
from councilbench.reports import annual, data, render
from councilbench.reports import format as fmt
from councilbench.warehouse import build as warehouse_build
from councilbench.warehouse.connection import connect
from warehouse_copy import copy_database

#: The return-based recycling rate has only 2025-Q1 of 2024-25 in the test history (it
#: starts in March 2025), while DEFRA publishes England's figure for the whole year.
PART_YEAR = ("2024-25", "waste_household_recycling_rate")
WITHHELD = "1 of 4 quarters reported; England's figure is for the whole year"


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


@pytest.fixture(scope="module")
def own_warehouse(reference_template, state_dir):
    """A warehouse of this module's own, for the tests that add a month or alter tables (the
    session's is shared by modules that expect its months as they are): the test history,
    built as production builds it."""
    from councilbench.warehouse import bootstrap

    wh = copy_database(reference_template, "regions")
    wd.build_history(wh, Path(state_dir) / "region-marts-public-sources", months=wd.HISTORY[-8:])
    warehouse_build.build_models(wh, unit_tests=False)
    yield wh
    bootstrap.drop_database(wh)


def analyst_rows(warehouse, sql: str, params=None) -> list[dict]:
    with connect(warehouse, role="analyst") as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params or []).fetchall()


# --- item 1: a part-year is not compared with England's whole year ----------------------------


def test_a_part_year_is_not_compared_with_englands_whole_year(built):
    rows = {
        (r["financial_year"], r["metric_id"]): r
        for r in analyst_rows(
            built.warehouse,
            """
        select financial_year, metric_id, is_complete_year, periods_covered, region_vs_england,
               region_vs_england_withheld_reason
        from marts.mart_region_performance where england_value is not null""",
        )
    }
    part = rows[PART_YEAR]
    assert (part["is_complete_year"], part["region_vs_england"]) == (False, "not comparable")
    assert part["region_vs_england_withheld_reason"] == WITHHELD
    # complete years are compared; so is a part-year against England's mean of the same months
    assert rows[("2025-26", "waste_household_recycling_rate")]["region_vs_england"] in ("better", "worse", "same")
    claimant = rows[("2026-27", "econ_claimant_rate")]
    assert not claimant["is_complete_year"] and claimant["region_vs_england"] in ("better", "worse", "same")
    for key, r in rows.items():
        compared = r["region_vs_england"] in ("better", "worse", "same")
        assert compared == (r["region_vs_england_withheld_reason"] is None), key


def test_the_annual_report_says_why_a_part_year_is_not_compared(built):
    with data.open_marts(built.warehouse) as conn:
        report = annual.build(data.annual_data(conn, PART_YEAR[0]))
    html = unescape(render.annual_html(report))
    england_table = html[html.index('id="england"') : html.index("</section>", html.index('id="england"'))]
    row = re.search(r'<tr data-metric="waste_household_recycling_rate">.*?</tr>', england_table).group(0)
    assert f"Not compared: {WITHHELD}" in row and "Better" not in row and "Worse" not in row
    name = next(r.metric.metric_name for r in report.england_rows if r.metric.metric_id == PART_YEAR[1])
    against = next(f for f in report.findings if f.startswith("Against England"))
    # the DEFRA-published measure's name contains the return's: cut it out before looking
    assert name not in against.replace(f"{name} (DEFRA published)", "")
    assert f"Not compared with England yet: {name} ({WITHHELD})." in report.findings
    # the summary card counts only the metrics compared
    card = next(k for k in report.key_figures if k["source"] == "mart_region_performance.region_vs_england")
    compared = sum(1 for r in report.england_rows if r.vs_england in ("better", "worse", "same"))
    assert card["value"].endswith(f" of {compared}") and compared < len(report.england_rows)


# --- item 4: units, rounding and one name ----------------------------------------------------


def test_every_value_in_a_reason_carries_its_unit(built):
    rows = analyst_rows(
        built.warehouse,
        """
        select p.*, m.unit as catalogue_unit, m.normalised_unit
        from marts.mart_region_problems p join marts.dim_metric m using (metric_id)
        where p.problem_type in ('worse_than_england', 'region_worsening')""",
    )
    kinds = {r["problem_type"] for r in rows}
    assert kinds == {"worse_than_england", "region_worsening"}, kinds
    for r in rows:
        # the reports' own formatter prints the same figure the same way
        for value in (r["region_value"], r["england_value"], r["worsening_from_value"]):
            if value is not None:
                assert fmt.value(value, r["normalised_unit"], r["catalogue_unit"]) in r["reason"], r
        assert not re.search(r"per 100k|fte days|\d number\b", r["reason"]), r["reason"]
    # the test history has these (pounds per 1,000 residents: the dbt unit test on the model)
    assert {"fte_days", "per_100k", "percent", "per 1,000 residents"} <= {r["normalised_unit"] for r in rows}


def test_catalogue_units_and_england_figures_are_published_as_people_read_them(built):
    units = {
        r["metric_id"]: r["unit"] for r in analyst_rows(built.warehouse, "select metric_id, unit from marts.dim_metric")
    }
    assert units["waste_residual_household_waste_per_household"] == "kg"
    assert "number" not in units.values()
    for mart in ("mart_region_performance", "mart_region_problems"):
        [scale] = analyst_rows(
            built.warehouse,
            f"""
            select max(scale(england_value)) as england, max(scale(region_value)) as region from marts.{mart}""",
        )
        assert scale["england"] <= 6 and scale["region"] <= 6, (mart, scale)


def test_the_regional_figure_has_one_name_in_every_mart(built):
    columns = analyst_rows(
        built.warehouse,
        """
        select table_name, column_name from information_schema.columns
        where table_schema = 'marts' and column_name in ('region_value', 'regional_value')""",
    )
    assert {(c["table_name"], c["column_name"]) for c in columns} == {
        ("mart_benchmark", "region_value"),
        ("mart_region_performance", "region_value"),
        ("mart_region_problems", "region_value"),
    }


# --- item 9: descriptions become PostgreSQL comments ----------------------------------------


def test_model_and_column_descriptions_are_postgresql_comments(built):
    """What an analyst sees in DBeaver or Power BI: as the analyst role, every mart's
    comment is its yml description and every column's comment its column description. The
    documented columns are exactly the table's (should_full_refresh relies on it)."""
    manifest = json.loads((Path(built.summary["docs"]).parent / "manifest.json").read_text())
    with connect(built.warehouse, role="analyst") as conn:
        for mart in warehouse_build.MARTS:
            node = manifest["nodes"][f"model.councilbench.{mart}"]
            [comment] = conn.execute("select obj_description(%s::regclass, 'pg_class')", [f"marts.{mart}"]).fetchone()
            assert comment and comment.strip() == node["description"].strip(), mart
            columns = dict(
                conn.execute(
                    """
                select a.attname, col_description(a.attrelid, a.attnum) from pg_attribute a
                where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped""",
                    [f"marts.{mart}"],
                ).fetchall()
            )
            assert set(columns) == set(node["columns"]), mart
            for name, col in node["columns"].items():
                assert columns[name] and columns[name].strip() == col["description"].strip(), (mart, name)
        [region_value] = conn.execute(
            "select col_description('marts.mart_benchmark'::regclass, attnum) from pg_attribute"
            " where attrelid = 'marts.mart_benchmark'::regclass and attname = 'region_value'"
        ).fetchone()
        assert region_value.startswith("The regional aggregate for the metric and period")
    # every incremental model (an intermediate one too) is documented column for column, or
    # each build would rebuild it from all of history (macros/should_full_refresh.sql)
    with connect(built.warehouse) as conn:
        for model in warehouse_build.INCREMENTAL_MODELS:
            node = manifest["nodes"][f"model.councilbench.{model}"]
            table = {
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                    [node["schema"], model],
                ).fetchall()
            }
            assert table == set(node["columns"]), model


# --- item 5: every period's problems, the latest marked (these build the warehouse again) -------


def latest_region_periods(conn, month: str = "9999-12") -> dict[str, str]:
    """metric_id -> its latest period with region rows in mart_benchmark among those carried
    by returns up to the month (ranked metrics)."""
    return dict(
        conn.execute(
            """
        select distinct on (b.metric_id) b.metric_id, b.period
        from marts.mart_benchmark b join marts.dim_metric m using (metric_id)
        join marts.dim_period d on d.period = b.period and d.frequency = b.frequency
        where b.group_type = 'region' and m.polarity <> 'context' and d.return_month <= %s
        order by b.metric_id, b.period_index desc""",
            [month],
        ).fetchall()
    )


def marked_latest(conn) -> set[tuple[str, str]]:
    return set(conn.execute("select metric_id, period from marts.mart_region_problems where is_latest").fetchall())


def test_last_months_list_of_problems_can_be_read_again(own_warehouse):
    wh = own_warehouse
    with data.open_marts(wh) as conn:
        month = data.latest_return_month(conn)
        before = {
            (p["metric_id"], p["period"], p["problem_type"]): p["reason"] for p in data.month_data(conn, month).problems
        }
        as_of_month = latest_region_periods(conn, month)
        assert before and {(m, p) for m, p, _ in before} <= set(as_of_month.items())
        assert marked_latest(conn) <= set(latest_region_periods(conn).items())

    # a month later, the month's list is still there as it was, beside the new one
    wd.load_council_returns(wh, [add_months(month, 1)], scenario=None)
    wd.analyze(wh)
    warehouse_build.build_models(wh, unit_tests=False)
    with data.open_marts(wh) as conn:
        again = {
            (p["metric_id"], p["period"], p["problem_type"]): p["reason"] for p in data.month_data(conn, month).problems
        }
        now = latest_region_periods(conn)
        marked = marked_latest(conn)
        periods_kept = conn.execute("""
            select max(periods) from (select count(distinct period) as periods from marts.mart_region_problems
                                      group by metric_id) as per_metric""").fetchone()[0]
    assert again == before
    assert marked and marked <= set(now.items())
    moved_on = {(m, p) for m, p, _ in before if now[m] != p}
    assert moved_on and not marked & moved_on
    assert periods_kept >= 6


def test_a_warehouse_built_before_the_rename_builds_to_the_same_rows(own_warehouse):
    """Tables as the code before issue 12 left them (mart_benchmark.regional_value, no
    region_vs_england_withheld_reason): the next production build rebuilds them instead of
    failing on the schema change, and they hold exactly the rows they held."""
    wh = own_warehouse
    tables = {
        "marts.mart_benchmark": ("region_value", "regional_value"),
        "marts.mart_region_performance": ("region_vs_england_withheld_reason", None),
    }
    with connect(wh, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"create temp table {table.split('.')[1]}_now as select * from {table}")
        for table, (column, old_name) in tables.items():
            conn.execute(
                f"alter table {table} rename column {column} to {old_name}"
                if old_name
                else f"alter table {table} drop column {column}"
            )
        warehouse_build.build_models(wh, unit_tests=False)
        for table in tables:
            cols = ", ".join(
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
                    " and column_name <> 'dbt_updated_at'",
                    table.split("."),
                ).fetchall()
            )
            snapshot = f"{table.split('.')[1]}_now"
            differ = conn.execute(f"""select (select count(*) from (select {cols} from {table}
                                              except all select {cols} from {snapshot}) a),
                                             (select count(*) from (select {cols} from {snapshot}
                                              except all select {cols} from {table}) b)""").fetchone()
            assert differ == (0, 0), table
