"""Inline SVG charts, generated in Python: no JavaScript, no fonts or files fetched.

Every chart is an accessible image: ``role="img"`` with ``aria-labelledby`` pointing at
its ``<title>`` (what it is) and ``<desc>`` (what it shows, in words, with the numbers
that matter), so a screen reader gets the finding and a printed page the picture.

Colours are the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies), chosen with at least 3:1 contrast against white for lines and marks, and
colour is never the only cue: series have their own marker shape and dash pattern and
are labelled directly at the end of the line; bars and dots carry text labels.

Each mark carries ``data-*`` attributes naming the mart row it comes from, so a figure in
a chart can be traced (and tested) like a figure in a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

from councilbench.reports import format as fmt

# Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#767676"  # 4.5:1 on white
LIGHT_GREY = "#E6E6E6"
GRID = "#D0D0D0"
TEXT = "#1A1A1A"

FONT = "'Liberation Sans', Arial, 'DejaVu Sans', Helvetica, sans-serif"
CHAR_WIDTH = 0.56  # average glyph width of the font, in ems (for label layout)

#: Series styles: colour, dash pattern, marker. The council is always blue with circles,
#: the region black and dashed with squares, neighbours vermillion dotted with triangles,
#: England green dash-dot with diamonds.
STYLES = {
    "council": (BLUE, "", "circle"),
    "region": (BLACK, "6 4", "square"),
    "neighbours": (VERMILLION, "2 3", "triangle"),
    "england": (GREEN, "8 3 2 3", "diamond"),
    "previous": (GREY, "4 3", "circle"),
}


@dataclass
class Point:
    x_label: str
    value: float | None
    data: dict = field(default_factory=dict)  # data-* attributes (mart, key, ...)

    def __post_init__(self):
        self.value = fmt.to_float(self.value)


@dataclass
class Series:
    name: str
    style: str
    points: list[Point]


def _attrs(data: dict) -> str:
    return "".join(f' data-{escape(k)}="{escape(str(v))}"' for k, v in data.items() if v is not None)


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def truncate(text: str, size: float, width: float) -> str:
    if text_width(text, size) <= width:
        return text
    keep = max(1, int(width / (size * CHAR_WIDTH)) - 1)
    return text[:keep].rstrip() + "…"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering lo..hi (about `count` of them)."""
    if lo == hi:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    span = hi - lo
    raw = span / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def tick_digits(ticks: list[float]) -> int:
    """Decimals that tell neighbouring ticks apart (0.05 steps need 2, 2.5 steps 1)."""
    if len(ticks) < 2:
        return 0
    step = abs(ticks[1] - ticks[0])
    digits = 0
    while digits < 6 and abs(step * 10**digits - round(step * 10**digits)) > 1e-6:
        digits += 1
    return digits


def _tick_label(v: float, unit: str, money: bool, digits: int | None = None) -> str:
    a = abs(v)
    if digits is None:
        digits = 0 if a >= 100 or float(v).is_integer() else (1 if a >= 1 else 2)
    text = fmt.number(v, digits)
    if money:
        text = ("-£" + text[1:]) if text.startswith("-") else "£" + text
    return text + ("%" if unit == "percent" else "")


def _marker(shape: str, x: float, y: float, r: float, colour: str, extra: str = "", filled: bool = True) -> str:
    fill = colour if filled else "#FFFFFF"
    common = f'fill="{fill}" stroke="{colour}" stroke-width="1.5"{extra}'
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" {common}/>'
    if shape == "triangle":
        h = r * 1.25
        return (
            f'<path d="M{x:.1f},{y - h:.1f} L{x + h:.1f},{y + h * 0.8:.1f} L{x - h:.1f},{y + h * 0.8:.1f} Z" {common}/>'
        )
    if shape == "diamond":
        h = r * 1.3
        return f'<path d="M{x:.1f},{y - h:.1f} L{x + h:.1f},{y:.1f} L{x:.1f},{y + h:.1f} L{x - h:.1f},{y:.1f} Z" {common}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {common}/>'


