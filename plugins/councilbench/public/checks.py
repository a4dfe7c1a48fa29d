"""Validating a public dataset with Great Expectations, and saying what failed in words.

The rules are the GX suites in expectations/public_*.json (the dataset's ``suite``);
each expectation's ``meta.check`` names the check it belongs to and ``meta.severity``
what failing it means. Runtime facts come in as suite parameters: the area registry
(catalogue.councils() plus the region and England), the requested periods, the measures
configured, the RECORD_COUNT received, and a spreadsheet dataset's own
``suite_parameters`` (how many areas a deprivation rank is among).

Before GX runs, the observations are laid on the full expected grid (every expected
area x period x measure): a cell the source did not send becomes a placeholder row with
``present = false``, so "every expected area present" is one expectation whose failing
rows are exactly the missing cells. A series configured with first/last periods (APS
NVQ4+ to 2021, RQF4+ from 2022) is expected only between them. A NOMIS dataset's rows
also carry what rules across the observations of one area and period read
(``_beside_metrics``): each part beside its metric (``numerator`` on the metric's row)
and the configured sums of parts less their whole (``bands_less_total``).
"""

from __future__ import annotations

import math
import re

from councilbench.ingest import expectations
from councilbench.ingest.checks import CheckOutcome
from councilbench.public import datasets as dsets

MAX_FAILING_ROWS = 500

#: Checks in the order people should read them (readable first: nothing else runs without it).
CHECK_ORDER = [
    "readable",
    "no_truncation",
    "area_known",
    "areas_complete",
    "periods_parse",
    "measure_known",
    "no_duplicates",
    "values_numeric",
    "within_bounds",
    "ranks_whole",
    "share_0_100",
    "positive",
    "numerator_within_denominator",
    "confidence_not_negative",
    "bands_add_up",
    "manufacturing_within_total",
    "counts_not_negative",
    "suppressed",
]


def _value_regex(markers) -> str:
    number = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
    alternatives = [number] + [re.escape(m) for m in markers]
    return rf"^(?:{'|'.join(alternatives)})?$"


def build_frame(ds, observations: list[dict], expected_periods: list[str] | None):
    """The observations plus placeholder rows for expected cells that are missing."""
    import pandas as pd

    from councilbench.core.catalogue import metrics

    expected = dsets.expected_areas(ds)
    measures = dsets.metric_ids(ds)
    period_re = re.compile(dsets.period_regex(ds))
    rows = [dict(o, present=True) for o in observations]
    if expected_periods is None:  # as published: the periods the file holds
        expected_periods = sorted({o["period"] for o in observations if period_re.match(o["period"])})
    have = {(o["area_code"], o["period"], o["measure"]) for o in observations}
    for code, name in expected.items():
        for period in expected_periods:
            for measure in measures:
                if (code, period, measure) not in have and dsets.published(ds, measure, period):
                    rows.append(
                        {
                            "row_number": None,
                            "area_code": code,
                            "area_name": name,
                            "period": period,
                            "measure": measure,
                            "raw_value": "",
                            "value": None,
                            "obs_status": None,
                            "obs_status_name": None,
                            "present": False,
                        }
                    )
    frame = pd.DataFrame(rows)
    markers = set(getattr(ds, "suppression_markers", ()))
    catalogue = metrics()

    def bounds(row):
        m = catalogue.get(row["measure"])
        if m is None:
            return (math.nan, math.nan)
        # Catalogue bounds are sized for councils: the region's, England's and the UK's
        # counts are far bigger, so for them only the lower bound of a count applies.
        aggregate = row["area_code"] in dsets.AGGREGATE_AREAS or row["area_code"] == dsets.UK_CODE
        upper = m.upper_bound if (not aggregate or m.value_type != "count") else math.nan
        return (m.lower_bound, upper)

    if len(frame):
        b = frame.apply(bounds, axis=1, result_type="expand")
        frame["lower_bound"], frame["upper_bound"] = b[0].astype("float64"), b[1].astype("float64")
        frame["value"] = frame["value"].astype("float64")
        # Empty outside a series' published periods is not a suppression: nothing is expected there.
        published = [dsets.published(ds, m, p) for m, p in zip(frame["measure"], frame["period"], strict=True)]
        frame["suppressed"] = (
            frame["present"]
            & frame["value"].isna()
            & ((frame["raw_value"] == "") | frame["raw_value"].isin(markers))
            & pd.Series(published, index=frame.index)
        )
        frame["row_number"] = frame["row_number"].astype("Int64")
        if getattr(ds, "kind", "") == "nomis":
            _beside_metrics(frame, ds)
    if getattr(ds, "kind", "") == "nomis":
        for col in ("record_offset", "record_count"):  # even when the answer had no rows at all
            frame[col] = frame[col].astype("float64") if col in frame else math.nan
    return frame, expected, expected_periods


