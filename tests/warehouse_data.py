"""Fast test data for the benchmarking warehouse: months of council returns for all 33
councils written straight into the ledger and raw, plus public statistics through the
real public loader.

Going through the validation pipeline costs about 0.3 s per return (460 returns is more
than two minutes), so history is written as the loader would leave it: an
ops.submissions row per council and month (status 'loaded', received a few days before
the due date), its fetch attempt and check results, and the rows of
``sample.generate_return`` COPYed into raw.council_return_rows. Those rows are valid by
construction (the sample generator is what the validation tests pass).

On top of the clean history, a few council-months tell the stories the marts must get
right (see SCENARIO):

- a return loaded, then corrected: the first submission is 'superseded' and its rows
  (every value 50% higher) stay in raw but must not count;
- a return rejected (with rows in raw, as if a bad load had left them: the status filter
  alone must keep them out), then resubmitted after the due date and loaded;
- a quarterly figure restated in a later month's return: the newest loaded value wins;
- a month not received at all (only a 'not_received' fetch attempt);
- late returns (received after the 15th of the following month).

Public statistics (NOMIS claimant count and population, DEFRA recycling) are generated
by ``councilbench.dev.public_samples``, served on 127.0.0.1 and loaded by
``councilbench.public.load.refresh_dataset`` as the public_sources DAG does, so
population exists for every council including the counties.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from councilbench.core import catalogue
from councilbench.core.calendar import add_months, months_between
from councilbench.dev.sample_returns import generate_return
from councilbench.returns.contract import CHECKS
from councilbench.returns.kind import RETURN_ROWS
from councilbench.warehouse.connection import Warehouse, connect

#: 14 months: two Marches (annual metrics for 2024-25 and 2025-26) and five quarter ends.
HISTORY = months_between("2025-03", "2026-04")
#: The month the incremental test adds.
NEXT_MONTH = "2026-05"

#: Public data the loader is given: claimant count up to NEXT_MONTH, mid-year population
#: estimates up to 2025 (2026 periods fall back to the latest year), DEFRA up to 2025-26.
PUBLIC_MONTHS = ("2024-06", NEXT_MONTH)
PUBLIC_YEARS = ("2021", "2025")
DEFRA_YEARS = (2021, 2025)


@dataclass(frozen=True)
class Scenario:
    """Council-months with a story. Codes are GSS codes."""

    superseded: tuple[str, str] = ("E08000026", "2026-02")  # Coventry: loaded, then corrected
    rejected: tuple[str, str] = ("E07000236", "2026-01")  # Redditch: rejected, resubmitted late
    restated: tuple[str, str, str] = ("E06000021", "2025-07", "2025-Q2")  # Stoke restates Q2 in July
    restated_metric: str = "econ_vacant_retail_units_pct"
    missing: tuple[str, str] = ("E07000198", "2025-11")  # Staffordshire Moorlands: nothing came
    late: tuple[tuple[str, str], ...] = (("E08000025", "2025-12"), ("E10000031", "2026-03"), ("E07000222", "2025-09"))


SCENARIO = Scenario()


@dataclass
class Loaded:
    months: list[str]
    submissions: int = 0
    rows: int = 0
    by_story: dict[str, int] = field(default_factory=dict)  # story -> submission_id


def _due(month: str, day: int = 15) -> datetime:
    y, m = map(int, add_months(month, 1).split("-"))
    return datetime(y, m, day, tzinfo=UTC)


def _received(code: str, month: str) -> datetime:
    """A deterministic receipt time: 2 to 11 days into the next month, 09:00-16:59 UTC."""
    h = int(hashlib.blake2b(f"{code}|{month}".encode(), digest_size=4).hexdigest(), 16)
    y, m = map(int, add_months(month, 1).split("-"))
    return datetime(y, m, 2 + h % 10, 9 + (h >> 8) % 8, (h >> 16) % 60, tzinfo=UTC)


def _sha(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _scaled(rows: list[dict], factor: float) -> list[dict]:
    """The same return with every figure scaled (a plausible, wrong file)."""
    out = []
    for r in rows:
        r = dict(r)
        for c in ("value", "numerator"):
            if r[c] is not None:
                r[c] = round(r[c] * factor, 2)
        out.append(r)
    return out


def _restatement(code: str, month: str, quarter: str, metric_id: str, seed: int) -> dict:
    """The quarter's row from the quarter-end return, with a different (restated) figure."""
    y, q = int(quarter[:4]), int(quarter[-1])
    quarter_end = f"{y}-{3 * q:02d}"
    row = next(r for r in generate_return(code, quarter_end, seed=seed) if r["metric_id"] == metric_id)
    row = dict(row)
    row["numerator"] = (
        round(row["numerator"] * 1.1) if isinstance(row["numerator"], int) else round(row["numerator"] * 1.1, 1)
    )
    row["value"] = round(100 * row["numerator"] / row["denominator"], 2)
    row["note"] = f"Restated: the {quarter} survey was re-run in {month}."
    row["status"] = "actual"
    return row


