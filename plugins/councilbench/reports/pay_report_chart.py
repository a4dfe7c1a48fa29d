"""The pay report's chart: one role's comparison group as a box on a £ axis (the lower to
the upper quartile shaded, the median a solid line, P10 to P90 a whisker when published)
and the council's own median as a blue diamond, named with its figure under the axis.

No other council appears: the group is its published statistics only (a strip of every
council's dots, charts.quartile_strip, would show other councils' pay). A suppressed group
draws the council's own median alone and says, in the chart, that the group's statistics
are withheld; the reason is in the description and beside the chart. Built on the shared
chart pieces (accessible <title>/<desc>, Okabe–Ito colours, data-* provenance on marks).
"""

from __future__ import annotations

from html import escape

from councilbench.reports import charts
from councilbench.reports import format as fmt

WIDTH, HEIGHT = 560.0, 100.0
LEFT, RIGHT = 18.0, 18.0
BAND_TOP, BAND_H = 24.0, 28.0
BAND_FILL = "#D6E8F5"


def _money(v: float) -> str:
    return fmt.value(v, "gbp", digits=0)


def position_chart(
    chart_id: str,
    *,
    council_label: str,
    council_median: float | None,
    quantiles: dict[str, float | None],
    title: str,
    desc: str,
    withheld: str | None = None,
    data: dict | None = None,
) -> str:
    """quantiles: p10, lq, median, uq, p90 (None when not published). withheld: the words
    written on a chart whose group statistics are not shown (suppressed, or none)."""
    q = {k: fmt.to_float(v) for k, v in quantiles.items()}
    own = fmt.to_float(council_median)
    values = [v for v in (own, *q.values()) if v is not None]
    axis_y = BAND_TOP + BAND_H
    body: list[str] = []
    if not values:
        body.append(_note(withheld or "No figures", BAND_TOP + BAND_H / 2))
        return charts._svg(chart_id, "pay-position", WIDTH, HEIGHT, title, desc, body, data)
    ticks = charts.nice_ticks(min(values), max(values), 5)
    lo, hi = ticks[0], ticks[-1]
    plot_w = WIDTH - LEFT - RIGHT

    def x_of(v: float) -> float:
        return LEFT + plot_w * (v - lo) / ((hi - lo) or 1)

    for t in ticks:
        body.append(
            f'<line x1="{x_of(t):.1f}" y1="{BAND_TOP}" x2="{x_of(t):.1f}" y2="{axis_y}" stroke="{charts.GRID}"/>'
        )
        body.append(
            f'<text x="{x_of(t):.1f}" y="{axis_y + 12}" font-size="9.5" text-anchor="middle" fill="{charts.TEXT}">'
            f"{escape(charts._tick_label(t, 'gbp', True, charts.tick_digits(ticks)))}</text>"
        )
    body.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{LEFT + plot_w}" y2="{axis_y}" stroke="{charts.GREY}"/>')
    if q.get("lq") is not None and q.get("uq") is not None:
        body += _group_box(q, x_of)
    elif withheld:  # above the band, clear of the council's diamond
        body.append(_note(withheld, BAND_TOP - 7))
    if own is not None:
        x = x_of(own)
        centre = BAND_TOP + BAND_H / 2
        body.append(charts._marker("diamond", x, centre, 6.5, charts.BLUE, charts._attrs({"council-median": own})))
        body.append(_council_label(x, f"{council_label} {_money(own)}", axis_y + 27, LEFT, LEFT + plot_w))
    return charts._svg(chart_id, "pay-position", WIDTH, HEIGHT, title, desc, body, data)


def _group_box(q: dict[str, float | None], x_of) -> list[str]:
    """The group's published statistics: P10-P90 whisker, LQ-UQ box, median line, labels above."""
    out = []
    mid = BAND_TOP + BAND_H / 2
    if q.get("p10") is not None and q.get("p90") is not None:
        a, b = x_of(q["p10"]), x_of(q["p90"])
        out.append(
            f'<line x1="{a:.1f}" y1="{mid:.1f}" x2="{b:.1f}" y2="{mid:.1f}" stroke="{charts.BLACK}" '
            f'stroke-width="1.2" data-p10="{q["p10"]}" data-p90="{q["p90"]}"/>'
        )
        for x in (a, b):
            out.append(
                f'<line x1="{x:.1f}" y1="{mid - 5:.1f}" x2="{x:.1f}" y2="{mid + 5:.1f}" stroke="{charts.BLACK}"/>'
            )
    xa, xb = x_of(q["lq"]), x_of(q["uq"])
    out.append(
        f'<rect x="{xa:.1f}" y="{BAND_TOP}" width="{max(xb - xa, 1.5):.1f}" height="{BAND_H}" fill="{BAND_FILL}" '
        f'stroke="{charts.BLUE}" stroke-width="1" data-lq="{q["lq"]}" data-uq="{q["uq"]}"/>'
    )
    labels = [(xa, "LQ"), (xb, "UQ")]
    if q.get("median") is not None:
        xm = x_of(q["median"])
        out.append(
            f'<line x1="{xm:.1f}" y1="{BAND_TOP}" x2="{xm:.1f}" y2="{BAND_TOP + BAND_H}" stroke="{charts.BLACK}" '
            f'stroke-width="2" data-median="{q["median"]}"/>'
        )
        labels.insert(1, (xm, "median"))
    placed: list[tuple[float, float]] = []
    for x, text in sorted(labels, key=lambda item: item[1] != "median"):  # the median's label first
        w = charts.text_width(text, 9)
        if all(x + w / 2 < a - 2 or x - w / 2 > b + 2 for a, b in placed):
            placed.append((x - w / 2, x + w / 2))
            out.append(
                f'<text x="{x:.1f}" y="{BAND_TOP - 5}" font-size="9" text-anchor="middle" '
                f'fill="{charts.TEXT}">{text}</text>'
            )
    return out


def _note(text: str, y: float) -> str:
    return (
        f'<text x="{WIDTH / 2:.0f}" y="{y:.1f}" font-size="10.5" text-anchor="middle" fill="{charts.TEXT}" '
        f'font-style="italic" data-withheld="true">{escape(charts.truncate(text, 10.5, WIDTH - 40))}</text>'
    )


def _council_label(x: float, text: str, y: float, left: float, right: float) -> str:
    w = charts.text_width(text, 10)
    anchor = "middle"
    if x - w / 2 < left:
        anchor, x = "start", left
    elif x + w / 2 > right:
        anchor, x = "end", right
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" font-weight="bold" text-anchor="{anchor}" '
        f'fill="{charts.TEXT}">{escape(text)}</text>'
    )
