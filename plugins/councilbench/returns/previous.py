"""A council return against earlier figures: what the warehouse held before the return
month (PreviousValues; PreviousFigures for a batch that may hold several months of one
council), read in two queries, and the two checks that compare with them: a percentage
given as a fraction (percent_scale: 0.137 when the council's previous figure and the
other councils' are near 13.7) and the month-on-month comparison (a warning only).

Without earlier figures (`councilbench validate` on a laptop) month on month is skipped
and a percentage below 1 is only questioned (a warning).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

from councilbench.core import catalogue
from councilbench.ingest.checks import CheckOutcome
from councilbench.returns.cells import Row
from councilbench.returns.contract import FailingRow, expected_period
from councilbench.returns.words import check_outcome, count_words, fmt, plain, rows_phrase


def percent_metric_ids() -> set[str]:
    """The council-return metrics measured in percent: what percent_scale looks at."""
    return {m.metric_id for m in catalogue.metrics().values() if m.from_council_return and m.unit == "percent"}


class PreviousValues(dict):
    """What a return is compared with: metric_id -> the council's latest accepted value
    before the return month (as `previous_values` answers; month on month compares
    with it), and `latest_by_council`: metric_id -> council code -> each council's latest
    accepted value of the metrics in percent before that month (percent_scale compares a
    percentage below 1 with the council's own and the other councils'). A plain dict of
    the council's own values still works: percent_scale then has no other councils."""

    def __init__(self, own: Mapping[str, float] = (), latest_by_council: dict[str, dict[str, float]] | None = None):
        super().__init__(own)
        self.latest_by_council = latest_by_council or {}


class PreviousFigures:
    """Previous-period figures for a batch that may hold several months of one council.

    `previous_values` answers "each metric's latest accepted value before this
    month" from the warehouse, which is right when the months are validated and loaded
    one by one. A batch of months is validated before any of it is loaded, so this keeps
    the same answer in memory: what the warehouse held before the batch (`before`: each
    council's latest value per metric before the batch's first month; `loaded`: its
    accepted figures for months inside the batch's range), and validate_returns adds
    each accepted return of the batch, in month order, as it goes (`accept`, replacing
    that council-month's earlier figures, as a load supersedes them). So month M of a
    backfill compares with month M-1 of the same batch, exactly as a month-by-month run.
    It holds the percent metrics of the councils outside the batch too, so `get` answers
    a PreviousValues with every council's latest percentages, as previous_values does.
    """

    def __init__(
        self,
        before: dict[str, dict[str, float]] | None = None,
        loaded: dict[str, dict[str, dict[str, float]]] | None = None,
    ):
        self._before = {c: dict(v) for c, v in (before or {}).items()}
        self._months = {c: {m: dict(v) for m, v in months.items()} for c, months in (loaded or {}).items()}
        self._percentages: dict[str, dict[str, dict[str, float]]] = {}  # return month -> latest_by_council

    def get(self, key: tuple[str, str], default=None) -> PreviousValues:
        council_code, return_month = key
        return PreviousValues(self._latest(council_code, return_month), self._latest_percentages(return_month))

    def _latest(self, council_code: str, return_month: str) -> dict[str, float]:
        out = dict(self._before.get(council_code, {}))
        for month, figures in sorted(self._months.get(council_code, {}).items()):
            if month < return_month:
                out.update(figures)
        return out

    def _latest_percentages(self, return_month: str) -> dict[str, dict[str, float]]:
        """metric_id -> council -> latest value before the month, for the percent metrics;
        once per month (every return of a month shares it)."""
        if return_month not in self._percentages:
            percent = percent_metric_ids()
            by_metric: dict[str, dict[str, float]] = {}
            for council_code in set(self._before) | set(self._months):
                for metric_id, value in self._latest(council_code, return_month).items():
                    if metric_id in percent:
                        by_metric.setdefault(metric_id, {})[council_code] = value
            self._percentages[return_month] = by_metric
        return self._percentages[return_month]

    def accept(self, council_code: str, return_month: str, rows) -> None:
        """An accepted return of the batch (its loadable rows) becomes that month's figures."""
        figures = {}
        for metric_id, value in zip(rows["metric_id"], rows["value"], strict=True):
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                figures[metric_id] = float(value)
        self._months.setdefault(council_code, {})[return_month] = figures
        for month in [m for m in self._percentages if m > return_month]:
            del self._percentages[month]  # they were read before this month was accepted


