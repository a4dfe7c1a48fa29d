"""A percentage given as a fraction (0.137 for 13.7%, no numerator and denominator) is
rejected when the council's previous figure and the other councils' figures are far
above it; questioned (a warning) when it cannot be judged: on a laptop, with no earlier
figures (`councilbench validate`), or when it is far below them but a hundred times it
does not fit them either.

The in-memory tests give validate_return the previous figures as the pipeline does; the
last tests load real returns into a warehouse of this module's own (its months would
otherwise be other modules' "previous" figures) and go through the pipeline's two
paths: one council-month (process_return) and a batch of months (backfill).
"""

from __future__ import annotations

import argparse
import csv
import io
import uuid
from datetime import date

import pytest

from councilbench.cli.validate import add_command
from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.ingest.fetch import RetryPolicy
from councilbench.returns import previous
from councilbench.returns.contract import COLUMNS, expected_period
from councilbench.returns.pipeline import backfill, process_return
from councilbench.returns.previous import PreviousValues
from councilbench.returns.report_text import render_text
from councilbench.returns.validate import validate_return
from councilbench.warehouse.connection import connect

DUDLEY, BIRMINGHAM, COVENTRY, SANDWELL = "E08000027", "E08000025", "E08000026", "E08000028"
MONTH = "2026-10"
TODAY = date(2026, 11, 21)
AGENCY = "wf_agency_staff_pct"  # percent, every tier, monthly
FAST = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=1, read_timeout=2)


def good_rows(council_code: str = DUDLEY, month: str = MONTH) -> list[dict]:
    """Every metric required this month, as numerator and denominator or a value in bounds."""
    rows = []
    for m in catalogue.return_metrics_for(catalogue.councils()[council_code].tier):
        period = expected_period(m.frequency, month)
        if m.required and period:
            value = m.lower_bound + (m.upper_bound - m.lower_bound) * 0.3
            ratio = m.value_type in ("proportion", "mean")
            rows.append(
                {
                    "council_code": council_code,
                    "period": period,
                    "metric_id": m.metric_id,
                    "value": "" if ratio else f"{round(value):d}",
                    "numerator": f"{value * 2000 / m.scale:g}" if ratio else "",
                    "denominator": "2000" if ratio else "",
                    "status": "actual",
                    "note": "",
                }
            )
    return rows


def with_agency(value: str, **figures) -> list[dict]:
    rows = good_rows()
    row = next(r for r in rows if r["metric_id"] == AGENCY)
    row.update(value=value, numerator=figures.get("numerator", ""), denominator=figures.get("denominator", ""))
    return rows


def validate(tmp_path, rows, previous):
    path = tmp_path / "return.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return validate_return(path, council_code=DUDLEY, return_month=MONTH, today=TODAY, previous_values=previous)


def check(report, name="percent_scale"):
    return next(c for c in report.checks if c.check == name)


def history(own: float | None, others: list[float]) -> PreviousValues:
    """What previous.previous_values answers: Dudley's previous figure, every council's latest."""
    by_council = dict(zip([BIRMINGHAM, COVENTRY, SANDWELL], others, strict=False))
    if own is not None:
        by_council[DUDLEY] = own
    return PreviousValues({AGENCY: own} if own is not None else {}, {AGENCY: by_council})


def test_a_fraction_given_for_a_percentage_is_rejected_with_why(tmp_path):
    report = validate(tmp_path, with_agency("0.137"), history(13.5, [12.0, 12.9, 15.1]))
    assert report.outcome == "fail" and [c.check for c in report.failures()] == ["percent_scale"]
    [finding] = check(report).failing_rows
    assert (finding.metric_id, finding.column, finding.found) == (AGENCY, "value", "0.137")
    assert finding.accepted == (
        "13.7: percentages are given from 0 to 100 (13.7 for 13.7%), not as a fraction of 1 (0.137), and 0.137 "
        "looks like one: your previous figure was 13.5 and the other 3 councils' latest figures have a median of "
        "12.9. If 0.137% is right, give the numerator and denominator too"
    )
    text = render_text(report, "Dudley Metropolitan Borough Council")
    assert "REJECTED" in text and "0.137 looks like one" in text
    assert report.rows is None  # nothing of it is loaded


def test_either_reference_alone_is_enough(tmp_path):
    own_only = validate(tmp_path, with_agency("0.137"), {AGENCY: 13.5})  # a plain dict: own figures only
    group_only = validate(tmp_path, with_agency("0.137"), history(None, [12.0, 12.9, 15.1]))  # a new council
    assert check(own_only).outcome == "fail" and check(group_only).outcome == "fail"
    assert "the other 3 councils' latest figures have a median of 12.9" in check(group_only).failing_rows[0].accepted


def test_low_percentages_that_fit_their_references_or_carry_their_fraction_pass(tmp_path):
    # a genuinely low percentage, low last month and elsewhere too
    assert check(validate(tmp_path, with_agency("0.6"), history(0.8, [0.5, 0.9, 1.2]))).outcome == "pass"
    # 0.137% with numerator and denominator: the fraction fixes the scale (and is checked against value)
    exact = validate(
        tmp_path, with_agency("0.137", numerator="2.74", denominator="2000"), history(13.5, [12.0, 12.9, 15.1])
    )
    assert check(exact).outcome == "pass" and not exact.failures()  # (month on month still questions the drop)


