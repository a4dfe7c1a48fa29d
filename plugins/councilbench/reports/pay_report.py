"""A council's own pay report (issue 16, item 6): for each role it chose, where its median
FTE salary sits against a comparison group's quartiles, the NJC spine points of every
figure, a chart, the statistics PostgreSQL withholds shown as withheld with the reason in
words, and its published gender pay gap beside them; as HTML (PDF through Chromium) and
CSV. Read as the council's own role (reports.pay_report_data): the report cannot show
another council's posts because its session cannot see them.

    render(warehouse, "dudley", "region", "2025-26")        -> {"html", "csv", "pdf", ...}
    text_summary(warehouse, "dudley", "region", "2025-26")  -> a few roles in words (the demo)

Where the council's median sits (its own median is exact, from pay.pay_council_roles; the
group's are the mart's, to the nearest £10): below LQ when under the lower quartile,
LQ–median from the lower quartile up to (not including) the median, median–UQ from the
median up to and including the upper quartile, above UQ over it. The difference is from
the group's median, in pounds (to the pound) and as a percentage of it (to 0.1).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from councilbench.core import settings
from councilbench.pay import catalogue as pay_catalogue
from councilbench.reports import format as fmt
from councilbench.reports import pay_report_data, render
from councilbench.reports.pay_report_chart import position_chart
from councilbench.reports.pay_report_data import PayReportData
from councilbench.warehouse.connection import Warehouse

#: position key -> (short label, words)
POSITIONS = {
    "below_lq": ("below LQ", "below the group's lower quartile"),
    "lq_to_median": ("LQ–median", "between the group's lower quartile and its median"),
    "median_to_uq": ("median–UQ", "between the group's median and its upper quartile"),
    "above_uq": ("above UQ", "above the group's upper quartile"),
}
#: The group's statistics of a role: published, suppressed (the mart withholds them, and
#: says why) or no_data (no council of the group deposited posts in the role).
STATUSES = ("published", "suppressed", "no_data")
#: Statistics of the group, and the mart column each is.
QUANTILES = {
    "group_p10": "p10_salary",
    "group_lower_quartile": "lower_quartile_salary",
    "group_median": "median_salary",
    "group_upper_quartile": "upper_quartile_salary",
    "group_p90": "p90_salary",
}
#: The CSV's columns, in order: the report's selection, then one row per role.
CSV_COLUMNS = (
    "council_code", "council_name", "pay_year", "group_id", "group_label",
    "role_id", "role_name", "job_family", "posts", "incumbents", "council_median", "council_median_scp",
    "group_status", "group_councils", "group_incumbents",
    "group_p10", "group_p10_scp", "group_lower_quartile", "group_lower_quartile_scp",
    "group_median", "group_median_scp", "group_upper_quartile", "group_upper_quartile_scp",
    "group_p90", "group_p90_scp", "position", "difference_gbp", "difference_pct",
    "is_suppressed", "suppression_reason",
)  # fmt: skip
#: The chart's names of the group's statistics.
CHART_KEYS = {
    "group_p10": "p10",
    "group_lower_quartile": "lq",
    "group_median": "median",
    "group_upper_quartile": "uq",
    "group_p90": "p90",
}
MONEY_COLUMNS = frozenset(("council_median", "difference_gbp", *QUANTILES))


def _pounds(value) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(value) -> str:
    return "–" if value in (None, "") else fmt.value(value, "gbp", digits=0)


def signed_money(value: int) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + fmt.value(abs(value), "gbp", digits=0)


def signed_pct(value: Decimal) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + f"{abs(value):.1f}%"


def spine_point(pay_year: str, salary) -> str:
    """'SCP 29' (the nearest point of the year's NJC spine), or 'above SCP 43' / 'below
    SCP 2' for a salary outside the spine (chief officers' grades, apprentices' rates)."""
    points = pay_catalogue.spine(pay_year)
    top, bottom, amount = max(points), min(points), float(salary)
    if amount > points[top]:
        return f"above SCP {top}"
    if amount < points[bottom]:
        return f"below SCP {bottom}"
    return f"SCP {pay_catalogue.scp_for_salary(pay_year, amount)}"


def position(council_median, lq, median, uq) -> str | None:
    """Where the council's exact median sits against the group's quartiles (module docstring)."""
    if council_median is None or None in (lq, median, uq):
        return None
    m = Decimal(council_median)
    if m < lq:
        return "below_lq"
    if m < median:
        return "lq_to_median"
    return "median_to_uq" if m <= uq else "above_uq"


def selection_hash(group_id: str, role_ids: list[str]) -> str:
    """Names one selection (group and roles, order aside): the file names and the email's key."""
    return hashlib.sha256(f"{group_id}|{','.join(sorted(role_ids))}".encode()).hexdigest()[:10]


@dataclass
class RoleRow:
    role_id: str
    role_name: str
    job_family: str
    values: dict  # CSV column -> value (None: empty) exactly as shown
    status: str  # one of STATUSES
    reason: str | None  # why the group's statistics are not shown, in words
    titles: list[str] = field(default_factory=list)  # the council's own job titles for the role
    grades: list[str] = field(default_factory=list)  # its grades with their SCP ranges
    chart: str = ""
    sentence: str = ""  # the row in words

    def text(self, column: str) -> str:
        return cell_text(column, self.values.get(column))


def cell_text(column: str, value) -> str:
    """How a CSV value reads in the report (the CSV holds the same value, unformatted)."""
    if value is None:
        return "–"
    if column in ("difference_gbp",):
        return signed_money(value)
    if column == "difference_pct":
        return signed_pct(value)
    if column in MONEY_COLUMNS:
        return money(value)
    if column == "position":
        return POSITIONS[value][0]
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass
class PayReport:
    title: str
    data: PayReportData
    display_name: str
    rows: list[RoleRow]
    counts: dict[str, int]  # position key / status -> roles
    findings: list[str]
    gender_gap: dict  # what the gender pay gap panel shows
    rules: str
    as_at: dict
    selection: str  # selection_hash
    file_stem: str

    @property
    def suppressed(self) -> list[RoleRow]:
        return [r for r in self.rows if r.status == "suppressed"]


# --- building the view -------------------------------------------------------------------------


def build(d: PayReportData) -> PayReport:
    name = fmt.display_name(d.council.name)
    rows = [role_row(d, role_id, name) for role_id in d.role_ids]
    counts = {k: sum(1 for r in rows if r.values["position"] == k) for k in POSITIONS}
    counts.update({s: sum(1 for r in rows if r.status == s) for s in STATUSES})
    selection = selection_hash(d.group.group_id, d.role_ids)
    report = PayReport(
        title=f"Pay benchmarks {d.pay_year}: {name} against {d.group.label}",
        data=d,
        display_name=name,
        rows=rows,
        counts=counts,
        findings=[],
        gender_gap=gender_gap_view(d),
        rules=rules_text(),
        as_at=_as_at(d),
        selection=selection,
        file_stem=f"pay-report-{d.council.short_name}-{d.pay_year}-{fmt.slug(d.group.group_id)}-{selection}",
    )
    report.findings = findings(report)
    return report


def role_row(d: PayReportData, role_id: str, name: str) -> RoleRow:
    role = pay_catalogue.roles()[role_id]
    own, bench = d.own.get(role_id), d.benchmarks.get(role_id)
    exact = own["median_salary"] if own else None
    values: dict = {
        "council_code": d.council.code, "council_name": d.council.name, "pay_year": d.pay_year,
        "group_id": d.group.group_id, "group_label": d.group.label,
        "role_id": role_id, "role_name": role.role_name, "job_family": role.job_family,
        "posts": own["posts"] if own else 0, "incumbents": own["incumbents"] if own else 0,
        "council_median": _pounds(exact) if own else None,
        "council_median_scp": spine_point(d.pay_year, exact) if own else None,
        "group_councils": bench["councils"] if bench else 0,
        "group_incumbents": bench["incumbents"] if bench else 0,
    }  # fmt: skip
    values.update(_group_values(d.pay_year, bench))
    values.update(_comparison(exact, values))
    status = values["group_status"]
    reason = {
        "suppressed": bench and bench["suppression_reason"],
        "no_data": f"no council of the group deposited posts in this role for {d.pay_year}",
    }.get(status)
    row = RoleRow(role_id, role.role_name, role.job_family, values, status, reason)
    posts = d.posts.get(role_id, [])
    row.titles = sorted({p["job_title"] for p in posts if p["job_title"]})
    row.grades = sorted({_grade(p) for p in posts})
    row.sentence = sentence(row, name)
    row.chart = chart(row, name, d.group.label)
    return row


def _group_values(pay_year: str, bench: dict | None) -> dict:
    """The group's statistics of the role (mart_pay_benchmark), their spine points and status."""
    values: dict = {}
    for column, mart_column in QUANTILES.items():
        v = bench[mart_column] if bench else None
        values[column] = v
        values[f"{column}_scp"] = spine_point(pay_year, v) if v is not None else None
    status = "no_data" if bench is None else "suppressed" if bench["is_suppressed"] else "published"
    values["group_status"] = status
    values["is_suppressed"] = "true" if status == "suppressed" else "false"
    values["suppression_reason"] = bench["suppression_reason"] if status == "suppressed" else None
    return values


def _comparison(exact: Decimal | None, values: dict) -> dict:
    """Where the council's exact median sits, and its difference from the group's median."""
    lq, median, uq = (values[c] for c in ("group_lower_quartile", "group_median", "group_upper_quartile"))
    where = position(exact, lq, median, uq)
    if not where:
        return {"position": None, "difference_gbp": None, "difference_pct": None}
    pct = (Decimal(100) * (exact - median) / median).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return {"position": where, "difference_gbp": _pounds(exact - median), "difference_pct": pct}


def _grade(post: dict) -> str:
    grade = post["grade"] or "no grade"
    if post["scp_min"] is None:
        return grade
    return f"{grade} (SCP {post['scp_min']}–{post['scp_max']})"


def sentence(row: RoleRow, name: str) -> str:
    """The role in words: the demo prints it, the report's chart describes it."""
    v = row.values
    own = (
        f"{name}'s median {money(v['council_median'])} ({v['council_median_scp']})"
        if v["council_median"] is not None
        else f"{name} has no posts in the role"
    )
    if row.status != "published":
        why = "suppressed" if row.status == "suppressed" else "not available"
        return f"{row.role_name}: {own}; the group's statistics are {why}: {row.reason}."
    group = (
        f"LQ {money(v['group_lower_quartile'])}, median {money(v['group_median'])}, "
        f"UQ {money(v['group_upper_quartile'])}; {v['group_councils']} councils, {v['group_incumbents']} incumbents"
    )
    if not v["position"]:
        return f"{row.role_name}: {own}; the group's {group}."
    return (
        f"{row.role_name}: {own} is {POSITIONS[v['position']][1]} ({group}): "
        f"{signed_money(v['difference_gbp'])} ({signed_pct(v['difference_pct'])}) from the group's median."
    )


def chart(row: RoleRow, name: str, group_label: str) -> str:
    v = row.values
    withheld = {"suppressed": f"Group statistics suppressed: {row.reason}", "no_data": "No group statistics"}
    return position_chart(
        f"pay-{fmt.slug(row.role_id)}",
        council_label=name,
        council_median=v["council_median"],
        quantiles={CHART_KEYS[k]: v[k] for k in QUANTILES},
        title=f"{row.role_name}: {name}'s median FTE salary against {group_label}",
        desc=row.sentence,
        withheld=withheld.get(row.status),
        data={"role": row.role_id, "status": row.status},
    )


def gender_gap_view(d: PayReportData) -> dict:
    """The gender pay gap panel: the reporting year shown and its figures, or why there are none."""
    g = d.gender_gap
    if g is None:
        return {"shown": False, "note": "No gender pay gap data has been loaded from GOV.UK yet."}
    view = {
        "shown": g["match_status"] == "matched",
        "reporting_year": g["reporting_year"],
        "snapshot": f"{g['snapshot_date']:%-d %B %Y}" if g["snapshot_date"] else "",
        "note": g["match_note"],
        "link": g.get("link_to_gpg_info"),
    }
    if view["shown"]:
        view["figures"] = [
            ("Median hourly pay gap", gap_text(g["median_hourly_gap_pct"])),
            ("Mean hourly pay gap", gap_text(g["mean_hourly_gap_pct"])),
            ("Women in the lowest paid quarter", pct_text(g["female_lower_quartile_pct"])),
            ("Women in the lower middle quarter", pct_text(g["female_lower_middle_quartile_pct"])),
            ("Women in the upper middle quarter", pct_text(g["female_upper_middle_quartile_pct"])),
            ("Women in the highest paid quarter", pct_text(g["female_top_quartile_pct"])),
        ]
    return view


def gap_text(value) -> str:
    """GOV.UK's sign: positive when men are paid more."""
    if value is None:
        return "not published"
    v = Decimal(value)
    if v == 0:
        return "0.0%: no gap"
    return f"{abs(v):.1f}% in {'men' if v > 0 else 'women'}'s favour"


def pct_text(value) -> str:
    return "not published" if value is None else f"{Decimal(value):.1f}%"


def rules_text() -> str:
    t = settings.pay_thresholds()
    return (
        f"A group statistic is published only when at least {t.min_councils} councils and {t.min_incumbents} "
        f"incumbents contribute and no council holds more than {t.max_council_share * 100:g}% of the incumbents; "
        f"a comparison group of fewer than {t.min_councils} councils is refused. P10 and P90 need at least 10 "
        "councils. Salaries are full-time equivalent basic pay, FTE-weighted, the group's to the nearest £10."
    )


def _as_at(d: PayReportData) -> dict:
    from councilbench.returns.email_render import uk_time

    return {
        "latest_month": d.pay_year,
        "received": uk_time(d.received_at) if d.received_at else "no deposit of the council's loaded",
    }


def findings(r: PayReport) -> list[str]:
    n, c, d = len(r.rows), r.counts, r.data
    placed = [f"{POSITIONS[k][1]} in {fmt.plural(c[k], 'role')}" for k in POSITIONS if c[k]]
    out = [
        f"{fmt.plural(n, 'role')} compared with {d.group.label}"
        + (f": {r.display_name}'s median is " + ", ".join(placed) + "." if placed else ".")
    ]
    if not d.benchmarks:
        out.append(no_statistics(d))
        return out
    if c["suppressed"]:
        out.append(
            f"The group's statistics of {fmt.plural(c['suppressed'], 'role')} are suppressed, so that no "
            "council's pay can be worked out from them; each says why."
        )
    if c["no_data"]:  # some roles, not the whole group (above)
        out.append(f"No council of the group deposited posts in {fmt.plural(c['no_data'], 'role')}.")
    if not r.data.group.council_is_member:
        out.append(f"{r.display_name} is not a member of this group: its own posts are not in the group's figures.")
    return out


def no_statistics(d: PayReportData) -> str:
    """Why a group has no statistics at all for the roles and year."""
    text = f"{d.group.label} has no pay statistics for these roles in {d.pay_year}: none of its councils deposited posts in them"
    if d.group.group_type == "nearest_neighbours":
        text += (
            " (a council's nearest neighbours are found from the public statistics, population and claimant "
            "count; until those are loaded and the warehouse built it has none)"
        )
    return text + "."


# --- output ------------------------------------------------------------------------------------------


def html(report: PayReport) -> str:
    return render.render(
        "report_pay.html",
        r=report,
        positions=POSITIONS,
        document_title=report.title,
        meta_description=f"{report.title}: confidential to {report.data.council.name}",
        as_at=report.as_at,
    )


def csv_text(report: PayReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: "" if row.values[k] is None else row.values[k] for k in CSV_COLUMNS})
    return out.getvalue()