def previous_values(conn, council_code: str, return_month: str):
    """Each metric's latest accepted value from an earlier return of this council (last
    month for monthly metrics, last quarter for quarterly ones), as a
    PreviousValues that also carries every council's latest accepted value of
    the metrics in percent (what a percentage below 1 is compared with)."""
    percent = percent_metric_ids()
    own: dict[str, float] = {}
    by_council: dict[str, dict[str, float]] = {}
    for code, metric_id, value in conn.execute(
        """
        select distinct on (r.council_code, r.metric_id) r.council_code, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and (r.council_code = %s or r.metric_id = any(%s)) and r.return_period < %s and r.value is not null
        order by r.council_code, r.metric_id, r.return_period desc
        """,
        [council_code, sorted(percent), return_month],
    ).fetchall():
        if code == council_code:
            own[metric_id] = float(value)
        if metric_id in percent:
            by_council.setdefault(metric_id, {})[code] = float(value)
    return PreviousValues(own, by_council)


def previous_figures(conn, council_codes: list[str], first_month: str, last_month: str):
    """What `previous_values` would answer for each of these councils and each month from
    first_month to last_month, as one PreviousFigures read in two queries: each
    metric's latest accepted value before first_month, and the accepted figures of the
    months from first_month up to (not including) last_month; of these councils' metrics,
    and of every council's metrics in percent."""
    percent = sorted(percent_metric_ids())
    before: dict[str, dict[str, float]] = {}
    for council_code, metric_id, value in conn.execute(
        """
        select distinct on (r.council_code, r.metric_id) r.council_code, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and (r.council_code = any(%s) or r.metric_id = any(%s)) and r.return_period < %s
          and r.value is not null
        order by r.council_code, r.metric_id, r.return_period desc
        """,
        [list(council_codes), percent, first_month],
    ).fetchall():
        before.setdefault(council_code, {})[metric_id] = float(value)
    loaded: dict[str, dict[str, dict[str, float]]] = {}
    for council_code, return_period, metric_id, value in conn.execute(
        """
        select r.council_code, r.return_period, r.metric_id, r.value
        from raw.council_return_rows r
        join ops.submissions s using (submission_id)
        where s.status = 'loaded' and s.source_kind = 'council_return'
          and (r.council_code = any(%s) or r.metric_id = any(%s))
          and r.return_period >= %s and r.return_period < %s and r.value is not null
        """,
        [list(council_codes), percent, first_month, last_month],
    ).fetchall():
        loaded.setdefault(council_code, {}).setdefault(return_period, {})[metric_id] = float(value)
    return PreviousFigures(before, loaded)


# --- the checks against earlier figures ---------------------------------------------------


#: A percentage below 1 given alone (no numerator and denominator: they would fix its
#: scale) is a fraction given for a percentage, 0.137 for 13.7%, when a hundred times it
#: lies within this factor of every figure it is compared with: the council's previous
#: value of the metric and the median of the other councils' latest values. Rejected.
FRACTION_FITS_WITHIN = 3.0
#: When those figures are all at least this many times the value but a hundred times it
#: does not fit them either, the figure is questioned: a warning.
FRACTION_FAR_BELOW = 10.0


def _percent_below_one(r: Row) -> bool:
    v = r.numbers.get("value")
    return (
        r.metric is not None
        and r.metric.unit == "percent"
        and v is not None
        and 0 < v < 1
        and r.status in ("actual", "estimate")
        and r.numbers["numerator"] is None
        and r.numbers["denominator"] is None
    )


def _compared_words(own: float | None, others: list[float]) -> str:
    parts = [f"your previous figure was {fmt(own)}"] if own is not None else []
    if others:
        parts.append(
            f"the other {count_words(len(others), 'council')}' latest figures have a median of "
            f"{fmt(round(statistics.median(others), 2))}"
            if len(others) > 1
            else f"the one other council's latest figure is {fmt(others[0])}"
        )
    return " and ".join(parts)


