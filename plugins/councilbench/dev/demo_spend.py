"""The demo's pooled spend: the latest complete financial year of "spend over £500" for
the 33 councils, its first eleven months loaded in-process (the history, as the returns'
is) and its last month through the council_spend DAG under the scheduler, whose asset
schedules warehouse_build and then reports; then the partnership groups' totals and
their top collaboration opportunities, read from the marts as an analyst would.

A whole year at the sample's full scale (about a million lines) so the Tri-Council's
total is of the size its councils really spend (over £725m a year); two councils'
March files are broken (a council's email says what to fix).
"""

from __future__ import annotations

import json
from pathlib import Path

from councilbench.core import catalogue
from councilbench.core.calendar import months_between
from councilbench.warehouse.connection import Warehouse, connect

#: Two councils whose last file of the year is broken, and how.
SPEND_FAULTS = {
    "E08000027": ["amounts_as_text"],  # Dudley: three amounts written as words
    "E07000199": ["other_council"],  # Tamworth: another council's file at its address
}
SCALE = 1.0
TOP_OPPORTUNITIES = 5


def financial_year_months(month: str) -> tuple[str, list[str]]:
    """The latest financial year complete by `month` (its label, its twelve months)."""
    year, number = map(int, month.split("-"))
    ends = year if number >= 3 else year - 1
    return f"{ends - 1}-{ends % 100:02d}", months_between(f"{ends - 1}-04", f"{ends}-03")


def write_year(folder: Path, months: list[str]) -> int:
    """Write the year's files unless this folder already holds exactly them (the sample is
    a pure function of its inputs, so a rerun of the demo reuses them). Files written."""
    from councilbench.dev import sample_spend

    marker = folder / "written.json"
    wanted = {"months": months, "scale": SCALE, "faults": SPEND_FAULTS}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return 0
    sample = sample_spend.write(folder, months, scale=SCALE, faults=SPEND_FAULTS)
    marker.write_text(json.dumps(wanted))
    return len(sample.files)


def load_history(warehouse: Warehouse, months: list[str], base_url: str) -> dict:
    """Load `months` in-process, one period at a time (as the DAG would, without emails:
    they were due long ago), then date each file as if published when due."""
    from councilbench.spend.pipeline import run_period

    totals = {"files": 0, "loaded": 0, "lines_loaded": 0}
    for month in months:
        summary, _ = run_period(warehouse, month, spend_base_url=base_url, bulk=True)
        for key in totals:
            totals[key] += summary.get(key, 0)
    date_spend_as_published(warehouse, months)
    return totals


def date_spend_as_published(warehouse: Warehouse, months: list[str]) -> int:
    """Demo only: the history is loaded today, which would make every file 'late' in
    mart_spend_quality. Date each as if its council published it in the month after the
    period (days 3 to 26, fixed per council and period; a quarter's files the month after
    the quarter), so about one in six is late. Returns the submissions re-dated."""
    quarters = sorted({f"{m[:4]}-Q{(int(m[5:]) - 1) // 3 + 1}" for m in months})
    with connect(warehouse, role="loader") as conn:
        count = conn.execute(
            """update ops.submissions
               set fetched_at = case when period like '%%-Q%%'
                        then make_date(left(period, 4)::integer, right(period, 1)::integer * 3, 1)
                        else (period || '-01')::date end
                   + interval '1 month' + (2 + abs(hashtext(subject || period)) %% 34) * interval '1 day'
                   + interval '10 hours'
               where source_kind = 'council_spend' and period = any(%s)""",
            [[*months, *quarters]],
        ).rowcount
        conn.commit()
    return count


def pooled_spend(warehouse: Warehouse, financial_year: str) -> list[dict]:
    """Per partnership group: its councils' combined spend in the year, what share of it
    is unclassified or redacted, and its top opportunities (as the analyst role reads)."""
    with connect(warehouse, role="analyst") as conn:
        groups = conn.execute(
            """select g.group_id, g.group_name, g.group_councils, sum(y.net_amount),
                      sum(y.net_amount) filter (where y.is_unclassified), sum(y.redacted_amount), sum(y.line_count)
               from marts.dim_partnership_group as g
               join marts.mart_spend_by_category_year as y
                 on y.council_code = g.council_code and y.financial_year = %s
               group by g.group_id, g.group_name, g.group_councils order by g.group_councils, g.group_id""",
            [financial_year],
        ).fetchall()
        out = []
        for group_id, name, size, net, unclassified, redacted, lines in groups:
            opportunities = conn.execute(
                """select proclass_level2, councils_buying, combined_net_amount, opportunity_type,
                          savings_low, savings_high
                   from marts.mart_spend_opportunities where group_id = %s and financial_year = %s
                   order by opportunity_rank, proclass_level2""",
                [group_id, financial_year],
            ).fetchall()
            out.append(
                {
                    "group": name, "councils": size, "net": net, "unclassified": unclassified or 0,
                    "redacted": redacted or 0, "lines": lines, "opportunities": len(opportunities),
                    "savings": (sum(o[4] for o in opportunities), sum(o[5] for o in opportunities)),
                    "top": opportunities[:TOP_OPPORTUNITIES],
                }
            )  # fmt: skip
    return out


def _money(value) -> str:
    value = float(value or 0)
    return f"£{value / 1e6:,.1f}m" if abs(value) >= 1e6 else f"£{value / 1e3:,.0f}k"


def _share(part, whole) -> str:
    return f"{100 * float(part) / float(whole):.1f}%" if whole else "-"


def print_pooled_spend(summary: dict | None) -> None:
    if not summary:
        return
    print(
        f"  pooled spend, financial year {summary['financial_year']}: {summary['history_months']} in-process "
        f"({summary['history']['lines_loaded']:,} lines new this run), then {summary['dag_month']} through "
        "council_spend"
    )
    for name in summary["rejected"]:
        print(f"    rejected and quarantined (the council was emailed what to fix): {name}")
    for g in summary["groups"]:
        print(
            f"    {g['group']}: {g['councils']} councils, {_money(g['net'])} over {g['lines']:,} lines; "
            f"unclassified {_share(g['unclassified'], g['net'])}, redacted {_share(g['redacted'], g['net'])}; "
            f"{g['opportunities']} opportunities worth {_money(g['savings'][0])} to {_money(g['savings'][1])} a year"
        )
        for category, buying, combined, kind, low, high in g["top"]:
            print(
                f"      {category:<38} {buying} councils {_money(combined):>9}  {kind:<34} "
                f"saving {_money(low)} to {_money(high)}"
            )


def rejected_councils(warehouse: Warehouse, months: list[str]) -> list[str]:
    names = {c.code: c.name for c in catalogue.councils().values()}
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            """select distinct subject from ops.submissions where source_kind = 'council_spend'
               and status = 'rejected' and (period = any(%s) or period like %s)""",
            [months, f"{months[-1][:4]}-Q%"],
        ).fetchall()
    return sorted(names[r[0]] for r in rows)
