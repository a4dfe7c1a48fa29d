"""The pay figure of `make bench` (issue 16): confidential pay statistics for the 33
councils' deposits of a pay year (about 200,000 posts at scale 1.0) built by dbt.

- The deposits: dev/sample_pay, written beforehand (not timed) and served over HTTP from
  127.0.0.1, pulled, landed, validated in ONE GX run and loaded by pay.pipeline.run_year
  (the council_pay DAG's path; it has no separate bulk mode). Timed as context.
- What the pay models read but do not own (seeds pay_roles, pay_spine and
  partnership_groups, the registry, the comparison groups and nearest neighbours) is
  built first, not timed: a warehouse already has them.
- The figure: the dbt build of the pay models (staging, the councils' own tables under
  models/pay, marts.mart_pay_benchmark and mart_pay_gender_gap) with their tests.

Groups come from int_council__comparison_groups (region, tier and county family from the
registry; nearest neighbours only where the public statistics are loaded) and the
partnership groups seed. `run_pay_bench` runs the figure alone in a scratch database.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable

from councilbench.dev.bench.figures import Figure, Figures
from councilbench.dev.bench.spend import load_average
from councilbench.warehouse.connection import Warehouse, connect

PAY_MODELS = ["path:models/staging/pay", "path:models/pay", "path:models/marts/pay"]
#: What the pay models need upstream (seeds, registry, comparison groups), not timed;
#: without tests (some data tests also read the pay models, which are not built yet).
PAY_UPSTREAM = [
    "build",
    "--select",
    "+path:models/pay",
    "+path:models/marts/pay",
    "--exclude",
    *PAY_MODELS,
    "--exclude-resource-type",
    "test",
    "unit_test",
]
#: The timed build: the pay models and their tests.
PAY_BUILD = [
    "build",
    "--select",
    *PAY_MODELS,
    "--indirect-selection",
    "cautious",
    "--exclude-resource-type",
    "unit_test",
]


def _timed_dbt(warehouse: Warehouse, args: list[str]) -> tuple[float, list[dict]]:
    from councilbench.warehouse.transform import run_dbt

    started = time.monotonic()
    result = run_dbt(warehouse, args)
    return time.monotonic() - started, result.nodes


def statistics_made(warehouse: Warehouse, pay_year: str) -> dict:
    """What marts.mart_pay_benchmark holds for the pay year, as the analyst reads it."""
    with connect(warehouse, role="analyst") as conn:
        roles, groups, rows = conn.execute(
            "select count(distinct role_id), count(distinct group_id), count(*) from marts.mart_pay_benchmark "
            "where pay_year = %s",
            [pay_year],
        ).fetchone()
        by_type = conn.execute(
            "select group_type, count(distinct group_id) from marts.mart_pay_benchmark where pay_year = %s "
            "group by 1 order by 1",
            [pay_year],
        ).fetchall()
    return {"roles": roles, "groups": groups, "statistic_rows": rows, "group_types": dict(by_type)}


def _json_safe(summary: dict) -> dict:
    """demo_pay.pay_summary's counts as ints (a bigint sum is numeric), for figures.json."""
    s = {k: v for k, v in summary.items() if k != "pay_year"}
    return (
        s
        | {k: int(s[k]) for k in ("posts", "incumbents", "published", "suppressed")}
        | {"reasons": [(reason, int(n)) for reason, n in s["reasons"]]}
    )


def run_pay(warehouse: Warehouse, base_url: str, pay_year: str, out: Callable[[str], None] = print) -> dict:
    """The pay year's deposits served at `base_url` loaded into `warehouse` (which holds
    none yet), then the pay statistics built: seconds by phase and what was made."""
    from councilbench.dev.demo_pay import pay_summary
    from councilbench.pay.pipeline import run_year

    before = load_average()
    started = time.monotonic()
    loaded, _ = run_year(warehouse, pay_year, pay_base_url=base_url, notify=False)
    load_seconds = time.monotonic() - started
    out(f"    {loaded['files']} deposits, {loaded['posts_loaded']:,} posts loaded in {load_seconds:.1f} s ({before})")
    upstream_seconds, _ = _timed_dbt(warehouse, PAY_UPSTREAM)
    out(f"    what the pay models read (seeds, registry, comparison groups) built in {upstream_seconds:.1f} s")
    dbt_seconds, nodes = _timed_dbt(warehouse, PAY_BUILD)
    slowest = sorted(nodes, key=lambda n: -n["seconds"])[:3]
    return {
        "pay_year": pay_year,
        "load_seconds": load_seconds,
        "upstream_seconds": upstream_seconds,
        "dbt_seconds": dbt_seconds,
        "dbt_nodes": len(nodes),
        "slowest_nodes": [(n["node"].split(".")[-1], n["seconds"]) for n in slowest],
        "files": loaded["files"],
        "posts_loaded": loaded["posts_loaded"],
        **_json_safe(pay_summary(warehouse, pay_year)),
        **statistics_made(warehouse, pay_year),
        "load_before": before,
        "load_after": load_average(),
    }