def _fraction_finding(
    r: Row, own: float | None, others: list[float], have_history: bool
) -> tuple[FailingRow | None, bool]:
    """(what to say about this percentage below 1, or None; whether it is rejected)."""
    v = r.numbers["value"]
    text = r.raw["value"].strip()
    percent = plain(round(v * 100, 10))
    scale = f"percentages are given from 0 to 100 ({percent} for {percent}%), not as a fraction of 1 ({text})"
    escape = f"if {text}% is right, give the numerator and denominator too"
    references = [x for x in (own, statistics.median(others) if others else None) if x is not None]

    def row(accepted):
        return FailingRow(r.row_number, r.metric_id, found=text, accepted=accepted, column="value")

    if not references:
        why = (
            "there are no earlier figures of this metric to compare it with"
            if have_history
            else "this check has no earlier figures to compare it with; when we collect the file we compare it with "
            "your council's previous figure and the other councils', and reject it if it looks like a fraction"
        )
        return row(f"{percent} if {text} is a fraction: {scale}. A warning only: {why}"), False
    if all(x / FRACTION_FITS_WITHIN <= v * 100 <= x * FRACTION_FITS_WITHIN for x in references):
        return row(
            f"{percent}: {scale}, and {text} looks like one: {_compared_words(own, others)}. "
            f"{escape[:1].upper() + escape[1:]}"
        ), True
    if all(x >= FRACTION_FAR_BELOW * v for x in references):
        return row(
            f"a percentage from 0 to 100: {text} is far below the figures it is compared with "
            f"({_compared_words(own, others)}); if it is a fraction of 1, give {percent}. A warning only: "
            f"{escape} and this goes away"
        ), False
    return None, False


def percent_scale(rows: list[Row], council_code: str, previous: Mapping[str, float] | None) -> CheckOutcome:
    """A percentage given as a fraction (0.137 for 13.7%), judged against the council's
    previous figure and the other councils' latest (PreviousValues.latest_by_council)."""
    by_council = getattr(previous, "latest_by_council", {})
    rejected, questioned = [], []
    for r in filter(_percent_below_one, rows):
        own = (previous or {}).get(r.metric_id)
        others = [v for c, v in by_council.get(r.metric_id, {}).items() if c != council_code]
        finding, reject = _fraction_finding(r, own, others, have_history=previous is not None)
        if finding:
            (rejected if reject else questioned).append(finding)
    if rejected:
        return CheckOutcome(
            "percent_scale",
            "fail",
            "fail",
            f"{count_words(len(rejected), 'percentage looks', 'percentages look')} like a fraction of 1 "
            f"given for a percentage (0.137 for 13.7%): percentages are given from 0 to 100" + rows_phrase(rejected),
            sorted(rejected + questioned, key=lambda f: f.row),
        )
    if questioned:
        return CheckOutcome(
            "percent_scale",
            "fail",
            "warn",
            f"{count_words(len(questioned), 'percentage is', 'percentages are')} below 1 and may be a "
            f"fraction of 1 given for a percentage (0.137 for 13.7%); the return is accepted, but "
            f"please check {'it' if len(questioned) == 1 else 'them'}" + rows_phrase(questioned),
            questioned,
        )
    return CheckOutcome(
        "percent_scale", "fail", "pass", "No percentage looks like a fraction of 1 (such as 0.137 for 13.7%)."
    )


def month_on_month(rows: list[Row], return_month: str, previous_values: dict | None) -> CheckOutcome:
    if previous_values is None:
        return CheckOutcome("month_on_month", "warn", "pass", "no previous month to compare (skipped)")
    warned, compared = [], 0
    for r in rows:
        m, v = r.metric, r.numbers.get("value")
        if m is None or v is None or m.mom_warn_pct is None or r.period != expected_period(m.frequency, return_month):
            continue
        prev = previous_values.get(r.metric_id)
        if prev is None or (isinstance(prev, float) and math.isnan(prev)):
            continue
        prev = float(prev)
        if prev == 0:
            continue  # a relative change from zero is undefined; bounds still apply
        compared += 1
        change = (v - prev) / abs(prev) * 100
        if abs(change) > m.mom_warn_pct:
            warned.append(
                FailingRow(
                    r.row_number,
                    r.metric_id,
                    found=f"{fmt(v)} (previous period {fmt(prev)}, a change of {change:+.0f}%)",
                    accepted=f"a change within ±{fmt(m.mom_warn_pct)}% of the previous period; please check the figure "
                    f"(a warning only: the return is accepted)",
                    column="value",
                )
            )
    if not compared:
        return CheckOutcome(
            "month_on_month", "warn", "pass", "no previous figures for the metrics in this return to compare (skipped)"
        )
    return check_outcome(
        "month_on_month",
        warned,
        f"{count_words(len(warned), 'figure')} changed more than usual since the previous period; the return is "
        f"accepted, but please check {'it' if len(warned) == 1 else 'them'}",
        f"Compared {count_words(compared, 'figure')} with the previous period: none changed more than its "
        f"catalogue threshold.",
    )
