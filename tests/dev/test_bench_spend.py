"""`make bench-spend` (bench/spend.py through run.run_spend_bench) at a small scale: a year
of spend files for the 33 councils generated, served over HTTP, loaded, resolved and built
into the marts in a scratch database that is dropped afterwards, and supplier resolution
scored. Speed targets are not asserted (they are the benchmark's output); what is asserted
is that every figure is measured from real work and written out."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from councilbench.dev.bench import spend

SCALE = 0.01
SUPPLIER_NAMES = 2_000


def test_the_year_is_the_latest_financial_year_already_over():
    assert spend.financial_year(date(2026, 12, 2)) == (
        [*(f"2025-{m:02d}" for m in range(4, 13)), "2026-01", "2026-02", "2026-03"],
        ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"],
    )
    months, quarters = spend.financial_year(date(2026, 3, 31))  # 2025-26 is not over yet
    assert (months[0], months[-1], quarters[-1]) == ("2024-04", "2025-03", "2025-Q1")


@pytest.fixture(scope="module")
def spend_bench(server, reference_template):
    from councilbench.core import settings
    from councilbench.dev.bench.run import run_spend_bench

    lines: list[str] = []
    with settings.environ({"COUNCILBENCH_BENCH_TEMPLATE": reference_template.database}):  # its warehouse: a copy
        return run_spend_bench(server, scale=SCALE, supplier_names=SUPPLIER_NAMES, out=lines.append), lines


def test_every_spend_figure_is_measured_beside_its_target(spend_bench):
    figures, lines = spend_bench
    by_key = {f.key: f for f in figures.figures}
    for key, target, compare in (
        ("spend_year_seconds", 120.0, "<"),
        ("supplier_resolution_seconds", 60.0, "<"),
        ("supplier_precision", 0.98, ">="),
        ("supplier_recall", 0.95, ">="),
    ):
        assert (by_key[key].target, by_key[key].compare) == (target, compare), key
        assert by_key[key].value > 0 and by_key[key].met in (True, False), key
    assert 0 < by_key["supplier_precision"].value <= 1 and 0 < by_key["supplier_recall"].value <= 1
    assert by_key["spend_year_lines_per_second"].target is None
    page = by_key["explorer_first_render_seconds:spend"]  # the pooled spend page on the year's marts
    assert 0 < page.value < 120 and page.target == 1.5 and "/spend?group=tri-council" in page.label
    # each quarter of the year went through the pipeline
    assert len([line for line in lines if re.match(r"\s+20\d\d-Q[1-4]: 85 files", line)]) == 4


def test_every_generated_line_reaches_the_marts_and_the_phases_add_up(spend_bench):
    figures, _ = spend_bench
    year = next(f for f in figures.figures if f.key == "spend_year_seconds")
    generated = int(re.search(r"340 files, ([\d,]+) lines", figures.conditions["scale"])[1].replace(",", ""))
    assert generated > 5_000
    assert f"COPY {generated:,} lines of 340 of 340 files (0 rejected)" in year.detail
    assert f"{generated:,} lines in marts.fct_spend_line" in year.detail
    phases = [
        float(re.search(pattern, year.detail)[1])
        for pattern in (r"rejected\) ([\d.]+) s", r"after each quarter ([\d.]+) s", r"\d nodes\) ([\d.]+) s")
    ]
    assert sum(phases) == pytest.approx(year.value, abs=0.2)  # ingest + resolve + dbt, each rounded


def test_the_spend_bench_writes_its_figures_and_drops_its_database(spend_bench, server, tmp_path):
    from councilbench.warehouse.connection import connect

    figures, _ = spend_bench
    as_json, as_text = figures.write(tmp_path)
    written = json.loads(as_json.read_text())
    assert {f["key"] for f in written["figures"]} == {f.key for f in figures.figures}
    text = as_text.read_text()
    assert "a year of spend over £500" in text and "0.9" in text  # ratios printed as shares
    names = figures.conditions["databases"]
    assert len(names) == 1 and names[0] == figures.conditions["spend"]["database"]
    with connect(server.with_database("postgres")) as conn:
        assert conn.execute("select datname from pg_database where datname = any(%s)", [names]).fetchall() == []
