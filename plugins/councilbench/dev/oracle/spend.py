"""The spend marts recomputed independently (issue 18 item 1), in pandas, from what the
spend loader wrote (ops.submissions, raw.council_spend_lines, and spend/resolve.py's
raw.spend_supplier_matches and raw.spend_line_categories), the seeds (registry, ProClass
categories, partnership groups) and the settings, by the rules the marts' documentation
states (models/marts/spend/_marts__spend.yml), not by their SQL:

- fct_spend_line: every line of each council's loaded file per period (a superseded or
  rejected file's lines are history), its supplier by the published (name, company
  number, VAT number) unless redacted, its category by (council, expense type, code);
- mart_spend_by_category(_year): per council, period (year) and level-2 category, one
  'Unclassified' row for what no rule knows, credit notes netted, redacted spend beside;
- mart_spend_opportunities: per partnership group, year and category, the councils with
  positive net spend (two or more), their suppliers, the shared ones, the top one, the
  savings range at COUNCILBENCH_SPEND_SAVINGS_LOW/_HIGH and the rank in the year;
  unclassified, Non-Influenceable (990000) and redacted spend left out;
- mart_spend_shared_suppliers: per group and year, each canonical supplier two or more of
  the group's councils paid, one row per such council beside the group's totals;
- mart_spend_quality: every period each council was due (its own frequency, over the span
  any council has sent), loaded / rejected / missing, due at the end of the month after
  the period, late against that (or today), and the shares of the period's spend that are
  unclassified, redacted or paid to an unidentified supplier.

Money is summed in floats (the comparison allows half a penny); shares are not rounded
here (the marts round them to 4 places: the comparison allows 0.00005)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import yaml

from councilbench.core import settings
from councilbench.dev.oracle.frames import read_frame
from councilbench.warehouse.connection import Warehouse

NON_INFLUENCEABLE = "990000"  # the ProClass level-1 heading no procurement can influence
UNCLASSIFIED = "Unclassified"
SAME_SUPPLIER = "same supplier, bought separately"
DIFFERENT_SUPPLIERS = "same category, different suppliers"


# --- inputs ---------------------------------------------------------------------------


@dataclass
class SpendInputs:
    submissions: pd.DataFrame  # ops.submissions of council spend, every status
    lines: pd.DataFrame  # raw.council_spend_lines, every submission's
    supplier_matches: pd.DataFrame
    line_categories: pd.DataFrame
    today: dt.date  # the UK date today (a missing file is late until today)


def seed(name: str) -> pd.DataFrame:
    return pd.read_csv(settings.seeds_dir() / f"{name}.csv", dtype=str, keep_default_na=False)


def dbt_var(name: str):
    """A dbt var's value in dbt_project.yml (for the vars that are not settings)."""
    project = yaml.safe_load((settings.dbt_project_dir() / "dbt_project.yml").read_text())
    return project["vars"][name]


def read_inputs(warehouse: Warehouse) -> SpendInputs:
    """What the loader wrote, read as the loader."""

    def raw(query: str) -> pd.DataFrame:
        return read_frame(warehouse, query, role="loader")

    today = dt.datetime.now(ZoneInfo("Europe/London")).date()  # lateness is judged on UK dates
    return SpendInputs(
        submissions=raw(
            """select submission_id, subject as council_code, period as spend_period, status, fetched_at
               from ops.submissions where source_kind = 'council_spend'"""
        ),
        lines=raw("select * from raw.council_spend_lines"),
        supplier_matches=raw("select * from raw.spend_supplier_matches"),
        line_categories=raw("select * from raw.spend_line_categories"),
        today=today,
    )


# --- periods --------------------------------------------------------------------------


def period_start(period: str) -> dt.date:
    """'2026-02' -> 1 Feb 2026; '2026-Q1' -> 1 Jan 2026 (calendar quarters)."""
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", period)
    if quarter:
        return dt.date(int(quarter[1]), 3 * int(quarter[2]) - 2, 1)
    year, month = period.split("-")
    return dt.date(int(year), int(month), 1)


def financial_year(period: str) -> str:
    """April to March: '2026-03' and '2026-Q1' -> '2025-26', '2026-04' -> '2026-27'."""
    start = period_start(period)
    first = start.year if start.month >= 4 else start.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_months(period: str) -> int:
    return 3 if "-Q" in period else 1


def due_date(period: str, due_months: int) -> dt.date:
    """The last day of the `due_months`-th month after the period ends (1: the end of the
    month after: a March file by 30 April, a January-March quarter by 30 April)."""
    month = add_months(period_start(period), period_months(period) + due_months - 1)
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def label_of(day: dt.date, frequency: str) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}" if frequency == "quarterly" else f"{day:%Y-%m}"


