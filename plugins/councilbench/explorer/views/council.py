"""The explorer's Council profile page, "How <council> compares": the council's place on
every measure its tier delivers (a quartile strip per service area), what changed since
last month, its outliers, its nearest neighbours and why, and councils to learn from.
The address carries the council (?council=dudley or ?council=E08000027)."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from councilbench.core import calendar
from councilbench.explorer import charts, params, profile
from councilbench.reports import format as fmt

END = (
    "Source: marts.mart_benchmark (region group), mart_council_neighbours, mart_neighbour_model_features and "
    "mart_best_practice. "
    "End of the council profile."
)


def end() -> None:
    st.caption(END)


councils = params.councils()
metrics = params.metrics()
# The address is read when the page opens; afterwards the selector holds the choice (and
# writes it back to the address, so the page's link can be shared).
asked = params.council() if "profile_council" not in st.session_state else None

codes = list(councils)
chosen = st.session_state.get("profile_council")
code = st.selectbox(
    "Council",
    codes,
    index=codes.index(asked.council_code) if asked else (codes.index(chosen) if chosen in codes else None),
    format_func=lambda c: councils[c].council_name,
    placeholder="Choose a council",
    key="profile_council",
)
council = councils.get(code) if code else None
params.write(council=council.short_name if council else None)
st.title(f"How {council.display_name} compares" if council else "Council profile")

now = profile.as_at()
if council is None or now.month is None:
    st.info(
        "Choose a council to see where it sits on every measure its tier delivers."
        if now.month is not None
        else "The warehouse has no accepted council return yet: build it first (`councilbench dbt build`)."
    )
    end()
    st.stop()

current = profile.positions(council, metrics, now)
ranked = current[current["quartile"].notna()]
st.write(
    f"{council.council_name} ({council.tier.replace('_', ' ')}), as at the {fmt.month_label(now.month)} returns: "
    "each measure's latest period, compared with every West Midlands council that delivers the service."
)
counts = ranked["quartile"].value_counts()
cells = st.columns(4)
cells[0].metric("Measures ranked", len(ranked))
cells[1].metric("In the top quartile", int(counts.get(1, 0)))
cells[2].metric("In the bottom quartile", int(counts.get(4, 0)))
cells[3].metric("Better than a year earlier", int((ranked["direction_vs_last_year"] == "improving").sum()))

# --- the quartile strip, by service area ------------------------------------------------------
st.header("Where it sits, by service area")
st.write(
    "Each dot is the council's place among the councils that deliver the service: the top quartile on the "
    "left, the bottom quartile on the right. Context measures (demand or size) are listed in the table, never ranked."
)
if ranked.empty:
    st.info(f"{council.display_name} has no ranked figure for the latest periods.")
else:
    st.dataframe(profile.area_summary(current), hide_index=True, width="stretch")
    for i, (area, rows) in enumerate(ranked.groupby("area_label", sort=False)):
        st.subheader(area)
        st.altair_chart(charts.quartile_strip(rows, legend=i == 0), width="stretch")

table = profile.positions_table(current, metrics)
table["Explore"] = [
    "metric?" + urlencode({"metric": i, "period": p, "council": council.short_name})
    for i, p in zip(current["metric_id"], current["period"], strict=True)
]
st.subheader("The figures behind the strip")
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"Explore": st.column_config.LinkColumn("Explore", display_text="Metric explorer")},
)
gaps = profile.missing(council, metrics, now, current)
if gaps:
    st.caption(f"No figure from {council.display_name} for: " + "; ".join(gaps) + ".")

# --- what changed since last month ------------------------------------------------------------
month_before = fmt.month_label(calendar.add_months(now.month, -1))
st.header("What changed since last month")
moved = profile.changes(council, metrics, now, current)
if moved.empty:
    st.write(f"No measure has a newer period than in the {month_before} returns.")
else:
    st.write(
        f"{fmt.plural(len(moved), 'measure')} with a newer figure than in the {month_before} returns, "
        "the biggest moves in rank first. A direction is only given against the period just before."
    )
    st.dataframe(moved, hide_index=True, width="stretch")

# --- outliers ---------------------------------------------------------------------------------
st.header("Outliers")
unusual = profile.outliers(council, metrics, now, current)
if unusual.empty:
    st.write("No figure is far from the median of the region or of its nearest neighbours.")
else:
    st.write(
        "Figures 3.5 median deviations or more from the group's median: worth a second look, "
        "whether they are good news or a data problem."
    )
    st.dataframe(unusual, hide_index=True, width="stretch")

# --- nearest neighbours -----------------------------------------------------------------------
st.header("Nearest neighbours")
near = profile.neighbours(council)
if near.empty:
    st.write("The marts hold no nearest neighbours for this council.")
else:
    st.write(
        f"The {len(near)} councils most like {council.display_name} on public data: number of residents (on a "
        "log scale), share of residents aged 16-64, claimant rate, deprivation (the IMD average score) and "
        "residents per hectare (on a log scale), each compared as a z-score across the 33 councils and weighted "
        f"as below, and the type of council. {council.display_name}: {profile.own_features(near)}."
    )
    st.dataframe(profile.neighbours_table(near), hide_index=True, width="stretch")
    st.caption(
        "Most alike in: the features that add least to the distance; differs most in: the one that adds most "
        "(marts.mart_council_neighbours, columns distance2_*)."
    )
    st.subheader("What each feature adds to the distance")
    st.write(
        "Each feature's share of the squared distance to each neighbour, its weight applied: where the shares "
        "are small the councils are alike in that feature, where one share is large it keeps them apart."
    )
    st.dataframe(profile.contributions_table(near), hide_index=True, width="stretch")
    st.subheader("The model's features and weights")
    st.dataframe(profile.model_features(), hide_index=True, width="stretch")
    st.caption(
        "A weight multiplies the feature's squared z-score difference (0 leaves it out, 2 counts it twice); "
        "the type of council's weight scales its one-hot, so a different type adds 2 x weight squared. A council "
        "without a figure counts as the councils' mean for it. Source: marts.mart_neighbour_model_features "
        "(dbt vars neighbour_weights and neighbour_tier_weight)."
    )

# --- councils to learn from -------------------------------------------------------------------
st.header("Councils to learn from")
ask = profile.learn_from(council, metrics, current)
if ask.empty:
    st.write(
        "No council is both in the top quartile, improving and better than a year earlier on a measure where "
        f"{council.display_name} is outside the top quartile."
    )
else:
    st.write(
        "Where this council is outside the region's top quartile, councils in the top quartile that are improving "
        "and better than a year earlier (mart_best_practice): whom to ask how."
    )
    st.dataframe(
        ask, hide_index=True, width="stretch", column_config={"Website": st.column_config.LinkColumn("Website")}
    )
own = profile.own_best_practice(council)
if not own.empty:
    st.write(f"Others may ask {council.display_name} about: " + "; ".join(own["metric_name"]) + ".")
end()