def _beside_metrics(frame, ds) -> None:
    """Columns for the rules across the observations of one area and period: ``part``
    (``value``, or the part of a metric its measure names: numerator, denominator,
    confidence, a size band), each part's value on its metric's row, and each configured
    sum of parts less its whole on the whole's row (NaN where a term is missing)."""
    values: dict[tuple, float] = {}
    for key in zip(
        frame["area_code"], frame["period"], frame["measure"], frame["value"], frame["present"], strict=True
    ):
        if key[4] and not math.isnan(key[3]):
            values.setdefault(key[:3], float(key[3]))
    cells = list(zip(frame["area_code"], frame["period"], frame["measure"], strict=True))
    frame["part"] = [
        m.split(dsets.PART_SEPARATOR, 1)[1] if dsets.PART_SEPARATOR in m else "value" for m in frame["measure"]
    ]
    parts = dict.fromkeys(
        m.split(dsets.PART_SEPARATOR, 1)[1] for m in dsets.measure_ids(ds) if dsets.PART_SEPARATOR in m
    )
    for part in parts:
        frame[part] = [values.get((a, p, f"{m}{dsets.PART_SEPARATOR}{part}"), math.nan) for a, p, m in cells]
    for name, rule in ds.derived.items():
        frame[name] = [
            sum(values.get((a, p, t), math.nan) for t in rule["parts"]) - values.get((a, p, m), math.nan)
            if m == rule["whole"]
            else math.nan
            for a, p, m in cells
        ]


def validate(
    ds, observations: list[dict], *, expected_periods: list[str] | None = None, fetch_note: str = ""
) -> tuple[list[CheckOutcome], object]:
    """Run the dataset's suite over the observations; (check outcomes, frame validated)."""
    frame, expected, periods = build_frame(ds, observations, expected_periods)
    known = dsets.known_areas()
    params = {
        "known_areas": sorted(known),
        "period_regex": dsets.period_regex(ds),
        "measures": dsets.measure_ids(ds),
        "received_rows": len(observations),
        "value_regex": _value_regex(getattr(ds, "suppression_markers", ())),
        **getattr(ds, "suite_parameters", {}),  # a dataset's own facts (how many areas a rank is among)
    }
    results = expectations.run_suite(frame, expectations.load_suite(ds.suite), params)
    context = {
        "frame": frame,
        "expected": expected,
        "periods": periods,
        "known": known,
        "received": len(observations),
        "fetch_note": fetch_note,
        "ds": ds,
    }
    outcomes = []
    for group in sorted(expectations.by_check(results), key=lambda g: _reading_order(g.check)):
        failing = [_failing_row(group.check, frame.loc[i]) for i in group.failing]
        outcome = "pass" if group.passed else group.severity
        message = PASS_MESSAGES[group.check](context) if group.passed else MESSAGES[group.check](context, failing)
        outcomes.append(
            CheckOutcome(group.check, group.severity, outcome, message, failing[:MAX_FAILING_ROWS], len(failing))
        )
    return outcomes, frame


def _reading_order(check: str) -> int:
    return CHECK_ORDER.index(check) if check in CHECK_ORDER else len(CHECK_ORDER)


# --- plain words ----------------------------------------------------------------------


def _clean(v):
    """A plain Python value for JSON: None for NaN / NA / NaT, ints and floats unboxed."""
    import pandas as pd

    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        v = v.item()
    return v


