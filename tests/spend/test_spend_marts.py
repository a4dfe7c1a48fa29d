"""Spend lines to marts: a month of sample files loaded through the lifecycle, suppliers
and categories resolved into raw (spend/resolve.py), the spend marts built by dbt, and
the marts checked against raw and the match tables."""

from __future__ import annotations

import uuid

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_spend
from councilbench.spend import pipeline, resolve
from councilbench.warehouse.connection import connect
from councilbench.warehouse.transform import run_dbt

SCALE = 0.01
MONTH = "2026-01"
TRI_COUNCIL = ["staffordshire", "shropshire"]  # two of the Tri-Council's three
COUNCILS = [*TRI_COUNCIL, "birmingham"]
MARTS = ["build", "--select", "partnership_groups", "path:models/staging/spend", "path:models/marts/spend"]
MARTS += ["--indirect-selection", "cautious"]  # not the tests of models this build leaves out

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
def built(server, returns_server):
    """A warehouse of this module's own: resolution reads every council's loaded lines, so
    the spend other modules load into the session's warehouse would change its answers."""
    from councilbench.warehouse import bootstrap, reference_data

    warehouse = server.with_database(f"councilbench_test_spend_marts_{uuid.uuid4().hex[:8]}")
    bootstrap.up(warehouse)
    reference_data.refresh(warehouse)
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


def test_resolve_is_fast_on_the_sample(built):
    _, first, _ = built
    print("resolve:", first)
    assert first.resolve_seconds + first.categorise_seconds < 5
