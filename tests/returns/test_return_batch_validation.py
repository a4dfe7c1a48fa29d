"""validate_returns: many returns in ONE Great Expectations run, each report exactly
what validating that return alone gives, and nothing of one return in another's report.

The returns are the sample generator's (councils of every tier, a quarter-end month and
the month after), good and with the named faults real files have.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.ingest import expectations
from councilbench.returns.parse import parse_return
from councilbench.returns.previous import PreviousFigures
from councilbench.returns.report_text import failing_rows_csv, render_text
from councilbench.returns.rules import load_suite_json, suite_parameters
from councilbench.returns.validate import validate_return, validate_returns

TODAY = date(2026, 11, 21)
DUDLEY, SANDWELL, TAMWORTH, WARWICKSHIRE, SHROPSHIRE = "E08000027", "E08000028", "E07000199", "E10000031", "E06000051"
SEPTEMBER, OCTOBER = "2026-09", "2026-10"  # a quarter-end month (quarterly metrics too) and the month after

#: (council, month, faults): good and bad returns of several councils and two months.
MIXED = [
    (DUDLEY, SEPTEMBER, []),
    (DUDLEY, OCTOBER, ["numerator_above_denominator"]),
    (SANDWELL, SEPTEMBER, ["duplicate_rows"]),
    (SANDWELL, OCTOBER, ["thousands_separators", "percent_signs"]),
    (TAMWORTH, SEPTEMBER, ["wrong_tier_metric"]),
    (TAMWORTH, OCTOBER, ["html_error_page"]),
    (WARWICKSHIRE, SEPTEMBER, ["missing_required", "negative_count"]),
    (WARWICKSHIRE, OCTOBER, []),
    (SHROPSHIRE, SEPTEMBER, ["other_council_code"]),
    (SHROPSHIRE, OCTOBER, ["month_on_month_jump"]),
    ("E08000025", OCTOBER, ["text_in_numeric", "future_period"]),  # Birmingham
    ("E06000020", OCTOBER, ["xlsx_second_sheet", "not_available_without_reason"]),  # Telford and Wrekin
    ("E07000192", SEPTEMBER, ["semicolon_delimiter"]),  # Cannock Chase
    ("E07000234", OCTOBER, ["unknown_metric", "out_of_bounds"]),  # Bromsgrove
]


def write(tmp_path: Path, council_code: str, month: str, faults, name: str | None = None) -> Path:
    path = tmp_path / (name or f"{council_code}-{month}-{'-'.join(faults) or 'good'}.csv")
    path.write_bytes(sample.faulted_bytes(council_code, month, faults))
    return path


def previous_for(council_code: str, month: str) -> dict[str, float]:
    """The previous month's sample figures, as the warehouse would hold them."""
    y, m = map(int, month.split("-"))
    before = f"{y - (m == 1):04d}-{12 if m == 1 else m - 1:02d}"
    rows = sample.generate_return(council_code, before)
    return {r["metric_id"]: float(r["value"]) for r in rows if r.get("value") not in (None, "")}


def canonical(report) -> dict:
    """Everything a council or the warehouse sees of a report."""
    return {
        "council_code": report.council_code,
        "return_month": report.return_month,
        "outcome": report.outcome,
        "checks": [
            (c.check, c.severity, c.outcome, c.message, [f.as_dict() for f in c.failing_rows]) for c in report.checks
        ],
        "normalisations": report.normalisations,
        "rows": None if report.rows is None else json.loads(report.rows.to_json(orient="split")),
        "dtypes": None if report.rows is None else [str(t) for t in report.rows.dtypes],
        "text": render_text(report, catalogue.councils()[report.council_code].name),
        "attachment": failing_rows_csv(report),
    }


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixed")
    items = [(write(folder, code, month, faults), code, month) for code, month, faults in MIXED]
    previous = {(code, month): previous_for(code, month) for code, month, _ in MIXED}
    previous[(DUDLEY, SEPTEMBER)] = None  # no previous month: month on month skipped
    return items, previous


