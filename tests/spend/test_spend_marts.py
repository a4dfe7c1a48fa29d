"""Spend lines to marts: a month of sample files loaded through the lifecycle, suppliers
and categories resolved into raw (spend/resolve.py), the spend marts built by dbt, and
the marts checked against raw and the match tables."""

from __future__ import annotations

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_spend
from councilbench.spend import pipeline, resolve
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt
from warehouse_copy import copy_database

SCALE = 0.01
MONTH = "2026-01"
TRI_COUNCIL = ["staffordshire", "shropshire"]  # two of the Tri-Council's three
COUNCILS = [*TRI_COUNCIL, "birmingham"]
# the spend marts and what they read (seeds, staging), not the returns' marts
MARTS = ["build", "--select", "+path:models/marts/spend", "--indirect-selection", "cautious"]

_LOADED_LINES = """
    from raw.council_spend_lines as l join ops.submissions as s using (submission_id)
    where s.source_kind = 'council_spend' and s.status = 'loaded'
"""


def code(name: str) -> str:
    return catalogue.find_council(name).code


def query(warehouse, sql: str, params=None, role: str = "loader") -> list[tuple]:
    with connect(warehouse, role=role) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def built(reference_template, returns_server):
    """A warehouse of this module's own: resolution reads every council's loaded lines, so
    the spend other modules load into the session's warehouse would change its answers."""
    from councilbench.warehouse import bootstrap

    warehouse = copy_database(reference_template, "spend_marts")
    folder = returns_server.folder / "spend-marts"
    sample_spend.write(folder, [MONTH], COUNCILS, scale=SCALE)
    summary, _ = pipeline.run_period(warehouse, MONTH, COUNCILS, spend_base_url=f"{returns_server.url}/spend-marts")
    assert summary["loaded"] == len(COUNCILS), summary
    first = resolve.run(warehouse)
    second = resolve.run(warehouse)
    run_dbt(warehouse, MARTS)
    yield warehouse, first, second
    bootstrap.drop_database(warehouse)


def test_resolve_writes_one_match_per_published_supplier_and_expense(built):
    warehouse, first, second = built
    ((suppliers, expenses),) = query(
        warehouse,
        f"""select count(distinct (coalesce(supplier_name, ''), coalesce(company_number, ''),
                                   coalesce(vat_registration, ''))) filter (where not redacted),
                   count(distinct (council_code, coalesce(expense_type, ''), coalesce(expense_code, '')))
            {_LOADED_LINES}""",
    )
    assert (first.suppliers, first.expense_keys) == (suppliers, expenses)
    assert query(warehouse, "select count(*) from raw.spend_supplier_matches") == [(suppliers,)]
    assert query(warehouse, "select count(*) from raw.spend_line_categories") == [(expenses,)]
    assert 0 < first.canonical_suppliers < first.suppliers  # spellings of one supplier joined
    # a rerun writes the same tables, not more rows
    assert (second.suppliers, second.canonical_suppliers, second.expense_keys) == (
        first.suppliers,
        first.canonical_suppliers,
        first.expense_keys,
    )


def test_every_loaded_line_reaches_fct_spend_line(built):
    warehouse, _, _ = built
    raw = query(warehouse, f"select count(*), sum(net_amount), count(*) filter (where redacted) {_LOADED_LINES}")[0]
    fct = query(
        warehouse,
        """select count(*), sum(net_amount), count(*) filter (where is_redacted),
                  count(*) filter (where is_redacted and supplier_id is not null),
                  count(*) filter (where not is_redacted and supplier_id is null)
           from marts.fct_spend_line""",
        role="analyst",
    )[0]
    assert fct[:3] == raw and raw[2] > 0  # no line dropped, redacted ones kept
    assert fct[3:] == (0, 0)  # redacted lines have no supplier; every other one has one


def test_unclassified_lines_are_kept_with_a_null_category(built):
    warehouse, _, _ = built
    ((unclassified, with_category, classified),) = query(
        warehouse,
        """select count(*) filter (where category_method = 'unclassified'),
                  count(*) filter (where category_method = 'unclassified'
                                   and (proclass_level1 is not null or proclass_level2 is not null)),
                  count(*) filter (where category_method <> 'unclassified' and proclass_level1 is null)
           from marts.fct_spend_line""",
        role="analyst",
    )
    assert unclassified > 0 and with_category == 0 and classified == 0


def test_a_supplier_both_tri_council_councils_pay_is_shared_with_each_councils_spend(built):
    warehouse, _, _ = built
    staffs, salop = code("staffordshire"), code("shropshire")
    # independently: raw lines joined to the match table as published
    expected = query(
        warehouse,
        """with lines as (
               select l.council_code, l.net_amount, m.canonical_id
               from raw.council_spend_lines as l
               join ops.submissions as s using (submission_id)
               join raw.spend_supplier_matches as m
                 on m.raw_name = coalesce(l.supplier_name, '')
                and m.company_number = coalesce(l.company_number, '')
                and m.vat_number = coalesce(l.vat_registration, '')
               where s.source_kind = 'council_spend' and s.status = 'loaded' and not l.redacted
                 and l.council_code in (%(a)s, %(b)s) and m.canonical_id is not null),
           both_councils as (
               select canonical_id from lines group by canonical_id having count(distinct council_code) = 2)
           select canonical_id, council_code, sum(net_amount), count(*)
           from lines where canonical_id in (select canonical_id from both_councils)
           group by canonical_id, council_code""",
        {"a": staffs, "b": salop},
    )
    assert expected, "the sample has suppliers both councils pay"
    mart = query(
        warehouse,
        """select supplier_id, council_code, net_amount, line_count from marts.mart_spend_shared_suppliers
           where group_id = 'tri-council' and financial_year = '2025-26'""",
        role="analyst",
    )
    assert sorted(mart) == sorted(expected)
    assert {c for _, c, _, _ in mart} == {staffs, salop}
    # Birmingham is not in the Tri-Council; the whole region sees it too
    region = query(
        warehouse,
        "select count(distinct council_code) from marts.mart_spend_shared_suppliers where group_id = 'west-midlands'",
        role="analyst",
    )
    assert region == [(3,)]


