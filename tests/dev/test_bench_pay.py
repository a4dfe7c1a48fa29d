"""The pay figure of the bench (bench/pay.py through run_pay_bench) at a small scale: every
council's sample deposit generated, served over HTTP, loaded through the pay pipeline and
the pay statistics built in a scratch database that is dropped afterwards. Speed targets
are not asserted (they are the benchmark's output); what is asserted is that the figures
are measured from real work and written out."""

from __future__ import annotations

import json

import pytest

SCALE = 0.02


@pytest.fixture(scope="module")
def pay_bench(server, reference_template):
    from councilbench.core import settings
    from councilbench.dev.bench.pay import run_pay_bench

    lines: list[str] = []
    with settings.environ({"COUNCILBENCH_BENCH_TEMPLATE": reference_template.database}):  # its warehouse: a copy
        return run_pay_bench(server, scale=SCALE, out=lines.append), lines


def test_every_posted_deposit_is_loaded_and_the_statistics_built(pay_bench):
    figures, _ = pay_bench
    run = figures.conditions["pay"]
    assert run["posts_written"] > 1_000
    assert (run["files"], run["loaded"], run["rejected"]) == (33, 33, [])
    assert run["posts_loaded"] == run["posts"] == run["posts_written"]
    assert run["statistic_rows"] == run["published"] + run["suppressed"] > 0
    assert run["published"] > 0 and run["suppressed"] > 0 and run["roles"] > 50
    # region, tier, county family and partnership groups from seeds; neighbours from the public data
    assert set(run["group_types"]) == {"region", "tier", "county_family", "nearest_neighbours", "partnership"}
    assert run["group_types"]["region"] == 1 and run["group_types"]["nearest_neighbours"] == 33


def test_every_pay_figure_is_measured_beside_its_target(pay_bench):
    figures, lines = pay_bench
    by_key = {f.key: f for f in figures.figures}
    assert set(by_key) == {
        "pay_stats_build_seconds",
        "pay_deposits_load_seconds",
        "pay_posts_loaded_per_second",
        "pay_published_share",
    }
    build = by_key["pay_stats_build_seconds"]
    assert (build.target, build.compare) == (30.0, "<") and build.value > 0 and build.met in (True, False)
    assert "33 councils x 5 group types" in build.label
    assert all(by_key[k].target is None and by_key[k].value > 0 for k in by_key if k != "pay_stats_build_seconds")
    assert 0 < by_key["pay_published_share"].value < 1
    assert any("posts loaded in" in line for line in lines)


def test_the_pay_bench_writes_its_figures_and_drops_its_database(pay_bench, server, tmp_path):
    from councilbench.warehouse.connection import connect

    figures, _ = pay_bench
    as_json, as_text = figures.write(tmp_path)
    assert {f["key"] for f in json.loads(as_json.read_text())["figures"]} == {f.key for f in figures.figures}
    assert "pay statistics" in as_text.read_text()
    names = figures.conditions["databases"]
    with connect(server.with_database("postgres")) as conn:
        assert conn.execute("select datname from pg_database where datname = any(%s)", [names]).fetchall() == []