class _Writer:
    """Collects ledger rows, fetch attempts, check results and raw rows; writes them
    with one INSERT and three COPYs as the loader role."""

    def __init__(self):
        self.submissions: list[dict] = []
        self.attempts: list[dict] = []

    def submission(
        self,
        code: str,
        month: str,
        rows: list[dict],
        *,
        received: datetime,
        status: str,
        outcome: str = "pass",
        variant: str = "",
        failed_check: str | None = None,
    ) -> dict:
        council = catalogue.councils()[code]
        sub = {
            "subject": code,
            "period": month,
            "received": received,
            "status": status,
            "outcome": outcome,
            "sha256": _sha(code, month, variant),
            "rows": rows,
            "failed_check": failed_check,
            "uri": f"http://127.0.0.1:8765/returns/{council.short_name}/{month}.csv",
            "variant": variant,
        }
        self.submissions.append(sub)
        self.attempts.append(
            {"subject": code, "period": month, "uri": sub["uri"], "at": received, "outcome": "received", "sub": sub}
        )
        return sub

    def not_received(self, code: str, month: str, at: datetime) -> None:
        council = catalogue.councils()[code]
        self.attempts.append(
            {
                "subject": code,
                "period": month,
                "at": at,
                "outcome": "not_received",
                "sub": None,
                "uri": f"http://127.0.0.1:8765/returns/{council.short_name}/{month}.csv",
            }
        )

    def write(self, warehouse: Warehouse) -> tuple[int, int]:
        rows_written = 0
        with connect(warehouse, role="loader") as conn, conn.transaction():
            cur = conn.cursor()
            ids = cur.execute(
                """
                    insert into ops.submissions (source_kind, subject, period, source_uri, fetched_at, sha256,
                                                 size_bytes, media_type, original_name, landing_path, status,
                                                 outcome, status_changed_at, rows_loaded)
                    select 'council_return', subject, period, uri, received, sha, size, 'text/csv',
                           split_part(uri, '/', -1), 'test-data://' || sha, status, outcome,
                           received + interval '2 minutes', nrows
                    from unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::bigint[],
                                %s::text[], %s::text[], %s::int[])
                         as t(subject, period, uri, received, sha, size, status, outcome, nrows)
                    returning submission_id, sha256
                    """,
                [
                    [s["subject"] for s in self.submissions],
                    [s["period"] for s in self.submissions],
                    [s["uri"] for s in self.submissions],
                    [s["received"] for s in self.submissions],
                    [s["sha256"] for s in self.submissions],
                    [200 + 90 * len(s["rows"]) for s in self.submissions],
                    [s["status"] for s in self.submissions],
                    [s["outcome"] for s in self.submissions],
                    [len(s["rows"]) if s["status"] != "rejected" else None for s in self.submissions],
                ],
            ).fetchall()
            by_sha = {sha.strip(): sid for sid, sha in ids}
            for s in self.submissions:
                s["id"] = by_sha[s["sha256"]]
            with cur.copy(
                "copy ops.fetch_attempts (source_kind, subject, period, source_uri, attempted_at,"
                " outcome, http_status, message, submission_id) from stdin"
            ) as copy:
                for a in self.attempts:
                    got = a["outcome"] == "received"
                    copy.write_row(
                        [
                            "council_return",
                            a["subject"],
                            a["period"],
                            a["uri"],
                            a["at"],
                            a["outcome"],
                            200 if got else 404,
                            None if got else "HTTP 404: no file at the address yet",
                            a["sub"]["id"] if a["sub"] else None,
                        ]
                    )
            with cur.copy(
                "copy ops.check_results (submission_id, check_name, severity, outcome,"
                " failing_row_count, failing_rows, message, checked_at) from stdin"
            ) as copy:
                for s in self.submissions:
                    for check, severity in CHECKS.items():
                        failed = check == s["failed_check"]
                        copy.write_row(
                            [
                                s["id"],
                                check,
                                severity,
                                "fail" if failed else "pass",
                                1 if failed else 0,
                                json.dumps([{"row": 2, "metric_id": None}] if failed else []),
                                f"{check}: {'1 row to fix' if failed else 'all rows pass'}",
                                s["received"] + timedelta(minutes=1),
                            ]
                        )
            with cur.copy(f"copy raw.council_return_rows ({', '.join(RETURN_ROWS.copy_columns)}) from stdin") as copy:
                for s in self.submissions:
                    for i, r in enumerate(s["rows"]):
                        copy.write_row(
                            [
                                s["id"],
                                i + 2,
                                r["council_code"],
                                s["period"],
                                r["metric_id"],
                                r["period"],
                                r["value"],
                                r["numerator"],
                                r["denominator"],
                                r["status"],
                                r["note"] or None,
                            ]
                        )
                        rows_written += 1
        return len(self.submissions), rows_written


