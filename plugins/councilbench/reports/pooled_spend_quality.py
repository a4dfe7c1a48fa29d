"""How complete a partnership group's spend data is, per council, for the pooled spend
report: the files due in the financial year (mart_spend_quality: loaded, late, only
rejected, missing, not yet due) and how much of the loaded spend has no category, was
paid to a redacted beneficiary or to a supplier no one could identify: spend that can
never be part of a collaboration opportunity."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from councilbench.core.calendar import day_label
from councilbench.reports import charts
from councilbench.reports import format as fmt
from councilbench.reports.annual import Figure, figure
from councilbench.reports.pooled_spend_data import Member, PooledSpendData
from councilbench.reports.pooled_spend_sections import money, percent
from councilbench.spend.checks import period_label

MART = "mart_spend_quality"
AMOUNTS = ("net_amount", "unclassified_amount", "redacted_amount", "unidentified_supplier_amount")


@dataclass
class CouncilQuality:
    member: Member
    frequency: str | None  # monthly or quarterly (None: no period of the year in the mart)
    loaded: int = 0
    late: int = 0  # of the loaded, first accepted after the due date
    rejected: int = 0  # files came, none accepted
    missing: int = 0  # no file, due date passed
    not_yet_due: int = 0
    amounts: dict[str, Figure] = field(default_factory=dict)  # AMOUNTS -> sum over the loaded periods
    shares: dict[str, Figure] = field(default_factory=dict)  # unclassified/redacted/unidentified of net
    periods: list[dict] = field(default_factory=list)  # periods not loaded on time, in words

    @property
    def due(self) -> int:
        return self.loaded + self.rejected + self.missing

    @property
    def loaded_text(self) -> str:
        if not self.loaded:
            return "none loaded"
        return fmt.plural(self.loaded, "quarter" if self.frequency == "quarterly" else "month")


def quality_rows(d: PooledSpendData) -> list[CouncilQuality]:
    """One entry per member council, in the group's order (every member, spend or not)."""
    return [_council(d, m) for m in d.group.members]


def _council(d: PooledSpendData, m: Member) -> CouncilQuality:
    rows = [q for q in d.quality if q["council_code"] == m.council_code]
    out = CouncilQuality(m, rows[0]["spend_frequency"] if rows else None)
    for q in rows:
        status, late = q["file_status"], bool(q["is_late"])
        if status == "loaded":
            out.loaded += 1
            out.late += late
        elif status == "rejected":
            out.rejected += 1
        elif late:
            out.missing += 1
        else:
            out.not_yet_due += 1
        words = _period_words(q)
        if words:
            out.periods.append({"period": q["spend_period"], "label": period_label(q["spend_period"]), **words})
    loaded = [q for q in rows if q["file_status"] == "loaded"]
    if loaded:
        key = {"council_code": m.council_code, "financial_year": d.financial_year}
        sums = {a: sum((q[a] or Decimal(0) for q in loaded), Decimal(0)) for a in AMOUNTS}
        out.amounts = {a: figure(money(v), v, MART, a, **key) for a, v in sums.items()}
        for a in AMOUNTS[1:]:
            share = round(sums[a] / sums["net_amount"], 4) if sums["net_amount"] else None
            out.shares[a] = figure(percent(share), share, MART, f"{a}/net_amount", **key)
    return out


def _period_words(q: dict) -> dict | None:
    """What went wrong with a period's file, or None when it was loaded on time or is not yet due."""
    due = day_label(q["due_date"])
    days = q["days_late"] or 0
    if q["file_status"] == "loaded":
        if not q["is_late"]:
            return None
        return {"status": "late", "words": f"loaded {fmt.plural(days, 'day')} after its due date", "due": due}
    if q["file_status"] == "rejected":
        return {
            "status": "rejected",
            "words": f"{fmt.plural(q['files_rejected'], 'file')} rejected, none accepted yet",
            "due": due,
        }
    if not q["is_late"]:
        return None
    return {"status": "missing", "words": f"no file received, {fmt.plural(days, 'day')} past its due date", "due": due}


def group_share(quality: list[CouncilQuality], amount: str) -> tuple[Decimal, float | None]:
    """(the group's `amount` over its loaded periods, its share of their net spend)."""
    part = sum((q.amounts[amount].value for q in quality if q.amounts), Decimal(0))
    net = sum((q.amounts["net_amount"].value for q in quality if q.amounts), Decimal(0))
    return part, (round(float(part / net), 4) if net else None)


def quality_chart(quality: list[CouncilQuality]) -> str | None:
    """The share of each council's loaded spend no category rule knows, highest first."""
    with_spend = [q for q in quality if q.shares and q.shares["unclassified_amount"].value is not None]
    if not with_spend:
        return None
    with_spend.sort(key=lambda q: (-q.shares["unclassified_amount"].value, q.member.display_name))
    bars = [
        charts.Bar(
            q.member.display_name,
            100 * float(q.shares["unclassified_amount"].value),
            None,
            "plain",
            q.shares["unclassified_amount"].attrs,  # data-value: the share (the mart's terms), not the percent drawn
        )
        for q in with_spend
    ]
    desc = (
        "Share of each council's net spend in its loaded files that no category rule knows: "
        + "; ".join(f"{b.label} {b.value:.1f}%" for b in bars)
        + ". Unclassified spend can never be part of a collaboration opportunity."
    )
    return charts.ranked_bars(
        "unclassified-share", bars, unit="percent", title="Spend with no category, by council", desc=desc
    )