def _svg(
    chart_id: str,
    kind: str,
    width: float,
    height: float,
    title: str,
    desc: str,
    body: list[str],
    data: dict | None = None,
) -> str:
    """The accessible wrapper every chart shares."""
    t, d = f"{chart_id}-title", f"{chart_id}-desc"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{chart_id}" role="img" '
        f'aria-labelledby="{t} {d}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" font-family="{escape(FONT)}" data-chart="{kind}"{_attrs(data or {})}>'
        f'<title id="{t}">{escape(title)}</title><desc id="{d}">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


#: Height of one legend row, and of the gap the legend leaves above the plot.
LEGEND_ROW = 16


def _legend(items: list[tuple[str, str]], x: float, y: float, width: float, size: float = 11) -> tuple[list[str], int]:
    """(style, label) samples in rows that fit `width` (a sample that would cross the
    right edge starts a new row, a label too long for a row of its own is shortened);
    returns the elements and the number of rows."""
    out, cx, rows = [], x, 1
    for style, label in items:
        label = truncate(label, size, width - 27)
        item_w = 27 + text_width(label, size)
        if cx > x and cx + item_w > x + width:
            cx, y, rows = x, y + LEGEND_ROW, rows + 1
        colour, dash, shape = STYLES[style]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{cx:.1f}" y1="{y:.1f}" x2="{cx + 22:.1f}" y2="{y:.1f}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        out.append(_marker(shape, cx + 11, y, 3.2, colour))
        out.append(
            f'<text x="{cx + 27:.1f}" y="{y + size * 0.35:.1f}" font-size="{size}" fill="{TEXT}" '
            f'data-legend="{escape(style)}">{escape(label)}</text>'
        )
        cx += item_w + 14
    return out, rows


# --- trend lines ---------------------------------------------------------------------------


