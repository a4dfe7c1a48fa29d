"""The Council profile page (explorer/views/council.py, "How <council> compares") through
streamlit.testing's AppTest: the quartile strip's figures, the nearest neighbours and the
councils to learn from equal the marts read independently here, and a bad or hostile
council in the address ends in a warning, not a traceback."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from councilbench.reports import format as fmt
from councilbench.warehouse.connection import connect

DUDLEY = "E08000027"
SANDWELL = "E08000028"
SQL = "x'; drop table marts.dim_council; --"
END = "Source: marts.mart_benchmark (region group)"


def marts(built, sql: str, params=()) -> list[tuple]:
    """An independent read of the marts (the warehouse owner, not the app's analyst role)."""
    with connect(built.warehouse) as conn:
        return conn.execute(sql, params).fetchall()


def positions(built, council_code: str) -> dict[str, tuple]:
    """metric name -> (value as the page writes it, rank, group size, quartile, service area):
    the council's region rows of mart_benchmark at each metric's latest period carried by
    the returns up to the newest month with an accepted return."""
    rows = marts(
        built,
        """
        with month as (
            select max(return_month) as m from marts.mart_submission_quality where final_status = 'loaded'
        ),
        latest as (
            select distinct on (b.metric_id) b.metric_id, b.period
            from marts.mart_benchmark b
            join marts.dim_period d on d.period = b.period and d.frequency = b.frequency
            where b.group_type = 'region' and d.return_month <= (select m from month)
            order by b.metric_id, b.period_index desc
        )
        select m.metric_name, b.normalised_value, m.normalised_unit, m.unit, b.rank, b.group_size, b.quartile,
               m.service_area
        from marts.mart_benchmark b
        join latest l using (metric_id, period)
        join marts.dim_metric m using (metric_id)
        where b.council_code = %s and b.group_type = 'region'""",
        (council_code,),
    )
    return {
        name: (fmt.value(value, norm_unit, unit), rank, size, quartile, area)
        for name, value, norm_unit, unit, rank, size, quartile, area in rows
    }


def table_with(at, column: str):
    tables = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    return tables[0]


def strip_dots(chart) -> pd.DataFrame:
    """The dots of a quartile strip: the chart's dataset with a position per metric."""
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]
    (dots,) = [f for f in frames if "position" in f.columns]
    return dots


@pytest.fixture(scope="module")
def dudley(built):
    from streamlit.testing.v1 import AppTest

    from councilbench.explorer import server

    at = AppTest.from_file(str(server.APP), default_timeout=30)
    at.query_params["council"] = "dudley"
    at.switch_page(str(server.APP.parent / "views" / "council.py"))
    return at.run()


def test_the_page_names_the_council_and_ends_with_its_marker(dudley):
    assert not dudley.exception
    assert dudley.title[0].value == "How Dudley compares"
    assert dudley.caption[-1].value.startswith(END)


def test_the_quartile_strip_figures_equal_the_marts(dudley, built):
    mart = positions(built, DUDLEY)
    table = table_with(dudley, "Explore")
    assert sorted(table["Measure"]) == sorted(mart)
    for r in table.itertuples(index=False):
        value, rank, size, quartile, _ = mart[r.Measure]
        assert r.Value == value, r.Measure
        assert (None if pd.isna(r.Rank) else int(r.Rank)) == rank, r.Measure
        assert int(r.Of) == size
        assert r.Quartile == (fmt.quartile_text(quartile) if quartile else "Not ranked (context)")
    # the per-area counts behind the strips
    summary = table_with(dudley, "Ranked measures")
    counts = Counter((fmt.service_area_label(area), q) for _, _, _, q, area in mart.values() if q)
    for r in summary.to_dict("records"):
        for q in (1, 2, 3, 4):
            assert r[fmt.QUARTILE_LABELS[q]] == counts[(r["Service area"], q)], (r["Service area"], q)
    charts = dudley.get("vega_lite_chart")
    assert len(charts) == len(summary)  # one strip per service area
    dots = pd.concat([strip_dots(chart) for chart in charts])
    assert len(dots) == sum(1 for *_, q, _ in mart.values() if q)
    for r in dots.to_dict("records"):
        _, rank, size, quartile, area = mart[r["metric_label"]]
        assert r["position"] == fmt.rank_text(rank, size)
        assert r["quartile_text"] == fmt.quartile_text(quartile)
        assert r["area_label"] == fmt.service_area_label(area)