def frame(warehouse, sql: str, params=None):
    import pandas as pd

    with connect(warehouse, role="analyst") as conn:
        cur = conn.execute(sql, params)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def test_spend_by_category_sums_every_line_of_each_council_and_period(built):
    warehouse, _, _ = built
    lines = frame(warehouse, "select * from marts.fct_spend_line")
    lines["key"] = lines["proclass_level2_code"].fillna("-")
    expected = lines.groupby(["council_code", "spend_period", "key"])["net_amount"].sum()
    mart = frame(warehouse, "select * from marts.mart_spend_by_category")
    mart["key"] = mart["proclass_level2_code"].fillna("-")
    got = mart.set_index(["council_code", "spend_period", "key"])["net_amount"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    unclassified = mart[mart["is_unclassified"]]
    assert len(unclassified) == len(COUNCILS) and set(unclassified["proclass_level2"]) == {"Unclassified"}
    shares = mart.groupby(["council_code", "spend_period"])["share_of_period"].sum()
    assert all(abs(float(s) - 1) < 0.01 for s in shares)  # each share is of its own council's period
    year = frame(warehouse, "select * from marts.mart_spend_by_category_year")
    assert float(year["net_amount"].sum()) == float(mart["net_amount"].sum())
    assert set(year["periods_loaded"]) == {1} and set(year["financial_year"]) == {"2025-26"}


def test_opportunities_are_categories_two_group_councils_buy(built):
    """Recomputed with pandas from fct_spend_line: the Tri-Council's two councils here."""
    from councilbench.core import settings

    warehouse, _, _ = built
    low, high = settings.spend_savings_rates()
    lines = frame(
        warehouse,
        """select council_code, proclass_level1_code, proclass_level2_code, supplier_id, net_amount
           from marts.fct_spend_line
           where council_code = any(%s) and not is_redacted and proclass_level2_code is not null""",
        [[code(c) for c in TRI_COUNCIL]],
    )
    lines = lines[lines["proclass_level1_code"] != "990000"]
    per_council = lines.groupby(["proclass_level2_code", "council_code"])["net_amount"].sum()
    buying = per_council[per_council > 0].reset_index()
    both = buying.groupby("proclass_level2_code").filter(lambda g: len(g) == 2)
    combined = both.groupby("proclass_level2_code")["net_amount"].sum()
    bought = lines.merge(both[["proclass_level2_code", "council_code"]])
    served = bought.dropna(subset=["supplier_id"]).groupby(["proclass_level2_code", "supplier_id"])["council_code"]
    shared = (served.nunique() >= 2).groupby(level=0).sum()

    mart = frame(warehouse, "select * from marts.mart_spend_opportunities where group_id = 'tri-council'")
    assert len(combined) > 0, "the sample has categories both councils buy"
    assert sorted(mart["proclass_level2_code"]) == sorted(combined.index)
    for row in mart.itertuples():
        assert row.combined_net_amount == combined[row.proclass_level2_code]
        assert row.councils_buying == 2 and row.group_councils == 3
        assert row.shared_supplier_count == shared.get(row.proclass_level2_code, 0)
        assert row.opportunity_type == (
            "same supplier, bought separately" if row.shared_supplier_count else "same category, different suppliers"
        )
        assert float(row.savings_low) == pytest.approx(float(row.combined_net_amount) * low, abs=0.01)
        assert float(row.savings_high) == pytest.approx(float(row.combined_net_amount) * high, abs=0.01)
    assert list(mart.sort_values("opportunity_rank")["combined_net_amount"]) == sorted(
        mart["combined_net_amount"], reverse=True
    )


def test_quality_shows_each_due_period_loaded_or_missing_with_its_shares(built):
    warehouse, _, _ = built
    quality = frame(warehouse, "select * from marts.mart_spend_quality").set_index("council_code")
    assert len(quality) == len(catalogue.councils())  # one period here: each council's one due file
    loaded = quality[quality["file_status"] == "loaded"]
    assert sorted(loaded.index) == sorted(code(c) for c in COUNCILS)
    assert set(quality.drop(loaded.index)["file_status"]) == {"missing"}
    quarterly = [c.code for c in catalogue.councils().values() if c.spend_frequency == "quarterly"]
    assert set(quality.loc[quarterly, "spend_period"]) == {"2026-Q1"}
    assert str(loaded["due_date"].iloc[0]) == "2026-02-28"
    lines = frame(warehouse, "select * from marts.fct_spend_line")
    for council, rows in lines.groupby("council_code"):
        unclassified = rows.loc[rows["proclass_level2_code"].isna(), "net_amount"].sum()
        redacted = rows.loc[rows["is_redacted"], "net_amount"].sum()
        row = quality.loc[council]
        assert row.line_count == len(rows)
        assert float(row.unclassified_share) == pytest.approx(float(unclassified / rows["net_amount"].sum()), abs=1e-4)
        assert float(row.redacted_share) == pytest.approx(float(redacted / rows["net_amount"].sum()), abs=1e-4)
