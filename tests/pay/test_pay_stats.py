"""The confidential pay statistics (marts.mart_pay_benchmark) on hand-written deposits:
every row recomputed independently in pandas (FTE-weighted quantiles in exact decimals,
the suppression rules and their words), the thresholds at their edges and from the
settings, a group too small refused, and an attempt to recover one council's median by
differencing two overlapping groups, which must fail."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from councilbench.core import catalogue, settings
from councilbench.warehouse.connection import connect
from pay_warehouse import PAY_YEAR, Post, as_council, build_pay, deposit
from warehouse_copy import warehouse_copy

METS = ["E08000025", "E08000026", "E08000027", "E08000028", "E08000029", "E08000030", "E08000031"]
HEREFORDSHIRE, TELFORD, STOKE = "E06000019", "E06000020", "E06000021"
WARWICKSHIRE_FAMILY = ["E10000031", "E07000218", "E07000219", "E07000220", "E07000221", "E07000222"]
#: The differencing pair: five metropolitan boroughs (not Coventry or Solihull) are their
#: tier's five contributors; with Herefordshire they are the region's six.
DIFF_METS = ["E08000025", "E08000027", "E08000028", "E08000030", "E08000031"]
#: Herefordshire's posts in the differenced role: two datasets with different medians.
HEREFORDSHIRE_A = (20_000, 20_400, 20_800, 21_200)  # FTE-weighted median £20,400
HEREFORDSHIRE_B = (22_000, 22_600, 23_000, 23_400)  # FTE-weighted median £22,600
DEFAULTS = settings.PayThresholds(5, 5, 0.25)
STATS = ["p10_salary", "lower_quartile_salary", "median_salary", "upper_quartile_salary", "p90_salary"]


def deposits(herefordshire_planning=HEREFORDSHIRE_A) -> dict[str, list[Post]]:
    """Every council's deposit: one role per story."""
    posts: dict[str, list[Post]] = {}

    def add(code: str, *new: Post) -> None:
        posts.setdefault(code, []).extend(new)

    # differencing: four full-time posts each, every one above Herefordshire's
    for i, code in enumerate(DIFF_METS):
        add(code, *(Post("planning_officer", 30_000 + 1_000 * i + 2_350 * k) for k in range(4)))
    add(HEREFORDSHIRE, *(Post("planning_officer", s) for s in herefordshire_planning))
    # ten councils (P10 and P90), part-time posts, salaries tied across councils
    for i, code in enumerate([*METS, HEREFORDSHIRE, TELFORD, STOKE]):
        add(code, Post("accountant", 38_000 + 517 * i, fte="0.6"))
        add(code, Post("accountant", 41_000 + 233 * (i % 3), headcount=2, fte="0.8"))
    # nine councils: quartiles but no P10 or P90
    for i, code in enumerate([*METS, HEREFORDSHIRE, TELFORD]):
        add(code, Post("hr_adviser", 33_000 + 410 * i, fte="0.5"), Post("hr_adviser", 35_500 + 120 * i))
    # one council holds 7 of 17 incumbents (41%); and exactly 25% (2 of 8), which may be published
    for code, headcount in zip(DIFF_METS, (7, 3, 3, 3, 1), strict=True):
        add(code, Post("refuse_collection_driver", 24_000 + 300 * headcount, headcount=headcount))
    for code, headcount in zip(DIFF_METS, (2, 2, 2, 1, 1), strict=True):
        add(code, Post("librarian", 26_500 + 700 * headcount, headcount=headcount, fte="0.75"))
    # four councils; three councils of one incumbent each
    for i, code in enumerate(METS[:4]):
        add(code, Post("environmental_health_officer", 39_000 + 800 * i, headcount=2))
    for i, code in enumerate(["E08000025", "E08000027", HEREFORDSHIRE]):
        add(code, Post("housing_officer", 29_000 + 650 * i))
    # a county family (Warwickshire and its five districts)
    for i, code in enumerate(WARWICKSHIRE_FAMILY):
        add(code, Post("revenues_officer", 27_000 + 900 * i), Post("revenues_officer", 28_250 + 300 * i, fte="0.5"))
    return posts


