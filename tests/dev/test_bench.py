"""`make bench`: the loader's COPY step, and the benchmark run end to end at a small
scale (two years of history against one) on the real server, Airflow and dbt. Speed
targets are not asserted here (they are the benchmark's output, not a test's); what is
asserted is that every figure is measured from real work and written out."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import pytest


def _scratch_table(conn, name: str) -> str:
    conn.execute("create schema if not exists bench_test")
    conn.execute(f"drop table if exists bench_test.{name}")
    conn.execute(f"create table bench_test.{name} (like raw.council_return_rows including all)")
    conn.commit()
    return f"bench_test.{name}"


def _rows(values):
    import pandas as pd

    return pd.DataFrame(
        {
            "row_number": range(1, len(values) + 1),
            "council_code": "E08000025",
            "return_period": "2026-01",
            "metric_id": [f"m{i}" for i in range(len(values))],
            "period": "2026-01",
            "value": pd.Series(values, dtype=object),
            "numerator": pd.Series([None] * len(values), dtype=object),
            "denominator": pd.Series([float("nan")] * len(values), dtype=object),
            "status": "reported",
            "note": pd.Series([None, "estimated"] + [None] * (len(values) - 2), dtype=object),
        }
    )


def test_copy_rows_writes_blanks_as_null_and_numbers_exactly(warehouse):
    from decimal import Decimal

    from councilbench.ingest.raw import copy_rows
    from councilbench.returns.kind import RETURN_ROWS
    from councilbench.warehouse.connection import connect

    with connect(warehouse) as conn:
        table = _scratch_table(conn, "copy_exact")
        scratch = replace(RETURN_ROWS, name=table)  # the loader's table, under another name
        with conn.transaction():
            assert copy_rows(conn, scratch, 7, _rows([12.5, None, float("nan"), 0.1, 123456789.25])) == 5
        got = conn.execute(
            f"select submission_id, row_number, value, numerator, denominator, note from {table} order by row_number"
        ).fetchall()
    assert [g[0] for g in got] == [7] * 5
    assert [g[2] for g in got] == [Decimal("12.5"), None, None, Decimal("0.1"), Decimal("123456789.25")]
    assert all(g[3] is None and g[4] is None for g in got)
    assert [g[5] for g in got] == [None, "estimated", None, None, None]


def test_copy_rows_refuses_a_non_finite_number_and_loads_nothing(warehouse):
    from councilbench.ingest.raw import copy_rows
    from councilbench.returns.kind import RETURN_ROWS
    from councilbench.warehouse.connection import connect

    with connect(warehouse) as conn:
        table = _scratch_table(conn, "copy_inf")
        with pytest.raises(ValueError, match="non-finite number in column value"), conn.transaction():
            copy_rows(conn, replace(RETURN_ROWS, name=table), 1, _rows([1.0, math.inf]))
        assert conn.execute(f"select count(*) from {table}").fetchone()[0] == 0


@pytest.fixture(scope="module")
def small_bench(pipeline_run):
    """The bench at small scale (two years of history against one): tests/conftest.py's
    session run, which the oracle (tests/oracle/) checks the kept warehouse of."""
    return pipeline_run.figures, pipeline_run.lines, pipeline_run.developer_state


def test_bench_measures_every_target_from_real_work(small_bench, state_dir):
    from councilbench.core import settings

    figures, lines, _ = small_bench
    by_key = {f.key: f for f in figures.figures}
    for key in ("backfill_rows_per_second", "backfill_seconds", "loader_vs_bare_copy_ratio", "dbt_add_month_ratio"):
        assert by_key[key].value > 0 and by_key[key].target is not None, key
        assert by_key[key].met in (True, False)
    # The suite's small run takes no month through Airflow (the conftest's airflow_paths: the
    # scheduler and Celery tests run months of their own): those figures are left out, not faked.
    assert not [k for k in by_key if k.startswith(("month_through_scheduler", "month_dags_test", "airflow_vs"))]
    assert figures.conditions["airflow_months"] == {}
    assert any("then through Airflow: no month" in line for line in lines)
    # Two years of history for 33 councils were loaded through the pipeline.
    assert "792 returns" in figures.conditions["scale"]
    # Every DAG file was parsed by Airflow's DagBag, one figure each.
    dag_files = sorted(p.name for p in settings.dags_dir().glob("*.py") if not p.name.startswith("_"))
    parsed = sorted(k.split(":", 1)[1] for k in by_key if k.startswith("dag_parse_seconds:"))
    assert parsed == dag_files
    assert all(0 < by_key[f"dag_parse_seconds:{name}"].value < 30 for name in dag_files)
    # The ratios are what the timings say.
    load = by_key["copy_vs_to_sql_ratio"]
    assert load.value == pytest.approx(by_key["copy_rows_per_second"].value / by_key["to_sql_rows_per_second"].value)
    assert "bare server-side COPY FROM file" in by_key["loader_vs_bare_copy_ratio"].detail
    assert any("backfill of 24 months" in line for line in lines)
    # Every explorer page was opened in headless Chromium on the bench's marts and timed
    # against its target; the open data release was written and validated, and timed.
    for page in ("metric", "council", "region", "submissions", "check", "data"):
        render = by_key[f"explorer_first_render_seconds:{page}"]
        assert 0 < render.value < 120 and render.target == 1.5 and render.met in (True, False), page
        assert f"/{page}" in render.label and "2 years of marts" in render.detail
    export = by_key["opendata_export_seconds"]
    assert export.value > 0 and export.target is None
    assert re.search(r"\d+ marts as CSV \([\d,]+ rows", export.detail) and "validated" in export.detail
    release = state_dir / "bench" / "opendata"
    assert (release / "datapackage.json").is_file() and len(list(release.glob("*.csv"))) >= 5


def test_bench_writes_its_figures_and_drops_its_databases(small_bench, pipeline_run, server, tmp_path):
    from councilbench.warehouse.connection import connect

    figures, lines, _ = small_bench
    as_json, as_text = figures.write(tmp_path)
    written = json.loads(as_json.read_text())
    assert {f["key"] for f in written["figures"]} == {f.key for f in figures.figures}
    text = as_text.read_text()
    for f in figures.figures:
        assert f.label in text
        if f.target is not None:
            assert ("met" if f.met else "MISSED") in text
    names = figures.conditions["databases"]
    assert len(names) == 2
    # the session keeps the "big" warehouse for the oracle (and drops it at the end), and the
    # bench said so as soon as it existed; every other database it made is gone
    kept = pipeline_run.warehouse.database
    assert kept in names and f"keeping {kept} afterwards (and {kept}_airflow)" in "\n".join(lines)
    dropped = [n for n in names if n != kept]
    dropped += [f"{n}_airflow" for n in dropped]  # the Airflow metadata of each goes too
    with connect(server.with_database("postgres")) as conn:
        left = conn.execute("select datname from pg_database where datname = any(%s)", [[*dropped, kept]]).fetchall()
    assert left == [(kept,)]


def test_bench_leaves_the_developers_state_alone(small_bench, state_dir):
    """The bench's dbt builds and docs, its Airflow services and `airflow dags test` run in
    <state>/bench/state: the developer's dbt target, docs and Airflow home are unchanged."""
    _, _, developer_state = small_bench
    assert developer_state["after"] == developer_state["before"]
    own = state_dir / "bench" / "state"
    assert (own / "dbt" / "target" / "manifest.json").is_file()  # the bench's dbt builds
    assert (own / "airflow" / "secrets.json").is_file()  # its Airflow home (the DAG files parsed there)