def trend_chart(
    chart_id: str,
    series: list[Series],
    periods: list[str],
    *,
    unit: str,
    money: bool = False,
    title: str,
    desc: str,
    width: float = 520,
    height: float = 230,
    shade: tuple[str, str] | None = None,
    shade_label: str | None = None,
    reference: tuple[str, str, float] | None = None,
    breaks: frozenset[str] | set[str] = frozenset(),
    data: dict | None = None,
) -> str:
    """Lines over periods (x: the periods in order; y: the metric's unit), with a legend
    on top (in as many rows as it needs), the unit above the value axis when its ticks do
    not carry it, and each line's latest value written beside its last point.

    shade: (first period, last period) of a band drawn behind the lines (the report's
    year). reference: (style, label, value) drawn as a horizontal line (England's figure).
    breaks: periods a line starts afresh at (a year-to-date figure restarts each April):
    no line joins them to the period before, and a rule marks the boundary.
    """
    if reference:
        reference = (reference[0], reference[1], fmt.to_float(reference[2]))
    values = [p.value for s in series for p in s.points if p.value is not None]
    if reference:
        values.append(reference[2])
    money_unit = "gbp" if money else None
    last_labels = [
        fmt.short_value(next((p.value for p in reversed(s.points) if p.value is not None), None), unit, money_unit)
        for s in series
    ]
    left = max(34.0, max((text_width(_tick_label(v, unit, money), 10.5) for v in values), default=20) + 12)
    right = max(28.0, max((text_width(t, 10.5) for t in last_labels), default=20) + 12)
    legend_items = [(s.style, s.name) for s in series] + ([(reference[0], reference[1])] if reference else [])
    body, legend_rows = _legend(legend_items, 4, 11, width - 8)
    axis_title = fmt.axis_title(unit, money_unit)
    top, bottom = 30 + LEGEND_ROW * (legend_rows - 1 + bool(axis_title)), 22
    if axis_title:
        body.append(
            f'<text x="4" y="{top - 9}" font-size="9.5" fill="{GREY}" data-axis-title="y">{escape(axis_title)}</text>'
        )
    if not values or not periods:
        body.append(
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" font-size="12" '
            f'fill="{TEXT}">No values for these periods</text>'
        )
        return _svg(chart_id, "trend", width, height, title, desc, body, data)
    lo, hi = min(values), max(values)
    ticks = nice_ticks(lo, hi, 4)
    digits = tick_digits(ticks)
    left = max(left, max(text_width(_tick_label(t, unit, money, digits), 10.5) for t in ticks) + 12)
    y0, y1 = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(periods)
    pad_x = 6
    xs = {
        p: left + pad_x + ((plot_w - 2 * pad_x) * (i / (n - 1)) if n > 1 else (plot_w - 2 * pad_x) / 2)
        for i, p in enumerate(periods)
    }

    def y_of(v: float) -> float:
        return top + plot_h * (1 - (v - y0) / (y1 - y0 or 1))

    if shade and shade[0] in xs and shade[1] in xs:
        step = (plot_w - 2 * pad_x) / (n - 1) if n > 1 else plot_w
        x_a = max(left, xs[shade[0]] - step / 2)
        x_b = min(left + plot_w, xs[shade[1]] + step / 2)
        body.append(f'<rect x="{x_a:.1f}" y="{top}" width="{x_b - x_a:.1f}" height="{plot_h}" fill="#EFEFEF"/>')
        if shade_label:
            body.append(
                f'<text x="{x_b - 3:.1f}" y="{top + plot_h - 4}" font-size="9.5" text-anchor="end" '
                f'fill="{GREY}">{escape(shade_label)}</text>'
            )
    for t in ticks:
        y = y_of(t)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{left - 5:.1f}" y="{y + 3.5:.1f}" font-size="10.5" text-anchor="end" fill="{TEXT}">'
            f"{escape(_tick_label(t, unit, money, digits))}</text>"
        )
    # as many x labels as fit, always the last one
    label_w = max(text_width(fmt.short_period(p), 10) for p in periods) + 8
    fits = max(1, int(plot_w // label_w))
    every = max(1, math.ceil(n / fits))
    shown = list(range(n - 1, -1, -every))
    for i in shown:
        p = periods[i]
        body.append(
            f'<text x="{xs[p]:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle" '
            f'fill="{TEXT}">{escape(fmt.short_period(p))}</text>'
        )
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{GREY}"/>')
    for p in breaks:
        i = periods.index(p) if p in xs else 0
        if i:
            xb = (xs[periods[i - 1]] + xs[p]) / 2
            body.append(
                f'<line x1="{xb:.1f}" y1="{top}" x2="{xb:.1f}" y2="{top + plot_h}" stroke="{GREY}" '
                f'stroke-dasharray="2 2" data-break="{escape(p)}"/>'
            )
    if reference:
        style, label, v = reference
        colour, dash, _ = STYLES[style]
        body.append(
            f'<line x1="{left}" y1="{y_of(v):.1f}" x2="{left + plot_w}" y2="{y_of(v):.1f}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="{dash}" data-series="{escape(label)}" data-value="{v}"/>'
        )
    end_labels = []
    order = {p: i for i, p in enumerate(periods)}
    for s, last_label in zip(series, last_labels, strict=True):
        colour, dash, shape = STYLES[s.style]
        pts = [(xs[p.x_label], y_of(p.value), p) for p in s.points if p.value is not None and p.x_label in xs]
        if not pts:
            continue
        segments = _segments(pts, order, breaks)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        width_attr = "2.5" if s.style == "council" else "2"
        for seg in segments:
            if len(seg) > 1:
                d = " ".join(f"{'M' if j == 0 else 'L'}{x:.1f},{y:.1f}" for j, (x, y) in enumerate(seg))
                body.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width_attr}"{dash_attr}/>')
        body.append(f'<g data-series="{escape(s.name)}">')
        for x, y, p in pts:
            body.append(
                _marker(
                    shape,
                    x,
                    y,
                    3.4 if s.style == "council" else 3.0,
                    colour,
                    _attrs({"period": p.x_label, "value": p.value, **p.data}),
                )
            )
        body.append("</g>")
        last_x, last_y, _ = pts[-1]
        end_labels.append([last_y, last_label, last_x])
    # the latest values beside the last points, nudged apart so they never overlap, and
    # back up from the axis when the nudging pushed the lowest past it
    end_labels.sort(key=lambda e: e[0])
    for i in range(1, len(end_labels)):
        end_labels[i][0] = max(end_labels[i][0], end_labels[i - 1][0] + 12)
    if end_labels:
        end_labels[-1][0] = min(end_labels[-1][0], top + plot_h - 4)
    for i in range(len(end_labels) - 2, -1, -1):
        end_labels[i][0] = min(end_labels[i][0], end_labels[i + 1][0] - 12)
    for y, label, x in end_labels:
        body.append(
            f'<text x="{x + 6:.1f}" y="{y + 4:.1f}" font-size="10.5" fill="{TEXT}" '
            f'font-weight="bold">{escape(label)}</text>'
        )
    return _svg(chart_id, "trend", width, height, title, desc, body, data)


def _segments(pts: list[tuple[float, float, Point]], order: dict[str, int], breaks) -> list[list[tuple[float, float]]]:
    """The runs of points one line joins: a gap in the data, or a break (a new financial
    year of a year-to-date figure), ends a run."""
    segments, current, prev_i = [], [], None
    for x, y, p in pts:
        i = order[p.x_label]
        if prev_i is not None and (i != prev_i + 1 or p.x_label in breaks):
            segments.append(current)
            current = []
        current.append((x, y))
        prev_i = i
    segments.append(current)
    return segments


# --- ranked bars -----------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    value: float
    rank: int | None = None
    kind: str = "other"  # council | neighbour | other
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        self.value = fmt.to_float(self.value)


def ranked_bars(
    chart_id: str,
    bars: list[Bar],
    *,
    unit: str,
    money: bool = False,
    title: str,
    desc: str,
    median: float | None = None,
    median_label: str = "Region median",
    width: float = 640,
    bar_height: float = 13,
    data: dict | None = None,
) -> str:
    """Horizontal bars, best first, with the median marked and every bar labelled."""
    label_w = min(190.0, max(text_width(b.label, 10.5) for b in bars) + 40) if bars else 100
    left, right, top = label_w, 70, 34
    gap = 4
    height = top + len(bars) * (bar_height + gap) + 30
    plot_w = width - left - right
    median = fmt.to_float(median)
    vals = [b.value for b in bars] + ([median] if median is not None else [])
    lo, hi = min(0.0, min(vals, default=0)), max(0.0, max(vals, default=1))
    ticks = nice_ticks(lo, hi, 5)
    digits = tick_digits(ticks)
    x0, x1 = ticks[0], ticks[-1]

    def x_of(v: float) -> float:
        return left + plot_w * (v - x0) / ((x1 - x0) or 1)

    body = []
    for t in ticks:
        body.append(f'<line x1="{x_of(t):.1f}" y1="{top - 4}" x2="{x_of(t):.1f}" y2="{height - 26}" stroke="{GRID}"/>')
        body.append(
            f'<text x="{x_of(t):.1f}" y="{height - 12}" font-size="10" text-anchor="middle" fill="{TEXT}">'
            f"{escape(_tick_label(t, unit, money, digits))}</text>"
        )
    colours = {"council": BLUE, "neighbour": VERMILLION, "other": "#8A8A8A", "plain": BLUE}
    for i, b in enumerate(bars):
        y = top + i * (bar_height + gap)
        xa, xb = sorted((x_of(0 if x0 <= 0 <= x1 else x0), x_of(b.value)))
        prefix = {"council": "▶ ", "neighbour": "◆ "}.get(b.kind, "")
        rank = f"{b.rank}. " if b.rank is not None else ""
        weight = ' font-weight="bold"' if b.kind == "council" else ""
        body.append(
            f'<text x="{left - 6}" y="{y + bar_height - 3:.1f}" font-size="10.5" text-anchor="end" '
            f'fill="{TEXT}"{weight}>{escape(truncate(prefix + rank + b.label, 10.5, left - 8))}</text>'
        )
        body.append(
            f'<rect x="{xa:.1f}" y="{y:.1f}" width="{max(xb - xa, 1):.1f}" height="{bar_height}" '
            f'fill="{colours[b.kind]}"{_attrs({"label": b.label, "value": b.value, "rank": b.rank, **b.data})}/>'
        )
        body.append(
            f'<text x="{max(xa, xb) + 4:.1f}" y="{y + bar_height - 3:.1f}" font-size="10" fill="{TEXT}"{weight}>'
            f"{escape(fmt.short_value(b.value, unit, 'gbp' if money else None))}</text>"
        )
    if median is not None:
        xm = x_of(median)
        body.append(
            f'<line x1="{xm:.1f}" y1="{top - 8}" x2="{xm:.1f}" y2="{height - 26}" stroke="{BLACK}" '
            f'stroke-width="2" stroke-dasharray="5 3" data-median="{median}"/>'
        )
        label = f"{median_label}: {fmt.short_value(median, unit, 'gbp' if money else None)}"
        anchor = "end" if xm > left + plot_w * 0.6 else "start"
        body.append(
            f'<text x="{xm + (-4 if anchor == "end" else 4):.1f}" y="{top - 12}" font-size="10.5" '
            f'text-anchor="{anchor}" font-weight="bold" fill="{TEXT}">{escape(label)}</text>'
        )
    return _svg(chart_id, "bars", width, height, title, desc, body, data)


# --- quartile strip --------------------------------------------------------------------------


@dataclass
class Dot:
    label: str
    value: float
    quartile: int | None = None
    kind: str = "other"  # council | neighbour | other
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        self.value = fmt.to_float(self.value)


def quartile_strip(
    chart_id: str,
    dots: list[Dot],
    *,
    unit: str,
    polarity: str,
    money: bool = False,
    title: str,
    desc: str,
    median: float | None = None,
    regional: float | None = None,
    label_ends: bool = True,
    width: float = 520,
    height: float = 84,
    data: dict | None = None,
) -> str:
    """Every council as a dot on one axis, the quartiles as labelled bands (Q1 = best),
    the median (solid) and the regional figure (dashed) as marked lines, the council
    (and its neighbours) highlighted with their own shapes, and names written out."""
    left, right = 16, 16
    plot_w = width - left - right
    band_top, band_h = 16, 40
    axis_y = band_top + band_h
    median, regional = fmt.to_float(median), fmt.to_float(regional)
    money_unit = "gbp" if money else None
    vals = [d.value for d in dots] + [v for v in (median, regional) if v is not None]
    if not vals:
        return _svg(chart_id, "strip", width, height, title, desc, [], data)
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.03 or (abs(hi) * 0.05 or 1)
    lo, hi = lo - pad, hi + pad

    def x_of(v: float) -> float:
        return left + plot_w * (v - lo) / ((hi - lo) or 1)

    body = []
    bands = {}
    for d in dots:
        if d.quartile is not None:
            a, b = bands.get(d.quartile, (d.value, d.value))
            bands[d.quartile] = (min(a, d.value), max(b, d.value))
    shades = {1: "#D6E8F5", 2: "#EAF3FA", 3: "#FBF0E3", 4: "#F6DFD0"}
    for q, (a, b) in sorted(bands.items()):
        xa, xb = x_of(a) - 4, x_of(b) + 4
        body.append(
            f'<rect x="{xa:.1f}" y="{band_top}" width="{xb - xa:.1f}" height="{band_h}" fill="{shades[q]}" '
            f'data-quartile="{q}"/>'
        )
        if xb - xa > 16:
            body.append(
                f'<text x="{(xa + xb) / 2:.1f}" y="{band_top + 10}" font-size="9" text-anchor="middle" '
                f'fill="{TEXT}">Q{q}</text>'
            )
    body.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="{GREY}"/>')
    if polarity in ("higher_is_better", "lower_is_better"):
        better = "better →" if polarity == "higher_is_better" else "← better"
        anchor, x = ("end", left + plot_w) if polarity == "higher_is_better" else ("start", left)
        body.append(
            f'<text x="{x:.1f}" y="{band_top - 4}" font-size="9.5" text-anchor="{anchor}" fill="{TEXT}" '
            f'font-style="italic">{better}</text>'
        )
    if median is not None:
        xm = x_of(median)
        body.append(
            f'<line x1="{xm:.1f}" y1="{band_top}" x2="{xm:.1f}" y2="{axis_y + 4}" stroke="{BLACK}" '
            f'stroke-width="1.5" data-median="{median}"/>'
        )
    if regional is not None:
        xr = x_of(regional)
        body.append(
            f'<line x1="{xr:.1f}" y1="{band_top}" x2="{xr:.1f}" y2="{axis_y + 4}" stroke="{BLACK}" '
            f'stroke-width="1.5" stroke-dasharray="3 2" data-regional="{regional}"/>'
        )
    # dots in lanes so close values do not hide each other
    lanes: dict[int, list[float]] = {}
    centre = band_top + band_h / 2 + 4
    order = sorted(dots, key=lambda d: ({"other": 0, "neighbour": 1, "council": 2}[d.kind], d.value))
    for d in order:
        x = x_of(d.value)
        lane = 0
        if d.kind == "other":
            for candidate in (0, 1, -1, 2, -2):
                if all(abs(x - other) >= 6.5 for other in lanes.get(candidate, [])):
                    lane = candidate
                    break
            lanes.setdefault(lane, []).append(x)
        y = centre + lane * 6
        attrs = _attrs({"label": d.label, "value": d.value, "quartile": d.quartile, **d.data})
        if d.kind == "council":
            body.append(_marker("diamond", x, centre, 6.5, BLUE, attrs))
        elif d.kind == "neighbour":
            body.append(_marker("triangle", x, centre, 4.4, VERMILLION, attrs))
        else:
            body.append(_marker("circle", x, y, 3.0, "#5E5E5E", attrs + ' fill-opacity="0.8"'))
    # names under the axis: the council, or (annual report) the best and worst, each with
    # its value and unit (the strip has no value axis)
    labels = [
        (x_of(d.value), f"{d.label} {fmt.value(d.value, unit, money_unit)}", True) for d in dots if d.kind == "council"
    ]
    if label_ends and not labels and dots:
        ranked = [d for d in dots if d.quartile is not None]
        pool = ranked or dots
        low, high = min(pool, key=lambda d: d.value), max(pool, key=lambda d: d.value)
        for d in (low, high) if low is not high else (low,):
            labels.append((x_of(d.value), f"{d.label} {fmt.value(d.value, unit, money_unit)}", False))
    placed: list[tuple[float, float]] = []
    for x, text, bold in labels:
        w = text_width(text, 10)
        anchor, xa = "middle", x - w / 2
        if x - w / 2 < left:
            anchor, x, xa = "start", left, left
        elif x + w / 2 > left + plot_w:
            anchor, x, xa = "end", left + plot_w, left + plot_w - w
        row = 0 if all(xa > b or xa + w < a for a, b in placed) else 1
        placed.append((xa, xa + w))
        weight = ' font-weight="bold"' if bold else ""
        body.append(
            f'<text x="{x:.1f}" y="{axis_y + 14 + 12 * row}" font-size="10" text-anchor="{anchor}" '
            f'fill="{TEXT}"{weight}>{escape(text)}</text>'
        )
    return _svg(chart_id, "strip", width, height, title, desc, body, data)


# --- quartile profile (stacked) ------------------------------------------------------------------

QUARTILE_FILLS = {1: (BLUE, "#FFFFFF"), 2: (SKY_BLUE, "#000000"), 3: (ORANGE, "#000000"), 4: (VERMILLION, "#000000")}


def quartile_profile(
    chart_id: str, rows: list[tuple[str, dict[int, int]]], *, title: str, desc: str, width: float = 640
) -> str:
    """One stacked bar per row (service area): how many metrics sit in each quartile,
    each segment labelled with its count and quartile (Q1 best)."""
    label_w = max((text_width(r[0], 11) for r in rows), default=80) + 12
    left, right, top, bar_h, gap = label_w, 16, 36, 18, 7
    height = top + len(rows) * (bar_h + gap) + 8
    plot_w = width - left - right
    most = max((sum(c.values()) for _, c in rows), default=1) or 1
    body = []
    x = left
    for q in (1, 2, 3, 4):
        fill, _ = QUARTILE_FILLS[q]
        label = {1: "top quarter (best)", 2: "second", 3: "third", 4: "bottom quarter (worst)"}[q]
        body.append(f'<rect x="{x:.1f}" y="8" width="12" height="12" fill="{fill}"/>')
        body.append(f'<text x="{x + 16:.1f}" y="18" font-size="10.5" fill="{TEXT}">Q{q} {escape(label)}</text>')
        x += 16 + text_width(f"Q{q} {label}", 10.5) + 14
    for i, (label, counts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        body.append(
            f'<text x="{left - 8}" y="{y + bar_h - 5}" font-size="11" text-anchor="end" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        x = left
        for q in (1, 2, 3, 4):
            n = counts.get(q, 0)
            if not n:
                continue
            w = plot_w * n / most
            fill, ink = QUARTILE_FILLS[q]
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{fill}" stroke="#FFFFFF" '
                f'data-quartile="{q}" data-count="{n}" data-row="{escape(label)}"/>'
            )
            text = f"Q{q}: {n}" if w > 44 else str(n)
            if w > 12:
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar_h - 5}" font-size="10.5" text-anchor="middle" '
                    f'fill="{ink}" font-weight="bold">{escape(text)}</text>'
                )
            x += w
    return _svg(chart_id, "quartiles", width, height, title, desc, body)


