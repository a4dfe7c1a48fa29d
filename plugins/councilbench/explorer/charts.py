"""Altair charts the explorer's pages share: a ranking as bars, trend lines, and a
council's quartile strip. Vega-Lite is bundled with Streamlit: nothing is fetched.

Colours are polarity-aware and never carry the meaning alone: a bar's colour says better
or worse than the West Midlands figure, and the table beside it says the same in words.
The palette is colour-blind safe (blue for better, orange for worse).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from councilbench.reports import format as fmt

BETTER, WORSE, SAME, NEUTRAL = "#2166ac", "#d6604d", "#969696", "#7b8ea8"
#: Comparison words (the ranking table's column) and their colours.
COMPARISON_COLOURS = {"Better": BETTER, "Same": SAME, "Worse": WORSE, "Not ranked": NEUTRAL}
QUARTILE_COLOURS = {1: "#2166ac", 2: "#92c5de", 3: "#f4a582", 4: "#d6604d"}
LINE_COLOURS = ("#222222", "#7b3294", "#1b7837", "#e08214")
BAR_PX = 20
STRIP_ROW_PX = 24


def ranked_bars(
    table: pd.DataFrame,
    value_column: str,
    *,
    comparison_column: str | None,
    lines: list[tuple[str, float]],
    highlight: str | None = None,
    axis_title: str | None = None,
) -> alt.LayerChart:
    """One bar per council in the table's order (best first), coloured by comparison with
    the West Midlands (or neutral for a context metric), the chosen council outlined, and
    a vertical rule per comparator line (West Midlands, England) with its name."""
    data = table[["Council", value_column]].rename(columns={value_column: "value"}).copy()
    data["comparison"] = table[comparison_column] if comparison_column else "Not ranked"
    data["comparison"] = data["comparison"].where(data["comparison"].isin(list(COMPARISON_COLOURS)), "Same")
    data["chosen"] = data["Council"] == highlight if highlight else False
    order = data["Council"].tolist()
    bars = (
        alt.Chart(data)
        .mark_bar(strokeWidth=2.5)
        .encode(
            # every council named (Vega would drop labels it thinks overlap)
            y=alt.Y("Council:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
            x=alt.X("value:Q", title=axis_title),
            color=alt.Color(
                "comparison:N",
                scale=alt.Scale(domain=list(COMPARISON_COLOURS), range=list(COMPARISON_COLOURS.values())),
                # a context metric has no better or worse: no key to read
                legend=alt.Legend(title="Compared with the West Midlands", orient="bottom", titleLimit=400)
                if comparison_column
                else None,
            ),
            stroke=alt.condition("datum.chosen", alt.value("#000000"), alt.value(None)),
            tooltip=["Council:N", alt.Tooltip("value:Q", title=value_column, format=",.2f"), "comparison:N"],
        )
    )
    layers = [bars]
    rules = pd.DataFrame([{"line": name, "value": v} for name, v in lines if v is not None])
    if not rules.empty:
        layers.append(
            alt.Chart(rules)
            .mark_rule(strokeDash=[5, 3], color="#222222")
            .encode(x="value:Q", tooltip=["line", "value"])
        )
        # the lower line's name left of its rule, the higher one's right of it: never on top of each other
        rules = rules.sort_values("value").reset_index(drop=True)
        for i in range(len(rules)):
            higher = i == len(rules) - 1
            layers.append(
                alt.Chart(rules.iloc[[i]])
                .mark_text(align="left" if higher else "right", dx=4 if higher else -4, baseline="top", color="#222222")
                .encode(x="value:Q", y=alt.value(2), text="line:N")
            )
    # a height per bar (a step), not in total: Streamlit fits a total height around the
    # axes and legend, which would squeeze the bars and drop every other name
    return alt.layer(*layers).properties(height=alt.Step(BAR_PX))


def trend_lines(long: pd.DataFrame, *, axis_title: str | None = None) -> alt.Chart:
    """Lines over periods, one per series (West Midlands, the group's median, a council),
    periods in order and labelled short (Apr 26, Q1 26, 2025-26)."""
    data = long.copy()
    data["label"] = data["period"].map(fmt.short_period)
    order = data.drop_duplicates("period").sort_values("period_index")["label"].tolist()
    series = list(dict.fromkeys(data["series"]))
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("label:O", sort=order, title=None),
            y=alt.Y("value:Q", title=axis_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                sort=series,
                scale=alt.Scale(domain=series, range=list(LINE_COLOURS[: len(series)])),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=["series:N", "period:N", alt.Tooltip("value:Q", format=",.2f")],
        )
        .properties(height=280)
    )


def quartile_strip(positions: pd.DataFrame, *, legend: bool = True) -> alt.LayerChart:
    """Where a council sits on each metric: one row per metric (grouped by service area),
    four bands from the top quartile (left) to the bottom one (right), and a dot at its
    place in the ranking. `positions` has metric_label, area_label, rank, group_size,
    quartile."""
    data = positions.copy()
    span = (data["group_size"] - 1).clip(lower=1)
    data["place"] = ((data["rank"] - 1) / span * 100).astype(float)
    data["quartile_text"] = [fmt.quartile_text(q) for q in data["quartile"]]
    data["position"] = [fmt.rank_text(r, n) for r, n in zip(data["rank"], data["group_size"], strict=True)]
    bands = pd.DataFrame(
        {"start": [0, 25, 50, 75], "end": [25, 50, 75, 100], "band": [fmt.QUARTILE_LABELS[q] for q in (1, 2, 3, 4)]}
    )
    order = data["metric_label"].tolist()
    y = alt.Y("metric_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False))
    band_layer = (
        alt.Chart(bands)
        .mark_rect(opacity=0.22)
        .encode(
            x=alt.X("start:Q", title="Position in the region: best on the left", scale=alt.Scale(domain=[0, 100])),
            x2="end:Q",
            color=alt.Color(
                "band:N",
                scale=alt.Scale(domain=bands["band"].tolist(), range=list(QUARTILE_COLOURS.values())),
                legend=alt.Legend(title=None, orient="bottom") if legend else None,
            ),
        )
    )
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=90, color="#111111")
        .encode(
            x=alt.X("place:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(labels=False, ticks=False)),
            y=y,
            tooltip=["area_label:N", "metric_label:N", "position:N", "quartile_text:N"],
        )
    )
    return alt.layer(band_layer, dots).properties(height=alt.Step(STRIP_ROW_PX))


def amount_bars(table: pd.DataFrame, label_column: str, value_column: str, *, axis_title: str) -> alt.Chart:
    """One neutral bar per row in the table's order (largest first, say), labelled by
    `label_column`: amounts with no better or worse (spend by heading), so one colour."""
    data = table[[label_column, value_column]].rename(columns={label_column: "label", value_column: "value"})
    return (
        alt.Chart(data)
        .mark_bar(color=NEUTRAL)
        .encode(
            y=alt.Y(
                "label:N", sort=data["label"].tolist(), title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)
            ),
            x=alt.X("value:Q", title=axis_title, axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("label:N", title=label_column),
                alt.Tooltip("value:Q", title=axis_title, format=",.0f"),
            ],
        )
        .properties(height=alt.Step(BAR_PX))
    )
