"""A council return's validation report read back from the ledger (ops.submissions and
ops.check_results, as the lifecycle recorded it), so the email step, a rerun or an
analyst sees exactly what the validation found, without validating again."""

from __future__ import annotations

from councilbench.returns.contract import CHECKS, CheckOutcome, FailingRow, ValidationReport


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