# --- diverging counts ------------------------------------------------------------------------------


def diverging_counts(
    chart_id: str,
    rows: list[tuple[str, int, int]],
    *,
    left_label: str,
    right_label: str,
    title: str,
    desc: str,
    width: float = 640,
) -> str:
    """For each row, a count to the left (worsening, vermillion, ▼) and one to the right
    (improving, blue, ▲) of a centre line, both written out."""
    label_w = max((text_width(r[0], 11) for r in rows), default=80) + 12
    left, right, top, bar_h, gap = label_w, 16, 34, 16, 7
    height = top + len(rows) * (bar_h + gap) + 6
    plot_w = width - left - right
    centre = left + plot_w / 2
    most = max((max(a, b) for _, a, b in rows), default=1) or 1
    half = plot_w / 2 - 40
    body = [
        f'<text x="{centre - 6:.1f}" y="16" font-size="11" text-anchor="end" fill="{TEXT}" font-weight="bold">'
        f"▼ {escape(left_label)}</text>",
        f'<text x="{centre + 6:.1f}" y="16" font-size="11" fill="{TEXT}" font-weight="bold">▲ {escape(right_label)}</text>',
        f'<line x1="{centre:.1f}" y1="{top - 6}" x2="{centre:.1f}" y2="{height - 4}" stroke="{GREY}"/>',
    ]
    for i, (label, worse, better) in enumerate(rows):
        y = top + i * (bar_h + gap)
        body.append(
            f'<text x="{left - 8}" y="{y + bar_h - 4}" font-size="11" text-anchor="end" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        ww, wb = half * worse / most, half * better / most
        body.append(
            f'<rect x="{centre - ww:.1f}" y="{y}" width="{ww:.1f}" height="{bar_h}" fill="{VERMILLION}" '
            f'data-row="{escape(label)}" data-worsening="{worse}"/>'
        )
        body.append(
            f'<text x="{centre - ww - 4:.1f}" y="{y + bar_h - 4}" font-size="10.5" text-anchor="end" '
            f'fill="{TEXT}">{worse}</text>'
        )
        body.append(
            f'<rect x="{centre:.1f}" y="{y}" width="{wb:.1f}" height="{bar_h}" fill="{BLUE}" '
            f'data-row="{escape(label)}" data-improving="{better}"/>'
        )
        body.append(
            f'<text x="{centre + wb + 4:.1f}" y="{y + bar_h - 4}" font-size="10.5" fill="{TEXT}">{better}</text>'
        )
    return _svg(chart_id, "diverging", width, height, title, desc, body)


# --- stacked bars ----------------------------------------------------------------------------------

#: Fill and the ink of the number written on it, per series of a stacked bar: Okabe-Ito,
#: each ink at least 4.5:1 on its fill. Past seven series colour no longer tells them
#: apart: draw combined bars (ranked_bars) and give the split in a table instead.
SERIES_FILLS = (
    (BLUE, "#FFFFFF"),
    (ORANGE, "#000000"),
    (SKY_BLUE, "#000000"),
    (VERMILLION, "#000000"),
    (GREEN, "#000000"),
    (PURPLE, "#000000"),
    (YELLOW, "#000000"),
)
MAX_STACKED_SERIES = len(SERIES_FILLS)


@dataclass
class Segment:
    series: int  # index into the chart's series names
    value: float
    data: dict = field(default_factory=dict)  # data-* attributes (mart, key, field, ...)

    def __post_init__(self):
        self.value = fmt.to_float(self.value)


def stacked_bars(
    chart_id: str,
    rows: list[tuple[str, list[Segment]]],
    series: list[str],
    *,
    unit: str = "gbp",
    money: bool = True,
    title: str,
    desc: str,
    width: float = 640,
    bar_height: float = 16,
    data: dict | None = None,
) -> str:
    """Horizontal bars, one per row in the order given, each split into its series'
    segments (series order, left to right). Colour is never the only cue: every series
    has a number, the legend names it ('1 Staffordshire'), a segment wide enough carries
    it, and the row's total is written at the end of its bar. Negative segments (a net
    credit) are not drawn; the total still counts them."""
    if len(series) > MAX_STACKED_SERIES:
        raise ValueError(f"{len(series)} series: a stacked bar tells at most {MAX_STACKED_SERIES} apart")
    money_unit = "gbp" if money else None
    body, x, y, legend_rows = [], 4.0, 8.0, 1
    for i, name in enumerate(series):
        fill, ink = SERIES_FILLS[i]
        label = truncate(name, 10.5, width - 30)
        item_w = 20 + text_width(label, 10.5)
        if x > 4 and x + item_w > width - 4:
            x, y, legend_rows = 4.0, y + LEGEND_ROW, legend_rows + 1
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="12" fill="{fill}" data-series="{i + 1}"/>')
        body.append(
            f'<text x="{x + 7:.1f}" y="{y + 9.5:.1f}" font-size="9" text-anchor="middle" fill="{ink}" '
            f'font-weight="bold">{i + 1}</text>'
        )
        body.append(
            f'<text x="{x + 18:.1f}" y="{y + 10:.1f}" font-size="10.5" fill="{TEXT}" data-legend="{i + 1}">'
            f"{escape(label)}</text>"
        )
        x += item_w + 14
    totals = [sum(s.value or 0 for s in segs) for _, segs in rows]
    total_labels = [fmt.short_value(t, unit, money_unit) for t in totals]
    label_w = min(200.0, max((text_width(r[0], 10.5) for r in rows), default=60) + 12)
    right = max((text_width(t, 10) for t in total_labels), default=30) + 10
    top, gap = 8 + LEGEND_ROW * legend_rows + 10, 5
    height = top + len(rows) * (bar_height + gap) + 24
    plot_w = width - label_w - right
    ticks = nice_ticks(0.0, max([*(sum(max(s.value or 0, 0) for s in segs) for _, segs in rows), 1.0]), 5)
    digits = tick_digits(ticks)

    def x_of(v: float) -> float:
        return label_w + plot_w * v / (ticks[-1] or 1)

    for t in ticks:
        body.append(f'<line x1="{x_of(t):.1f}" y1="{top - 4}" x2="{x_of(t):.1f}" y2="{height - 20}" stroke="{GRID}"/>')
        body.append(
            f'<text x="{x_of(t):.1f}" y="{height - 7}" font-size="10" text-anchor="middle" fill="{TEXT}">'
            f"{escape(_tick_label(t, unit, money, digits))}</text>"
        )
    for r, ((label, segs), total) in enumerate(zip(rows, total_labels, strict=True)):
        y = top + r * (bar_height + gap)
        body.append(
            f'<text x="{label_w - 6}" y="{y + bar_height - 4:.1f}" font-size="10.5" text-anchor="end" '
            f'fill="{TEXT}">{escape(truncate(label, 10.5, label_w - 8))}</text>'
        )
        start = 0.0
        for s in sorted(segs, key=lambda s: s.series):
            if not s.value or s.value <= 0:
                continue
            fill, ink = SERIES_FILLS[s.series]
            xa, xb = x_of(start), x_of(start + s.value)
            body.append(
                f'<rect x="{xa:.1f}" y="{y:.1f}" width="{max(xb - xa, 0.5):.1f}" height="{bar_height}" '
                f'fill="{fill}" stroke="#FFFFFF" stroke-width="0.75"'
                f"{_attrs({'row': label, 'series': series[s.series], 'value': s.value, **s.data})}/>"
            )
            if xb - xa >= 12:
                body.append(
                    f'<text x="{(xa + xb) / 2:.1f}" y="{y + bar_height - 4:.1f}" font-size="9.5" '
                    f'text-anchor="middle" fill="{ink}" font-weight="bold">{s.series + 1}</text>'
                )
            start += s.value
        body.append(
            f'<text x="{x_of(start) + 4:.1f}" y="{y + bar_height - 4:.1f}" font-size="10" fill="{TEXT}" '
            f'font-weight="bold">{escape(total)}</text>'
        )
    return _svg(chart_id, "stacked", width, height, title, desc, body, data)
