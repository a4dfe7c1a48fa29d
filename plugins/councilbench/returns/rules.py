"""A council return's row rules, as Great Expectations sees them: the suite
expectations/council_return.json (the reviewed rules: council code, periods, metric ids,
status, duplicates, bounds, numerator/denominator) run by the ingest GX runner.

Every fact that differs between returns (the sender, its tier, the return month's
expected periods) and the catalogue's facts about each row's metric (bounds, frequency,
unit type) are columns beside each row, so no bound is written twice (the catalogue
stays the source), the rules compare columns, and a whole batch of returns (a month of
33 councils, or several months) is judged in ONE GX run. Failing rows come back as
(return_key, row_number) and go to their own return's report only.
"""

from __future__ import annotations

from collections.abc import Mapping

from councilbench.core import catalogue
from councilbench.ingest import expectations
from councilbench.returns.cells import NUMERIC_COLUMNS, RATIO_TYPES, Row
from councilbench.returns.contract import STATUSES, expected_period
from councilbench.returns.words import plain

SUITE_NAME = "council_return"
#: The columns that name a failing row: which return of the batch, which spreadsheet row.
ROW_KEY = ["return_key", "row_number"]


def load_suite_json(name: str = SUITE_NAME) -> dict:
    return expectations.load_suite(name)


def value_agreement_words(agreement: Mapping[str, float] | None = None) -> str:
    """How closely a value must agree with scale x numerator / denominator, in the words
    the rejection message and the council guide use. The rule is the suite's
    meta.value_agreement (`fraction_tolerance` in gx_records), and nowhere else."""
    a = agreement or load_suite_json()["meta"]["value_agreement"]
    return f"within {plain(a['relative'] * 100)}% of it, or within {plain(a['absolute'])} if that is more"


def suite_parameters() -> dict:
    """The suite's parameters: catalogue and contract facts, the same for every return of a batch.

    Nothing here depends on which council sent a return or for which month: those facts
    are columns beside each row (`gx_records`), so one GX run can judge many returns.
    """
    metrics = catalogue.metrics()
    return {
        "return_metric_ids": sorted(m.metric_id for m in metrics.values() if m.from_council_return),
        "tier_metric_keys": sorted(
            f"{tier}:{m.metric_id}" for m in metrics.values() if m.from_council_return for tier in m.delivering_tiers
        ),
        "statuses": list(STATUSES),
    }


def gx_records(return_key: int, rows: list[Row], council, return_month: str, agreement: dict) -> list[dict]:
    """One return's rows as GX sees them: the typed cells, plus the facts of this return
    (sender, tier, return month) and of each row's metric (catalogue) as columns."""
    records = []
    for r in rows:
        m = r.metric
        v, n, d = (r.numbers[c] for c in NUMERIC_COLUMNS)
        gap = tolerance = None
        if (
            m is not None
            and m.value_type in RATIO_TYPES
            and not r.value_computed
            and v is not None
            and n is not None
            and d
        ):
            computed = m.scale * n / d
            gap = abs(v - computed)
            tolerance = max(agreement["relative"] * abs(computed), agreement["absolute"])
        parts = (
            "both"
            if n is not None and d is not None
            else "numerator only"
            if n is not None
            else "denominator only"
            if d is not None
            else "none"
        )
        if r.unreadable & {"numerator", "denominator"}:
            parts = None  # already reported by the columns check
        records.append(
            {
                "return_key": return_key,
                "row_number": r.row_number,
                "council_code": r.council_code,
                "period": r.period,
                "metric_id": r.metric_id,
                "status": r.status,
                "note": r.note,
                "value": v,
                "numerator": n,
                "denominator": d,
                "expected_council_code": council.code,
                "council_tier": council.tier,
                "council_return_metric_id": r.metric_id if m is not None and m.from_council_return else None,
                "tier_metric": f"{council.tier}:{r.metric_id}" if m is not None and m.from_council_return else None,
                "frequency": m.frequency if m else None,
                "metric_source": m.source if m else None,
                "value_type": m.value_type if m else None,
                "expected_period": expected_period(m.frequency, return_month) if m else None,
                "lower_bound": m.lower_bound if m else None,
                "upper_bound": m.upper_bound if m else None,
                "numerator_is_part_of_denominator": "yes"
                if m and m.value_type == "proportion" and m.upper_bound <= m.scale
                else "no",
                "fraction_parts": parts,
                "fraction_gap": gap,
                "fraction_tolerance": tolerance,
            }
        )
    return records


def gx_frame(records: list[dict]):
    import pandas as pd

    frame = pd.DataFrame.from_records(records)
    for c in ("value", "numerator", "denominator", "lower_bound", "upper_bound", "fraction_gap", "fraction_tolerance"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    return frame


def failing_rows(frame, suite_json: dict, parameters: dict) -> dict[str, dict[int, list[int]]]:
    """rule -> return_key -> failing spreadsheet row numbers, for every expectation that
    failed somewhere in the batch: one run of the suite over the whole frame."""
    failing: dict[str, dict[int, list[int]]] = {}
    for r in expectations.run_suite(frame, suite_json, parameters, index_columns=ROW_KEY):
        if r.success:
            continue
        by_return: dict[int, set[int]] = {}
        for u in r.failing:
            by_return.setdefault(int(u["return_key"]), set()).add(int(u["row_number"]))
        failing[r.meta.get("rule") or r.expectation["type"]] = {key: sorted(rows) for key, rows in by_return.items()}
    return failing
