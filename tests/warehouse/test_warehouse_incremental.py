"""Incremental models: a new month costs that month's work, a late correction costs the
periods it touches, and the result is exactly what a full refresh builds."""

from __future__ import annotations

import re

import pytest

import warehouse_data as wd
from councilbench.dev.sample_returns import generate_return
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt

INCREMENTAL = {
    "intermediate.int_returns__latest_values": "model.councilbench.int_returns__latest_values",
    "marts.fct_metric_value": "model.councilbench.fct_metric_value",
    "marts.mart_benchmark": "model.councilbench.mart_benchmark",
}
#: Incremental by financial year (no period column): checked against a full refresh too.
ANNUAL = {"marts.mart_region_performance": "model.councilbench.mart_region_performance"}
CORRECTED = ("E08000027", "2025-10")  # Dudley re-sends October 2025 without agency staff
DROPPED_METRIC = "wf_agency_staff_pct"


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


def latest_batch(conn, table: str) -> tuple[int, int, list[str]]:
    """(rows in the table, rows written by the last run, the periods they are for)."""
    return conn.execute(f"""
        select count(*),
               count(*) filter (where dbt_updated_at = (select max(dbt_updated_at) from {table})),
               coalesce(array_agg(distinct period order by period)
                        filter (where dbt_updated_at = (select max(dbt_updated_at) from {table})), '{{}}')
        from {table}""").fetchone()


def build(warehouse, *args: str) -> dict:
    """dbt (build unless told otherwise); rows written and seconds of each incremental model."""
    result = run_dbt(warehouse, list(args) or ["build"])
    assert result.success
    nodes = {n["node"]: n for n in result.nodes}
    return {
        t: (int(re.search(r"(\d+)$", nodes[n]["message"]).group(1)), nodes[n]["seconds"])
        for t, n in INCREMENTAL.items()
    }


def columns(conn, table: str) -> list[str]:
    schema, name = table.split(".")
    return [
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
            " and column_name <> 'dbt_updated_at' order by ordinal_position",
            [schema, name],
        )
    ]


def written_by_last_run(conn, table: str) -> list[tuple[str, int, str]]:
    """(frequency, period_index, metric_id) of every row the table's last run wrote."""
    return conn.execute(f"""
        select p.frequency, p.period_index, t.metric_id
        from {table} as t
        join marts.fct_metric_value as f using (council_code, metric_id, period)
        join marts.dim_period as p on p.period = t.period and p.frequency = f.frequency
        where t.dbt_updated_at = (select max(dbt_updated_at) from {table})""").fetchall()


def financial_year(month: str, shift: int = 0) -> str:
    """'2025-10' -> '2025-26' (April to March), shifted by whole years."""
    start = int(month[:4]) - (1 if int(month[5:]) < 4 else 0) + shift
    return f"{start}-{(start + 1) % 100:02d}"


def assert_annual_rewrote_around(conn, month: str) -> None:
    """mart_region_performance's last run rewrote the month's financial year and, beyond
    it, only the years after it that the benchmark's look-forward (12 periods) and the
    next year's direction reach."""
    written = {
        r[0]
        for r in conn.execute(
            """select distinct financial_year from marts.mart_region_performance
           where dbt_updated_at = (select max(dbt_updated_at) from marts.mart_region_performance)"""
        )
    }
    assert financial_year(month) in written, written
    assert written <= {financial_year(month, d) for d in (0, 1, 2)}, written


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:]) - 1


def assert_benchmark_reaches_back_only_to(conn, month: str) -> None:
    """mart_benchmark's last run rewrote the month (all of it) and, beyond it, only monthly
    periods whose comparisons reach back to it (previous period, a year later, 12-period
    trend windows): later periods exist when other tests loaded them."""
    base = month_index(month)
    written = written_by_last_run(conn, "marts.mart_benchmark")
    assert written and all(freq == "monthly" and 0 <= index - base <= 12 for freq, index, _ in written), sorted(
        {(f, i) for f, i, _ in written}
    )
    metrics = sorted({m for _, index, m in written if index == base})
    in_month = conn.execute(
        "select count(*) from marts.mart_benchmark where period = %s and metric_id = any(%s)", [month, metrics]
    ).fetchone()[0]
    assert sum(1 for _, index, _ in written if index == base) == in_month > 0