@pytest.fixture(scope="module")
def built(reference_template):
    with warehouse_copy(reference_template, "pay_stats") as warehouse:
        for code, posts in deposits().items():
            deposit(warehouse, code, posts)
        build_pay(warehouse)
        yield warehouse


# --- the independent recomputation ------------------------------------------------------


def comparison_groups() -> pd.DataFrame:
    """Who is in which group, from the registry and the partnership seed (not from dbt)."""
    rows = []
    for c in catalogue.councils().values():
        rows += [("region", "region", c.code), ("tier", f"tier:{c.tier}", c.code)]
        if c.tier in ("county", "district"):
            rows.append(("county_family", f"county_family:{c.county_code or c.code}", c.code))
    with (settings.seeds_dir() / "partnership_groups.csv").open(newline="") as f:
        rows += [("partnership", f"partnership:{r['group_id']}", r["council_code"]) for r in csv.DictReader(f)]
    return pd.DataFrame(rows, columns=["group_type", "group_id", "council_code"])


def loaded_posts(warehouse) -> pd.DataFrame:
    """The posts that count, read as the loader straight from raw and the ledger."""
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            """select p.council_code, p.pay_year, p.role_id, p.fte_salary, p.fte, p.headcount
               from raw.council_pay_posts as p join ops.submissions as s using (submission_id)
               where s.source_kind = 'council_pay' and s.status = 'loaded'"""
        ).fetchall()
    return pd.DataFrame(rows, columns=["council_code", "pay_year", "role_id", "salary", "fte", "headcount"])


def weighted_quantile(salaries, weights, p: Decimal) -> Decimal:
    """The lowest salary at which the posts paid that or less hold at least p of the weight."""
    total, cumulative = sum(weights), Decimal(0)
    for salary, weight in sorted(zip(salaries, weights, strict=True)):
        cumulative += weight
        if cumulative >= p * total:
            return salary
    raise AssertionError("weights must be positive")


