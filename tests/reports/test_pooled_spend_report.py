"""The Pooled spend report from the shared spend warehouse (a quarter of sample spend for
both partnership groups, Birmingham and Herefordshire, spend marts built): one report per
group with spend, printed to PDF by real headless Chromium; every figure it states is the
sum of the mart rows it names; the top opportunity, its savings range at the configured
rates and the top shared supplier are there; files missing or late per council are the
mart's; a group and year without spend gets a report that says so."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest

from councilbench.reports import checks, pipeline
from councilbench.reports import format as fmt
from councilbench.warehouse.connection import connect

YEAR = "2025-26"  # January to March 2026: the shared spend warehouse's quarter
GROUPS = ["coventry-solihull-warwickshire", "tri-council", "west-midlands"]
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pooled-spend")


@pytest.fixture(scope="module")
def written(spend_warehouse, root) -> dict[str, dict]:
    """What the reports run renders by default: every group with spend, newest year with spend."""
    return {w["group_id"]: w for w in pipeline.render_pooled_spend(spend_warehouse, root=root)}


@pytest.fixture(scope="module")
def empty(spend_warehouse, root) -> dict:
    [w] = pipeline.render_pooled_spend(spend_warehouse, ["2024-25"], ["tri-council"], out_dir=root / "empty")
    return w


def html_of(w: dict) -> str:
    return Path(w["html"]).read_text(encoding="utf-8")


def text_of(w: dict) -> str:
    """The report's words, entities decoded."""
    return unescape(re.sub(r"<[^>]+>", " ", html_of(w)))


def marts(warehouse, sql: str, params=None) -> list[tuple]:
    with connect(warehouse, role="analyst") as conn:
        return conn.execute(sql, params or []).fetchall()


def mart_value(conn, fig: dict) -> Decimal | None:
    """The figure recomputed from its own provenance: the sum of `field` (or sum a / sum b)
    over the rows of `mart` whose columns hold the key's values (any of a comma list)."""
    columns = [*fig["key"], *fig["field"].split("/")]
    assert all(IDENTIFIER.match(c) for c in [fig["mart"], *columns]), fig
    where = " and ".join(f"{c}::text = any(%s)" for c in fig["key"])
    params = [v.split(",") for v in fig["key"].values()]
    if "/" in fig["field"]:
        a, b = fig["field"].split("/")
        select = f"round(sum({a}) / nullif(sum({b}), 0), 4)"
    else:
        select = f"sum({fig['field']})"
    [(value,)] = conn.execute(f"select {select} from marts.{fig['mart']} where {where}", params).fetchall()
    return value


def test_one_report_per_group_with_spend_in_the_newest_year(written, root):
    assert sorted(written) == GROUPS
    for group_id, w in written.items():
        assert w["financial_year"] == YEAR and w["has_spend"]
        assert Path(w["html"]) == root / "pooled-spend" / YEAR / f"{group_id}.html"
        assert Path(w["pdf"]).read_bytes()[:5] == b"%PDF-"
    assert written["tri-council"]["title"] == (
        "Pooled spend 2025-26: Tri-Council (Staffordshire / Shropshire / Worcestershire)"
    )


def test_every_figure_is_the_sum_of_the_mart_rows_it_names(spend_warehouse, written):
    with connect(spend_warehouse, role="analyst") as conn:
        for group_id, w in written.items():
            assert_figures_are_the_marts(conn, group_id, html_of(w))


def assert_figures_are_the_marts(conn, group_id: str, html: str) -> None:
    """Each figure the report states is its provenance recomputed, in the words the report uses."""
    figs = checks.figures(html)
    assert len(figs) > 60, group_id
    assert {f["mart"] for f in figs} == {
        "mart_spend_by_category_year",
        "mart_spend_opportunities",
        "mart_spend_shared_suppliers",
        "mart_spend_quality",
    }
    for f in figs:
        expected = mart_value(conn, f)
        assert expected is not None, f
        tolerance = Decimal("0.0001") if "share" in f["field"] or "/" in f["field"] else Decimal("0.01")
        assert abs(Decimal(f["value"]) - expected) <= tolerance, f
        if f["tag"] == "rect":  # a chart's mark: the value, no words
            continue
        if "/" in f["field"] or f["field"] == "top_supplier_share":
            assert f["text"] == fmt.value(100 * float(expected), "percent"), f
        else:
            assert f["text"] == fmt.value(expected, "gbp", "gbp", digits=0), f


def test_combined_spend_is_the_group_councils_spend_in_the_year(spend_warehouse, written):
    [(total, councils)] = marts(
        spend_warehouse,
        """select sum(y.net_amount), count(distinct y.council_code)
           from marts.mart_spend_by_category_year as y
           join marts.dim_partnership_group as g on g.council_code = y.council_code
           where g.group_id = 'tri-council' and y.financial_year = %s""",
        [YEAR],
    )
    html = html_of(written["tri-council"])
    card = re.search(r'<li class="card"[^>]*><span class="big"><span([^>]*)>([^<]*)</span>', html)
    assert f'data-value="{total}"' in card[1] and card[2] == fmt.value(total, "gbp", "gbp", digits=0)
    assert f"combined net spend of the {councils} councils with spend loaded" in html
    assert "January 2026 to March 2026" in html


