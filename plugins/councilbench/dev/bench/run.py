"""`make bench`: ten years of monthly returns for all 33 councils, generated, served over
HTTP from 127.0.0.1 and loaded through the real pipeline into scratch databases on the
resolved PostgreSQL server (dropped afterwards), with each figure printed beside its
target and written to <state>/bench/figures.json and figures.txt. Everything it runs keeps
its state in <state>/bench/state (own_state), never in the developer's.

The months, for a run on date D (E = the latest month already due on D, as the demo):
- history: the `years` x 12 months ending four months before E;
- the "add one month" month, E-3: loaded in-process, then dbt is timed;
- E-2 through `airflow dags test` (the debugging path), E through the real scheduler with
  the LocalExecutor (the scheduler creates its run: its due date has passed), E-1 through
  the real scheduler with the CeleryExecutor and two workers (triggered through the REST
  API): see bench/airflow_month.py.

On the full history it also times each explorer page's first full render in headless
Chromium and the open data release (bench/explorer.py).

Then the spend figures (bench/spend.py), in a scratch database of their own: a year of
"spend over £500" for the 33 councils pulled -> marts, and supplier resolution of 50,000
raw names with its precision and recall. `run_spend_bench` (`councilbench bench --only
spend`, `make bench-spend`) runs only those. Then the pay figure (bench/pay.py): the 33
councils' pay deposits of a pay year (~200,000 posts) loaded and the pay statistics built,
in a scratch database of its own; `councilbench bench --only pay` runs only that.

The dbt ratio compares like with like: two warehouses, one with `years` of history and
one with `baseline_years`, each fully built, then the same month added and the same
`dbt build` timed.
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from datetime import date
from pathlib import Path

from councilbench.core import settings
from councilbench.dev.bench import airflow_month, explorer, loads, parse_times, spend
from councilbench.dev.bench.figures import Figure, Figures
from councilbench.warehouse import bootstrap, reference_data
from councilbench.warehouse.connection import Warehouse, connect

TARGETS = {
    "month_through_scheduler_seconds": 30.0,  # pull -> marts, each executor
    "backfill_rows_per_second": 10_000.0,  # pull -> raw
    "backfill_seconds": 45.0,  # ten years pull -> marts
    "loader_vs_bare_copy_ratio": 0.8,
    "dbt_add_month_ratio": 1.5,
    "dag_parse_seconds": 0.5,
    "explorer_first_render_seconds": 1.5,  # each page, on the full history
    "spend_year_seconds": 120.0,  # a year of spend over £500, 33 councils, pull -> marts
    "supplier_resolution_seconds": 60.0,  # 50,000 distinct raw supplier names
    "supplier_precision": 0.98,  # pairwise, at least
    "supplier_recall": 0.95,  # pairwise, at least
    "pay_stats_build_seconds": 30.0,  # pay statistics from ~200,000 posts, 33 councils x 5 group types, dbt
}

#: Distinct raw supplier names the supplier resolution figure resolves.
SUPPLIER_NAMES = 50_000

#: The ways a month goes through Airflow, each timed on a month of its own: `airflow dags
#: test` (the debugging path), the scheduler with the LocalExecutor, and with the
#: CeleryExecutor. `make bench` runs all three; the test suite's small run only the
#: LocalExecutor (tests/orchestration/ covers the others under their own tests).
AIRFLOW_PATHS = ("dags_test", "local", "celery")


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


#: Airflow settings that `eval "$(councilbench airflow-env)"` may have left in the shell,
#: pointing into the developer's state folder: the bench derives its own.
STATE_DERIVED_AIRFLOW_SETTINGS = ("AIRFLOW__CORE__PLUGINS_FOLDER", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")


def own_state(folder: Path):
    """Everything the bench runs keeps its state in `folder` (<state>/bench/state): dbt's
    target, docs and logs, the Airflow home of its services and of `airflow dags test`,
    landing files and logs. The developer's <state>/dbt, <state>/airflow, ... stay as they
    were: their docs never describe a scratch database the bench has dropped."""
    return settings.environ(
        {"COUNCILBENCH_STATE_DIR": str(folder), "AIRFLOW_HOME": str(folder / "airflow")},
        unset=STATE_DERIVED_AIRFLOW_SETTINGS,
    )


def _create_scratch(wh: Warehouse) -> None:
    """Schemas, roles and reference data: built, or copied from COUNCILBENCH_BENCH_TEMPLATE
    when the test suite names one (a database with the reference data built; nothing the
    bench times changes)."""
    template = settings.get("COUNCILBENCH_BENCH_TEMPLATE")
    if template:
        bootstrap.copy_database(wh.with_database(template), wh)
    else:
        bootstrap.up(wh)
        reference_data.refresh(wh)


def _keeps(keep: bool | Collection[str], label: str) -> bool:
    """keep: every scratch database (True), none (False), or those of these labels
    (the test suite keeps {"big"}, the warehouse its oracle checks, and drops it itself)."""
    return keep if isinstance(keep, bool) else label in keep


def _say_kept(out: Callable[[str], None], keep: bool | Collection[str], label: str, wh: Warehouse) -> None:
    """Name a database that will be kept, as soon as it exists (a run that fails keeps it too)."""
    if _keeps(keep, label):
        out(f"  keeping {wh.database} afterwards (and {wh.database}_airflow)")


@contextlib.contextmanager
def scratch_warehouse(server: Warehouse, label: str, *, keep: bool = False) -> Iterator[Warehouse]:
    """A new database on the server with schemas, roles and reference data; dropped
    afterwards (unless keep) so a benchmark never touches the real warehouse."""
    wh = server.with_database(f"councilbench_bench_{label}_{uuid.uuid4().hex[:6]}")
    try:
        _create_scratch(wh)
        yield wh
    finally:
        if not keep:
            bootstrap.drop_database(wh)
            bootstrap.drop_database(wh.with_database(f"{wh.database}_airflow"))  # its Airflow's metadata


def _raw_counts(warehouse: Warehouse) -> tuple[int, int]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            """select count(distinct s.submission_id), count(*) from raw.council_return_rows r
               join ops.submissions s using (submission_id) where s.status = 'loaded'"""
        ).fetchone()


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
    from councilbench.warehouse.build import build_models

    started = time.monotonic()
    backfill(warehouse, months, returns_base_url=base_url, notify=False)
    raw_s = time.monotonic() - started
    started = time.monotonic()
    build = build_models(warehouse, unit_tests=False)  # what the warehouse_build DAG runs
    return {
        "raw_seconds": round(raw_s, 2),
        "dbt_seconds": round(time.monotonic() - started, 2),
        "dbt_nodes": build["nodes"],
    }


def _add_month(warehouse: Warehouse, month: str, base_url: str) -> dict:
    """Load one more month in-process, then time the `dbt build` that adds it."""
    from councilbench.returns.pipeline import run_month
    from councilbench.warehouse.build import build_models

    started = time.monotonic()
    summary = run_month(warehouse, month, returns_base_url=base_url, notify=False)
    raw_s = time.monotonic() - started
    started = time.monotonic()
    build = build_models(warehouse, unit_tests=False)
    return {
        "raw_seconds": round(raw_s, 2),
        "dbt_seconds": round(time.monotonic() - started, 2),
        "loaded": summary["loaded"],
        "incremental": build["incremental"],
    }


def run_bench(
    server: Warehouse,
    *,
    years: int = 10,
    baseline_years: int = 1,
    keep: bool | Collection[str] = False,
    parse_rounds: int = 3,
    spend_scale: float | None = 1.0,
    pay_scale: float | None = 1.0,
    airflow_paths: Collection[str] = AIRFLOW_PATHS,
    out: Callable[[str], None] = print,
) -> Figures:
    """The whole benchmark (see the module doc), in a state folder of its own.
    spend_scale: a share of a year's spend lines (1.0: the whole million); None leaves
    the spend figures out (run_spend_bench measures them alone). airflow_paths: which of
    AIRFLOW_PATHS to time (the others' figures are left out). keep: True keeps every
    scratch database, or the labels of those to keep ("big", "baseline", "spend", "pay"),
    each named on `out` as soon as it exists."""
    if not 1 <= baseline_years < years:
        raise ValueError("need 1 <= baseline_years < years")
    if unknown := set(airflow_paths) - set(AIRFLOW_PATHS):
        raise ValueError(f"unknown Airflow paths {sorted(unknown)}: choose from {AIRFLOW_PATHS}")
    bench_dir = settings.state_path("bench")
    with own_state(bench_dir / "state"):
        figures = _run_bench(
            server,
            bench_dir,
            years=years,
            baseline_years=baseline_years,
            keep=keep,
            parse_rounds=parse_rounds,
            airflow_paths=set(airflow_paths),
            out=out,
        )
        if spend_scale is not None:
            _spend_bench(server, bench_dir, figures, scale=spend_scale, keep=_keeps(keep, "spend"), clock=Clock(out))
        if pay_scale is not None:
            from councilbench.dev.bench.pay import run_pay_bench  # it imports this module

            pay = run_pay_bench(server, scale=pay_scale, keep=_keeps(keep, "pay"), out=out)
            figures.conditions.setdefault("databases", []).extend(pay.conditions["databases"])
            figures.conditions["pay"] = {"scale": pay.conditions["scale"], **pay.conditions["pay"]}
            for figure in pay.figures:
                figures.add(figure)
    return figures


def run_spend_bench(
    server: Warehouse,
    *,
    scale: float = 1.0,
    supplier_names: int = SUPPLIER_NAMES,
    keep: bool = False,
    out: Callable[[str], None] = print,
) -> Figures:
    """Only the spend figures (`councilbench bench --only spend`), in the bench's state folder."""
    bench_dir = settings.state_path("bench")
    figures = Figures()
    figures.conditions["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    with own_state(bench_dir / "state"):
        _spend_bench(
            server, bench_dir, figures, scale=scale, keep=keep, clock=Clock(out), supplier_names=supplier_names
        )
    spend_run = figures.conditions["spend"]
    figures.conditions["scale"] = spend_run["scale"]
    figures.conditions["server"] = f"PostgreSQL via {server.origin} (scratch database {spend_run['database']}, " + (
        "kept)" if keep else "dropped afterwards)"
    )
    return figures


def _spend_bench(
    server: Warehouse,
    bench_dir: Path,
    figures: Figures,
    *,
    scale: float,
    keep: bool,
    clock: Clock,
    supplier_names: int = SUPPLIER_NAMES,
) -> None:
    """The spend figures (bench/spend.py) added to `figures`: the year's files written
    first (not timed), served from 127.0.0.1 into a scratch database of their own."""
    import shutil

    from councilbench.dev import sample_spend
    from councilbench.dev.file_server import serve_folder

    months, quarters = spend.financial_year(date.today())
    spend_dir = bench_dir / "spend-files"
    shutil.rmtree(spend_dir, ignore_errors=True)  # files of another scale or seed never linger
    with clock.step(f"generating a year of spend over £500 ({months[0]}..{months[-1]}, scale {scale:g})") as gen:
        sample = sample_spend.write(spend_dir, months, scale=scale)
    with (
        serve_folder(spend_dir) as http,
        settings.environ({"DBT_QUIET": "true"}),
        scratch_warehouse(server, "spend", keep=keep) as wh,
    ):
        figures.conditions.setdefault("databases", []).append(wh.database)
        with clock.step(f"the year pulled -> marts, a quarter at a time ({', '.join(quarters)})"):
            year = spend.run_year(wh, quarters, http.url, out=clock.out)
        with clock.step("the explorer's pooled spend page on the year, in headless Chromium"):
            page_seconds = explorer.render_times(
                wh, bench_dir / "explorer-spend", explorer.SPEND_PAGES, warm_up="home"
            )  # a spend-only warehouse: the front page warms up, it reads no returns marts
    with clock.step(f"supplier resolution of {supplier_names:,} raw names"):
        suppliers = spend.supplier_figures(supplier_names, TARGETS)
    figures.conditions["spend"] = {
        "scale": f"a year of spend over £500 ({months[0]}..{months[-1]}) x 33 councils: {len(sample.files)} files, "
        f"{sample.line_count:,} lines (written in {gen['seconds']:.1f} s, scale {scale:g}, not timed)",
        "database": wh.database,
        "quarters": quarters,
        "supplier_names": supplier_names,
    }
    for figure in [*spend.year_figures(year, months, TARGETS), *suppliers]:
        figures.add(figure)
    for page, seconds in page_seconds.items():
        query = "&".join(f"{k}={v}" for k, v in explorer.SPEND_PAGES[page].items())
        figures.add(
            Figure(
                f"explorer_first_render_seconds:{page}",
                f"explorer page /{page}?{query}: first full render",
                seconds,
                "s",
                TARGETS["explorer_first_render_seconds"],
                "<",
                "headless Chromium, from navigation start until the page, its charts and tables were drawn; a first "
                f"visit on a year of spend ({sample.line_count:,} lines)",
            )
        )


def _run_bench(
    server: Warehouse,
    bench_dir: Path,
    *,
    years: int,
    baseline_years: int,
    keep: bool | Collection[str],
    parse_rounds: int,
    airflow_paths: set[str],
    out: Callable[[str], None],
) -> Figures:
    from councilbench.core.calendar import add_months, months_between
    from councilbench.dev import sample_returns as sample
    from councilbench.dev.demo import demo_month
    from councilbench.dev.file_server import serve_folder
    from councilbench.dev.mailcatcher import start_catcher
    from councilbench.dev.public_sources import serve_demo_sources

    clock, figures = Clock(out), Figures()
    e2e_month = demo_month()
    add_month, dags_test_month, celery_month = (add_months(e2e_month, k) for k in (-3, -2, -1))
    last = add_months(e2e_month, -4)
    history = months_between(add_months(last, -(12 * years - 1)), last)
    baseline = history[-12 * baseline_years :]
    returns_dir = bench_dir / "returns"
    airflow_months = {
        path: month
        for path, month in (("dags_test", dags_test_month), ("local", e2e_month), ("celery", celery_month))
        if path in airflow_paths
    }
    out(
        f"councilbench bench: {years} years ({history[0]}..{history[-1]}) x 33 councils, then {add_month} "
        f"in-process, then through Airflow: {_airflow_text(airflow_months)}; baseline {baseline_years} year(s)"
    )

    with clock.step(f"generating {len(history) + 4} months of sample returns") as gen:
        files = sample.write_returns(returns_dir, [*history, add_month, dags_test_month, celery_month, e2e_month])

    # dbt runs in this process: errors only on the terminal (its full log is in
    # <bench state>/dbt/logs), so the bench's own progress lines stay readable.
    with (
        serve_folder(returns_dir) as http,
        start_catcher(bench_dir / "mail") as mail,
        serve_demo_sources(bench_dir / "public-sources") as public_env,
        settings.environ({**public_env, "DBT_QUIET": "true"}),
    ):
        with scratch_warehouse(server, "big", keep=_keeps(keep, "big")) as big:
            figures.conditions.setdefault("databases", []).append(big.database)
            _say_kept(out, keep, "big", big)
            _load_public(big)
            with clock.step(f"backfill of {len(history)} months (pull -> raw) and dbt build") as step:
                step.update(_history(big, history, http.url))
            backfilled = step
            backfilled["returns"], backfilled["rows"] = _raw_counts(big)
            with clock.step(f"adding {add_month} on top of {years} years") as step:
                step.update(_add_month(big, add_month, http.url))
            big_add = step
            airflow = {}
            if "dags_test" in airflow_paths:
                with clock.step(f"{dags_test_month} by `airflow dags test` (council_returns, warehouse_build)"):
                    airflow["dags_test"] = airflow_month.month_by_dags_test(big, dags_test_month, http.url, mail.port)
            if "local" in airflow_paths:
                with clock.step(f"{e2e_month} through the scheduler, LocalExecutor (scheduled run)"):
                    airflow["local"] = airflow_month.month_by_scheduler(
                        big, e2e_month, http.url, mail.port, executor="local", scheduled=True
                    )
            if "celery" in airflow_paths:
                with clock.step(f"{celery_month} through the scheduler, CeleryExecutor, 2 workers (REST API)"):
                    airflow["celery"] = airflow_month.month_by_scheduler(
                        big, celery_month, http.url, mail.port, executor="celery", scheduled=False
                    )
            with clock.step("the loader's COPY against a bare server-side COPY and pandas to_sql") as step:
                step.update(loads.compare(big))
            load = step
            with clock.step(f"the explorer's pages on {years} years, in headless Chromium") as step:
                step["pages"] = explorer.render_times(big, bench_dir / "explorer")
            pages = step
            with clock.step("the open data release (every mart as CSV, datapackage.json validated)") as step:
                step.update(explorer.export_release(big, bench_dir / "opendata"))
            release = step
        with scratch_warehouse(server, "baseline", keep=_keeps(keep, "baseline")) as small:
            figures.conditions["databases"].append(small.database)
            _say_kept(out, keep, "baseline", small)
            _load_public(small)
            with clock.step(f"baseline: {len(baseline)} months and dbt build"):
                _history(small, baseline, http.url)
            with clock.step(f"adding {add_month} on top of {baseline_years} year(s)") as step:
                step.update(_add_month(small, add_month, http.url))
            small_add = step

    with clock.step("parsing each DAG file"):
        from councilbench.orchestration.airflow_env import airflow_environ

        parsed = parse_times.parse_times(settings.dags_dir(), airflow_environ(server), rounds=parse_rounds)

    figures.conditions.update(
        {
            "scale": f"{years} years x 33 councils: {backfilled['returns']:,} returns, {backfilled['rows']:,} rows in raw "
            f"({len(files):,} files generated in {gen['seconds']:.1f} s); baseline {baseline_years} year(s)",
            "server": f"PostgreSQL via {server.origin} (scratch databases, "
            f"{_kept_text(keep, ('big', 'baseline'))}: {', '.join(figures.conditions['databases'])})",
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "history": f"{history[0]}..{history[-1]}",
            "added_month": add_month,
            "airflow_months": airflow_months,
            "years": years,
            "baseline_years": baseline_years,
        }
    )
    _month_figures(figures, airflow, airflow_months, big_add)
    _backfill_figures(figures, backfilled, len(history))
    _load_figures(figures, load)
    _dbt_figures(figures, big_add, small_add, years, baseline_years, add_month)
    _explorer_figures(figures, pages["pages"], release, years)
    for p in parsed:
        figures.add(
            Figure(
                f"dag_parse_seconds:{p['file']}",
                f"parse time of dags/{p['file']}",
                p["seconds"],
                "s",
                TARGETS["dag_parse_seconds"],
                "<",
                f"median of {parse_rounds} fresh processes (slowest {p['slowest']:.3f} s): {', '.join(p['dags'])}",
            )
        )
    return figures


def _airflow_text(months: dict[str, str]) -> str:
    how = {
        "dags_test": "by `airflow dags test`",
        "local": "through the scheduler (LocalExecutor)",
        "celery": "through the scheduler (CeleryExecutor)",
    }
    return ", ".join(f"{month} {how[path]}" for path, month in months.items()) or "no month"


def _kept_text(keep: bool | Collection[str], labels: tuple[str, ...]) -> str:
    kept = [label for label in labels if _keeps(keep, label)]
    if not kept:
        return "dropped afterwards"
    return "kept" if len(kept) == len(labels) else f"{', '.join(kept)} kept, the others dropped afterwards"


def _month_figures(figures: Figures, airflow: dict, months: dict, in_process: dict) -> None:
    """The figures of the Airflow paths that ran (airflow: path -> what it measured)."""
    for executor, name in (("local", "LocalExecutor"), ("celery", "CeleryExecutor, 2 workers")):
        if executor not in airflow:
            continue
        m = airflow[executor]
        figures.add(
            Figure(
                f"month_through_scheduler_seconds:{executor}",
                f"one month ({months[executor]}) pull -> marts, scheduler, {name}",
                m["seconds"],
                "s",
                TARGETS["month_through_scheduler_seconds"],
                "<",
                f"{m['run_type']} council_returns run {m['council_returns_seconds']:.1f} s ({m['loaded']} returns "
                f"loaded); warehouse_build started {m['asset_to_build_start_seconds']:.1f} s after the asset; dbt_build "
                f"{m['dbt_build_seconds']:.1f} s ({m['councils_in_marts']} councils in marts.fct_metric_value for "
                f"{months[executor]}); from the run's start to dbt_build's end as Airflow recorded them",
            )
        )
    if "dags_test" in airflow:
        d = airflow["dags_test"]
        figures.add(
            Figure(
                "month_dags_test_seconds",
                f"one month ({months['dags_test']}) pull -> marts, `airflow dags test`",
                d["seconds"],
                "s",
                detail=f"council_returns {d['council_returns_seconds']:.1f} s ({d['loaded']} returns loaded) + "
                f"warehouse_build until dbt_build ended {d['until_marts_seconds']:.1f} s ({d['councils_in_marts']} "
                "councils in marts); each DAG in one process, start-up included: the debugging path",
            )
        )
    if "local" in airflow:
        in_process = in_process["raw_seconds"] + in_process["dbt_seconds"]
        figures.add(
            Figure(
                "airflow_vs_in_process_month_ratio",
                "one month pull -> marts: scheduler (LocalExecutor) / in-process",
                airflow["local"]["seconds"] / in_process,
                "x",
                detail=f"{airflow['local']['seconds']:.1f} s through the scheduler against {in_process:.1f} s in one "
                "process (pull -> raw, then the same dbt build): what orchestration costs",
            )
        )


def _backfill_figures(figures: Figures, backfilled: dict, months: int) -> None:
    figures.add(
        Figure(
            "backfill_rows_per_second",
            f"backfill of {months} months, pull -> raw",
            backfilled["rows"] / backfilled["raw_seconds"],
            "rows/s",
            TARGETS["backfill_rows_per_second"],
            ">=",
            f"pull, land, validate (12 months per GX run) and COPY {backfilled['returns']:,} returns / "
            f"{backfilled['rows']:,} rows in {backfilled['raw_seconds']:.1f} s",
        )
    )
    figures.add(
        Figure(
            "backfill_seconds",
            f"backfill of {months} months, pull -> marts",
            backfilled["raw_seconds"] + backfilled["dbt_seconds"],
            "s",
            TARGETS["backfill_seconds"],
            "<",
            f"pull -> raw {backfilled['raw_seconds']:.1f} s, then dbt build ({backfilled['dbt_nodes']} nodes) "
            f"{backfilled['dbt_seconds']:.1f} s",
        )
    )


def _load_figures(figures: Figures, load: dict) -> None:
    figures.add(
        Figure(
            "loader_vs_bare_copy_ratio",
            "the loader's COPY / a bare server-side COPY, same rows",
            load["loader_vs_bare"],
            "x",
            TARGETS["loader_vs_bare_copy_ratio"],
            ">=",
            f"{load['rows']:,} rows into identical indexed tables: the loader (ingest.raw.copy_rows, from the "
            f"DataFrame) {load['copy_rows_per_second']:,.0f} rows/s ({load['copy_seconds']:.2f} s); {load['bare_how']} "
            f"of the same prepared text {load['bare_rows_per_second']:,.0f} rows/s ({load['bare_seconds']:.2f} s)",
        )
    )
    figures.add(
        Figure(
            "copy_rows_per_second",
            "the loader's COPY (ingest.raw.copy_rows)",
            load["copy_rows_per_second"],
            "rows/s",
        )
    )
    figures.add(
        Figure(
            "copy_vs_to_sql_ratio",
            "the loader's COPY / pandas to_sql (defaults), same rows",
            load["ratio"],
            "x",
            detail=f"to_sql {load['to_sql_rows_per_second']:,.0f} rows/s ({load['to_sql_seconds']:.2f} s; SQLAlchemy 2 + "
            f"psycopg 3 batch its INSERTs); with one INSERT per row (psycopg2, unbatched, how to_sql behaved "
            f"before SQLAlchemy 2) {load['to_sql_per_row_rows_per_second']:,.0f} rows/s, "
            f"{load['ratio_per_row']:.1f}x",
        )
    )
    figures.add(Figure("to_sql_rows_per_second", "pandas to_sql, defaults", load["to_sql_rows_per_second"], "rows/s"))


def _explorer_figures(figures: Figures, pages: dict[str, float], release: dict, years: int) -> None:
    for page, seconds in pages.items():
        query = "&".join(f"{k}={v}" for k, v in explorer.PAGES[page].items())
        figures.add(
            Figure(
                f"explorer_first_render_seconds:{page}",
                f"explorer page /{page}{'?' + query if query else ''}: first full render",
                seconds,
                "s",
                TARGETS["explorer_first_render_seconds"],
                "<",
                f"headless Chromium, from navigation start until the page, its charts and tables were drawn; a "
                f"first visit (none of its queries cached yet) on {years} years of marts",
            )
        )
    figures.add(
        Figure(
            "opendata_export_seconds",
            "open data release (`councilbench export`)",
            release["seconds"],
            "s",
            detail=f"{release['files']} marts as CSV ({release['rows']:,} rows, {release['megabytes']:.1f} MB) and "
            "datapackage.json, validated with frictionless",
        )
    )


def _dbt_figures(figures: Figures, big: dict, small: dict, years: int, baseline_years: int, month: str) -> None:
    figures.add(
        Figure(
            "dbt_add_month_ratio",
            f"dbt build adding {month}: {years} years of history / {baseline_years} year(s)",
            big["dbt_seconds"] / small["dbt_seconds"],
            "x",
            TARGETS["dbt_add_month_ratio"],
            "<=",
            f"{big['dbt_seconds']:.1f} s on top of {years} years, {small['dbt_seconds']:.1f} s on top of "
            f"{baseline_years}; incremental models: " + "; ".join(f"{k} {v}" for k, v in big["incremental"].items()),
        )
    )
    figures.add(
        Figure(
            "month_in_process_seconds",
            f"one month ({month}) pull -> raw in-process (no Airflow)",
            big["raw_seconds"],
            "s",
        )
    )