# --- fct_spend_line -------------------------------------------------------------------


def _text(value) -> str | None:
    """Published text as the marts show it: trimmed, blank as null."""
    if value is None:
        return None
    return value.strip() or None


def categories() -> dict[str, dict]:
    """ProClass level-2 code -> its names and level-1 heading (seed proclass_categories)."""
    rows = seed("proclass_categories").set_index("proclass_code")
    out = {}
    for code, r in rows.iterrows():
        parent = r.parent_code or None
        out[code] = {
            "proclass_level2_code": code,
            "proclass_level2": r.proclass_name,
            "proclass_level1_code": parent,
            "proclass_level1": rows.loc[parent, "proclass_name"] if parent else None,
        }
    return out


def spend_lines(inputs: SpendInputs) -> pd.DataFrame:
    """fct_spend_line: every line of a loaded file, with its supplier and category."""
    loaded = inputs.submissions[inputs.submissions.status == "loaded"]
    lines = inputs.lines[inputs.lines.submission_id.isin(set(loaded.submission_id))]
    matches = {(m.raw_name, m.company_number, m.vat_number): m for m in inputs.supplier_matches.itertuples(index=False)}
    decided = {
        (c.council_code, c.expense_type, c.expense_code): c for c in inputs.line_categories.itertuples(index=False)
    }
    proclass = categories()
    nothing = dict.fromkeys(["proclass_level2_code", "proclass_level2", "proclass_level1_code", "proclass_level1"])
    rows = []
    for line in lines.itertuples(index=False):
        name, company, vat = _text(line.supplier_name), _text(line.company_number), _text(line.vat_registration)
        expense_type, expense_code = _text(line.expense_type), _text(line.expense_code)
        match = None if line.redacted else matches.get((name or "", company or "", vat or ""))
        category = decided.get((line.council_code, expense_type or "", expense_code or ""))
        code = category.proclass_code if category is not None else None
        rows.append(
            {
                "submission_id": line.submission_id,
                "source_row_number": line.row_number,
                "council_code": line.council_code,
                "spend_period": line.spend_period,
                "financial_year": financial_year(line.spend_period),
                "payment_date": line.payment_date,
                "transaction_number": _text(line.transaction_number),
                "supplier_id": match.canonical_id if match is not None else None,
                "supplier_name": match.canonical_name if match is not None else None,
                "published_supplier_name": name,
                "supplier_match_method": match.method if match is not None else None,
                **(proclass[code] if code is not None else nothing),
                "category_method": category.method if category is not None else None,
                "expense_type": expense_type,
                "net_amount": line.net_amount,
                "irrecoverable_vat": line.irrecoverable_vat,
                "is_redacted": bool(line.redacted),
                "is_card_transaction": line.card_transaction,
            }
        )
    return pd.DataFrame(rows, dtype=object)


