"""Every column of every spend mart, row by row, against the independent recomputation in
spend.py, on the session's spend warehouse (conftest.py `spend_warehouse`: a
quarter of sample spend for eight councils loaded through the spend lifecycle, suppliers
and categories resolved, the spend marts built by dbt). The marts are read as the
analyst, what the loader wrote as the loader."""

from __future__ import annotations

import pytest

from councilbench.core import settings
from councilbench.dev.oracle import spend as oracle
from councilbench.dev.oracle import verdict


@pytest.fixture(scope="module")
def spend(spend_warehouse):
    inputs = oracle.read_inputs(spend_warehouse)
    return spend_warehouse, inputs, oracle.spend_lines(inputs)


@pytest.fixture(scope="module")
def compared(spend):
    return verdict.spend_marts(*spend)


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


def test_the_oracle_recomputes_both_kinds_of_opportunity_and_missing_files(spend):
    """The stories the comparisons below must see are in the warehouse."""
    _, inputs, lines = spend
    assert set(oracle.opportunities(lines, settings.spend_savings_rates()).opportunity_type) == {
        oracle.SAME_SUPPLIER,
        oracle.DIFFERENT_SUPPLIERS,
    }
    assert set(oracle.quality(inputs, lines, int(oracle.dbt_var("spend_due_months"))).file_status) >= {
        "loaded",
        "missing",
    }


@pytest.mark.parametrize("mart", list(verdict.SPEND_MARTS))
def test_every_figure_of_the_spend_mart_matches_the_oracle(compared, mart):
    result = compared[mart]
    print(result)
    assert result.rows, f"{mart} is empty: nothing was checked"
    assert result.clean, result.report(verdict.SPEND_MARTS[mart][0])
