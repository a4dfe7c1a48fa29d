"""What a public dataset's submission left behind, read as the loader: its rows in
raw.public_observations and its recorded checks (for the public source tests)."""

from __future__ import annotations

from councilbench.warehouse.connection import connect


def raw_rows(warehouse, submission_id: int) -> list[tuple]:
    """(area_code, period, measure, value, obs_status) in the order they were loaded."""
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            "select area_code, period, measure, value, obs_status from raw.public_observations"
            " where submission_id = %s order by row_number",
            [submission_id],
        ).fetchall()


def checks_of(warehouse, submission_id: int) -> dict[str, tuple]:
    """check name -> (outcome, message)."""
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            "select check_name, outcome, message from ops.check_results where submission_id = %s", [submission_id]
        ).fetchall()
    return {name: (outcome, message) for name, outcome, message in rows}
