"""One public dataset, end to end: fetch, land, validate, load. The same path as a council
return, so the same guarantees hold:

- nothing is lost: the answer is landed (by sha256) and recorded in ops.submissions
  (source_kind 'public_source', subject = dataset id, period = the requested range or
  the release) before anything looks at it; every fetch attempt is in ops.fetch_attempts;
- idempotent: the same bytes again are the same ledger row, and a submission already
  decided (loaded, rejected, superseded) is not touched again;
- a newer answer for the same dataset and period supersedes the older one
  (status 'superseded'; its rows stay in raw, so the history stays queryable);
- every check's outcome is a row in ops.check_results; a failing dataset is rejected
  (nothing loaded, a link under quarantine/), a passing one is COPYed into
  raw.public_observations in one transaction tagged with the submission.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from councilbench.ingest import landing
from councilbench.ingest.fetch import RetryPolicy, fetch, fetch_http
from councilbench.public import checks as checks_mod
from councilbench.public import datasets as dsets
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

SOURCE_KIND = "public_source"
LOAD_COLUMNS = (
    "submission_id",
    "row_number",
    "source",
    "dataset",
    "area_code",
    "area_name",
    "period",
    "measure",
    "value",
    "obs_status",
)


@dataclass
class DatasetResult:
    dataset_id: str
    period: str
    outcome: str  # loaded | unchanged | rejected | error | not_received
    status: str | None = None  # ledger status of the submission (received, loaded, rejected, superseded)
    submission_id: int | None = None
    is_new: bool = False
    rows_loaded: int = 0
    validation: str | None = None  # pass | warn | fail
    checks: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def refresh_dataset(
    warehouse: Warehouse, dataset_id: str, ranges: dsets.Ranges | None = None, *, policy: RetryPolicy = RetryPolicy()
) -> DatasetResult:
    """Fetch one dataset for the ranges given (NOMIS) or its configured release (GOV.UK)."""
    from datetime import date

    ds = dsets.get(dataset_id)
    request = dsets.request_for(dataset_id, ranges or dsets.default_ranges(date.today()))
    with connect(warehouse, role="loader") as conn:
        if isinstance(ds, dsets.NomisDataset):
            return _refresh_nomis(conn, ds, request, policy)
        return _refresh_spreadsheet(conn, ds, request, policy)


# --- fetching and landing ---------------------------------------------------------------


def _record(conn, request, fetched, *, outcome=None, message=None, submission_id=None):
    landing.record_fetch(
        conn,
        source_kind=SOURCE_KIND,
        subject=request.dataset_id,
        period=request.period,
        source_uri=fetched.uri,
        outcome=outcome or fetched.outcome,
        http_status=fetched.http_status,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        message=message if message is not None else (fetched.message or None),
        submission_id=submission_id,
    )


def _refresh_nomis(conn, ds: dsets.NomisDataset, request: dsets.Request, policy: RetryPolicy) -> DatasetResult:
    from councilbench.public import nomis

    areas = list(dsets.expected_areas(ds))
    answer = nomis.fetch_dataset(ds, areas, request.periods, policy=policy)
    if answer.outcome != "received":
        for page in answer.pages:
            _record(conn, request, page)
        return DatasetResult(ds.dataset_id, request.period, answer.outcome, message=answer.message)
    landed = landing.land(
        conn,
        chunks=[answer.data],
        source_kind=SOURCE_KIND,
        subject=ds.dataset_id,
        period=request.period,
        source_uri=answer.uri,
        media_type="text/csv",
        original_name=f"{ds.nomis_id}.data.csv",
    )
    for i, page in enumerate(answer.pages):
        note = f"page {i + 1} of {len(answer.pages)}" + (
            f" after {page.attempts} attempts" if page.attempts > 1 else ""
        )
        _record(conn, request, page, message=f"{note}; {answer.message}", submission_id=landed.submission_id)
    if _decided(landed):
        return _unchanged(ds, request, landed)

    def read():
        try:
            return nomis.read_observations(ds, landed.path), None
        except nomis.NomisFormatError as exc:
            return None, f"not a NOMIS data CSV with the columns asked for: {exc}"

    return _validate_and_load(
        conn, ds, request, landed, read, expected_periods=request.periods, fetch_note=answer.message
    )


def _refresh_spreadsheet(
    conn, ds: dsets.SpreadsheetDataset, request: dsets.Request, policy: RetryPolicy
) -> DatasetResult:
    from councilbench.public import spreadsheet

    url = ds.url()
    if url.startswith(("http://", "https://")):
        etag, last_modified = landing.last_validators(
            conn, source_kind=SOURCE_KIND, subject=ds.dataset_id, period=request.period, source_uri=url
        )
        fetched = fetch_http(url, etag=etag, last_modified=last_modified, policy=policy)
    else:
        fetched = fetch(url)
    if fetched.outcome == "unchanged":  # 304: the answer we already have
        previous = conn.execute(
            """select s.submission_id, s.status from ops.fetch_attempts a join ops.submissions s using (submission_id)
               where a.source_kind = %s and a.subject = %s and a.period = %s and a.source_uri = %s
               order by a.attempt_id desc limit 1""",
            [SOURCE_KIND, ds.dataset_id, request.period, url],
        ).fetchone()
        _record(conn, request, fetched, submission_id=previous[0] if previous else None)
        return DatasetResult(
            ds.dataset_id,
            request.period,
            "unchanged",
            submission_id=previous[0] if previous else None,
            status=previous[1] if previous else None,
            message=fetched.message,
        )
    if fetched.outcome != "received":
        _record(conn, request, fetched)
        return DatasetResult(ds.dataset_id, request.period, fetched.outcome, message=fetched.message)
    try:
        with open(fetched.path, "rb") as f:
            landed = landing.land(
                conn,
                chunks=landing.iter_file(f),
                source_kind=SOURCE_KIND,
                subject=ds.dataset_id,
                period=request.period,
                source_uri=url,
                media_type=fetched.media_type,
                original_name=url.rstrip("/").rsplit("/", 1)[-1],
            )
    finally:
        fetched.discard()
    note = f"received after {fetched.attempts} attempts" if fetched.attempts > 1 else None
    _record(conn, request, fetched, message=note, submission_id=landed.submission_id)
    if _decided(landed):
        return _unchanged(ds, request, landed)

    known = dsets.known_areas()

    def read():
        try:
            observations, info = spreadsheet.read_observations(ds, landed.path, known)
            log.info(
                "%s: header in row %s, %s rows out of scope",
                ds.dataset_id,
                info["header_row"],
                info["rows_out_of_scope"],
            )
            return observations, None
        except spreadsheet.LayoutError as exc:
            return None, f"{ds.title}, sheet '{ds.sheet}': {exc}"
        except Exception as exc:  # a corrupt file: say so, keep it, reject it
            return None, f"could not read the file as a spreadsheet ({type(exc).__name__}: {exc})"

    return _validate_and_load(conn, ds, request, landed, read, expected_periods=None, fetch_note="")


def _decided(landed: landing.Landed) -> bool:
    """Already seen and decided: the same bytes again change nothing."""
    return not landed.is_new and landed.status != "received"


def _unchanged(ds, request, landed) -> DatasetResult:
    return DatasetResult(
        ds.dataset_id,
        request.period,
        "unchanged",
        status=landed.status,
        submission_id=landed.submission_id,
        is_new=False,
        message=f"the same answer as submission {landed.submission_id} ({landed.status}): nothing to do",
    )


# --- validating and loading -------------------------------------------------------------


def _validate_and_load(conn, ds, request, landed, read, *, expected_periods, fetch_note) -> DatasetResult:
    observations, problem = read()
    if problem:
        outcomes = checks_mod.unreadable(problem)
    else:
        outcomes, _ = checks_mod.validate(ds, observations, expected_periods=expected_periods, fetch_note=fetch_note)
    verdict = checks_mod.overall(outcomes)
    result = DatasetResult(
        ds.dataset_id,
        request.period,
        "rejected" if verdict == "fail" else "loaded",
        submission_id=landed.submission_id,
        is_new=landed.is_new,
        validation=verdict,
        checks={c.check: c.outcome for c in outcomes},
    )
    with conn.transaction():
        # One dataset and period at a time: two runs racing cannot both supersede.
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"public:{ds.dataset_id}:{request.period}"])
        store_check_results(conn, landed.submission_id, outcomes)
        if verdict == "fail":
            conn.execute(
                """update ops.submissions set status = 'rejected', outcome = 'fail', rows_loaded = 0,
                            status_changed_at = now() where submission_id = %s""",
                [landed.submission_id],
            )
            result.status = "rejected"
            result.message = "; ".join(f"{c.check}: {c.message}" for c in outcomes if c.outcome == "fail")
        else:
            result.rows_loaded = _copy_rows(conn, ds, landed.submission_id, observations)
            result.status = landing.settle_loaded(conn, landed.submission_id, result.rows_loaded, verdict)
            result.message = f"{result.rows_loaded} observations loaded ({verdict})"
    if verdict == "fail":
        landing.quarantine(
            landed.path,
            subject=ds.dataset_id,
            period=request.period.replace("/", "--"),
            suffix=".csv" if isinstance(ds, dsets.NomisDataset) else "",
        )
    log.info("%s %s: %s", ds.dataset_id, request.period, result.message)
    conn.commit()
    return result


def store_check_results(conn, submission_id: int, outcomes: list[checks_mod.CheckOutcome]) -> None:
    """One row per submission and check; a rerun replaces the rows it wrote before."""
    landing.write_check_results(
        conn,
        submission_id,
        [(c.check, c.severity, c.outcome, c.failing_row_count, c.failing_rows, c.message) for c in outcomes],
    )


def _copy_rows(conn, ds, submission_id: int, observations: list[dict]) -> int:
    """COPY the observations (row_number = their order in the landed file, from 1)."""
    conn.execute("delete from raw.public_observations where submission_id = %s", [submission_id])
    with conn.cursor().copy(f"copy raw.public_observations ({', '.join(LOAD_COLUMNS)}) from stdin") as copy:
        for n, o in enumerate(observations, start=1):
            copy.write_row(
                [
                    submission_id,
                    n,
                    ds.publisher,
                    ds.dataset_id,
                    o["area_code"],
                    o["area_name"] or None,
                    o["period"],
                    o["measure"],
                    landing.copy_value(o["value"]),
                    o["obs_status"],
                ]
            )
    return len(observations)


def refresh_all(
    warehouse: Warehouse, ranges: dsets.Ranges, dataset_ids=None, *, policy: RetryPolicy = RetryPolicy()
) -> list[DatasetResult]:
    """Every configured dataset (or those named); one dataset's failure never stops another."""
    return [refresh_dataset(warehouse, d, ranges, policy=policy) for d in (dataset_ids or dsets.DATASET_IDS)]


def landed_path(warehouse: Warehouse, submission_id: int) -> Path:
    with connect(warehouse, role="loader") as conn:
        return Path(
            conn.execute(
                "select landing_path from ops.submissions where submission_id = %s", [submission_id]
            ).fetchone()[0]
        )