def _failing_row(check: str, row) -> dict:
    accepted = {
        "areas_complete": "an observation for every expected area, period and measure",
        "area_known": "a GSS code of one of the 33 councils, E12000005 (West Midlands) or E92000001 (England)",
        "periods_parse": "a period in the dataset's format",
        "measure_known": "a measure configured for the dataset",
        "no_duplicates": "one observation per area, period and measure",
        "no_truncation": "RECORD_COUNT equal to the records received, each RECORD_OFFSET once",
        "values_numeric": "a number or a suppression marker",
        "within_bounds": f"between {_clean(row.get('lower_bound'))} and {_clean(row.get('upper_bound')) or 'no upper bound'}",
        "suppressed": "a published value",
        "ranks_whole": "a whole-number rank from 1 to the number of areas ranked",
        "share_0_100": "a share from 0 to 100 (%)",
        "positive": "a value above 0",
        "numerator_within_denominator": "a numerator no bigger than its denominator",
        "confidence_not_negative": "a confidence interval of 0 or more",
        "bands_add_up": "size bands adding up to their total (within 10: counts are rounded to 5)",
        "manufacturing_within_total": "manufacturing no more than all industries",
        "counts_not_negative": "a count of 0 or more",
    }[check]
    found = "missing" if check == "areas_complete" else _clean(row.get("raw_value"))
    if check in ACROSS_MEASURES:  # what the rule compared, from the row's own columns
        found = ", ".join(f"{c} {_clean(row.get(c))}" for c in ACROSS_MEASURES[check] if c in row)
    if check == "area_known":
        found = row.get("area_code") or "(no code)"
    elif check == "periods_parse":
        found = row.get("period")
    elif check == "measure_known":
        found = row.get("measure")
    return {
        "row": _clean(row.get("row_number")),
        "area_code": row.get("area_code"),
        "area_name": row.get("area_name"),
        "period": row.get("period"),
        "measure": row.get("measure"),
        "found": found,
        "accepted": accepted,
        "obs_status": _clean(row.get("obs_status")),
    }


#: Rules across the measures of one area and period: the columns each failing row shows.
ACROSS_MEASURES = {
    "numerator_within_denominator": ("numerator", "denominator"),
    "confidence_not_negative": ("confidence",),
    "bands_add_up": ("bands_less_total", "manufacturing_bands_less_manufacturing"),
    "manufacturing_within_total": ("manufacturing_less_total",),
}


def _cell(r: dict) -> str:
    where = f", row {r['row']}" if r.get("row") is not None else ""
    return f"{r['area_name'] or '?'} ({r['area_code'] or 'no code'}) {r['period']} {r['measure']}{where}"


def _listing(rows: list[dict], fmt=_cell, limit: int = 5) -> str:
    shown = "; ".join(fmt(r) for r in rows[:limit])
    return shown + (f"; and {len(rows) - limit} more" if len(rows) > limit else "")


def _missing_message(ctx, failing):
    ds = ctx["ds"]
    expected_cells = sum(dsets.published(ds, m, p) for p in ctx["periods"] for m in dsets.metric_ids(ds))
    per_area: dict[str, list] = {}
    for r in failing:
        per_area.setdefault(r["area_code"], []).append(r)
    absent = [c for c, rows in per_area.items() if len(rows) == expected_cells]
    parts = []
    if absent:
        names = ", ".join(f"{ctx['expected'][c]} ({c})" for c in absent[:10])
        parts.append(
            f"{len(absent)} expected area{'s' * (len(absent) != 1)} absent from the file: {names}"
            + (" ..." if len(absent) > 10 else "")
        )
    partial = [r for r in failing if r["area_code"] not in absent]
    if partial:
        parts.append(f"{len(partial)} observation{'s' * (len(partial) != 1)} missing: {_listing(partial)}")
    return "; ".join(parts)