def to_ten(value: Decimal) -> int:
    return int((value / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 10)


def reason(group_councils: int, councils: int, incumbents: int, largest: int, t: settings.PayThresholds):
    if group_councils < t.min_councils:
        return f"a comparison group of fewer than {t.min_councils} councils ({group_councils}) is refused"
    why = []
    if councils < t.min_councils:
        why.append(f"fewer than {t.min_councils} councils ({councils})")
    if incumbents < t.min_incumbents:
        why.append(f"fewer than {t.min_incumbents} incumbents ({incumbents})")
    if largest > Decimal(str(t.max_council_share)) * incumbents:
        share = (Decimal(100 * largest) / incumbents).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        why.append(f"one council holds {share}% of the incumbents (more than {t.max_council_share * 100:g}%)")
    return "; ".join(why) or None


def expected_statistics(posts: pd.DataFrame, t: settings.PayThresholds) -> pd.DataFrame:
    groups = comparison_groups()
    sizes = groups.groupby("group_id").council_code.nunique()
    joined = posts.merge(groups, on="council_code")
    rows = []
    for (group_type, group_id, pay_year, role_id), g in joined.groupby(
        ["group_type", "group_id", "pay_year", "role_id"]
    ):
        by_council = g.groupby("council_code").headcount.sum()
        councils, incumbents = len(by_council), int(by_council.sum())
        why = reason(int(sizes[group_id]), councils, incumbents, int(by_council.max()), t)
        weights = [f * h for f, h in zip(g.fte, g.headcount, strict=True)]
        stats = {
            name: to_ten(weighted_quantile(list(g.salary), weights, Decimal(p)))
            if why is None and (councils >= 10 or name not in ("p10_salary", "p90_salary"))
            else None
            for name, p in zip(STATS, ("0.1", "0.25", "0.5", "0.75", "0.9"), strict=True)
        }
        rows.append(
            {"pay_year": pay_year, "role_id": role_id, "group_type": group_type, "group_id": group_id,
             "councils": councils, "incumbents": incumbents, **stats, "is_suppressed": why is not None,
             "suppression_reason": why}
        )  # fmt: skip
    return pd.DataFrame(rows)


def published(warehouse, where: str = "true", params=()) -> pd.DataFrame:
    """The mart as the analyst reads it."""
    with connect(warehouse, role="analyst") as conn:
        cur = conn.execute(f"select * from marts.mart_pay_benchmark where {where}", list(params))
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def same_rows(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    key = ["group_id", "pay_year", "role_id"]
    actual = actual[list(expected.columns)].sort_values(key).reset_index(drop=True).astype(object)
    expected = expected.sort_values(key).reset_index(drop=True).astype(object)
    pd.testing.assert_frame_equal(actual.where(actual.notna(), None), expected.where(expected.notna(), None))


# --- the tests ---------------------------------------------------------------------------


def test_every_statistic_matches_an_independent_recomputation(built):
    mart = published(built)
    # no public statistics here, so no nearest neighbours: that group type has no rows
    assert set(mart.group_type) == {"region", "tier", "county_family", "partnership"}
    same_rows(mart, expected_statistics(loaded_posts(built), DEFAULTS))
    assert 0 < mart.is_suppressed.sum() < len(mart)
    print(f"\n{len(mart)} rows, {(~mart.is_suppressed).sum()} published, {mart.is_suppressed.sum()} suppressed")


def reasons(warehouse) -> dict[tuple[str, str], str | None]:
    """(role, group) -> why its statistics are suppressed (None: published)."""
    return reasons_of(published(warehouse))


def reasons_of(mart: pd.DataFrame) -> dict[tuple[str, str], str | None]:
    return {
        (r.role_id, r.group_id): None if pd.isna(r.suppression_reason) else r.suppression_reason
        for r in mart.itertuples()
    }


def test_suppression_says_why_in_plain_words(built):
    why = reasons(built)
    assert why["environmental_health_officer", "region"] == "fewer than 5 councils (4)"
    assert why["refuse_collection_driver", "region"] == "one council holds 41% of the incumbents (more than 25%)"
    assert why["refuse_collection_driver", "tier:metropolitan_borough"] == why["refuse_collection_driver", "region"]
    assert why["librarian", "region"] is None  # 2 of 8 incumbents is 25%: not more than 25%
    assert why["housing_officer", "tier:metropolitan_borough"] == (  # every reason that applies
        "fewer than 5 councils (2); fewer than 5 incumbents (2); one council holds 50% of the incumbents (more than 25%)"
    )
    assert why["revenues_officer", "county_family:E10000031"] is None
    # groups of fewer than five councils are refused, whoever deposited: the seed's
    # three-council partnerships, and the tiers of four unitary and three county councils
    assert why["planning_officer", "tier:unitary"] == "a comparison group of fewer than 5 councils (4) is refused"
    refused = "a comparison group of fewer than 5 councils (3) is refused"
    assert why["revenues_officer", "tier:county"] == refused
    assert why["environmental_health_officer", "partnership:coventry-solihull-warwickshire"] == refused
    assert why["revenues_officer", "partnership:coventry-solihull-warwickshire"] == refused
    assert why["accountant", "partnership:coventry-solihull-warwickshire"] == refused
    rows = published(built, "is_suppressed")
    assert rows[STATS].isna().all().all() and rows.suppression_reason.notna().all()


def test_p10_and_p90_only_from_ten_councils(built):
    region = published(built, "group_id = 'region'").set_index("role_id")
    assert region.loc["accountant", "councils"] == 10
    assert region.loc["accountant", STATS].notna().all()
    assert region.loc["hr_adviser", "councils"] == 9
    assert region.loc["hr_adviser", ["p10_salary", "p90_salary"]].isna().all()
    assert region.loc["hr_adviser", ["lower_quartile_salary", "median_salary", "upper_quartile_salary"]].notna().all()
    salaries = region[STATS].stack().dropna()
    assert len(salaries) and (salaries % 10 == 0).all()  # rounded to the nearest £10


def own_median(warehouse, council_code: str, role_id: str) -> Decimal:
    with as_council(warehouse, council_code) as conn:
        return conn.execute(
            "select median_salary from pay.pay_council_roles where role_id = %s and pay_year = %s", [role_id, PAY_YEAR]
        ).fetchone()[0]


def differencing_attack(larger: pd.Series, smaller: pd.Series) -> Decimal:
    """The textbook attack: the extra council's incumbents are the difference of the two
    groups' counts, and its median what the larger group's median × incumbents leaves over
    the smaller's, per extra incumbent (exact for means)."""
    extra = larger.incumbents - smaller.incumbents
    return Decimal(int(larger.median_salary * larger.incumbents - smaller.median_salary * smaller.incumbents)) / extra


def test_differencing_two_overlapping_groups_cannot_recover_a_councils_median(built):
    """Region (six councils) and the metropolitan tier (five of them) differ by Herefordshire
    alone, and both are published. Two different datasets for Herefordshire give exactly
    the same published figures in every group, so nothing computed from them (the
    differencing attack included) can tell its median: £20,400 or £22,600."""
    role = "role_id = 'planning_officer'"
    first = published(built, role)
    truths = [own_median(built, HEREFORDSHIRE, "planning_officer")]
    try:
        others = [p for p in deposits()[HEREFORDSHIRE] if p.role_id != "planning_officer"]
        deposit(built, HEREFORDSHIRE, others + [Post("planning_officer", s) for s in HEREFORDSHIRE_B])  # corrected
        build_pay(built)
        second = published(built, role)
        truths.append(own_median(built, HEREFORDSHIRE, "planning_officer"))
    finally:
        deposit(built, HEREFORDSHIRE, deposits()[HEREFORDSHIRE])
        build_pay(built)
    assert truths == [20_400, 22_600]

    same_rows(second, first)  # every count and quantile of every group, suppression included
    guesses = []
    for mart in (first, second):
        groups = mart.set_index("group_id")
        region, tier = groups.loc["region"], groups.loc["tier:metropolitan_borough"]
        assert (region.councils, tier.councils) == (6, 5) and not region.is_suppressed and not tier.is_suppressed
        guesses.append(differencing_attack(region, tier))
    assert guesses[0] == guesses[1]  # one answer for two different truths ...
    assert guesses[0] not in truths  # ... and here it is neither (£29,350)
    print(f"\ndifferencing guesses {guesses} for true medians {truths}")


def test_the_thresholds_are_the_settings(built):
    """COUNCILBENCH_PAY_MIN_COUNCILS=3 reaches dbt (transform.project_vars): the three-council
    role is now judged on its incumbents and its largest council, and the seed's
    three-council groups are no longer refused. Recomputed in pandas with the same
    thresholds."""
    lowered = settings.PayThresholds(3, 5, 0.25)
    try:
        with settings.environ({"COUNCILBENCH_PAY_MIN_COUNCILS": "3"}):
            build_pay(built)
        mart = published(built)
    finally:
        build_pay(built)
    same_rows(mart, expected_statistics(loaded_posts(built), lowered))
    why = reasons_of(mart)
    assert why["housing_officer", "region"] == (
        "fewer than 5 incumbents (3); one council holds 33% of the incumbents (more than 25%)"
    )
    assert why["environmental_health_officer", "region"] is None
    assert why["environmental_health_officer", "partnership:coventry-solihull-warwickshire"] == (  # not refused
        "fewer than 3 councils (1); fewer than 5 incumbents (2); one council holds 100% of the incumbents (more than 25%)"
    )
    assert reasons(built)["housing_officer", "region"].startswith("fewer than 5 councils (3); ")  # defaults again
