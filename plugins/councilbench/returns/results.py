"""Validation results as data: a ValidationReport written to ops.check_results (one row
per submission and check) and read back, so the email step, a rerun or an analyst sees
exactly what the validation found, without validating again."""

from __future__ import annotations

import json

from councilbench.ingest.landing import write_check_results
from councilbench.returns.contract import (
    CHECKS,
    CheckOutcome,
    FailingRow,
    ValidationReport,
)


def record_checks(conn, submission_id: int, report: ValidationReport) -> None:
    """Upsert every check outcome and the submission's overall outcome. No commit."""
    write_check_results(
        conn,
        submission_id,
        [
            (c.check, c.severity, c.outcome, len(c.failing_rows), [r.as_dict() for r in c.failing_rows], c.message)
            for c in report.checks
        ],
    )
    conn.execute(
        "update ops.submissions set outcome = %s, normalisations = %s::jsonb where submission_id = %s",
        [report.outcome, json.dumps(report.normalisations), submission_id],
    )


def load_report(conn, submission_id: int) -> ValidationReport:
    """The report as recorded (rows are not kept here: they are in raw once loaded)."""
    sub = conn.execute(
        "select subject, period, normalisations from ops.submissions where submission_id = %s", [submission_id]
    ).fetchone()
    if sub is None:
        raise LookupError(f"no submission {submission_id}")
    order = {name: i for i, name in enumerate(CHECKS)}
    checks = []
    for name, severity, outcome, rows, message in conn.execute(
        "select check_name, severity, outcome, failing_rows, message from ops.check_results where submission_id = %s",
        [submission_id],
    ).fetchall():
        checks.append(CheckOutcome(name, severity, outcome, message, [FailingRow(**r) for r in rows]))
    checks.sort(key=lambda c: order.get(c.check, len(order)))
    return ValidationReport(council_code=sub[0], return_month=sub[1], checks=checks, normalisations=list(sub[2]))