def pay_figures(result: dict, targets: dict[str, float]) -> list[Figure]:
    r = result
    kinds = ", ".join(f"{kind} {n}" for kind, n in r["group_types"].items())
    slowest = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in r["slowest_nodes"])
    rows = r["published"] + r["suppressed"]
    return [
        Figure(
            "pay_stats_build_seconds",
            f"pay statistics, {r['roles']} roles x {r['loaded']} councils x {len(r['group_types'])} group types, dbt",
            r["dbt_seconds"],
            "s",
            targets["pay_stats_build_seconds"],
            "<",
            f"dbt build of the pay models and their tests ({r['dbt_nodes']} nodes), slowest {slowest}, from "
            f"{r['posts']:,} posts ({r['incumbents']:,} incumbents) of pay year {r['pay_year']}: {rows:,} statistic "
            f"rows for {r['groups']} groups ({kinds}); seeds, registry and comparison groups built before "
            f"({r['upstream_seconds']:.1f} s, not timed); {r['load_before']} before, {r['load_after']} after",
        ),
        Figure(
            "pay_deposits_load_seconds",
            f"pay deposits of {r['files']} councils pull -> raw (pay.pipeline.run_year)",
            r["load_seconds"],
            "s",
            detail=f"pull, land, validate (one GX run) and load {r['posts_loaded']:,} posts of {r['loaded']} deposits "
            f"({len(r['rejected'])} rejected)",
        ),
        Figure(
            "pay_posts_loaded_per_second",
            "pay deposits, pull -> raw",
            r["posts_loaded"] / r["load_seconds"] if r["load_seconds"] else 0.0,
            "rows/s",
            detail="posts pulled, read, validated and loaded per second (dbt not included)",
        ),
        Figure(
            "pay_published_share",
            "pay statistics: share of rows published (the rest suppressed)",
            r["published"] / rows if rows else 0.0,
            "ratio",
            detail=f"{r['published']:,} published, {r['suppressed']:,} suppressed; commonest reasons: "
            + "; ".join(f"{reason} ({n:,})" for reason, n in r["reasons"]),
        ),
    ]


def run_pay_bench(
    server: Warehouse,
    *,
    scale: float = 1.0,
    pay_year: str | None = None,
    public: bool = True,
    keep: bool = False,
    out: Callable[[str], None] = print,
) -> Figures:
    """Only the pay figures (`councilbench bench --only pay`), in the bench's state folder
    and a scratch database of their own. public: load the public statistics first (not
    timed) so that the nearest-neighbour groups exist."""
    import contextlib
    import os
    import platform

    from councilbench.core import settings
    from councilbench.dev import sample_pay
    from councilbench.dev.bench.run import TARGETS, Clock, _load_public, own_state, scratch_warehouse
    from councilbench.dev.demo_pay import pay_year_due
    from councilbench.dev.file_server import serve_folder
    from councilbench.dev.public_sources import serve_demo_sources

    pay_year = pay_year or pay_year_due()
    bench_dir, clock, figures = settings.state_path("bench"), Clock(out), Figures()
    pay_dir = bench_dir / "pay-files"
    shutil.rmtree(pay_dir, ignore_errors=True)  # files of another scale or year never linger
    with own_state(bench_dir / "state"):
        with clock.step(f"generating the pay deposits of pay year {pay_year} (scale {scale:g})") as gen:
            sample = sample_pay.write(pay_dir, pay_year, scale=scale)
        with (
            serve_folder(pay_dir) as http,
            serve_demo_sources(bench_dir / "public-sources") if public else contextlib.nullcontext({}) as public_env,
            settings.environ({**public_env, "DBT_QUIET": "true"}),
            scratch_warehouse(server, "pay", keep=keep) as wh,
        ):
            if public:
                with clock.step("the public statistics (nearest neighbours need them)"):
                    _load_public(wh)
            with clock.step(f"pay year {pay_year}: deposits loaded, then the pay statistics built"):
                result = run_pay(wh, http.url, pay_year, out=clock.out)
    figures.conditions.update(
        {
            "scale": f"pay year {pay_year} x 33 councils: {len(sample.files)} deposits, {sample.post_count:,} posts "
            f"(written in {gen['seconds']:.1f} s, scale {scale:g}, not timed)",
            "server": f"PostgreSQL via {server.origin} (scratch database {wh.database}, "
            + ("kept)" if keep else "dropped afterwards)"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "databases": [wh.database],
            "pay": {"posts_written": sample.post_count, **result},
        }
    )
    for figure in pay_figures(result, {"pay_stats_build_seconds": 30.0, **TARGETS}):
        figures.add(figure)
    return figures
