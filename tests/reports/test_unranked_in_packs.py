"""A comparison group too small to compare in a council's pack: where
mart_benchmark publishes no rank (not_ranked_reason 'group_too_small'), the pack says so in
plain words in the rank's place, with the group's size from the mart and the smallest
group ranked from the setting dbt was given (COUNCILBENCH_MIN_GROUP_SIZE), and never shows
a rank there. Shropshire's nearest neighbours are mostly districts, so on the services
districts do not deliver its neighbours group is two or three councils."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

import warehouse_data as wd
from councilbench.reports import format as fmt
from councilbench.reports import pipeline
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import project_vars

MONTH = wd.HISTORY[-1]
SHROPSHIRE = "E06000051"


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


@pytest.fixture(scope="module")
def pack(built, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("unranked-packs")
    [p] = pipeline.render_packs(built.warehouse, MONTH, [SHROPSHIRE], pdf=False, out_dir=out)
    return Path(p["html"]).read_text(encoding="utf-8")


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def expected_words(group_size: int) -> str:
    smallest = project_vars()["min_group_size"]
    if group_size == 1:
        return f"not ranked: only 1 council in this group delivers it (at least {smallest} needed)"
    return f"not ranked: only {group_size} councils in this group deliver it (at least {smallest} needed)"


def test_a_neighbours_group_too_small_says_why_in_place_of_the_rank(built, pack):
    rows = re.findall(r'<tr data-metric="(\w+)" data-period="([^"]*)" data-status="value">(.*?)</tr>', pack, re.S)
    assert rows
    with connect(built.warehouse, role="analyst") as conn:
        mart = {
            (metric_id, period, group_type): (rank, group_size, reason)
            for metric_id, period, group_type, rank, group_size, reason, polarity in conn.execute(
                """select metric_id, period, group_type, rank, group_size, not_ranked_reason, polarity
                   from marts.mart_benchmark where council_code = %s""",
                [SHROPSHIRE],
            ).fetchall()
            if polarity != "context"
        }
    unranked = 0
    for metric_id, period, row in rows:
        if (metric_id, period, "region") not in mart:
            continue  # a context metric: never ranked, said otherwise
        cells = re.findall(r"<td\b[^>]*>(.*?)</td>", row.split("</th>", 1)[1], re.S)
        neighbours_cell, region_cell = words(cells[1]), words(cells[2])
        rank, size, reason = mart[(metric_id, period, "nearest_neighbours")]
        if reason is None:
            assert rank is not None and "not ranked" not in neighbours_cell, metric_id
            continue
        unranked += 1
        assert reason == "group_too_small" and rank is None
        assert neighbours_cell == expected_words(size), metric_id
        assert "group_id=nearest_neighbours" not in row  # no neighbours figure anywhere in the row
        # the region is ranked as usual beside it
        region_rank = mart[(metric_id, period, "region")][0]
        assert region_cell.startswith(f"{fmt.ordinal(region_rank)} of "), (metric_id, region_cell)
    assert unranked > 0
    # the pack's notes say what the words mean, with the same number
    smallest = project_vars()["min_group_size"]
    assert f"Fewer than {smallest} councils in the group have a figure" in words(pack)
