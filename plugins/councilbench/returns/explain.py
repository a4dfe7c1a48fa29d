"""A council return's failing rows in plain words: for each GX rule that failed on a
row, what was found and what would be accepted, written for the council officer who fixes
the file. A rule added to the suite without wording here still reports something
readable (its meta.accepted)."""

from __future__ import annotations

import difflib

from councilbench.core import catalogue
from councilbench.returns.cells import EXCEL_DATE, NOT_AVAILABLE_ADVICE, RATIO_TYPES, Row
from councilbench.returns.contract import STATUSES, FailingRow, expected_period
from councilbench.returns.rules import value_agreement_words
from councilbench.returns.words import TIER_WORDS, blank_words, fmt, period_end, period_words, value_words


class Explain:
    """Turns failing row numbers of each GX rule into FailingRows in plain words."""

    def __init__(self, rows: list[Row], council, return_month: str, suite_json: dict):
        self.by_row = {r.row_number: r for r in rows}
        self.council = council
        self.month = return_month
        self.meta = {
            e["meta"]["rule"]: e["meta"] for e in suite_json["expectations"] if "rule" in (e.get("meta") or {})
        }
        self.agreement = suite_json["meta"]["value_agreement"]

    def rows(self, rule: str, numbers: list[int]) -> list[FailingRow]:
        out = []
        handler = getattr(self, f"_{rule}", None)
        for rn in numbers:
            row = self.by_row[rn]
            fr = handler(row) if handler else self._generic(rule, row)
            if fr is not None:
                out.append(fr)
        return out

    def _generic(self, rule: str, row: Row) -> FailingRow:
        # A rule added to the suite without code here still reports something readable.
        meta = self.meta.get(rule, {})
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=", ".join(f"{k}={v!r}" for k, v in row.raw.items() if v),
            accepted=meta.get("accepted", rule),
        )

    def _council_code_is_sender(self, row):
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=blank_words(row.raw["council_code"]),
            accepted=f"{self.council.code} ({self.council.name}), the council this file was sent for",
            column="council_code",
        )

    def _period(self, row):
        found = blank_words(row.raw["period"])
        accepted = period_words(row.metric, self.month)
        end = period_end(row.period)
        ret = tuple(int(x) for x in self.month.split("-"))
        if end and end > ret:
            accepted += f" ({row.period} is a future period: it ends after the return month)"
        elif EXCEL_DATE.match(row.period):
            typed = (row.metric and expected_period(row.metric.frequency, self.month)) or "the period"
            accepted += (
                f". Excel has turned the period into a date: format the period column as Text, type {typed} "
                f"again and save the file (or use the .xlsx template, whose period column is already text)"
            )
        elif row.period and not end:
            accepted += " (periods are written YYYY-MM, YYYY-Qn or YYYY-YY)" if row.metric else ""
        return FailingRow(row.row_number, row.metric_id or None, found=found, accepted=accepted, column="period")

    _period_format = _period
    _period_fits_frequency_and_month = _period

    def _metric_in_catalogue(self, row):
        metrics = catalogue.metrics()
        if row.metric is not None:  # in the catalogue, but from public data, not from councils
            return FailingRow(
                row.row_number,
                row.metric_id,
                found=row.raw["metric_id"],
                accepted=f"a metric councils return: {row.metric_id} comes from public data "
                f"({row.metric.source}), which the platform loads itself; delete this row",
                column="metric_id",
            )
        ids = [m.metric_id for m in metrics.values() if m.from_council_return]
        close = difflib.get_close_matches(row.metric_id, ids, n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]} ({metrics[close[0]].metric_name})?"
            if close
            else "see the metric catalogue or the published template for the ids"
        )
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=blank_words(row.raw["metric_id"]),
            accepted=f"a metric id from the catalogue: {hint}",
            column="metric_id",
        )

    def _metric_delivered_by_tier(self, row):
        m = row.metric
        tiers = ", ".join(TIER_WORDS.get(t, t) for t in m.delivering_tiers)
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=row.raw["metric_id"],
            accepted=f"a metric {TIER_WORDS.get(self.council.tier, self.council.tier)} councils deliver: "
            f"{m.metric_name} is delivered by {tiers} councils; delete this row",
            column="metric_id",
        )

    def _status_in_set(self, row):
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=blank_words(row.raw["status"]),
            accepted="one of " + ", ".join(STATUSES),
            column="status",
        )

    def _not_available_has_reason(self, row):
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found="(blank)",
            accepted="the reason the figure is not available, in note (status is not_available)",
            column="note",
        )

    def _na_figure(self, row, column):
        if column in row.unreadable:
            return None  # the columns check already asks for this cell to be blank or a number
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=row.raw[column],
            accepted=f"{column} left blank, because status is not_available (or set status to actual "
            f"or estimate if the figure is known)",
            column=column,
        )

    def _not_available_has_no_value(self, row):
        return self._na_figure(row, "value")

    def _not_available_has_no_numerator(self, row):
        return self._na_figure(row, "numerator")

    def _not_available_has_no_denominator(self, row):
        return self._na_figure(row, "denominator")

    def _reported_figure_has_value(self, row):
        if row.unreadable or row.numbers["numerator"] is not None or row.numbers["denominator"] is not None:
            return None  # unreadable (columns check) or an incomplete fraction (numerator_denominator check)
        fraction = (
            " (or numerator and denominator)" if row.metric is not None and row.metric.value_type in RATIO_TYPES else ""
        )
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found="(blank)",
            accepted=f"a value{fraction}, because status is {row.status}; {NOT_AVAILABLE_ADVICE}",
            column="value",
        )

    def _one_row_per_council_metric_period(self, row):
        same = [
            r.row_number
            for r in self.by_row.values()
            if (r.council_code, r.metric_id, r.period) == (row.council_code, row.metric_id, row.period)
            and r.row_number != row.row_number
        ]
        identical = all(self.by_row[o].raw == row.raw for o in same)
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=f"{row.metric_id} for {row.period or '(blank period)'}, also in row"
            f"{'s' if len(same) > 1 else ''} {', '.join(map(str, same))}"
            + (" (identical rows)" if identical else " (with different figures)"),
            accepted="one row per metric and period: delete the extra rows, keeping the right figure",
            column="metric_id",
        )

    def _value_bounds(self, row):
        m = row.metric
        v = row.numbers["value"]
        found = (
            row.raw["value"]
            if not row.value_computed
            else f"{fmt(v)} (computed from numerator {fmt(row.numbers['numerator'])} and denominator {fmt(row.numbers['denominator'])})"
        )
        accepted = value_words(m)
        if v < 0 <= m.lower_bound:
            accepted += "; it cannot be negative"
        return FailingRow(row.row_number, row.metric_id, found=found, accepted=accepted, column="value")

    _value_at_least_lower_bound = _value_bounds
    _value_at_most_upper_bound = _value_bounds

    def _numerator_not_above_denominator(self, row):
        m = row.metric
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"numerator {row.raw['numerator'].strip()}, denominator {row.raw['denominator'].strip()}",
            accepted=f"a numerator no larger than the denominator: the numerator ({m.numerator}) is part "
            f"of the denominator ({m.denominator})",
            column="numerator",
        )

    def _denominator_positive(self, row):
        m = row.metric
        what = f" ({m.denominator})" if m is not None and m.denominator else ""
        return FailingRow(
            row.row_number,
            row.metric_id or None,
            found=row.raw["denominator"],
            accepted=f"a denominator above 0{what}; if there is nothing to measure this month, leave "
            f"value, numerator and denominator blank, set status to not_available and give the "
            f"reason in note",
            column="denominator",
        )

    def _numerator_and_denominator_together(self, row):
        n, d = row.raw["numerator"].strip(), row.raw["denominator"].strip()
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"numerator {n or '(blank)'}, denominator {d or '(blank)'}",
            accepted="both numerator and denominator, or neither (then give value)",
            column="numerator" if not n else "denominator",
        )

    def _no_fraction_for_counts(self, row):
        n, d = row.raw["numerator"].strip(), row.raw["denominator"].strip()
        kind = "a count" if row.metric.value_type == "count" else "an amount"
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"numerator {n or '(blank)'}, denominator {d or '(blank)'}",
            accepted=f"numerator and denominator left blank: {row.metric_id} is {kind}, given in value",
            column="numerator" if n else "denominator",
        )

    def _value_agrees_with_fraction(self, row):
        m = row.metric
        n, d = row.numbers["numerator"], row.numbers["denominator"]
        computed = m.scale * n / d
        scale = f"{fmt(m.scale)} × " if m.scale != 1 else ""
        return FailingRow(
            row.row_number,
            row.metric_id,
            found=f"value {row.raw['value'].strip()} with numerator {fmt(n)} and denominator {fmt(d)}",
            accepted=f"{fmt(round(computed, 4))} ({scale}numerator / denominator: value must be "
            f"{value_agreement_words(self.agreement)}), or leave value blank and it is computed",
            column="value",
        )
