"""The "Pooled spend" report for a partnership group and financial year: the view model
its template (report_pooled_spend.html) renders, for the group's procurement leads.

What the group's councils spend together by ProClass heading, the categories two or more
of them buy (collaboration opportunities, with a savings range at the configured rates),
the suppliers they pay separately, and how complete their published spend is (files
missing or late, spend unclassified or redacted). Everything is arithmetic on the mart
rows read in pooled_spend_data: each printed figure names its mart, the rows it is read
from (a comma between values any of which a row may have) and its column; a figure over
several rows is their sum, and a share ``a/b`` is the sum of a over the sum of b.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from councilbench.reports import charts, render
from councilbench.reports import format as fmt
from councilbench.reports import pooled_spend_sections as sections
from councilbench.reports.annual import Figure, figure
from councilbench.reports.pooled_spend_data import Group, PooledSpendData
from councilbench.reports.pooled_spend_quality import CouncilQuality, group_share, quality_chart, quality_rows
from councilbench.reports.pooled_spend_sections import money, percent
from councilbench.spend.checks import period_bounds, period_label


@dataclass
class PooledSpendReport:
    title: str
    group: Group
    financial_year: str
    months_text: str
    has_spend: bool
    as_at: dict
    members: list[dict]  # {display_name, council_name, net (Figure | None), periods_text}
    key_figures: list[dict]  # {parts: [Figure | str], label, source}
    findings: list[str]
    heading_rows: list[dict]
    heading_columns: list[dict]  # the councils with spend, when few enough to split the chart by
    heading_chart: str | None
    opportunities: list[dict]
    opportunity_count: int
    opportunity_chart: str | None
    rates_text: str
    suppliers: list[dict]
    supplier_count: int
    quality: list[CouncilQuality]
    quality_known: bool  # any period of the year in mart_spend_quality for the group's councils
    quality_chart: str | None
    file_stem: str


def file_stem(group_id: str, financial_year: str) -> str:
    return f"pooled-spend-{group_id}-{financial_year}"


def build(d: PooledSpendData) -> PooledSpendReport:
    g, fy = d.group, d.financial_year
    codes = ",".join(g.codes)
    spend_key = {"council_code": codes, "financial_year": fy}
    total = sum((r["net_amount"] for r in d.by_category), Decimal(0))
    combined = figure(money(total), total, "mart_spend_by_category_year", "net_amount", **spend_key)
    spenders = [m for m in g.members if any(r["council_code"] == m.council_code for r in d.by_category)]
    quality = quality_rows(d)
    heading_rows = sections.headings(d, spenders, total)
    opportunities = [sections.opportunity(o) for o in d.opportunities[: sections.TOP_OPPORTUNITIES]]
    suppliers = sections.suppliers(d)
    report = PooledSpendReport(
        title=f"Pooled spend {fy}: {g.group_name}",
        group=g,
        financial_year=fy,
        months_text=_months_text(d),
        has_spend=bool(d.by_category),
        as_at=_as_at(d),
        members=[_member(d, m, quality) for m in g.members],
        key_figures=[],
        findings=[],
        heading_rows=heading_rows,
        heading_columns=[
            {"code": m.council_code, "name": m.display_name, "number": i + 1} for i, m in enumerate(spenders)
        ]
        if len(spenders) <= charts.MAX_STACKED_SERIES
        else [],
        heading_chart=sections.heading_chart(d, spenders, heading_rows) if d.by_category else None,
        opportunities=opportunities,
        opportunity_count=len(d.opportunities),
        opportunity_chart=sections.opportunity_chart(d, opportunities) if opportunities else None,
        rates_text=sections.rates_text(d),
        suppliers=suppliers[: sections.TOP_SUPPLIERS],
        supplier_count=len(suppliers),
        quality=quality,
        quality_known=bool(d.quality),
        quality_chart=quality_chart(quality),
        file_stem=file_stem(g.group_id, fy),
    )
    report.key_figures = _key_figures(d, report, combined)
    report.findings = _findings(d, report, combined, spenders)
    return report


def html(report: PooledSpendReport) -> str:
    return render.render(
        "report_pooled_spend.html",
        r=report,
        document_title=report.title,
        meta_description=f"{report.title}: combined spend, collaboration opportunities and shared suppliers",
        as_at=report.as_at,
    )


def _months_text(d: PooledSpendData) -> str:
    loaded = [q["spend_period"] for q in d.quality if q["file_status"] == "loaded"]
    if not loaded:
        return fmt.financial_year_label(d.financial_year)
    first = min(period_bounds(p)[0] for p in loaded)
    last = max(period_bounds(p)[1] for p in loaded)
    text = f"{fmt.month_label(f'{first:%Y-%m}')} to {fmt.month_label(f'{last:%Y-%m}')}"
    year_end = fmt.financial_year_months(d.financial_year)[1]
    return text + (" (the year so far)" if f"{last:%Y-%m}" < year_end else "")


def _as_at(d: PooledSpendData) -> dict:
    from councilbench.returns.email_render import uk_time

    loaded = [q for q in d.quality if q["file_status"] == "loaded"]
    newest = max(loaded, key=lambda q: period_bounds(q["spend_period"])[1], default=None)
    accepted = max((q["first_accepted_at"] for q in loaded if q["first_accepted_at"]), default=None)
    return {
        "latest_month": newest["spend_period"] if newest else "",
        "newest_period": period_label(newest["spend_period"]) if newest else "none loaded",
        "newest_accepted": uk_time(accepted) if accepted else "none accepted",
    }


def _member(d: PooledSpendData, m, quality: list[CouncilQuality]) -> dict:
    rows = [r for r in d.by_category if r["council_code"] == m.council_code]
    net = sum((r["net_amount"] for r in rows), Decimal(0))
    q = next(q for q in quality if q.member == m)
    return {
        "council_code": m.council_code,
        "display_name": m.display_name,
        "council_name": m.council_name,
        "net": figure(
            money(net),
            net,
            "mart_spend_by_category_year",
            "net_amount",
            council_code=m.council_code,
            financial_year=d.financial_year,
        )
        if rows
        else None,
        "periods_text": q.loaded_text,
    }


# --- the summary -------------------------------------------------------------------------------------


def _key_figures(d: PooledSpendData, r: PooledSpendReport, combined: Figure) -> list[dict]:
    if not r.has_spend:
        return []
    key = {"group_id": d.group.group_id, "financial_year": d.financial_year}
    opp = "mart_spend_opportunities"
    low = sum((o["savings_low"] for o in d.opportunities), Decimal(0))
    high = sum((o["savings_high"] for o in d.opportunities), Decimal(0))
    spenders = sum(1 for m in r.members if m["net"])
    cards = [
        {
            "parts": [combined],
            "label": f"combined net spend of the {fmt.plural(spenders, 'council')} with spend loaded",
            "source": "mart_spend_by_category_year.net_amount",
        },
        {
            "parts": [str(r.opportunity_count)],
            "label": "categories two or more of the councils buy: collaboration opportunities",
            "source": "mart_spend_opportunities rows of the group and year",
        },
    ]
    if d.opportunities:
        cards.append(
            {
                "parts": [
                    figure(money(low), low, opp, "savings_low", **key),
                    " to ",
                    figure(money(high), high, opp, "savings_high", **key),
                ],
                "label": "indicative savings were every opportunity bought together (see the rates below)",
                "source": "mart_spend_opportunities.savings_low, savings_high",
            }
        )
    cards.append(
        {
            "parts": [str(r.supplier_count)],
            "label": "suppliers two or more of the councils pay separately",
            "source": "mart_spend_shared_suppliers rows of the group and year",
        }
    )
    codes = {"council_code": ",".join(d.group.codes), "financial_year": d.financial_year}
    part, share = group_share(r.quality, "unclassified_amount")
    if share is not None:
        cards.append(
            {
                "parts": [
                    figure(percent(share), share, "mart_spend_quality", "unclassified_amount/net_amount", **codes)
                ],
                "label": f"of the spend ({money(part)}) has no category, so cannot be an opportunity",
                "source": "mart_spend_quality.unclassified_amount / net_amount",
            }
        )
    return cards


def _findings(d: PooledSpendData, r: PooledSpendReport, combined: Figure, spenders: list) -> list[str]:
    fy = d.financial_year
    if not r.has_spend:
        return [
            f"No spend has been loaded for any of the group's {fmt.plural(len(d.group.members), 'council')} "
            f"for {fy} ({fmt.financial_year_label(fy)}): there is nothing to pool yet."
        ] + _file_findings(r)
    names = ", ".join(m.display_name for m in spenders)
    out = [f"{names} spent {combined.text} between them in {r.months_text} (net of credit notes)."]
    absent = [m["display_name"] for m in r.members if not m["net"]]
    if len(absent) > 3:
        out.append(
            f"No spend is loaded for {len(absent)} of the {len(r.members)} councils (named on the first page): "
            "the totals leave them out."
        )
    elif absent:
        out.append(f"No spend is loaded for {', '.join(absent)}: the totals leave them out.")
    classified = [h for h in r.heading_rows if h["code"]]
    if classified:
        h = classified[0]
        out.append(f"The largest heading is {h['name']}: {h['combined'].text} ({h['share']} of the total).")
    if r.opportunities:
        top = r.opportunities[0]
        low = sum((o["savings_low"] for o in d.opportunities), Decimal(0))
        high = sum((o["savings_high"] for o in d.opportunities), Decimal(0))
        out.append(
            f"{fmt.plural(r.opportunity_count, 'category', 'categories')} are bought by two or more of the councils; "
            f"buying each together could save {money(low)} to {money(high)} on this spend (an indicative range). "
            f"The largest is {top['proclass_level2']}: {top['combined'].text} across "
            f"{top['councils_buying']} councils."
        )
    else:
        out.append("No category is bought by two or more of the councils in the spend loaded.")
    if r.suppliers:
        s = r.suppliers[0]
        out.append(
            f"{fmt.plural(r.supplier_count, 'supplier')} are paid separately by two or more of the councils; "
            f"the largest is {s['supplier_name']} ({s['combined'].text} from {s['councils_using']} councils)."
        )
    unclassified, u_share = group_share(r.quality, "unclassified_amount")
    redacted, red_share = group_share(r.quality, "redacted_amount")
    if u_share is not None:
        out.append(
            f"{money(unclassified)} ({percent(u_share)}) of the spend has no category and {money(redacted)} "
            f"({percent(red_share)}) went to redacted beneficiaries: neither can be part of an opportunity."
        )
    return out + _file_findings(r)


def _file_findings(r: PooledSpendReport) -> list[str]:
    missing = sum(q.missing for q in r.quality)
    rejected = sum(q.rejected for q in r.quality)
    late = sum(q.late for q in r.quality)
    if not (missing or rejected or late):
        return []
    parts = [
        f"{fmt.plural(n, 'file')} {words}"
        for n, words in ((missing, "missing"), (rejected, "only rejected"), (late, "loaded late"))
        if n
    ]
    return ["Of the files due in the year: " + ", ".join(parts) + " (see How complete the spend data is)."]
