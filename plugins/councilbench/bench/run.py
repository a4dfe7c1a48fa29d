"""`make bench`: ten years of monthly returns for all 33 councils, generated, served over
HTTP from 127.0.0.1 and loaded through the real pipeline into scratch databases on the
resolved PostgreSQL server (dropped afterwards), with each figure printed beside its
target and written to <state>/bench/figures.json and figures.txt.

The months, for a run on date D (E = the latest month already due on D, as the demo):
- history: the `years` x 12 months ending two months before E;
- the "add one month" month: the month before E, loaded in-process, then dbt is timed;
- E itself: the month end to end through Airflow (council_returns then warehouse_build,
  each with `airflow dags test`, so every task runs in Airflow's task runner).

The dbt ratio compares like with like: two warehouses, one with `years` of history and
one with `baseline_years`, each fully built, then the same month added and the same
`dbt build` timed.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from councilbench import bootstrap, config, reference_data
from councilbench.bench import loads, parse_times
from councilbench.bench.figures import Figure, Figures
from councilbench.warehouse import Warehouse, connect

TARGETS = {
    "month_through_airflow_seconds": 60.0,
    "backfill_seconds": 600.0,
    "copy_vs_to_sql_ratio": 10.0,
    "dbt_add_month_ratio": 1.5,
    "dag_parse_seconds": 0.5,
}


class Clock:
    """Prints each step as it starts and how long it took."""

    def __init__(self, out: Callable[[str], None]):
        self.out = out

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[dict]:
        self.out(f"  {what} ...")
        box: dict = {}
        started = time.monotonic()
        yield box
        box["seconds"] = round(time.monotonic() - started, 2)
        self.out(f"  {what}: {box['seconds']:.1f} s")


@contextlib.contextmanager
def scratch_warehouse(server: Warehouse, label: str, *, keep: bool = False) -> Iterator[Warehouse]:
    """A new database on the server with schemas, roles and reference data; dropped
    afterwards (unless keep) so a benchmark never touches the real warehouse."""
    wh = server.with_database(f"councilbench_bench_{label}_{uuid.uuid4().hex[:6]}")
    try:
        bootstrap.up(wh)
        reference_data.refresh(wh)
        yield wh
    finally:
        if not keep:
            bootstrap.drop_database(wh)


def _raw_counts(warehouse: Warehouse) -> tuple[int, int]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            """select count(distinct s.submission_id), count(*) from raw.council_return_rows r
               join ops.submissions s using (submission_id) where s.status = 'loaded'""").fetchone()


def _load_public(warehouse: Warehouse) -> None:
    """The public statistics the marts use (population for per-capita values)."""
    from councilbench.public import datasets, load

    results = load.refresh_all(warehouse, datasets.default_ranges(date.today()))
    failed = [r.as_dict() for r in results if r.status not in ("loaded", "unchanged")]
    if failed:
        raise RuntimeError(f"public sources did not load: {failed}")


def _history(warehouse: Warehouse, months: list[str], base_url: str) -> dict:
    """Backfill `months` (pull -> raw, 12 months per GX run) then a full dbt build."""
    from councilbench.returns.pipeline import backfill
    from councilbench.warehouse_build import build_models

    started = time.monotonic()
    backfill(warehouse, months, returns_base_url=base_url, notify=False)
    raw_s = time.monotonic() - started
    started = time.monotonic()
    build = build_models(warehouse, unit_tests=False)   # what the warehouse_build DAG runs
    return {"raw_seconds": round(raw_s, 2), "dbt_seconds": round(time.monotonic() - started, 2),
            "dbt_nodes": build["nodes"]}


def _add_month(warehouse: Warehouse, month: str, base_url: str) -> dict:
    """Load one more month in-process, then time the `dbt build` that adds it."""
    from councilbench.returns.pipeline import run_month
    from councilbench.warehouse_build import build_models

    started = time.monotonic()
    summary = run_month(warehouse, month, returns_base_url=base_url, notify=False)
    raw_s = time.monotonic() - started
    started = time.monotonic()
    build = build_models(warehouse, unit_tests=False)
    return {"raw_seconds": round(raw_s, 2), "dbt_seconds": round(time.monotonic() - started, 2),
            "loaded": summary["loaded"], "incremental": build["incremental"]}


def _seconds_until_task_end(log: Path, task_id: str, started: datetime) -> float:
    """Seconds from `started` to the end of a task, read from `airflow dags test` output."""
    marker = f"[DAG TEST] end task task_id={task_id} "
    for line in log.read_text().splitlines():
        if marker in line:
            return round((datetime.fromisoformat(line.split()[0]) - started).total_seconds(), 1)
    raise RuntimeError(f"no end of task {task_id} in {log}")


def _month_through_airflow(warehouse: Warehouse, month: str, base_url: str, smtp_port: int) -> dict:
    from councilbench.airflow_env import airflow_environ, migrate, smtp_connection, warehouse_connection
    from councilbench.demo import run_dag

    env = airflow_environ(warehouse)
    # The scratch database, whatever the caller's environment names.
    env.update({"AIRFLOW_CONN_WAREHOUSE": warehouse_connection(warehouse), "WAREHOUSE_URL": warehouse.url,
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection("127.0.0.1", smtp_port),
                "COUNCILBENCH_RETURNS_BASE_URL": base_url})
    migrate(env)
    returns_s = run_dag(env, "council_returns", "-c", json.dumps({"period": month}))
    started = datetime.now(timezone.utc)
    build_s = run_dag(env, "warehouse_build")
    # The marts are built (and the MARTS asset announced) when dbt_build ends; the docs
    # task after it changes no mart, so it is reported beside the figure, not in it.
    marts_s = _seconds_until_task_end(config.state_path("logs") / "warehouse_build.log", "dbt_build", started)
    with connect(warehouse, role="loader") as conn:
        loaded = conn.execute("""select count(*) from ops.submissions where source_kind = 'council_return'
                                 and period = %s and status = 'loaded'""", [month]).fetchone()[0]
    with connect(warehouse, role="analyst") as conn:
        in_marts = conn.execute("select count(distinct council_code) from marts.fct_metric_value where period = %s",
                                [month]).fetchone()[0]
    return {"council_returns_seconds": returns_s, "warehouse_build_seconds": build_s, "until_marts_seconds": marts_s,
            "loaded": loaded, "councils_in_marts": in_marts, "env": env}


def run_bench(server: Warehouse, *, years: int = 10, baseline_years: int = 1, keep: bool = False,
              parse_rounds: int = 3, out: Callable[[str], None] = print) -> Figures:
    from councilbench.demo import demo_month
    from councilbench.demo_http import serve_folder
    from councilbench.mailcatcher import start_catcher
    from councilbench.public.demo import serve_demo_sources
    from councilbench.returns import sample
    from councilbench.returns.pipeline import months_between

    if not 1 <= baseline_years < years:
        raise ValueError("need 1 <= baseline_years < years")
    clock, figures = Clock(out), Figures()
    e2e_month = demo_month()
    add_month = sample.add_months(e2e_month, -1)
    last = sample.add_months(e2e_month, -2)
    history = months_between(sample.add_months(last, -(12 * years - 1)), last)
    baseline = history[-12 * baseline_years:]
    bench_dir = config.state_path("bench")
    returns_dir = bench_dir / "returns"
    out(f"councilbench bench: {years} years ({history[0]}..{history[-1]}) x 33 councils, "
        f"then {add_month} in-process and {e2e_month} through Airflow; baseline {baseline_years} year(s)")

    with clock.step(f"generating {len(history) + 2} months of sample returns") as gen:
        files = sample.write_returns(returns_dir, [*history, add_month, e2e_month])

    with serve_folder(returns_dir) as http, start_catcher(bench_dir / "mail") as mail, \
            serve_demo_sources(config.state_path("bench", "public-sources")) as public_env:
        # dbt runs in this process: errors only on the terminal (its full log is in
        # <state>/dbt/logs), so the bench's own progress lines stay readable.
        quiet = {**public_env, "DBT_QUIET": "true"}
        previous_env = {k: os.environ.get(k) for k in quiet}
        os.environ.update(quiet)
        try:
            with scratch_warehouse(server, "big", keep=keep) as big:
                figures.conditions.setdefault("databases", []).append(big.database)
                _load_public(big)
                with clock.step(f"backfill of {len(history)} months (pull -> raw) and dbt build") as step:
                    step.update(_history(big, history, http.url))
                backfilled = step
                backfilled["returns"], backfilled["rows"] = _raw_counts(big)
                with clock.step(f"adding {add_month} on top of {years} years") as step:
                    step.update(_add_month(big, add_month, http.url))
                big_add = step
                with clock.step(f"{e2e_month} through Airflow (council_returns, warehouse_build)") as step:
                    step.update(_month_through_airflow(big, e2e_month, http.url, mail.port))
                e2e, env = step, step.pop("env")
                with clock.step("COPY against pandas to_sql") as step:
                    step.update(loads.compare(big))
                load = step
            with scratch_warehouse(server, "baseline", keep=keep) as small:
                figures.conditions["databases"].append(small.database)
                _load_public(small)
                with clock.step(f"baseline: {len(baseline)} months and dbt build"):
                    _history(small, baseline, http.url)
                with clock.step(f"adding {add_month} on top of {baseline_years} year(s)") as step:
                    step.update(_add_month(small, add_month, http.url))
                small_add = step
        finally:
            for key, value in previous_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    with clock.step("parsing each DAG file"):
        parsed = parse_times.parse_times(config.dags_dir(), env, rounds=parse_rounds)

    figures.conditions.update({
        "scale": f"{years} years x 33 councils: {backfilled['returns']:,} returns, {backfilled['rows']:,} rows in raw "
                 f"({len(files):,} files generated in {gen['seconds']:.1f} s); baseline {baseline_years} year(s)",
        "server": f"PostgreSQL via {server.origin} (scratch databases, "
                  f"{'kept' if keep else 'dropped afterwards'}: {', '.join(figures.conditions['databases'])})",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "history": f"{history[0]}..{history[-1]}", "added_month": add_month, "airflow_month": e2e_month,
        "years": years, "baseline_years": baseline_years,
    })
    _month_figures(figures, e2e, e2e_month)
    _backfill_figures(figures, backfilled, len(history))
    _load_figures(figures, load)
    _dbt_figures(figures, big_add, small_add, years, baseline_years, add_month)
    for p in parsed:
        figures.add(Figure(f"dag_parse_seconds:{p['file']}", f"parse time of dags/{p['file']}", p["seconds"], "s",
                           TARGETS["dag_parse_seconds"], "<",
                           f"median of {parse_rounds} fresh processes (slowest {p['slowest']:.3f} s): {', '.join(p['dags'])}"))
    return figures


def _month_figures(figures: Figures, e2e: dict, month: str) -> None:
    total = e2e["council_returns_seconds"] + e2e["until_marts_seconds"]
    docs = e2e["warehouse_build_seconds"] - e2e["until_marts_seconds"]
    figures.add(Figure(
        "month_through_airflow_seconds", f"one month ({month}) end to end through Airflow, pull -> marts",
        total, "s", TARGETS["month_through_airflow_seconds"], "<",
        f"council_returns DAG {e2e['council_returns_seconds']:.1f} s ({e2e['loaded']} returns loaded) + "
        f"warehouse_build DAG until dbt_build ended {e2e['until_marts_seconds']:.1f} s "
        f"({e2e['councils_in_marts']} councils in marts.fct_metric_value for {month}); then dbt docs "
        f"{docs:.1f} s; each DAG by `airflow dags test` (process start included)"))


def _backfill_figures(figures: Figures, backfilled: dict, months: int) -> None:
    figures.add(Figure(
        "backfill_seconds", f"backfill of {months} months, pull -> marts",
        backfilled["raw_seconds"] + backfilled["dbt_seconds"], "s", TARGETS["backfill_seconds"], "<",
        f"pull, land, validate (12 months per GX run) and COPY {backfilled['returns']:,} returns / "
        f"{backfilled['rows']:,} rows: {backfilled['raw_seconds']:.1f} s; dbt build "
        f"({backfilled['dbt_nodes']} nodes) {backfilled['dbt_seconds']:.1f} s"))
    figures.add(Figure("backfill_rows_per_second", "backfill throughput, pull -> raw",
                       backfilled["rows"] / backfilled["raw_seconds"], "rows/s"))


def _load_figures(figures: Figures, load: dict) -> None:
    figures.add(Figure(
        "copy_vs_to_sql_ratio", "load speed: COPY / pandas to_sql (defaults), same rows",
        load["ratio"], "x", TARGETS["copy_vs_to_sql_ratio"], ">=",
        f"{load['rows']:,} rows: COPY {load['copy_rows_per_second']:,.0f} rows/s ({load['copy_seconds']:.2f} s), "
        f"to_sql {load['to_sql_rows_per_second']:,.0f} rows/s ({load['to_sql_seconds']:.2f} s; "
        "SQLAlchemy 2 + psycopg 3 batch its INSERTs)"))
    figures.add(Figure("copy_rows_per_second", "COPY (returns.load.copy_return_rows)",
                       load["copy_rows_per_second"], "rows/s"))
    figures.add(Figure("to_sql_rows_per_second", "pandas to_sql, defaults", load["to_sql_rows_per_second"], "rows/s"))
    figures.add(Figure(
        "copy_vs_to_sql_per_row_ratio", "COPY / to_sql with one INSERT per row (psycopg2, unbatched)",
        load["ratio_per_row"], "x",
        detail=f"to_sql per row {load['to_sql_per_row_rows_per_second']:,.0f} rows/s on {load['per_row_rows']:,} rows: "
               "how to_sql behaved before SQLAlchemy 2"))


def _dbt_figures(figures: Figures, big: dict, small: dict, years: int, baseline_years: int, month: str) -> None:
    figures.add(Figure(
        "dbt_add_month_ratio", f"dbt build adding {month}: {years} years of history / {baseline_years} year(s)",
        big["dbt_seconds"] / small["dbt_seconds"], "x", TARGETS["dbt_add_month_ratio"], "<=",
        f"{big['dbt_seconds']:.1f} s on top of {years} years, {small['dbt_seconds']:.1f} s on top of "
        f"{baseline_years}; incremental models: " + "; ".join(f"{k} {v}" for k, v in big["incremental"].items())))
    figures.add(Figure("month_in_process_seconds", f"one month ({month}) pull -> raw in-process (no Airflow)",
                       big["raw_seconds"], "s"))
