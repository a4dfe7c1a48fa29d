"""The demo's pooled spend: which year it loads, and the partnership totals it prints,
read from the marts of the shared spend warehouse and recomputed from fct_spend_line."""

from __future__ import annotations

import pytest

from councilbench.dev import demo_spend
from councilbench.warehouse.connection import connect


@pytest.mark.parametrize(
    ("month", "year", "first", "last"),
    [("2026-10", "2025-26", "2025-04", "2026-03"), ("2026-03", "2025-26", "2025-04", "2026-03"),
     ("2026-02", "2024-25", "2024-04", "2025-03")],
)  # fmt: skip
def test_the_demo_loads_the_latest_complete_financial_year(month, year, first, last):
    label, months = demo_spend.financial_year_months(month)
    assert (label, months[0], months[-1], len(months)) == (year, first, last, 12)


def test_partnership_totals_are_the_group_councils_lines(spend_warehouse, capsys):
    groups = {g["group"]: g for g in demo_spend.pooled_spend(spend_warehouse, "2025-26")}
    with connect(spend_warehouse, role="analyst") as conn:
        expected = dict(
            conn.execute(
                """select g.group_name, sum(f.net_amount) from marts.fct_spend_line as f
                   join marts.dim_partnership_group as g using (council_code)
                   where f.financial_year = '2025-26' group by g.group_name"""
            ).fetchall()
        )
        opportunities = conn.execute(
            "select count(*) from marts.mart_spend_opportunities where group_id = 'tri-council'"
        ).fetchone()[0]
    assert {name: g["net"] for name, g in groups.items()} == expected
    tri = next(g for name, g in groups.items() if name.startswith("Tri-Council"))
    assert tri["councils"] == 3 and tri["opportunities"] == opportunities > 0
    assert len(tri["top"]) == demo_spend.TOP_OPPORTUNITIES
    assert [t[2] for t in tri["top"]] == sorted((t[2] for t in tri["top"]), reverse=True)
    demo_spend.print_pooled_spend(
        {"financial_year": "2025-26", "history": {"lines_loaded": 10}, "history_months": "2025-04..2026-02",
         "dag_month": "2026-03", "rejected": [], "groups": list(groups.values())}
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert "Tri-Council" in printed and tri["top"][0][0] in printed
