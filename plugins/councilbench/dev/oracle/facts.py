"""The oracle's fct_metric_value: one row per council, metric and period, the value that
counts with its normalisation, as _marts__core.yml describes it. The facts themselves
(which submission wins, the public statistics that are a council's, the population a
count is divided by) are benchmark.build_world's, the ones every benchmark figure is
recomputed from; this module adds the columns that say where each came from, from the
ledger (ops.submissions) and the return rows.

Where the docs are silent, and the SQL was read:
- received_at is the ledger's fetched_at and loaded_at its status_changed_at (the docs:
  "when the file was received", "when that submission was loaded");
- a public figure's note, "why a public figure is missing", is 'Not published (<the
  observation's status, or "no status">)' when it has no value, null otherwise;
- loaded_versions: the docs' "loaded submissions carrying the council, metric and
  period". The SQL counts loaded return rows: the same unless one return carries a key
  twice (then its first row counts), which would show here as a difference.
"""

from __future__ import annotations

from collections import Counter

from councilbench.dev.oracle.benchmark import World


def read_ledger(conn) -> dict[int, tuple]:
    """submission -> (received, loaded) of every loaded submission."""
    rows = conn.execute(
        "select submission_id, fetched_at, status_changed_at from ops.submissions where status = 'loaded'"
    )
    return {sub: (received, loaded) for sub, received, loaded in rows.fetchall()}


def read_return_rows(conn) -> tuple[dict[tuple[int, int], tuple], Counter]:
    """Each loaded return row's (return month, note); per council, metric and period, how many
    loaded submissions carry it."""
    cur = conn.execute("""
        select r.submission_id, r.row_number, r.council_code, r.metric_id, r.period, r.return_period, r.note
        from raw.council_return_rows r join ops.submissions s using (submission_id)
        where s.source_kind = 'council_return' and s.status = 'loaded'""")
    rows, submissions = {}, set()
    for sub, row, council, metric, period, month, note in cur.fetchall():
        rows[(sub, row)] = (month, note)
        submissions.add((council, metric, period, sub))
    return rows, Counter((c, m, p) for c, m, p, _ in submissions)


def public_notes(conn) -> dict[tuple[int, str, str, str], str | None]:
    """(submission, area, period, measure) -> the observation's status (why it is missing)."""
    cur = conn.execute("select submission_id, area_code, period, measure, obs_status from raw.public_observations")
    return {(sub, area, period, measure): status for sub, area, period, measure, status in cur.fetchall()}


def fct_metric_value(conn, world: World) -> list[dict]:
    ledger = read_ledger(conn)
    return_rows, versions_of = read_return_rows(conn)
    statuses = public_notes(conn)
    out = []
    for (council, metric_id, text), f in world.facts.items():
        m = world.metrics[metric_id]
        received, loaded = ledger[f.submission_id]
        if f.source_kind == "council_return":
            return_month, note = return_rows[(f.submission_id, f.row_number)]
            versions = versions_of[(council, metric_id, text)]
        else:
            return_month, versions = None, 1
            status = statuses.get((f.submission_id, council, text, metric_id))
            note = None if f.value is not None else f"Not published ({status or 'no status'})"
        out.append(
            {
                "council_code": council,
                "metric_id": metric_id,
                "period": text,
                "frequency": m.frequency,
                "financial_year": f.period.financial_year,
                "source_kind": f.source_kind,
                "value": f.value,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "value_status": f.status,
                "note": note,
                "normalised_value": f.normalised,
                "normalised_unit": m.normalised_unit,
                "norm_numerator": f.norm_numerator,
                "norm_denominator": f.norm_denominator,
                "norm_scale": m.norm_scale,
                "population_basis": m.per_capita_basis if m.per_capita else None,
                "population_year": f.population_year,
                "population": f.population,
                "submission_id": f.submission_id,
                "return_month": return_month,
                "loaded_versions": versions,
                "received_at": received,
                "loaded_at": loaded,
            }
        )
    return out
