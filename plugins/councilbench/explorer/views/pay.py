"""The explorer's Pay benchmarks page, a public benchmark: for a role, a comparison group
and a pay year, the statistics about the councils' pay that cannot reveal one council's
pay (marts.mart_pay_benchmark), the roles of its job family or the groups that have it
compared in a table and a chart, and the published gender pay gap of the group's
councils beside them. Suppressed figures say why, in words; the rows shown download as
CSV. The address carries the role, the group and the year
(?role=accountant&group=tier:district&year=2025-26)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from councilbench.explorer import params, pay
from councilbench.pay import catalogue
from councilbench.reports import format as fmt

END = "Source: marts.mart_pay_benchmark and mart_pay_gender_gap. End of the Pay benchmarks page."
#: The comparisons the page offers, in words.
VIEWS = {"roles": "Roles of the job family, in this group", "groups": "This role, in every group"}


def end() -> None:
    st.caption(END)


def gender_gap(group_id: str, label: str, pay_year: str) -> None:
    """The group's councils' gender pay gap as they reported it to GOV.UK, for a reporting
    year the reader picks: at first the newest up to the pay year, as the pay report shows
    (else the newest loaded)."""
    st.subheader("Gender pay gap")
    years = pay.gap_years()
    if not years:
        st.write(
            "GOV.UK's gender pay gap figures are not loaded yet: the public_sources DAG loads them (task "
            "load_gender_pay_gap), and they appear here for the group's councils."
        )
        return
    up_to = [y for y in years if y <= pay_year]
    year = st.selectbox(
        "Reporting year",
        years,
        index=years.index(up_to[0]) if up_to else 0,
        format_func=lambda y: f"{y} (snapshot 31 March {y[:4]})",
        key="pay_gap_year",
    )
    gaps = pay.gender_gap(pay.members(group_id), year)
    if gaps.empty:
        st.write(f"No council of {label} is in the gender pay gap data for {year}.")
        return
    reported = gaps["median_hourly_gap_pct"].dropna()
    middle = f"; the middle of their median gaps is {pay.percent(reported.median())}" if len(reported) else ""
    st.write(
        f"Each council of {label} as it reported to GOV.UK's gender pay gap service: the gap in hourly pay between "
        "men and women as a share of men's pay, positive where men are paid more. "
        f"{len(reported)} of {len(gaps)} councils have figures{middle}. These are whole-council figures, public "
        "and not suppressed."
    )
    st.dataframe(pay.gender_gap_table(gaps), hide_index=True, width="stretch")


st.title("Pay benchmarks")
st.write(
    "What councils pay for roles common across local government, from the pay data the participating councils "
    "deposit: how many councils and staff a figure comes from, and the quartiles of their full-time-equivalent "
    "salaries. Only statistics about several councils are shown here, never one council's pay."
)

if not pay.built() or not pay.pay_years():
    st.info(
        "No council's pay data is loaded yet. The pay run loads each council's deposit (the council_pay DAG, or "
        "`councilbench pay run --year YYYY-YY`), and the warehouse build makes the statistics this page reads: "
        "this page shows them then."
    )
    end()
    st.stop()

rules = pay.rules()
with st.expander("What is published, and why some figures are not", expanded=False):
    st.write(
        f"A statistic is published only when at least {rules.min_councils} councils and {rules.min_incumbents} "
        f"staff in post (incumbents) contribute, and no single council holds more than {rules.share_text} of "
        f"those staff; P10 and P90 only when at least {rules.percentile_min_councils} councils contribute. A "
        f"comparison group of fewer than {rules.min_councils} councils is refused outright. With fewer councils, "
        "or one council holding most of the staff, a figure would come close to one council's own pay, which "
        "councils share in confidence: such rows show their counts and say why their salaries are withheld."
    )
    st.write(
        "Salaries are basic full-time-equivalent pay (without allowances or market supplements), weighted by "
        f"full-time equivalents, and rounded to the nearest £{rules.rounding}. The thresholds are the warehouse's "
        "settings (COUNCILBENCH_PAY_MIN_COUNCILS, _MIN_INCUMBENTS and _MAX_COUNCIL_SHARE). Each council sees its "
        "own posts only through its own login, never here."
    )

# --- the pay year, the role and the group ----------------------------------------------------------
years = pay.pay_years()
asked_year = params.text("year")
if asked_year and asked_year not in years:
    st.warning(
        f"The address asks for a pay year with no statistics. Accepted: {', '.join(years)}. Showing {years[0]} instead."
    )
cells = st.columns(3)
year = cells[0].selectbox(
    "Pay year",
    years,
    index=years.index(asked_year) if asked_year in years else 0,
    help="The NJC pay year: 1 April to 31 March.",
    key="pay_year",
)
params.write(year=year)

roles = pay.roles(year)
names = dict(zip(roles["role_id"], roles["role_name"].fillna(roles["role_id"]), strict=True))
family_of = dict(zip(roles["role_id"], roles["job_family"], strict=True))
asked_role = params.text("role")
if asked_role and asked_role not in names:
    catalogued = catalogue.roles().get(asked_role)
    why = (
        f"{catalogued.role_name} has no statistics in {year}: no council deposited it."
        if catalogued
        else "The address asks for a role that is not in the role catalogue. Accepted: a catalogue role id such "
        "as accountant or childrens_social_worker (the lists below offer every role with statistics)."
    )
    st.warning(f"{why} Showing {names[pay.default_role(roles)]} instead, the role most councils deposited.")
wanted_role = asked_role if asked_role in names else pay.default_role(roles)
families = list(dict.fromkeys(roles["job_family"]))
family = cells[1].selectbox("Job family", families, index=families.index(family_of[wanted_role]), key="pay_family")
in_family = [r for r in names if family_of[r] == family]
role_id = cells[2].selectbox(
    "Role",
    in_family,
    index=in_family.index(wanted_role) if wanted_role in in_family else 0,
    format_func=names.get,
    key="pay_role",
)
params.write(role=role_id)

groups = pay.groups(year, role_id)
labels = dict(zip(groups["group_id"], groups["group_label"], strict=True))
type_of = dict(zip(groups["group_id"], groups["group_type"], strict=True))
asked_group = params.text("group")
known = pay.known_group_ids()
asked_id = known.get(asked_group.lower()) if asked_group else None
fallback = pay.REGION if pay.REGION in labels else next(iter(labels))
if asked_group and asked_id is None:
    st.warning(
        "The address asks for a comparison group that is not known here. Accepted: region, or a group id such as "
        "tier:district, county_family:E10000028, nearest_neighbours:E08000027 or partnership:tri-council. "
        f"Showing {labels[fallback]} instead."
    )
elif asked_id is not None and asked_id not in labels:
    st.warning(
        f"The group {asked_id} has no statistics for {names[role_id]} in {year}: no council of it deposited the "
        f"role. Showing {labels[fallback]} instead."
    )
wanted_group = asked_id if asked_id in labels else fallback
types = list(dict.fromkeys(groups["group_type"]))
cells = st.columns(2)
group_type = cells[0].selectbox(
    "Comparison group type",
    types,
    index=types.index(type_of[wanted_group]),
    format_func=lambda t: pay.GROUP_TYPES.get(t, t),
    key="pay_group_type",
)
of_type = [g for g in labels if type_of[g] == group_type]
group_id = cells[1].selectbox(
    "Group",
    of_type,
    index=of_type.index(wanted_group) if wanted_group in of_type else 0,
    format_func=labels.get,
    key="pay_group",
)
params.write(group=group_id)

# --- the chosen statistic ----------------------------------------------------------------------------
chosen = pay.comparison("roles", year, group_id, family)
chosen = chosen[chosen["role_id"] == role_id].iloc[0]
st.header(f"{names[role_id]}: {labels[group_id]}, {year}")
cells = st.columns(3)
cells[0].metric("Councils contributing", f"{chosen['councils']} of {chosen['group_councils']}")
cells[1].metric("Incumbents", f"{int(chosen['incumbents']):,}")
cells[2].metric("Median FTE salary", "Suppressed" if chosen["is_suppressed"] else pay.money(chosen["median_salary"]))
if chosen["is_suppressed"]:
    st.info(f"No salaries are published for this role in this group: {chosen['suppression_reason']}.")
else:
    spine = {name: pay.spine_text(year, chosen[c]) for c, name in pay.SALARIES.items() if c != "p10_salary"}
    if spine["Median"]:
        st.write(
            f"On the {year} NJC pay spine the lower quartile is {spine['Lower quartile']}, the median "
            f"{spine['Median']} and the upper quartile {spine['Upper quartile']}."
        )

# --- the comparison ----------------------------------------------------------------------------------
st.header("Compare")
view = st.radio(
    "Compare", list(VIEWS), format_func=VIEWS.get, horizontal=True, key="pay_view", label_visibility="collapsed"
)
key = group_id if view == "roles" else role_id
found = pay.comparison(view, year, key, family)
table = pay.statistics_table(found, view, rules)
label_column = table.columns[0]
published = int((~found["is_suppressed"]).sum())
st.write(
    (
        f"The {family} roles with statistics in {labels[group_id]} for {year}"
        if view == "roles"
        else f"{names[role_id]} in each comparison group with statistics for {year}"
    )
    + f": {fmt.plural(len(found), 'row')}, {published} published. Councils: how many of the group's councils "
    "contributed."
)
st.dataframe(table, hide_index=True, width="stretch")
st.download_button(
    "Download these rows (CSV)",
    data=partial(pay.csv, view, year, key, family),
    file_name=f"pay-benchmarks_{year}_{fmt.slug(key)}_{view}.csv",
    mime="text/csv",
    on_click="ignore",
    key="csv_pay",
)

left, right = st.columns([3, 2])
with left:
    st.subheader("Quartile ranges")
    st.caption(
        "The bar runs from the lower to the upper quartile, the tick is the median, the thin line P10 to P90 "
        "where published."
    )
    st.altair_chart(pay.quartile_ranges(found, table, label_column), width="stretch")

with right:
    gender_gap(group_id, labels[group_id], year)
end()