def test_far_below_but_not_a_fraction_either_is_a_warning(tmp_path):
    # 0.1 is far below 45 and 60, but 10 does not fit them within a factor of 3 either: questioned, accepted
    report = validate(tmp_path, with_agency("0.1"), history(45.0, [60.0, 58.0, 61.0]))
    assert report.outcome == "warn" and report.rows is not None
    [finding] = check(report).failing_rows
    assert finding.accepted.startswith(
        "a percentage from 0 to 100: 0.1 is far below the figures it is compared "
        "with (your previous figure was 45 and the other 3 councils' latest figures "
        "have a median of 60); if it is a fraction of 1, give 10. A warning only"
    )


def test_without_earlier_figures_it_is_only_questioned_and_says_so(tmp_path, capsys):
    """On a laptop (`councilbench validate`, no warehouse) there is nothing to compare with:
    a warning that says what happens when the file is collected."""
    report = validate(tmp_path, with_agency("0.137"), None)
    assert report.outcome == "warn" and check(report).outcome == "warn"
    [finding] = check(report).failing_rows
    assert finding.accepted.startswith("13.7 if 0.137 is a fraction: percentages are given from 0 to 100")
    assert (
        "when we collect the file we compare it with your council's previous figure and the other councils', "
        "and reject it if it looks like a fraction"
    ) in finding.accepted

    parser = argparse.ArgumentParser(prog="councilbench")
    add_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", str(tmp_path / "return.csv"), "--council", "dudley", "--period", MONTH])
    assert args.func(args) == 0  # accepted, with the warning printed
    out = capsys.readouterr().out
    assert "ACCEPTED WITH WARNINGS" in out and "13.7 if 0.137 is a fraction" in out

    # in the warehouse, with no earlier figure of the metric anywhere: the same warning, in its own words
    alone = validate(tmp_path, with_agency("0.137"), PreviousValues())
    assert "there are no earlier figures of this metric to compare it with" in check(alone).failing_rows[0].accepted


# --- through the pipeline: one council-month, and a batch of months ------------------------------

INVOICES = "fin_invoices_paid_within_30_days_pct"  # 82-97% everywhere: a fraction is unmistakable


def with_fraction(council_code: str, month: str) -> bytes:
    """The council's sample return for the month, with INVOICES given as a fraction of 1."""
    rows = list(csv.DictReader(io.StringIO(sample.faulted_bytes(council_code, month).decode("utf-8"))))
    row = next(r for r in rows if r["metric_id"] == INVOICES)
    row.update(value=f"{float(row['value']) / 100:.4f}", numerator="", denominator="")
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def serve(server, council_code: str, month: str, data: bytes) -> None:
    path = sample.return_path(server.folder, catalogue.councils()[council_code], month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def history_warehouse(server, returns_server):
    """A warehouse of this module's own holding May 2008 for Dudley and two neighbours."""
    from councilbench.warehouse import bootstrap

    wh = server.with_database(f"councilbench_percent_{uuid.uuid4().hex[:8]}")
    bootstrap.up(wh)
    for code in (DUDLEY, COVENTRY, SANDWELL):
        serve(returns_server, code, "2008-05", sample.faulted_bytes(code, "2008-05"))
        assert process_return(wh, code, "2008-05", returns_base_url=returns_server.url, policy=FAST).status == "loaded"
    yield wh
    bootstrap.drop_database(wh)


def percent_scale_result(warehouse, council_code: str, month: str) -> tuple:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            """select s.status, c.outcome, c.failing_rows from ops.submissions s
               join ops.check_results c using (submission_id)
               where s.subject = %s and s.period = %s and c.check_name = 'percent_scale'
               order by s.submission_id desc limit 1""",
            [council_code, month],
        ).fetchone()


def test_the_pipeline_compares_with_the_warehouse_one_month_and_in_a_batch(history_warehouse, returns_server):
    wh = history_warehouse
    with connect(wh, role="loader") as conn:
        single = previous.previous_values(conn, DUDLEY, "2008-06")
        batch = previous.previous_figures(conn, [DUDLEY], "2008-06", "2008-06").get((DUDLEY, "2008-06"))
    # both paths read the same history: Dudley's own figures, and every council's percentages
    assert single == batch and single.latest_by_council == batch.latest_by_council
    assert set(single.latest_by_council[INVOICES]) == {DUDLEY, COVENTRY, SANDWELL}

    # one council-month (process_return)
    serve(returns_server, DUDLEY, "2008-06", with_fraction(DUDLEY, "2008-06"))
    assert process_return(wh, DUDLEY, "2008-06", returns_base_url=returns_server.url, policy=FAST).status == "rejected"
    status, outcome, [finding] = percent_scale_result(wh, DUDLEY, "2008-06")
    assert (status, outcome, finding["metric_id"]) == ("rejected", "fail", INVOICES)
    assert (
        "looks like one: your previous figure was 90.97 and the other 2 councils' latest figures" in finding["accepted"]
    )

    # a batch of two months: August compares with July, accepted earlier in the same batch
    serve(returns_server, DUDLEY, "2008-07", sample.faulted_bytes(DUDLEY, "2008-07"))
    serve(returns_server, DUDLEY, "2008-08", with_fraction(DUDLEY, "2008-08"))
    backfill(wh, ["2008-07", "2008-08"], councils=[DUDLEY], returns_base_url=returns_server.url, policy=FAST)
    assert percent_scale_result(wh, DUDLEY, "2008-07")[:2] == ("loaded", "pass")
    status, outcome, [finding] = percent_scale_result(wh, DUDLEY, "2008-08")
    with connect(wh, role="loader") as conn:
        july = conn.execute(
            """select value from raw.council_return_rows where council_code = %s
                               and return_period = '2008-07' and metric_id = %s""",
            [DUDLEY, INVOICES],
        ).fetchone()[0]
    assert (status, outcome) == ("rejected", "fail")
    assert f"your previous figure was {float(july):g}" in finding["accepted"]