def test_nearest_neighbours_are_listed_with_why(dudley, built):
    mart = marts(
        built,
        "select neighbour_name, distance from marts.mart_council_neighbours where council_code = %s "
        "order by neighbour_rank",
        (DUDLEY,),
    )
    table = table_with(dudley, "Most alike in")
    assert list(table["Council"]) == [name for name, _ in mart]
    assert list(table["Distance"]) == [pytest.approx(float(d), abs=0.005) for _, d in mart]
    assert all(table["Most alike in"]) and all(table["Differs most in"])


def test_each_features_weight_and_contribution_is_shown(dudley, built):
    """Deprivation and density beside the other features: each neighbour's IMD score and
    residents per hectare, each feature's share of each squared distance, and the weights."""
    rows = marts(
        built,
        """select neighbour_name, neighbour_imd_avg_score, neighbour_residents_per_hectare, part_population,
                  part_share_16_64, part_claimant_rate, part_deprivation, part_density, part_tier
           from marts.mart_council_neighbours where council_code = %s order by neighbour_rank""",
        (DUDLEY,),
    )
    table = table_with(dudley, "Most alike in")
    assert list(table["IMD score"]) == ["–" if r[1] is None else f"{float(r[1]):.1f}" for r in rows]
    assert list(table["Residents per hectare"]) == ["–" if r[2] is None else f"{float(r[2]):.1f}" for r in rows]
    parts = table_with(dudley, "Deprivation")
    assert list(parts["Council"]) == [r[0] for r in rows]
    columns = ["Residents", "Aged 16-64", "Claimant rate", "Deprivation", "Density", "Type of council"]
    for r, shown in zip(rows, parts[columns].to_dict("records"), strict=True):
        assert [shown[c] for c in columns] == [f"{100 * float(v):.0f}%" for v in r[3:]], r[0]
    model = marts(built, "select feature_name, weight from marts.mart_neighbour_model_features order by feature_order")
    weights = table_with(dudley, "Weight")
    assert list(zip(weights["Feature"], weights["Weight"], strict=True)) == [(n, float(w)) for n, w in model]
    assert {"Deprivation (IMD average score)", "Residents per hectare"} <= set(weights["Feature"])


def test_councils_to_learn_from_come_from_best_practice(dudley, built):
    best = marts(
        built,
        """select m.metric_name, p.council_name from marts.mart_best_practice p
           join marts.dim_metric m using (metric_id) where p.council_code <> %s order by p.rank, p.council_name""",
        (DUDLEY,),
    )
    mine = positions(built, DUDLEY)
    expected = {}
    for metric_name, council_name in best:
        quartile = mine.get(metric_name, (None,) * 4)[3]
        if quartile and quartile > 1 and len(expected.setdefault(metric_name, [])) < 3:
            expected[metric_name].append(council_name)
    assert expected, "the test warehouse should have councils to learn from"
    table = table_with(dudley, "Council to ask")
    shown = {}
    for r in table.to_dict("records"):
        shown.setdefault(r["Measure"], []).append(r["Council to ask"])
    assert {k: sorted(v) for k, v in shown.items()} == {k: sorted(v) for k, v in expected.items()}


def test_choosing_another_council_shows_it_and_writes_the_address(open_page):
    at = open_page("council")
    assert at.title[0].value == "Council profile" and at.caption[-1].value.startswith(END)
    at.selectbox(key="profile_council").set_value(SANDWELL).run()
    assert not at.exception
    assert at.title[0].value == "How Sandwell compares"
    assert at.query_params["council"] == "sandwell"


@pytest.mark.parametrize("council", ["atlantis", SQL])
def test_an_unknown_council_gets_a_warning_saying_what_is_accepted(open_page, built, council):
    at = open_page("council", council=council)
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert "The address gives council = " in warning and "Accepted:" in warning and "GSS code" in warning
    assert at.selectbox(key="profile_council").value is None
    assert at.caption[-1].value.startswith(END)
    assert marts(built, "select count(*) from marts.dim_council")[0][0] == 33
