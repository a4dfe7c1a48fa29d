"""Every column of every spend mart, row by row, against the independent recomputation in
spend_oracle.py, on the session's spend warehouse (conftest.py `spend_warehouse`: a
quarter of sample spend for eight councils loaded through the spend lifecycle, suppliers
and categories resolved, the spend marts built by dbt). The marts are read as the
analyst, what the loader wrote as the loader."""

from __future__ import annotations

import pytest
import spend_oracle as oracle
from spend_pay_compare import compare, read_frame

from councilbench.core import settings

MONEY = 0.005  # half a penny: sums of pence, added in floats by the oracle
SHARE = 0.00005 + 1e-9  # the marts round shares to 4 places; the oracle does not
RATE = 1e-9  # a rate from the settings, as numeric in the mart and float here


@pytest.fixture(scope="module")
def spend(spend_warehouse):
    inputs = oracle.read_inputs(spend_warehouse)
    return spend_warehouse, inputs, oracle.spend_lines(inputs)


def mart(warehouse, name: str):
    return read_frame(warehouse, f"select * from marts.{name}")


def test_the_loader_left_a_supplier_and_a_category_for_every_loaded_line(spend):
    """What the oracle looks up is there: each line of a loaded file has its category
    decided, and each line not redacted its supplier match (resolved or 'unusable')."""
    _, inputs, lines = spend
    loaded = inputs.submissions[inputs.submissions.status == "loaded"]
    assert len(loaded) and len(lines) > 1_000
    assert set(lines.submission_id) == set(loaded.submission_id)  # every loaded file has lines
    assert lines.category_method.notna().all()
    assert lines[~lines.is_redacted.astype(bool)].supplier_match_method.notna().all()
    assert lines.is_redacted.astype(bool).any() and lines.proclass_level2_code.isna().any()


def test_fct_spend_line(spend):
    warehouse, _, lines = spend
    print(compare("fct_spend_line", mart(warehouse, "fct_spend_line"), lines, ["submission_id", "source_row_number"]))


def test_mart_spend_by_category(spend):
    warehouse, _, lines = spend
    money = dict.fromkeys(["net_amount", "irrecoverable_vat", "redacted_amount"], MONEY)
    print(
        compare(
            "mart_spend_by_category",
            mart(warehouse, "mart_spend_by_category"),
            oracle.by_category(lines),
            ["council_code", "spend_period", "proclass_level2"],
            {**money, "share_of_period": SHARE},
        )
    )


def test_mart_spend_by_category_year(spend):
    warehouse, inputs, lines = spend
    money = dict.fromkeys(["net_amount", "irrecoverable_vat", "redacted_amount"], MONEY)
    print(
        compare(
            "mart_spend_by_category_year",
            mart(warehouse, "mart_spend_by_category_year"),
            oracle.by_category_year(lines, inputs.submissions),
            ["council_code", "financial_year", "proclass_level2"],
            {**money, "share_of_year": SHARE},
        )
    )


def test_mart_spend_opportunities(spend):
    warehouse, _, lines = spend
    money = ["combined_net_amount", "smallest_council_amount", "largest_council_amount", "shared_supplier_amount"]
    expected = oracle.opportunities(lines, settings.spend_savings_rates())
    assert set(expected.opportunity_type) == {oracle.SAME_SUPPLIER, oracle.DIFFERENT_SUPPLIERS}
    print(
        compare(
            "mart_spend_opportunities",
            mart(warehouse, "mart_spend_opportunities"),
            expected,
            ["group_id", "financial_year", "proclass_level2_code"],
            {
                **dict.fromkeys(money, MONEY),
                "top_supplier_share": SHARE,
                "savings_rate_low": RATE,
                "savings_rate_high": RATE,
                "savings_low": MONEY + 1e-9,  # rounded to pence by the mart
                "savings_high": MONEY + 1e-9,
            },
        )
    )


def test_mart_spend_shared_suppliers(spend):
    warehouse, _, lines = spend
    print(
        compare(
            "mart_spend_shared_suppliers",
            mart(warehouse, "mart_spend_shared_suppliers"),
            oracle.shared_suppliers(lines),
            ["group_id", "financial_year", "supplier_id", "council_code"],
            dict.fromkeys(["net_amount", "irrecoverable_vat", "group_net_amount"], MONEY),
        )
    )


def test_mart_spend_quality(spend):
    warehouse, inputs, lines = spend
    expected = oracle.quality(inputs, lines, int(oracle.dbt_var("spend_due_months")))
    assert set(expected.file_status) >= {"loaded", "missing"}
    amounts = ["net_amount", "unclassified_amount", "redacted_amount", "unidentified_supplier_amount"]
    shares = ["unclassified_share", "redacted_share", "unidentified_supplier_share"]
    print(
        compare(
            "mart_spend_quality",
            mart(warehouse, "mart_spend_quality"),
            expected,
            ["council_code", "spend_period"],
            {**dict.fromkeys(amounts, MONEY), **dict.fromkeys(shares, SHARE)},
        )
    )