def load_council_returns(
    warehouse: Warehouse, months: list[str], *, seed: int = 0, scenario: Scenario | None = SCENARIO
) -> Loaded:
    """Every council's return for each month, straight into ops and raw (see module doc)."""
    w = _Writer()
    stories: dict[str, dict] = {}
    sc = scenario
    for month in months:
        for code in catalogue.councils():
            rows = generate_return(code, month, seed=seed)
            received = _received(code, month)
            if sc and (code, month) == sc.missing:
                w.not_received(code, month, _due(month, 3))
                w.not_received(code, month, _due(month, 20))
                continue
            if sc and (code, month) in sc.late:
                received = _due(month, 18) + timedelta(hours=10)
            if sc and (code, month) == sc.superseded:
                stories["superseded"] = w.submission(
                    code,
                    month,
                    _scaled(rows, 1.5),
                    received=received - timedelta(days=1),
                    status="superseded",
                    variant="first",
                )
                received = received + timedelta(days=2)
            if sc and (code, month) == sc.rejected:
                bad = _scaled(rows, 10.0)
                stories["rejected"] = w.submission(
                    code,
                    month,
                    bad,
                    received=received,
                    status="rejected",
                    outcome="fail",
                    variant="bad",
                    failed_check="within_bounds",
                )
                received = _due(month, 19) + timedelta(hours=9)  # the fix came after the due date
            if sc and (code, month) == (sc.restated[0], sc.restated[1]):
                rows = rows + [_restatement(code, month, sc.restated[2], sc.restated_metric, seed)]
            sub = w.submission(code, month, rows, received=received, status="loaded")
            if sc and (code, month) == sc.superseded:
                stories["correction"] = sub
            if sc and (code, month) == sc.rejected:
                stories["resubmission"] = sub
            if sc and (code, month) == (sc.restated[0], sc.restated[1]):
                stories["restatement"] = sub
    submissions, rows = w.write(warehouse)
    return Loaded(list(months), submissions, rows, {k: v["id"] for k, v in stories.items()})


def resubmit(
    warehouse: Warehouse,
    code: str,
    month: str,
    *,
    factor: float = 1.2,
    drop_metric: str | None = None,
    received: datetime | None = None,
    seed: int = 0,
) -> int:
    """A corrected return for a month already loaded, as the loader leaves it: a new loaded
    submission (figures scaled, optionally one metric left out) and the earlier loaded one
    superseded. Returns the new submission id."""
    rows = [r for r in _scaled(generate_return(code, month, seed=seed), factor) if r["metric_id"] != drop_metric]
    w = _Writer()
    sub = w.submission(
        code,
        month,
        rows,
        received=received or _due(month, 28),
        status="loaded",
        variant=f"correction-{factor}-{drop_metric}",
    )
    w.write(warehouse)
    with connect(warehouse, role="loader") as conn:
        conn.execute(
            """update ops.submissions set status = 'superseded', status_changed_at = now()
               where source_kind = 'council_return' and subject = %s and period = %s
                 and status = 'loaded' and submission_id < %s""",
            [code, month, sub["id"]],
        )
        conn.commit()
    return sub["id"]