def reports_dir(pay_year: str) -> Path:
    return settings.state_path("reports", "pay", pay_year)


def write(report: PayReport, out_dir: Path | None = None, *, pdf: bool = True, with_csv: bool = True) -> dict:
    """The report's files: HTML, the CSV (with_csv) and the PDF (pdf; Chromium)."""
    folder = Path(out_dir) if out_dir else reports_dir(report.data.pay_year)
    page = render.write(folder / f"{report.file_stem}.html", html(report))
    written = {"html": str(page), "csv": None, "pdf": None}
    if with_csv:
        written["csv"] = str(_write_bytes(folder / f"{report.file_stem}.csv", csv_text(report).encode("utf-8")))
    if pdf:
        from councilbench.reports.pdf import render_one
        from councilbench.reports.pipeline import ReportError

        result = render_one(page, page.with_suffix(".pdf"), footer=f"{report.title} · confidential")
        if not result.clean:
            raise ReportError(f"{page} did not render cleanly: {result.problems()}")
        written["pdf"] = str(result.pdf)
    return written


def _write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def render_report(
    warehouse: Warehouse,
    council: str,
    group: str,
    pay_year: str,
    roles: list[str] | None = None,
    family: str | None = None,
    *,
    out_dir: Path | None = None,
    pdf: bool = True,
    with_csv: bool = True,
) -> tuple[PayReport, dict]:
    """Read as the council, build and write the report: (the report, its files)."""
    report = build(pay_report_data.read(warehouse, council, group, pay_year, roles, family))
    return report, write(report, out_dir, pdf=pdf, with_csv=with_csv)


