"""Context beside every comparison (issue 17), on the session's built warehouse: the public
economy sources loaded by the real loader from files served on 127.0.0.1, then dbt.

mart_council_context has one row per member council with density and deprivation filled,
a county's figures being the county's own as published (never its districts' sum);
mart_region_economy sets the West Midlands against England on each indicator without
splicing the two qualification series; and no context statistic is ever benchmarked.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from psycopg.rows import dict_row

import warehouse_data as wd
from councilbench.core import catalogue
from councilbench.warehouse.connection import connect


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


def rows(warehouse, sql: str, params=None, role: str = "analyst") -> list[dict]:
    with connect(warehouse, role=role) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params or []).fetchall()


def published(warehouse, metric_id: str) -> dict[tuple[str, str], Decimal]:
    """(area code, dataset) -> the value as loaded, at each area's latest period."""
    found = rows(
        warehouse,
        """
        select distinct on (area_code, dataset_id) area_code, dataset_id, value
        from staging.stg_public__observations where metric_id = %s
        order by area_code, dataset_id, period desc""",
        [metric_id],
        role="transformer",
    )
    return {(r["area_code"], r["dataset_id"]): r["value"] for r in found}


@pytest.fixture(scope="module")
def context(built) -> dict[str, dict]:
    return {r["council_code"]: r for r in rows(built.warehouse, "select * from marts.mart_council_context")}


def test_every_council_has_its_density_and_deprivation(context):
    councils = catalogue.councils()
    assert set(context) == set(councils)
    for code, r in context.items():
        assert r["population_all_ages"] and r["land_area_hectares"], code
        density = Decimal(r["population_all_ages"]) / r["land_area_hectares"]
        assert r["residents_per_hectare"] == density.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), code
        assert r["imd_avg_score"] is not None and r["imd_rank_avg_score"] >= 1, code
        tier = councils[code].tier
        assert r["imd_ranked_among"] == ("upper tier" if tier == "county" else "district"), code
    first = next(iter(context.values()))
    assert first["region_residents_per_hectare"] and first["england_residents_per_hectare"]
    assert len({(r["region_residents_per_hectare"], r["england_residents_per_hectare"]) for r in context.values()}) == 1


def test_a_county_shows_its_own_published_figures(built, context):
    land = published(built.warehouse, "econ_land_area_hectares")
    imd = published(built.warehouse, "econ_imd_rank_avg_score")
    counties = [c for c in catalogue.councils().values() if c.tier == "county"]
    assert len(counties) == 3
    for county in counties:
        r = context[county.code]
        assert r["land_area_hectares"] == land[(county.code, "ons_land_area")]
        # the upper-tier summary (File 11) ranks the county; no district summary exists for it
        assert r["imd_rank_avg_score"] == imd[(county.code, "mhclg_iod_utla")]
        assert (county.code, "mhclg_iod_lad") not in imd


def test_region_economy_sets_the_region_against_england(built):
    found = rows(built.warehouse, "select * from marts.mart_region_economy")
    by_key = {(r["indicator_id"], r["area_level"]): r for r in found}
    for indicator in ("econ_claimant_rate", "econ_residents_per_hectare"):
        region, england = by_key[(indicator, "region")], by_key[(indicator, "country")]
        assert region["period"] == england["period"]
        assert region["value"] is not None and england["value"] is not None
        if region["previous_value"] is not None:
            assert region["change"] == region["value"] - region["previous_value"]
    # the RQF4+ share never takes an NVQ4+ figure, nor one from before the 2022 break, as its previous value
    for r in found:
        if r["indicator_id"] == "econ_qual_rqf4_pct" and int(r["previous_period"][:4]) < 2022:
            assert r["previous_value"] is None and r["change"] is None and "Series break" in r["note"]
    # deprivation is published for councils only: it is not made up for the region
    assert not [r for r in found if r["indicator_id"].startswith("econ_imd")]


def test_no_context_statistic_is_benchmarked(built):
    leaked = rows(
        built.warehouse,
        """
        select distinct b.metric_id from marts.mart_benchmark b
        join marts.dim_metric m on m.metric_id = b.metric_id
        where m.polarity = 'context' and m.source <> 'council_return'""",
    )
    assert leaked == []