def test_new_month_then_correction_then_full_refresh(built):
    wh = built.warehouse
    with connect(wh, autocommit=True) as conn:
        before = {t: latest_batch(conn, t)[0] for t in INCREMENTAL}

        # 1. A new month for all 33 councils: only that month is written (and, in the
        #    benchmark, later periods whose look-back reaches it, if any exist).
        added = wd.load_council_returns(wh, [wd.NEXT_MONTH], scenario=None)
        wd.analyze(wh)
        month = build(wh)
        assert_annual_rewrote_around(conn, wd.NEXT_MONTH)
        for table in ("intermediate.int_returns__latest_values", "marts.fct_metric_value"):
            _total, written, periods = latest_batch(conn, table)
            assert periods == [wd.NEXT_MONTH] and written == added.rows == month[table][0], (table, periods)
        assert month["marts.mart_benchmark"][0] == latest_batch(conn, "marts.mart_benchmark")[1]
        assert_benchmark_reaches_back_only_to(conn, wd.NEXT_MONTH)

        # 2. A late correction of an old month that leaves a metric out: its rows and the
        #    periods whose comparisons reach back to it, nothing else; the dropped key goes.
        wd.resubmit(wh, *CORRECTED, drop_metric=DROPPED_METRIC)
        correction = build(wh)
        assert_annual_rewrote_around(conn, CORRECTED[1])
        resent = len(generate_return(*CORRECTED)) - 1
        for table in ("intermediate.int_returns__latest_values", "marts.fct_metric_value"):
            _, written, periods = latest_batch(conn, table)
            assert periods == [CORRECTED[1]] and written == resent, (table, written, periods)
        assert_benchmark_reaches_back_only_to(conn, CORRECTED[1])
        assert (
            conn.execute(
                "select count(*) from marts.fct_metric_value where council_code = %s and period = %s"
                " and metric_id = %s",
                [*CORRECTED, DROPPED_METRIC],
            ).fetchone()[0]
            == 0
        )

        # 3. The incremental result is exactly a full refresh's.
        for table in [*INCREMENTAL, *ANNUAL]:
            conn.execute(
                f"create temp table {table.split('.')[1]}_incremental as "
                f"select {', '.join(columns(conn, table))} from {table}"
            )
        # (only the incremental models need rebuilding from scratch: the rest are tables
        # rebuilt by every run, and the last build just tested them)
        full = build(
            wh,
            "run",
            "--full-refresh",
            "--select",
            *(n.split(".")[-1] for n in [*INCREMENTAL.values(), *ANNUAL.values()]),
        )
        print(f"\nrows written and seconds: new month {month}\ncorrection {correction}\nfull refresh {full}")
        for table in [*INCREMENTAL, *ANNUAL]:
            cols = ", ".join(columns(conn, table))
            snapshot = f"{table.split('.')[1]}_incremental"
            only_incremental = conn.execute(
                f"select count(*) from (select {cols} from {snapshot} except all select {cols} from {table}) d"
            ).fetchone()[0]
            only_full = conn.execute(
                f"select count(*) from (select {cols} from {table} except all select {cols} from {snapshot}) d"
            ).fetchone()[0]
            assert (only_incremental, only_full) == (0, 0), table
        for table in INCREMENTAL:
            assert full[table][0] == latest_batch(conn, table)[0] > before[table]
        # a month's work is a small part of the history's
        for table in INCREMENTAL:
            assert month[table][0] * 5 < full[table][0], table