def test_a_batch_of_mixed_returns_gives_each_the_report_it_gets_alone(mixed, monkeypatch):
    items, previous = mixed
    runs = []
    real_run_suite = expectations.run_suite
    monkeypatch.setattr(expectations, "run_suite", lambda *a, **kw: runs.append(1) or real_run_suite(*a, **kw))

    batch = validate_returns(
        [(parse_return(p), code, month) for p, code, month in items], today=TODAY, previous_values=previous
    )
    assert len(runs) == 1  # one GX run for the whole batch
    alone = [
        validate_return(
            parse_return(p), council_code=code, return_month=month, today=TODAY, previous_values=previous[(code, month)]
        )
        for p, code, month in items
    ]
    assert len(runs) == 1 + sum(1 for r in alone if len(r.checks) > 2)  # unreadable files never reach GX
    for (p, _, _), together, by_itself in zip(items, batch, alone, strict=True):
        assert canonical(together) == canonical(by_itself), p.name

    # The batch really is mixed: good, warned and rejected returns, with failing rows.
    outcomes = {(r.council_code, r.return_month): r.outcome for r in batch}
    assert outcomes[(DUDLEY, SEPTEMBER)] == outcomes[(WARWICKSHIRE, OCTOBER)] == "pass"
    assert outcomes[(SHROPSHIRE, OCTOBER)] == "warn"
    assert outcomes[(DUDLEY, OCTOBER)] == outcomes[(SHROPSHIRE, SEPTEMBER)] == "fail"
    for (code, _, faults), report in zip(MIXED, batch, strict=True):
        expected = [sample.FAULTS[f] for f in faults if sample.FAULTS[f].outcome == "rejected"]
        for fault in expected:
            assert any(c.check in fault.checks and c.outcome == "fail" for c in report.checks), (code, faults)
        if not expected:
            assert report.outcome in ("pass", "warn"), (code, faults, [c.message for c in report.failures()])


def test_paths_in_a_batch_are_parsed_like_parsed_returns(mixed):
    items, previous = mixed
    from_paths = validate_returns(items[:4], today=TODAY, previous_values=previous)
    parsed = validate_returns([(parse_return(p), c, m) for p, c, m in items[:4]], today=TODAY, previous_values=previous)
    assert [canonical(r) for r in from_paths] == [canonical(r) for r in parsed]


def test_one_councils_bad_rows_never_reach_another_councils_report(tmp_path):
    # Sandwell's file carries Dudley's code on every row, so its rows repeat Dudley's own
    # (council, metric, period) and fail at the same spreadsheet rows as Dudley's would.
    dudley = write(tmp_path, DUDLEY, OCTOBER, [])
    sandwell_rows = sample.as_text_rows(sample.generate_return(SANDWELL, OCTOBER))
    for r in sandwell_rows:
        r["council_code"] = DUDLEY
    sandwell = tmp_path / "sandwell.csv"
    sandwell.write_bytes(sample.csv_bytes(sandwell_rows))
    # Tamworth (a district) fails on two rows; Warwickshire's rows of the same numbers are fine.
    tamworth_rows = sample.as_text_rows(sample.generate_return(TAMWORTH, OCTOBER))
    count = next(i for i, r in enumerate(tamworth_rows) if r["value"] and not r["numerator"])
    tamworth_rows[count]["value"], tamworth_rows[count + 1]["status"] = "-5", "maybe"
    tamworth = tmp_path / "tamworth.csv"
    tamworth.write_bytes(sample.csv_bytes(tamworth_rows))
    warwickshire = write(tmp_path, WARWICKSHIRE, OCTOBER, [])

    reports = validate_returns(
        [
            (dudley, DUDLEY, OCTOBER),
            (sandwell, SANDWELL, OCTOBER),
            (tamworth, TAMWORTH, OCTOBER),
            (warwickshire, WARWICKSHIRE, OCTOBER),
            (dudley, DUDLEY, SEPTEMBER),
        ],
        today=TODAY,
    )
    by = {(r.council_code, r.return_month): r for r in reports}

    assert by[(DUDLEY, OCTOBER)].outcome == "pass"
    assert [c.check for c in by[(SANDWELL, OCTOBER)].failures()] == ["council_code"]
    assert len(by[(SANDWELL, OCTOBER)].failures()[0].failing_rows) == len(sandwell_rows)
    assert {c.check: c.outcome for c in by[(SANDWELL, OCTOBER)].checks}["no_duplicates"] == "pass"
    assert {c.check for c in by[(TAMWORTH, OCTOBER)].failures()} == {"within_bounds", "status"}
    assert {f.row for c in by[(TAMWORTH, OCTOBER)].failures() for f in c.failing_rows} == {count + 2, count + 3}
    assert by[(WARWICKSHIRE, OCTOBER)].outcome == "pass"
    assert all(not c.failing_rows for c in by[(WARWICKSHIRE, OCTOBER)].checks)
    # The same file also sent as Dudley's September return: only its own periods are wrong,
    # and its rows do not count as duplicates of the October return's.
    september = by[(DUDLEY, SEPTEMBER)]
    assert [c.check for c in september.failures()] == ["period", "required_metrics"]
    assert {c.check: c.outcome for c in september.checks}["no_duplicates"] == "pass"