def test_top_opportunity_with_its_savings_range_and_rates_in_words(spend_warehouse, written):
    [(category, combined, low, high, rate_low, rate_high)] = marts(
        spend_warehouse,
        """select proclass_level2, combined_net_amount, savings_low, savings_high, savings_rate_low, savings_rate_high
           from marts.mart_spend_opportunities
           where group_id = 'tri-council' and financial_year = %s and opportunity_rank = 1""",
        [YEAR],
    )
    html = html_of(written["tri-council"])
    opportunities = html.split('id="opportunities"', 1)[1].split('id="suppliers"', 1)[0]
    first_row = opportunities.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert category in first_row
    money = [f["text"] for f in checks.figures(first_row)]
    assert money[0] == fmt.value(combined, "gbp", "gbp", digits=0)
    assert fmt.value(low, "gbp", "gbp", digits=0) in money and fmt.value(high, "gbp", "gbp", digits=0) in money
    words = f"{float(rate_low) * 100:g}% (low) and {float(rate_high) * 100:g}% (high)"
    assert words == "3% (low) and 8% (high)"  # the configured defaults, read back from the mart
    assert words in opportunities and "not an estimate of what a joint contract would save" in opportunities
    chart = re.search(r'<svg[^>]*id="top-opportunities".*?</svg>', opportunities, re.S)[0]
    assert f'data-label="{category}"' in chart.replace("&amp;", "&")


def test_top_shared_supplier_with_what_each_council_paid(spend_warehouse, written):
    rows = marts(
        spend_warehouse,
        """select supplier_id, supplier_name, group_net_amount, council_code, net_amount
           from marts.mart_spend_shared_suppliers where group_id = 'tri-council' and financial_year = %s
           order by group_net_amount desc, supplier_id""",
        [YEAR],
    )
    top_id, top_name, top_amount = rows[0][:3]
    html = html_of(written["tri-council"])
    first = html.split('id="suppliers"', 1)[1].split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert f'data-supplier="{top_id}"' in first and top_name.replace("&", "&amp;") in first
    figs = checks.figures(first)
    assert Decimal(figs[0]["value"]) == top_amount
    paid = {f["key"]["council_code"]: Decimal(f["value"]) for f in figs[1:]}
    assert paid == {r[3]: r[4] for r in rows if r[0] == top_id}
    suppliers = len({r[0] for r in rows})
    assert f"{suppliers} in all" in html


def test_files_missing_or_late_per_council_are_the_marts(spend_warehouse, written):
    for group_id in ("tri-council", "west-midlands"):
        html = html_of(written[group_id])
        counted = marts(
            spend_warehouse,
            """select count(*) filter (where q.file_status = 'missing' and q.is_late),
                      count(*) filter (where q.file_status = 'loaded' and q.is_late)
               from marts.mart_spend_quality as q
               join marts.dim_partnership_group as g on g.council_code = q.council_code
               where g.group_id = %s and q.financial_year = %s""",
            [group_id, YEAR],
        )[0]
        statuses = re.findall(r'data-mart="mart_spend_quality" data-key="[^"]*" data-status="(\w+)"', html)
        assert (statuses.count("missing"), statuses.count("late")) == counted, group_id
    # the region's councils without spend are named, and their files counted as missing
    wm = html_of(written["west-midlands"])
    assert re.search(r"No spend loaded for 25 of the 33: [^<]*Dudley", wm)
    assert statuses.count("missing") > 0


def test_charts_split_by_council_when_few_and_combined_when_many(written):
    tri = html_of(written["tri-council"])
    stacked = re.search(r'<svg[^>]*id="heading-spend"[^>]*data-chart="(\w+)"', tri)
    assert stacked[1] == "stacked"
    for name in ("Shropshire", "Staffordshire", "Worcestershire"):
        assert re.search(rf'data-legend="\d">{name}</text>', tri)
    wm = html_of(written["west-midlands"])  # 8 councils with spend: one colour each would not tell them apart
    assert re.search(r'<svg[^>]*id="heading-spend"[^>]*data-chart="(\w+)"', wm)[1] == "bars"
    for html in (tri, wm):
        assert html.count('role="img"') == 3  # headings, top opportunities, unclassified share


def test_pdfs_are_printed_with_ink_on_every_page(written, empty):
    for w in [*written.values(), empty]:
        ink = checks.page_ink(Path(w["pdf"]))
        assert len(ink) >= (2 if w["has_spend"] else 1), w["html"]
        assert min(ink) > 0.01, (w["html"], ink)


def test_a_group_and_year_without_spend_says_so(spend_warehouse, empty, tmp_path):
    assert empty["has_spend"] is False and Path(empty["html"]).name == "pooled-spend-tri-council-2024-25.html"
    html = html_of(empty)
    assert 'data-empty="no-spend"' in html and "No spend loaded for 2024-25" in html
    assert "No spend has been loaded for any of the group's 3 councils for 2024-25" in text_of(empty)
    assert "<svg" not in html and checks.figures(html) == []
    # the reports run renders no report for a year no group has spend in
    assert pipeline.render_pooled_spend(spend_warehouse, ["2024-25"], pdf=False, out_dir=tmp_path) == []


def test_cli_writes_the_report_and_names_the_groups_it_knows(spend_warehouse, tmp_path):
    exe = Path(sys.executable).with_name("councilbench")
    env = {**os.environ, "WAREHOUSE_URL": spend_warehouse.url}
    args = ["pooled-spend", "--group", "tri-council", "--financial-year", YEAR, "--out", str(tmp_path)]
    out = subprocess.run([str(exe), *args, "--no-pdf", "--json"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    [w] = json.loads(out.stdout)
    assert Path(w["html"]) == tmp_path / "pooled-spend-tri-council-2025-26.html" and w["pdf"] is None
    assert "Pooled spend: Tri-Council" in Path(w["html"]).read_text(encoding="utf-8")
    bad = subprocess.run([str(exe), "pooled-spend", "--group", "nope"], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "the groups are: coventry-solihull-warwickshire, tri-council" in bad.stderr
