"""The explorer's Metric explorer page: a metric and a period, every delivering council
ranked in a comparison group, the West Midlands and England lines, a trend, and the table
as CSV. The address carries the selection (?metric=&period=&group=&council=)."""

from __future__ import annotations

import streamlit as st

from councilbench.explorer import charts, params
from councilbench.explorer import metric as explore
from councilbench.reports import format as fmt

END = "Source: marts.mart_benchmark, mart_comparison_groups and mart_region_performance. End of the metric explorer."
NO_COUNCIL = ""


def end() -> None:
    st.caption(END)


st.title("Metric explorer")
st.write("Pick a measure and a period to see every council that delivers the service, best first.")

metrics = params.metrics()
if not metrics:
    st.error("The warehouse has no metrics yet: build it first (`councilbench dbt build`).")
    end()
    st.stop()

# What the address asks for: an unknown value gets a warning saying what is accepted. After
# the first run the address holds the page's own selection, written back below.
first_run = "metric_page_seen" not in st.session_state
st.session_state["metric_page_seen"] = True
asked_metric = params.metric()
asked_council = params.council()
councils = params.councils()

order = sorted(metrics.values(), key=lambda m: (fmt.service_area_rank(m.service_area), m.metric_name))
ids = [m.metric_id for m in order]
default_metric = asked_metric.metric_id if asked_metric else next((i for i in ids if params.periods(i)), ids[0])

top = st.columns([3, 1])
metric_id = top[0].selectbox(
    "Measure (grouped by service area)",
    ids,
    index=ids.index(default_metric),
    format_func=lambda i: f"{fmt.service_area_label(metrics[i].service_area)}: {metrics[i].metric_name}",
    key="metric",
)
metric = metrics[metric_id]
periods = params.periods(metric_id)
if not periods:
    params.write(metric=metric_id, period=None)
    st.info(f"No council has a figure for {metric.metric_name} yet.")
    end()
    st.stop()
asked_period = params.period(metric_id, quiet=not first_run)
period = top[1].selectbox(
    "Period",
    list(reversed(periods)),
    index=list(reversed(periods)).index(asked_period or periods[-1]),
    format_func=fmt.short_period,
    key=f"period_{metric_id}",
)

# --- the comparison group and the council to follow ------------------------------------------
codes = [NO_COUNCIL, *councils]
middle = st.columns([2, 2, 2])
council_code = middle[0].selectbox(
    "Your council (outlined; sets its own groups)",
    codes,
    index=codes.index(asked_council.council_code) if asked_council else 0,
    format_func=lambda c: "None chosen" if c == NO_COUNCIL else councils[c].council_name,
    key="council",
)
council = councils.get(council_code)
asked_group = params.group(asked_council) if first_run else params.group(council)
types = list(params.GROUP_TYPES)
group_type = middle[1].radio(
    "Compare within",
    types,
    index=types.index(asked_group.group_type),
    format_func=lambda t: params.GROUP_TYPES[t].split(" (")[0],
    key="group_type",
)
if group_type == "region":
    group = params.REGION
else:
    options = params.groups().query("group_type == @group_type")
    labels = dict(zip(options["group_id"], options["group_label"], strict=True))
    own = params.council_groups(council_code).get(group_type) if council else None
    asked = asked_group.group_id if asked_group.group_type == group_type else None
    # the address's group on arrival; afterwards choosing a council brings its own group
    preferred = (asked or (own and own.group_id)) if first_run else ((own and own.group_id) or asked)
    group_ids = list(labels)
    group_id = middle[2].selectbox(
        "Which group",
        group_ids,
        index=group_ids.index(preferred) if preferred in labels else 0,
        format_func=labels.get,
        key=f"group_{group_type}_{council_code}",
    )
    group = params.Group(group_type, group_id, labels[group_id])

params.write(
    metric=metric_id,
    period=period,
    group=None if group.is_region else group.group_id,
    council=council.short_name if council else None,
)

# --- the ranking ------------------------------------------------------------------------------
rows = explore.group_rows(metric, period, group)
members = explore.group_members(group, metric)
region, england = explore.comparators(metric, period, rows)
shown = explore.shown_table(metric, rows, members)

st.subheader(f"{metric.metric_name}, {fmt.short_period(period)}: {group.label}")
st.write(
    f"{metric.definition} **{fmt.polarity_text(metric.polarity)}.** Values in "
    f"{fmt.unit_label(metric.normalised_unit, metric.unit)}."
)
for line in (region, england):
    figure = metric.show(line.value) if line.value is not None else "no figure"
    st.markdown(f"**{line.name}: {figure}** ({line.how}).")
if council:
    sentence = explore.summary(metric, rows, council.council_code, region)
    st.markdown(f"**{council.display_name}:** {sentence}")
if group.group_type == "nearest_neighbours" and metric.ranked:
    st.caption(
        "The marts rank a council among its own nearest neighbours only: the other members' positions here "
        "are worked out the same way (best first, ties share a place) from their figures in the marts."
    )
for caveat in shown.group_caveats:
    st.info(caveat)

if rows.empty:
    st.warning(f"No council in {group.label} has a figure for {fmt.short_period(period)}.")
else:
    chart = charts.ranked_bars(
        shown.table,
        shown.value_column,
        comparison_column="Compared with the West Midlands" if metric.ranked else None,
        lines=[(region.name, region.value), (england.name, england.value)],
        highlight=council.council_name if council else None,
        axis_title=fmt.unit_label(metric.normalised_unit, metric.unit),
    )
    st.altair_chart(chart, width="stretch")
    digits = 1 if metric.normalised_unit == "percent" else 2
    st.dataframe(
        shown.table,
        hide_index=True,
        width="stretch",
        column_config={shown.value_column: st.column_config.NumberColumn(format=f"%.{digits}f")},
    )
    st.download_button(
        "Download this table (CSV)",
        shown.table.to_csv(index=False).encode("utf-8"),
        file_name=f"{metric_id}_{period}_{group.group_id.replace(':', '_')}.csv",
        mime="text/csv",
        key="download",
    )

# --- the trend --------------------------------------------------------------------------------
st.subheader("Trend")
if len(periods) > 1:
    start, stop = st.select_slider(
        "Periods",
        options=periods,
        value=(periods[max(0, len(periods) - 13)], periods[-1]),
        format_func=fmt.short_period,
        key=f"trend_{metric_id}",
    )
    span = periods[periods.index(start) : periods.index(stop) + 1]
    long = explore.trend(metric, span, group, council_code or None, council.display_name if council else "")
    if long.empty:
        st.write("No figures to draw for these periods.")
    else:
        st.altair_chart(
            charts.trend_lines(long, axis_title=fmt.unit_label(metric.normalised_unit, metric.unit)),
            width="stretch",
        )
else:
    st.write(f"Only one period ({fmt.short_period(periods[0])}) has figures so far: no trend to draw.")
end()