def analyze(warehouse: Warehouse) -> None:
    """Planner statistics for the tables just written (autovacuum would, a little later)."""
    with connect(warehouse, role="loader", autocommit=True) as conn:
        for table in (
            "ops.submissions",
            "ops.fetch_attempts",
            "ops.check_results",
            "raw.council_return_rows",
            "raw.public_observations",
        ):
            conn.execute(f"analyze {table}")


@contextlib.contextmanager
def _env(**values):
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load_public_statistics(warehouse: Warehouse, folder: Path) -> list[dict]:
    """Demo NOMIS and DEFRA files served on 127.0.0.1, loaded by the real public loader."""
    from councilbench.dev import economy_table_samples
    from councilbench.dev import public_samples as demo_data
    from councilbench.dev.public_server import SourceServer
    from councilbench.ingest.fetch import RetryPolicy
    from councilbench.public import datasets as dsets
    from councilbench.public.load import refresh_dataset

    files = demo_data.write_sources(
        Path(folder),
        months=months_between(*PUBLIC_MONTHS),
        years=dsets.years_between(*PUBLIC_YEARS),
        financial=demo_data.financial_years(*DEFRA_YEARS),
    )
    ranges = dsets.Ranges(
        month_from=PUBLIC_MONTHS[0], month_to=PUBLIC_MONTHS[1], year_from=PUBLIC_YEARS[0], year_to=PUBLIC_YEARS[1]
    )
    fast = RetryPolicy(attempts=2, backoff_seconds=0.05, connect_timeout=2, read_timeout=10)
    with SourceServer(Path(folder)) as server:
        defra_env = dsets.get("defra_waste").url_env
        with _env(
            **{dsets.NOMIS_BASE_URL_ENV: server.base_url, defra_env: server.url(f"defra/{files['defra_ods'].name}")},
            **economy_table_samples.served_urls(server),  # ONS and MHCLG tables, one URL each
        ):
            results = [refresh_dataset(warehouse, d, ranges, policy=fast).as_dict() for d in dsets.DATASET_IDS]
    bad = [r for r in results if r["status"] != "loaded"]
    if bad:
        raise RuntimeError(f"public statistics not loaded: {bad}")
    return results


def build_history(warehouse: Warehouse, folder: Path, *, months: list[str] = HISTORY, seed: int = 0) -> Loaded:
    """The warehouse's whole test history: public statistics, then the council returns."""
    load_public_statistics(warehouse, folder)
    loaded = load_council_returns(warehouse, months, seed=seed)
    analyze(warehouse)
    return loaded


# --- one built warehouse per test session ------------------------------------------------


@dataclass
class BuiltWarehouse:
    warehouse: Warehouse
    loaded: Loaded
    summary: dict  # warehouse_build.build() of the first build
    seconds: dict[str, float]  # how long each step took
    #: A copy taken as soon as the build finished: modules load more months and corrections
    #: into `warehouse` afterwards, so its marts no longer match its raw rows; the oracle
    #: (tests/oracle/) recomputes the marts of this copy. Dropped with the session warehouse.
    snapshot: Warehouse


def snapshot_of(warehouse: Warehouse) -> Warehouse:
    """The name of the built warehouse's snapshot (conftest.py drops it with the warehouse)."""
    return warehouse.with_database(f"{warehouse.database}_built")


_BUILT: dict[str, BuiltWarehouse] = {}


def built_warehouse(reference_warehouse: Warehouse, state_dir: Path) -> BuiltWarehouse:
    """History loaded and the warehouse built (dbt build + docs), once per test process:
    each test module's session fixture asks for it, the first one pays."""
    import time

    from councilbench.warehouse import bootstrap
    from councilbench.warehouse import build as warehouse_build

    key = reference_warehouse.url
    if key not in _BUILT:
        t0 = time.monotonic()
        loaded = build_history(reference_warehouse, Path(state_dir) / "warehouse-public-sources")
        t1 = time.monotonic()
        summary = warehouse_build.build(reference_warehouse)
        t2 = time.monotonic()
        snapshot = snapshot_of(reference_warehouse)
        bootstrap.copy_database(reference_warehouse, snapshot)
        _BUILT[key] = BuiltWarehouse(
            reference_warehouse,
            loaded,
            summary,
            {"load": round(t1 - t0, 2), "build_and_docs": round(t2 - t1, 2)},
            snapshot,
        )
    return _BUILT[key]