def text_summary(
    warehouse: Warehouse, council: str, group: str, year: str, roles: list[str] | None = None, limit: int = 6
) -> str:
    """A few roles of the council's report in words, at least one with a suppressed
    statistic and why when the selection has one (the demo prints it)."""
    report = build(pay_report_data.read(warehouse, council, group, year, roles))
    suppressed = report.suppressed[: max(1, limit // 3)]
    placed = [r for r in report.rows if r.values["position"]]  # published, and the council has posts
    rest = [r for r in report.rows if r not in suppressed and r not in placed]
    chosen = {r.role_id for r in suppressed + (placed + rest)[: limit - len(suppressed)]}
    shown = [r for r in report.rows if r.role_id in chosen]
    g = report.gender_gap
    gap = (
        f"gender pay gap (GOV.UK {g['reporting_year']}): median hourly {g['figures'][0][1]}, mean {g['figures'][1][1]}"
        if g["shown"]
        else f"gender pay gap: {g['note']}"
    )
    lines = [
        report.title,
        f"  read as {report.data.read_as} (row-level security: its own posts, the suppressed statistics)",
        f"  {gap}",
        *(f"  {f}" for f in report.findings),
        *(f"  - {r.sentence}" for r in shown),
    ]
    if len(shown) < len(report.rows):
        lines.append(f"  ... and {fmt.plural(len(report.rows) - len(shown), 'more role')} in the full report")
    return "\n".join(lines)
