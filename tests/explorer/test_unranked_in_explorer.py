"""A comparison group too small to compare on the Metric explorer page (AppTest): where
mart_benchmark publishes no rank (not_ranked_reason 'group_too_small'), the table, the
sentence on the chosen council and the note above the table say so in plain words, with
the group's size from the mart and the smallest group ranked from the setting dbt was
given (COUNCILBENCH_MIN_GROUP_SIZE); no rank or quartile is shown, for the chosen council
or for the other members of its nearest neighbours (whose positions the page works out)."""

from __future__ import annotations

import pandas as pd

from councilbench.core import catalogue
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import project_vars

WARWICKSHIRE, SHROPSHIRE = "E10000031", "E06000051"


def marts(built, sql: str, params=()) -> list[tuple]:
    with connect(built.warehouse) as conn:
        return conn.execute(sql, params).fetchall()


def expected_words(group_size: int) -> str:
    smallest = project_vars()["min_group_size"]
    if group_size == 1:
        return f"not ranked: only 1 council in this group delivers it (at least {smallest} needed)"
    return f"not ranked: only {group_size} councils in this group deliver it (at least {smallest} needed)"


def ranking(at) -> pd.DataFrame:
    (table,) = [d.value for d in at.dataframe if "GSS code" in d.value.columns]
    return table


def test_a_county_alone_in_its_county_family_is_not_ranked_and_the_page_says_why(open_page, built):
    """A service of the two-tier areas only the county delivers: Warwickshire alone in its
    county family, never "1st of 1, top quartile"."""
    county_only = sorted(
        metric_id
        for metric_id, m in catalogue.metrics().items()
        if "county" in m.delivering_tiers and "district" not in m.delivering_tiers and m.polarity != "context"
    )
    metric_id, period, rank, size, reason = marts(
        built,
        """select metric_id, period, rank, group_size, not_ranked_reason from marts.mart_benchmark
           where council_code = %s and group_id = %s and metric_id = any(%s)
           order by metric_id, period_index desc limit 1""",
        (WARWICKSHIRE, f"county_family:{WARWICKSHIRE}", county_only),
    )[0]
    assert (rank, size, reason) == (None, 1, "group_too_small")
    at = open_page(
        "metric", metric=metric_id, period=period, council="warwickshire", group=f"county_family:{WARWICKSHIRE}"
    )
    assert not at.exception
    table = ranking(at)
    assert list(table["GSS code"]) == [WARWICKSHIRE]
    assert table["Rank"].isna().all()
    assert list(table["Quartile"]) == [expected_words(1)]
    assert any(i.value.startswith(expected_words(1).capitalize()) for i in at.info)
    assert any(expected_words(1) in m.value for m in at.markdown)  # the sentence on Warwickshire
    page = " ".join([m.value for m in at.markdown] + [i.value for i in at.info])
    assert "Top quartile" not in page and "1st of 1" not in page


def test_nobody_in_a_nearest_neighbours_group_too_small_is_ranked(open_page, built):
    """Shropshire's nearest neighbours on a service districts do not deliver: the page gives
    no member a rank or quartile (the mart gives Shropshire none), and says why."""
    metric_id, period, size = marts(
        built,
        """select metric_id, period, group_size from marts.mart_benchmark
           where council_code = %s and group_type = 'nearest_neighbours' and polarity <> 'context'
             and not_ranked_reason = 'group_too_small' and group_size > 1
           order by metric_id, period_index desc limit 1""",
        (SHROPSHIRE,),
    )[0]
    at = open_page("metric", metric=metric_id, period=period, council="shropshire", group="nearest_neighbours")
    assert not at.exception
    table = ranking(at)
    assert SHROPSHIRE in set(table["GSS code"]) and len(table) == size
    assert table["Rank"].isna().all()
    assert list(table["Quartile"]) == [expected_words(size)] * size
    assert any(i.value.startswith(expected_words(size).capitalize()) for i in at.info)