def test_previous_figures_carry_an_accepted_month_to_the_next_month_of_the_batch(tmp_path):
    august = dict.fromkeys(previous_for(SHROPSHIRE, SEPTEMBER), 1.0)  # far from September's figures
    september = write(tmp_path, SHROPSHIRE, SEPTEMBER, [])
    october = write(tmp_path, SHROPSHIRE, OCTOBER, ["month_on_month_jump"])

    # October (listed first) compares with September from the batch itself, not with August.
    chained = validate_returns(
        [(october, SHROPSHIRE, OCTOBER), (september, SHROPSHIRE, SEPTEMBER)],
        today=TODAY,
        previous_values=PreviousFigures(before={SHROPSHIRE: august}),
    )
    september_alone = validate_return(
        september, council_code=SHROPSHIRE, return_month=SEPTEMBER, today=TODAY, previous_values=august
    )
    assert september_alone.outcome == "warn"  # every figure jumped from 1.0
    september_figures = dict(august)
    september_figures.update(
        {m: v for m, v in zip(september_alone.rows.metric_id, september_alone.rows.value, strict=True) if v is not None}
    )
    october_alone = validate_return(
        october, council_code=SHROPSHIRE, return_month=OCTOBER, today=TODAY, previous_values=september_figures
    )
    assert canonical(chained[1]) == canonical(september_alone)
    assert canonical(chained[0]) == canonical(october_alone)
    [jump] = next(c for c in chained[0].checks if c.check == "month_on_month").failing_rows
    assert jump.metric_id == sample.JUMP_METRIC

    # A rejected September is not loaded, so October compares with August.
    bad_september = write(tmp_path, SHROPSHIRE, SEPTEMBER, ["negative_count"])
    chained = validate_returns(
        [(bad_september, SHROPSHIRE, SEPTEMBER), (october, SHROPSHIRE, OCTOBER)],
        today=TODAY,
        previous_values=PreviousFigures(before={SHROPSHIRE: august}),
    )
    assert chained[0].outcome == "fail"
    assert canonical(chained[1]) == canonical(
        validate_return(october, council_code=SHROPSHIRE, return_month=OCTOBER, today=TODAY, previous_values=august)
    )


def test_a_batch_with_an_unknown_council_or_month_fails_before_any_work(tmp_path):
    good = write(tmp_path, DUDLEY, OCTOBER, [])
    with pytest.raises(ValueError, match="unknown council code 'E99999999'"):
        validate_returns([(good, DUDLEY, OCTOBER), (good, "E99999999", OCTOBER)])
    with pytest.raises(ValueError, match="return month must be YYYY-MM"):
        validate_returns([(good, DUDLEY, OCTOBER), (good, DUDLEY, "2026-13")])
    assert validate_returns([]) == []


def test_suite_parameters_are_the_same_for_every_return():
    """Per-return facts are columns; the suite's parameters are catalogue-wide, so one
    GX run can judge returns from any councils and months."""
    used = set()

    def walk(node):
        if isinstance(node, dict):
            if "$PARAMETER" in node:
                used.add(node["$PARAMETER"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    suite = load_suite_json()
    walk(suite["expectations"])
    assert used == set(suite_parameters()) == set(suite["meta"]["parameters"])
    keys = set(suite_parameters()["tier_metric_keys"])
    assert "district:asc_people_awaiting_assessment" not in keys
    assert "county:asc_people_awaiting_assessment" in keys
    uniqueness = next(e for e in suite["expectations"] if e["meta"]["rule"] == "one_row_per_council_metric_period")
    assert uniqueness["kwargs"]["column_list"][0] == "return_key"
