"""The pieces of the pooled spend report (reports.pooled_spend) that show the spend
itself: where the group's money goes by ProClass heading, the collaboration
opportunities with their savings range, and the suppliers two or more of the councils
pay separately. Each figure is a mart row's value, or the sum of the rows its key names."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from councilbench.reports import charts
from councilbench.reports import format as fmt
from councilbench.reports.annual import figure
from councilbench.reports.pooled_spend_data import PooledSpendData

TOP_HEADINGS = 10  # the chart's bars; the rest are one "Other headings" bar (the table has them all)
TOP_OPPORTUNITIES = 10
TOP_SUPPLIERS = 10

OPPORTUNITY_WORDS = {
    "same supplier, bought separately": "One contract: some of them pay the same supplier separately",
    "same category, different suppliers": "A joint tender: each buys from its own suppliers",
}


def money(value) -> str:
    """'£1,234' (whole pounds: these are sums of thousands of payments)."""
    return fmt.value(value, "gbp", "gbp", digits=0)


def percent(share) -> str:
    return fmt.value(100 * float(share), "percent") if share is not None else "–"


def rate_words(rate) -> str:
    """0.03 -> '3%', 0.025 -> '2.5%'."""
    return f"{100 * float(rate):.2f}".rstrip("0").rstrip(".") + "%"


# --- where the money goes ------------------------------------------------------------------------


def headings(d: PooledSpendData, spenders: list, total: Decimal) -> list[dict]:
    """One row per ProClass level-1 heading (and Unclassified), largest combined spend first."""
    by: dict[str | None, dict] = {}
    for r in d.by_category:
        code = r["proclass_level1_code"]
        h = by.setdefault(code, {"code": code, "name": r["proclass_level1"] or "Unclassified", "amounts": {}})
        h["amounts"][r["council_code"]] = h["amounts"].get(r["council_code"], Decimal(0)) + r["net_amount"]
    codes = ",".join(m.council_code for m in spenders)
    rows = []
    for code, h in by.items():
        heading_key = {"proclass_level1_code": code} if code else {"is_unclassified": "true"}
        combined = sum(h["amounts"].values(), Decimal(0))
        name = h["name"] if code else "Unclassified (no category)"
        rows.append(
            {
                "name": name,
                "code": code,
                "key": heading_key,
                "combined": figure(
                    money(combined),
                    combined,
                    "mart_spend_by_category_year",
                    "net_amount",
                    council_code=codes,
                    financial_year=d.financial_year,
                    **heading_key,
                ),
                "share": percent(combined / total) if total else "–",
                "councils_with_spend": sum(1 for v in h["amounts"].values() if v > 0),
                "by_council": {
                    c: figure(
                        money(v),
                        v,
                        "mart_spend_by_category_year",
                        "net_amount",
                        council_code=c,
                        financial_year=d.financial_year,
                        **heading_key,
                    )
                    for c, v in h["amounts"].items()
                },
            }
        )
    return sorted(rows, key=lambda r: (-r["combined"].value, r["name"]))


def heading_chart(d: PooledSpendData, spenders: list, rows: list[dict]) -> str:
    shown, rest = rows[:TOP_HEADINGS], rows[TOP_HEADINGS:]
    n = len(spenders)
    title = f"Combined spend by ProClass heading, {d.financial_year}"
    listed = "; ".join(f"{r['name']} {r['combined'].text}" for r in shown)
    if rest:
        other = sum((r["combined"].value for r in rest), Decimal(0))
        listed += f"; {len(rest)} other headings {money(other)}"
    if n > charts.MAX_STACKED_SERIES:
        bars = [charts.Bar(r["name"], r["combined"].value, None, "plain", r["combined"].attrs) for r in shown]
        if rest:
            bars.append(charts.Bar(f"Other headings ({len(rest)})", other, None, "plain"))
        desc = f"Net spend of the {n} councils with spend loaded, added together, by heading: {listed}."
        return charts.ranked_bars("heading-spend", bars, unit="gbp", money=True, title=title, desc=desc)
    index = {m.council_code: i for i, m in enumerate(spenders)}

    def segments(row: dict) -> list[charts.Segment]:
        return [charts.Segment(index[c], f.value, f.attrs) for c, f in row["by_council"].items()]

    def other_segments() -> list[charts.Segment]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for r in rest:
            for c, f in r["by_council"].items():
                totals[c] += f.value
        return [charts.Segment(index[c], v, {"mart": "mart_spend_by_category_year"}) for c, v in totals.items()]

    stacked = [(r["name"], segments(r)) for r in shown]
    if rest:
        stacked.append((f"Other headings ({len(rest)})", other_segments()))
    names = [m.display_name for m in spenders]
    desc = (
        f"Net spend by heading, each bar split by council (numbered 1 to {n}: "
        + ", ".join(f"{i + 1} {name}" for i, name in enumerate(names))
        + f"): {listed}. The table below gives each council's amount."
    )
    return charts.stacked_bars("heading-spend", stacked, names, title=title, desc=desc)


# --- collaboration opportunities and shared suppliers -------------------------------------------


def opportunity(o: dict) -> dict:
    key = {"group_id": o["group_id"], "financial_year": o["financial_year"]}
    key["proclass_level2_code"] = o["proclass_level2_code"]
    mart = "mart_spend_opportunities"
    shared = o["shared_supplier_count"]
    return {
        **o,
        "combined": figure(
            money(o["combined_net_amount"]), o["combined_net_amount"], mart, "combined_net_amount", **key
        ),
        "savings_low": figure(money(o["savings_low"]), o["savings_low"], mart, "savings_low", **key),
        "savings_high": figure(money(o["savings_high"]), o["savings_high"], mart, "savings_high", **key),
        "top_share": figure(
            percent(o["top_supplier_share"]), o["top_supplier_share"], mart, "top_supplier_share", **key
        ),
        "suppliers_text": f"{fmt.plural(o['supplier_count'], 'supplier')}, "
        + (f"{shared} shared" if shared else "none shared"),
        "kind_text": OPPORTUNITY_WORDS.get(o["opportunity_type"], o["opportunity_type"]),
    }


def opportunity_chart(d: PooledSpendData, rows: list[dict]) -> str:
    bars = [
        charts.Bar(o["proclass_level2"], o["combined"].value, o["opportunity_rank"], "plain", o["combined"].attrs)
        for o in rows
    ]
    desc = (
        f"The {len(rows)} categories with the largest combined spend that two or more of the councils buy, "
        "with the indicative savings range: "
        + "; ".join(
            f"{o['opportunity_rank']}. {o['proclass_level2']} {o['combined'].text} "
            f"({o['councils_buying']} councils, savings {o['savings_low'].text} to {o['savings_high'].text})"
            for o in rows
        )
        + "."
    )
    return charts.ranked_bars(
        "top-opportunities",
        bars,
        unit="gbp",
        money=True,
        title=f"Top collaboration opportunities by combined spend, {d.financial_year}",
        desc=desc,
    )


def rates_text(d: PooledSpendData) -> str:
    rates = sorted({(o["savings_rate_low"], o["savings_rate_high"]) for o in d.opportunities})
    if not rates:
        return ""
    words = " or ".join(f"{rate_words(lo)} (low) and {rate_words(hi)} (high)" for lo, hi in rates)
    return (
        f"Each savings range is the category's combined spend times {words}: the rates the platform is set up "
        "with (COUNCILBENCH_SPEND_SAVINGS_LOW and COUNCILBENCH_SPEND_SAVINGS_HIGH, kept in "
        "mart_spend_opportunities.savings_rate_low and savings_rate_high). It is an indicative range to decide "
        "where to look first, not an estimate of what a joint contract would save."
    )


def suppliers(d: PooledSpendData) -> list[dict]:
    """Each supplier two or more of the councils pay, largest combined spend first, with
    what each council paid."""
    names = {m.council_code: m.display_name for m in d.group.members}
    by: dict[str, list[dict]] = {}
    for r in d.shared_suppliers:
        by.setdefault(r["supplier_id"], []).append(r)
    out = []
    for supplier_id, rows in by.items():
        key = {"group_id": d.group.group_id, "financial_year": d.financial_year, "supplier_id": supplier_id}
        combined = sum((r["net_amount"] for r in rows), Decimal(0))
        out.append(
            {
                "supplier_id": supplier_id,
                "supplier_name": rows[0]["supplier_name"],
                "councils_using": rows[0]["councils_using"],
                "lines": rows[0]["group_line_count"],
                "combined": figure(money(combined), combined, "mart_spend_shared_suppliers", "net_amount", **key),
                "paid_by": [
                    (
                        names.get(r["council_code"], r["council_code"]),
                        figure(
                            money(r["net_amount"]),
                            r["net_amount"],
                            "mart_spend_shared_suppliers",
                            "net_amount",
                            **key,
                            council_code=r["council_code"],
                        ),
                    )
                    for r in sorted(rows, key=lambda r: -r["net_amount"])
                ],
            }
        )
    return sorted(out, key=lambda s: (-s["combined"].value, s["supplier_name"] or ""))
