"""The Pay benchmarks page's data: the suppressed pay statistics (marts.mart_pay_benchmark)
by pay year, role and comparison group, who is in a group (mart_comparison_groups and
dim_partnership_group), and the published gender pay gap of those councils
(mart_pay_gender_gap); the tables and the chart the page draws from them, and the rows
shown as a CSV written the way the open data release writes one (reports.opendata).

Only marts: the analyst role cannot read any council's own posts (the `pay` schema, under
row-level security), so nothing here can show one council's pay. The rules a statistic is
published under are the settings the warehouse build passes to dbt (core.settings) and the
dbt project's own vars, never words typed here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import altair as alt
import pandas as pd
import yaml

from councilbench.core import settings
from councilbench.explorer import db
from councilbench.explorer.spend import NONE, money, rows
from councilbench.pay import catalogue
from councilbench.reports import opendata

#: Group types in the order the page offers them (mart_benchmark's, and the partnerships),
#: with their plain names.
GROUP_TYPES = {
    "region": "The region (every member council)",
    "tier": "Same tier",
    "county_family": "County family (a county and its districts)",
    "nearest_neighbours": "Nearest neighbours",
    "partnership": "Partnership group",
}
REGION = "region"
#: The salary columns of the mart, in order, and the page's names for them.
SALARIES = {
    "p10_salary": "P10",
    "lower_quartile_salary": "Lower quartile",
    "median_salary": "Median",
    "upper_quartile_salary": "Upper quartile",
    "p90_salary": "P90",
}
_TYPE_ORDER = "array_position(array[" + ", ".join(f"'{t}'" for t in GROUP_TYPES) + "], group_type)"
#: The two comparisons the page draws: the roles of a job family in one group, or one
#: role in every group that has it. Parameters: the pay year, then the group id and the
#: family, or the role id. The CSV download runs the same query.
COMPARISONS = {
    "roles": """
        select * from marts.mart_pay_benchmark
        where pay_year = %s and group_id = %s and coalesce(job_family, 'Other') = %s
        order by role_name, role_id""",
    "groups": f"""
        select * from marts.mart_pay_benchmark
        where pay_year = %s and role_id = %s
        order by {_TYPE_ORDER}, group_label, group_id""",
}


# --- the rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """When the mart publishes a statistic (see mart_pay_benchmark's description)."""

    min_councils: int
    min_incumbents: int
    max_council_share: float
    percentile_min_councils: int
    rounding: int

    @property
    def share_text(self) -> str:
        return f"{self.max_council_share * 100:g}%"


def rules() -> Rules:
    """The thresholds as the warehouse build gives them to dbt: the settings
    COUNCILBENCH_PAY_MIN_COUNCILS, _MIN_INCUMBENTS and _MAX_COUNCIL_SHARE, and the dbt
    project's vars pay_percentile_min_councils and pay_rounding."""
    with (settings.dbt_project_dir() / "dbt_project.yml").open(encoding="utf-8") as f:
        declared = yaml.safe_load(f)["vars"]
    t = settings.pay_thresholds()
    return Rules(
        t.min_councils,
        t.min_incumbents,
        t.max_council_share,
        int(declared["pay_percentile_min_councils"]),
        int(declared["pay_rounding"]),
    )


# --- reading the marts -------------------------------------------------------------------------


def built() -> bool:
    """Whether the pay marts and the groups' memberships exist (a warehouse built before
    the pay models has none of the pay marts)."""
    found = rows(
        "select to_regclass('marts.mart_pay_benchmark') is not null "
        "and to_regclass('marts.mart_pay_gender_gap') is not null "
        "and to_regclass('marts.mart_comparison_groups') is not null "
        "and to_regclass('marts.dim_partnership_group') is not null as built"
    )
    return bool(found["built"].iloc[0])


def pay_years() -> list[str]:
    """The pay years with statistics, newest first."""
    return rows("select distinct pay_year from marts.mart_pay_benchmark order by 1 desc")["pay_year"].tolist()


def roles(pay_year: str) -> pd.DataFrame:
    """The roles with statistics in the pay year: role_id, role_name, job_family and
    region_councils (how many councils deposited it), by family and name."""
    return rows(
        """
        select role_id, max(role_name) as role_name, coalesce(max(job_family), 'Other') as job_family,
               max(councils) filter (where group_id = 'region') as region_councils
        from marts.mart_pay_benchmark where pay_year = %s
        group by role_id order by 3, 2, 1""",
        (pay_year,),
    )


def default_role(found: pd.DataFrame) -> str:
    """The role most councils deposited (a page that opens on published figures)."""
    ranked = found.assign(n=found["region_councils"].fillna(0)).sort_values(
        ["n", "role_name"], ascending=[False, True], kind="stable"
    )
    return ranked["role_id"].iloc[0]


def groups(pay_year: str, role_id: str) -> pd.DataFrame:
    """The comparison groups with a statistic for the role in the pay year: group_type,
    group_id, group_label, group_councils, in the page's order."""
    return rows(
        f"""
        select group_type, group_id, group_label, group_councils from marts.mart_pay_benchmark
        where pay_year = %s and role_id = %s order by {_TYPE_ORDER}, group_label, group_id""",
        (pay_year, role_id),
    )


def known_group_ids() -> dict[str, str]:
    """Every comparison group's id (the mart's, and those no council of which deposited yet),
    by its lower-case form (an address may be typed in any case)."""
    found = rows(
        """
        select group_id from marts.mart_pay_benchmark
        union select group_id from marts.mart_comparison_groups
        union select 'partnership:' || group_id from marts.dim_partnership_group"""
    )["group_id"]
    return {g.lower(): g for g in found}


def comparison(view: str, pay_year: str, key: str, family: str | None = None) -> pd.DataFrame:
    """The mart's rows of one comparison: view 'roles' (key: the group id) or 'groups'
    (key: the role id)."""
    return rows(COMPARISONS[view], comparison_params(view, pay_year, key, family))


def comparison_params(view: str, pay_year: str, key: str, family: str | None) -> tuple:
    return (pay_year, key, family) if view == "roles" else (pay_year, key)


def csv(view: str, pay_year: str, key: str, family: str | None = None) -> bytes:
    """The comparison's rows as CSV, as the open data release writes a mart (UTF-8, a
    header, an empty cell for no value)."""
    buffer = io.BytesIO()
    statement = f"copy ({COMPARISONS[view]}) to stdout with (format csv, header)"
    arguments = comparison_params(view, pay_year, key, family)
    with opendata.snapshot(db.warehouse()) as conn, conn.cursor() as cur, cur.copy(statement, arguments) as copy:
        for block in copy:
            buffer.write(block)
    return buffer.getvalue()


def members(group_id: str) -> list[str]:
    """The councils of a comparison group (whether they deposited or not)."""
    found = rows(
        """
        select member_council_code as council_code from marts.mart_comparison_groups where group_id = %s
        union
        select council_code from marts.dim_partnership_group where 'partnership:' || group_id = %s""",
        (group_id, group_id),
    )
    return found["council_code"].tolist()


def gap_years() -> list[str]:
    """The gender pay gap reporting years loaded, newest first."""
    return rows("select distinct reporting_year from marts.mart_pay_gender_gap order by 1 desc")[
        "reporting_year"
    ].tolist()


def gender_gap(council_codes: list[str], reporting_year: str) -> pd.DataFrame:
    """The councils' rows of mart_pay_gender_gap for the reporting year, by council name."""
    return rows(
        """
        select * from marts.mart_pay_gender_gap
        where council_code = any(%s) and reporting_year = %s order by council_name""",
        (sorted(council_codes), reporting_year),
    )


# --- words and figures -------------------------------------------------------------------------


def status(row, r: Rules) -> str:
    """Whether a row's salaries are published, and if not why, in words."""
    if row["is_suppressed"]:
        return f"Suppressed: {row['suppression_reason']}"
    if pd.isna(row["p10_salary"]):
        return f"Published (P10 and P90 need {r.percentile_min_councils} councils)"
    return "Published"


def statistics_table(found: pd.DataFrame, view: str, r: Rules) -> pd.DataFrame:
    """The comparison as the page shows it: one row per role (or group), the counts, the
    salaries in pounds (– where withheld) and the status in words."""
    label = found["role_name"].fillna(found["role_id"]) if view == "roles" else found["group_label"]
    table = pd.DataFrame({"Role" if view == "roles" else "Group": label})
    if view == "groups":
        table["Type"] = found["group_type"].map(lambda t: GROUP_TYPES.get(t, t))
    table["Councils"] = [f"{c} of {g}" for c, g in zip(found["councils"], found["group_councils"], strict=True)]
    table["Incumbents"] = found["incumbents"].astype(int)
    for column, name in SALARIES.items():
        table[name] = found[column].map(money)
    table["Status"] = [status(row, r) for _, row in found.iterrows()]
    return table.reset_index(drop=True)


def spine_text(pay_year: str, salary) -> str | None:
    """Where a salary sits on the NJC pay spine of its year: 'nearest SCP 23 (£30,060)', or
    above or below the spine; None when the spine has no such year."""
    if salary is None or pd.isna(salary):
        return None
    try:
        points = catalogue.spine(pay_year)
    except ValueError:
        return None
    top, bottom = max(points), min(points)
    if salary > points[top] * 1.02:
        return f"above the top of the spine (SCP {top}, {money(points[top])})"
    if salary < points[bottom] * 0.98:
        return f"below the bottom of the spine (SCP {bottom}, {money(points[bottom])})"
    scp = catalogue.scp_for_salary(pay_year, float(salary))
    return f"nearest SCP {scp} ({money(points[scp])})"


def percent(value) -> str:
    """'3.5%', '-0.6%'; – when there is no figure."""
    return NONE if value is None or pd.isna(value) else f"{float(value):.1f}%"


def gender_gap_table(found: pd.DataFrame) -> pd.DataFrame:
    """The councils' gender pay gaps as the page shows them (positive: men paid more), and
    in words why a council has none."""
    return pd.DataFrame(
        {
            "Council": found["council_name"],
            "Median gap": found["median_hourly_gap_pct"].map(percent),
            "Mean gap": found["mean_hourly_gap_pct"].map(percent),
            "Women in the top-paid quarter": found["female_top_quartile_pct"].map(percent),
            "Note": found["match_note"].fillna(""),
        }
    ).reset_index(drop=True)


# --- the chart ---------------------------------------------------------------------------------


def quartile_ranges(found: pd.DataFrame, table: pd.DataFrame, label_column: str) -> alt.LayerChart:
    """One row per role (or group) in the table's order: the lower to the upper quartile as a
    bar, the median as a tick, P10 to P90 as a thin line where published, and 'suppressed'
    written where nothing is."""
    data = pd.DataFrame(
        {
            "label": table[label_column],
            **{c: pd.to_numeric(found[c].reset_index(drop=True), errors="coerce") for c in SALARIES},
            "status": table["Status"],
        }
    )
    order = data["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False))
    x_title = "Full-time-equivalent salary (£)"
    tooltip = [alt.Tooltip("label:N", title=label_column)] + [
        alt.Tooltip(f"{c}:Q", title=name, format=",.0f") for c, name in SALARIES.items()
    ]
    base = alt.Chart(data)
    whiskers = (
        base.transform_filter("isValid(datum.p10_salary)")
        .mark_rule(color="#7b8ea8")
        .encode(y=y, x=alt.X("p10_salary:Q", title=x_title, scale=alt.Scale(zero=False)), x2="p90_salary:Q")
    )
    boxes = (
        base.transform_filter("isValid(datum.median_salary)")
        .mark_bar(color="#92c5de", size=14)
        .encode(y=y, x=alt.X("lower_quartile_salary:Q", title=x_title), x2="upper_quartile_salary:Q", tooltip=tooltip)
    )
    medians = (
        base.transform_filter("isValid(datum.median_salary)")
        .mark_tick(color="#111111", thickness=3, size=16)
        .encode(y=y, x="median_salary:Q", tooltip=tooltip)
    )
    withheld = (
        base.transform_filter("!isValid(datum.median_salary)")
        .mark_text(align="left", dx=4, color="#666666", fontStyle="italic")
        .encode(y=y, x=alt.value(0), text=alt.value("suppressed"), tooltip=["label:N", "status:N"])
    )
    return alt.layer(whiskers, boxes, medians, withheld).properties(height=alt.Step(26))