def _money(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The money columns as floats (None as NaN: a sum skips it)."""
    out = frame.copy()
    for c in columns:
        out[c] = pd.to_numeric(out[c].astype(float))
    return out


def _share(part: float, whole: float):
    return None if pd.isna(whole) or whole == 0 else part / whole


# --- mart_spend_by_category(_year) ----------------------------------------------------


def _category_labels(lines: pd.DataFrame) -> pd.DataFrame:
    out = lines.copy()
    out["is_unclassified"] = out.proclass_level2_code.isna()
    for name in ("proclass_level1", "proclass_level2"):
        out[name] = out[name].where(out[name].notna(), UNCLASSIFIED)
    return out


def by_category(lines: pd.DataFrame) -> pd.DataFrame:
    """mart_spend_by_category: council x period x level-2 category."""
    lines = _category_labels(_money(lines, "net_amount", "irrecoverable_vat"))
    lines["is_redacted"] = lines.is_redacted.astype(bool)
    lines["redacted_net"] = lines.net_amount.where(lines.is_redacted, 0.0)
    key = ["council_code", "spend_period", "proclass_level2"]
    grouped = lines.groupby(key, dropna=False)
    out = grouped.agg(
        financial_year=("financial_year", "first"),
        proclass_level1_code=("proclass_level1_code", "first"),
        proclass_level1=("proclass_level1", "first"),
        proclass_level2_code=("proclass_level2_code", "first"),
        is_unclassified=("is_unclassified", "first"),
        net_amount=("net_amount", "sum"),
        irrecoverable_vat=("irrecoverable_vat", "sum"),  # 0 where not published
        line_count=("net_amount", "size"),
        supplier_count=("supplier_id", "nunique"),  # redacted and unidentified lines have none
        redacted_amount=("redacted_net", "sum"),
        redacted_line_count=("is_redacted", lambda r: int(r.sum())),
    ).reset_index()
    period_total = out.groupby(["council_code", "spend_period"]).net_amount.transform("sum")
    out["share_of_period"] = [_share(n, t) for n, t in zip(out.net_amount, period_total, strict=True)]
    return out


def by_category_year(lines: pd.DataFrame, submissions: pd.DataFrame) -> pd.DataFrame:
    """mart_spend_by_category_year: council x financial year x level-2 category, with the
    periods of the year the council has a loaded file for (from the ledger)."""
    periods = by_category(lines)
    key = ["council_code", "financial_year", "proclass_level2"]
    out = (
        periods.groupby(key)
        .agg(
            proclass_level1_code=("proclass_level1_code", "first"),
            proclass_level1=("proclass_level1", "first"),
            proclass_level2_code=("proclass_level2_code", "first"),
            is_unclassified=("is_unclassified", "first"),
            net_amount=("net_amount", "sum"),
            irrecoverable_vat=("irrecoverable_vat", "sum"),
            line_count=("line_count", "sum"),
            redacted_amount=("redacted_amount", "sum"),
            redacted_line_count=("redacted_line_count", "sum"),
        )
        .reset_index()
    )
    loaded = submissions[submissions.status == "loaded"].copy()
    loaded["financial_year"] = loaded.spend_period.map(financial_year)
    counts = loaded.groupby(["council_code", "financial_year"]).spend_period.nunique().rename("periods_loaded")
    out = out.join(counts, on=["council_code", "financial_year"])
    year_total = out.groupby(["council_code", "financial_year"]).net_amount.transform("sum")
    out["share_of_year"] = [_share(n, t) for n, t in zip(out.net_amount, year_total, strict=True)]
    return out


# --- partnership groups ---------------------------------------------------------------


def _group_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Each line once for every partnership group its council is in."""
    groups = seed("partnership_groups")
    groups["group_councils"] = groups.groupby("group_id").council_code.transform("size")
    return _money(lines, "net_amount", "irrecoverable_vat").merge(groups, on="council_code")


def shared_suppliers(lines: pd.DataFrame) -> pd.DataFrame:
    """mart_spend_shared_suppliers."""
    paid = _group_lines(lines)
    paid = paid[paid.supplier_id.notna()]
    key = ["group_id", "financial_year", "supplier_id", "council_code"]
    out = (
        paid.groupby(key)
        .agg(
            group_name=("group_name", "first"),
            supplier_name=("supplier_name", "first"),
            net_amount=("net_amount", "sum"),
            irrecoverable_vat=("irrecoverable_vat", "sum"),
            line_count=("net_amount", "size"),
        )
        .reset_index()
    )
    supplier = out.groupby(["group_id", "financial_year", "supplier_id"])
    out["councils_using"] = supplier.council_code.transform("nunique")
    out["group_net_amount"] = supplier.net_amount.transform("sum")
    out["group_line_count"] = supplier.line_count.transform("sum")
    return out[out.councils_using >= 2]


def opportunities(lines: pd.DataFrame, rates: tuple[float, float]) -> pd.DataFrame:
    """mart_spend_opportunities."""
    low, high = rates
    bought = _group_lines(lines)
    bought = bought[
        bought.proclass_level2_code.notna()
        & (bought.proclass_level1_code != NON_INFLUENCEABLE)
        & ~bought.is_redacted.astype(bool)
    ]
    rows = []
    for (group_id, year, code), category in bought.groupby(["group_id", "financial_year", "proclass_level2_code"]):
        by_council = category.groupby("council_code").net_amount.sum()
        buying = by_council[by_council > 0]  # credit notes net off first
        if len(buying) < 2:
            continue
        combined = float(buying.sum())
        theirs = category[category.council_code.isin(buying.index) & category.supplier_id.notna()]
        suppliers = theirs.groupby("supplier_id").agg(
            name=("supplier_name", "first"), councils=("council_code", "nunique"), amount=("net_amount", "sum")
        )
        shared = suppliers[suppliers.councils >= 2]
        top = suppliers.sort_values("amount", ascending=False, kind="stable").head(1)  # ids ascending on a tie
        first = category.iloc[0]
        rows.append(
            {
                "group_id": group_id,
                "group_name": first.group_name,
                "financial_year": year,
                "proclass_level1_code": first.proclass_level1_code,
                "proclass_level1": first.proclass_level1,
                "proclass_level2_code": code,
                "proclass_level2": first.proclass_level2,
                "group_councils": first.group_councils,
                "councils_buying": len(buying),
                "combined_net_amount": combined,
                "smallest_council_amount": float(buying.min()),
                "largest_council_amount": float(buying.max()),
                "supplier_count": len(suppliers),
                "shared_supplier_count": len(shared),
                "shared_supplier_amount": float(shared.amount.sum()),
                "top_supplier_name": top["name"].iloc[0] if len(top) else None,
                "top_supplier_share": float(top["amount"].iloc[0]) / combined if len(top) else None,
                "opportunity_type": SAME_SUPPLIER if len(shared) else DIFFERENT_SUPPLIERS,
                "savings_rate_low": low,
                "savings_rate_high": high,
                "savings_low": combined * low,
                "savings_high": combined * high,
            }
        )
    out = pd.DataFrame(rows)
    out["opportunity_rank"] = (
        out.groupby(["group_id", "financial_year"]).combined_net_amount.rank(method="min", ascending=False).astype(int)
    )
    return out


# --- mart_spend_quality ---------------------------------------------------------------


def quality(inputs: SpendInputs, lines: pd.DataFrame, due_months: int) -> pd.DataFrame:
    """mart_spend_quality: every council's due periods across the span any council sent."""
    files = inputs.submissions
    starts = files.spend_period.map(period_start)
    first, last = starts.min(), starts.max()
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    lines = _money(lines, "net_amount")
    lines["unclassified_net"] = lines.net_amount.where(lines.proclass_level2_code.isna(), 0.0)
    lines["redacted_net"] = lines.net_amount.where(lines.is_redacted.astype(bool), 0.0)
    unidentified = ~lines.is_redacted.astype(bool) & lines.supplier_id.isna()
    lines["unidentified_net"] = lines.net_amount.where(unidentified, 0.0)
    spent = lines.groupby(["council_code", "spend_period"]).agg(
        line_count=("net_amount", "size"),
        net_amount=("net_amount", "sum"),
        unclassified_amount=("unclassified_net", "sum"),
        redacted_amount=("redacted_net", "sum"),
        unidentified_supplier_amount=("unidentified_net", "sum"),
    )
    received = dict(list(files.groupby(["council_code", "spend_period"])))
    rows = []
    for council in seed("council_registry").itertuples(index=False):
        frequency = council.spend_frequency
        due = [m for m in months if frequency == "monthly" or m.month in (1, 4, 7, 10)]
        for start in due:
            period = label_of(start, frequency)
            got = received.get((council.gss_code, period))
            statuses = [] if got is None else list(got.status)
            accepted = None if got is None else got[got.status.isin(["loaded", "superseded"])].fetched_at
            first_accepted = accepted.min() if accepted is not None and len(accepted) else None
            deadline = due_date(period, due_months)
            judged_on = uk_date(first_accepted) if first_accepted is not None else inputs.today
            money = spent.loc[(council.gss_code, period)] if (council.gss_code, period) in spent.index else None

            def amount(column: str, money=money):
                return None if money is None else float(money[column])

            net = amount("net_amount")
            rows.append(
                {
                    "council_code": council.gss_code,
                    "spend_period": period,
                    "financial_year": financial_year(period),
                    "spend_frequency": frequency,
                    "file_status": "loaded" if "loaded" in statuses else "rejected" if statuses else "missing",
                    "files_received": len(statuses),
                    "files_rejected": statuses.count("rejected"),
                    "due_date": deadline,
                    "first_accepted_at": first_accepted,
                    "is_late": judged_on > deadline,
                    "days_late": max((judged_on - deadline).days, 0),
                    "line_count": 0 if money is None else int(money.line_count),
                    "net_amount": net,
                    "unclassified_amount": amount("unclassified_amount"),
                    "unclassified_share": None if net is None else _share(amount("unclassified_amount"), net),
                    "redacted_amount": amount("redacted_amount"),
                    "redacted_share": None if net is None else _share(amount("redacted_amount"), net),
                    "unidentified_supplier_amount": amount("unidentified_supplier_amount"),
                    "unidentified_supplier_share": None
                    if net is None
                    else _share(amount("unidentified_supplier_amount"), net),
                }
            )
    return pd.DataFrame(rows, dtype=object)


def uk_date(moment) -> dt.date:
    """The UK date of a moment (Europe/London): a file's lateness is judged on it."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert("Europe/London").date()