MESSAGES = {
    "areas_complete": _missing_message,
    "area_known": lambda ctx, f: (
        "area codes not in the registry (the 33 councils, E12000005, E92000001): "
        + _listing(f, lambda r: f"{r['area_code'] or '(no code)'} {r['area_name'] or ''} (row {r['row']})".strip())
    ),
    "periods_parse": lambda ctx, f: (
        f"periods that do not parse as {dsets.period_regex(ctx['ds'])}: "
        + _listing(f, lambda r: f"'{r['period']}' (row {r['row']})")
    ),
    "measure_known": lambda ctx, f: (
        f"measures not configured for {ctx['ds'].dataset_id}: "
        + _listing(f, lambda r: f"{r['measure']} (row {r['row']})")
    ),
    "no_duplicates": lambda ctx, f: "more than one observation for the same area, period and measure: " + _listing(f),
    "no_truncation": lambda ctx, f: _truncation_message(ctx),
    "values_numeric": lambda ctx, f: (
        "values that are not numbers: " + _listing(f, lambda r: f"'{r['found']}' for {_cell(r)}")
    ),
    "within_bounds": lambda ctx, f: (
        "values outside the catalogue's plausible bounds: "
        + _listing(f, lambda r: f"{_cell(r)} = {r['found']} (accepted {r['accepted']})")
    ),
    "ranks_whole": lambda ctx, f: (
        f"ranks that are not whole numbers from 1 to {ctx['ds'].suite_parameters.get('ranked_areas', '?')}: "
        + _listing(f, lambda r: f"{_cell(r)} = {r['found']}")
    ),
    "share_0_100": lambda ctx, f: "shares outside 0 to 100 (%): " + _listing(f, lambda r: f"{_cell(r)} = {r['found']}"),
    "positive": lambda ctx, f: "values that are not above 0: " + _listing(f, lambda r: f"{_cell(r)} = {r['found']}"),
    "numerator_within_denominator": lambda ctx, f: (
        "numerators bigger than their denominators: " + _listing(f, lambda r: f"{_cell(r)}: {r['found']}")
    ),
    "confidence_not_negative": lambda ctx, f: (
        "negative confidence intervals: " + _listing(f, lambda r: f"{_cell(r)}: {r['found']}")
    ),
    "bands_add_up": lambda ctx, f: (
        "size bands that do not add up to their total (within 10): "
        + _listing(f, lambda r: f"{_cell(r)}: bands less total {r['found']}")
    ),
    "manufacturing_within_total": lambda ctx, f: (
        "manufacturing counts above the all-industries count: " + _listing(f, lambda r: f"{_cell(r)}: {r['found']}")
    ),
    "counts_not_negative": lambda ctx, f: "negative counts: " + _listing(f, lambda r: f"{_cell(r)} = {r['found']}"),
    "suppressed": lambda ctx, f: (
        f"{len(f)} value{'s' * (len(f) != 1)} suppressed or not available at the source (loaded as empty): "
        + _listing(f, lambda r: f"{_cell(r)} [{r['obs_status'] or 'empty'}]")
    ),
}


def _truncation_message(ctx) -> str:
    frame = ctx["frame"]
    declared = frame["record_count"].dropna()
    declared_text = f"{int(declared.max())}" if len(declared) else "unknown"
    note = f" ({ctx['fetch_note']})" if ctx["fetch_note"] else ""
    return (
        f"truncated: the source declared RECORD_COUNT {declared_text} but {ctx['received']} records were received{note}"
    )


PASS_MESSAGES = {
    "areas_complete": lambda ctx: (
        f"all {len(ctx['expected'])} expected areas present for {len(ctx['periods'])} period"
        f"{'s' * (len(ctx['periods']) != 1)} and every measure"
    ),
    "area_known": lambda ctx: "every area code is a registered council, the West Midlands region or England",
    "periods_parse": lambda ctx: "every period parses",
    "measure_known": lambda ctx: "every measure is configured for the dataset",
    "no_duplicates": lambda ctx: "one observation per area, period and measure",
    "no_truncation": lambda ctx: f"all {ctx['received']} records declared by RECORD_COUNT received",
    "values_numeric": lambda ctx: "every value is a number or a suppression marker",
    "within_bounds": lambda ctx: "every value within the catalogue's plausible bounds",
    "ranks_whole": lambda ctx: (
        f"every rank a whole number from 1 to {ctx['ds'].suite_parameters.get('ranked_areas', '?')}"
    ),
    "share_0_100": lambda ctx: "every share from 0 to 100 (%)",
    "positive": lambda ctx: "every value above 0",
    "numerator_within_denominator": lambda ctx: "every numerator within its denominator",
    "confidence_not_negative": lambda ctx: "every confidence interval 0 or more",
    "bands_add_up": lambda ctx: "the size bands add up to their totals (within rounding)",
    "manufacturing_within_total": lambda ctx: "manufacturing within the all-industries counts",
    "counts_not_negative": lambda ctx: "every count 0 or more",
    "suppressed": lambda ctx: "no value suppressed",
}
