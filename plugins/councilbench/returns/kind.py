"""Council returns as a source kind: the declaration the ingest lifecycle runs.

- fetch: each council's return source from the member registry (Council.return_uri),
  over http(s) with conditional requests, a folder or object storage (the default fetch);
- parse: parse.parse_return (CSV with Excel habits, or XLSX);
- validate: validate.validate_returns, a whole batch in ONE GX run (expectations/
  council_return.json), month on month against the previous figures read once per batch
  (previous.previous_figures), so a backfill of many months gives what month-by-month
  processing gives;
- raw table: raw.council_return_rows;
- quarantine: quarantine/<council short name>/<month>/<sha>.rejected;
- notify: an email to the council's contacts, a rejection (what to fix) or a receipt,
  sent once through the outbox (notify.py), read from the recorded results.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial

from councilbench.core import catalogue
from councilbench.ingest.kind import Outcome, Pending, SourceKind, Target, Wording
from councilbench.ingest.ledger import Landed
from councilbench.ingest.raw import RawTable
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

SOURCE_KIND = "council_return"

RETURN_ROWS = RawTable(
    "raw.council_return_rows",
    columns=(
        "row_number",
        "council_code",
        "return_period",
        "metric_id",
        "period",
        "value",
        "numerator",
        "denominator",
        "status",
        "note",
    ),
    numbers=("value", "numerator", "denominator"),
)


def council_month(council_code: str, return_month: str, returns_base_url: str | None = None) -> Target:
    """A council's return for a month, from its source in the member registry."""
    council = catalogue.councils()[council_code]
    return Target(council_code, return_month, council.return_uri(return_month, returns_base_url), council.name, council)


@dataclass
class ReturnOutcome:
    """What happened to one council's return this run (an Airflow XCom, so plain data)."""

    council_code: str
    council_name: str
    return_month: str
    fetch: str  # received | unchanged | not_received | error
    submission_id: int | None = None
    status: str | None = None  # received | rejected | loaded | superseded
    outcome: str | None = None  # pass | warn | fail
    rows_loaded: int = 0
    new_submission: bool = False
    recorded_now: bool = False  # validated and recorded (rejected or loaded) by this run
    message: str = ""
    quarantined: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def email_kind(self) -> str | None:
        if self.status == "rejected":
            return "rejection"
        if self.outcome in ("pass", "warn") and self.status in ("loaded", "superseded"):
            return "receipt"
        return None

    @classmethod
    def of(cls, o: Outcome) -> ReturnOutcome:
        same = {k: v for k, v in o.as_dict().items() if k in cls.__dataclass_fields__}
        return cls(council_code=o.subject, council_name=o.label, return_month=o.period, **same)

    def as_outcome(self) -> tuple[Target, Outcome]:
        """The lifecycle's view of it: the council-month and what happened to it."""
        same = {k: v for k, v in self.as_dict().items() if k in Outcome.__dataclass_fields__}
        return council_month(self.council_code, self.return_month), Outcome(
            subject=self.council_code, period=self.return_month, label=self.council_name, **same
        )


def _parse(landed: Landed, target: Target):
    from councilbench.returns.parse import parse_return

    # The original name, not the landing store's hash, is what the council's email names.
    return parse_return(landed.path, media_type=None, original_name=landed.original_name)


def _previous_figures(conn, items: list[Pending]):
    """Month on month compares with the warehouse as it was before the batch plus the
    batch's own earlier accepted months (previous.PreviousFigures): what loading month by
    month would have given."""
    from councilbench.returns.previous import previous_figures

    periods = sorted(p.target.period for p in items)
    return previous_figures(conn, sorted({p.target.subject for p in items}), periods[0], periods[-1])


def _validate(items: list[Pending], previous, *, today: date | None = None):
    from councilbench.returns import validate

    return validate.validate_returns(
        [(p.parsed, p.target.subject, p.target.period) for p in items], today=today, previous_values=previous
    )


def _quarantine_name(target: Target) -> tuple[str, str, str]:
    return target.spec.short_name, target.period, ".rejected"


def send_emails(warehouse: Warehouse, outcomes: list[dict]) -> list[dict]:
    """Email each council whose return was rejected (what to fix) or accepted (a receipt
    of what was loaded, with any warnings).

    Reads the recorded results (never validates again). Every council is attempted
    before any failure is raised, so one bad address or an SMTP outage does not hold
    up the others; Airflow's retry then sends only what was not sent (the outbox keeps
    a ledger of sends, so nothing goes twice).

    A receipt is for a file this run accepted. A run that finds a file accepted earlier
    sends its receipt only when an earlier attempt failed (an SMTP outage, then a rerun):
    a file loaded by a backfill without emails, or before receipts existed, gets none
    months later, and one whose receipt went is not even looked at again.
    """
    from councilbench.returns.notify import notify_submission, still_owed
    from councilbench.returns.results import load_report

    sent, errors = [], []
    for o in (ReturnOutcome(**d) for d in outcomes):
        if not (o.email_kind and o.submission_id):
            continue
        try:
            with connect(warehouse, role="loader") as conn:
                if o.email_kind == "receipt" and not (o.recorded_now or still_owed(conn, o.submission_id, "receipt")):
                    continue
                report = load_report(conn, o.submission_id)
            status = notify_submission(warehouse, o.submission_id, report)
            sent.append(
                {
                    "council_code": o.council_code,
                    "submission_id": o.submission_id,
                    "kind": o.email_kind,
                    "result": str(status),
                }
            )
        except Exception as exc:  # noqa: BLE001 - keep going: the other councils' emails must not wait
            log.error("email to %s about submission %s failed: %s", o.council_name, o.submission_id, exc)
            errors.append(f"{o.council_name}: {exc}")
    if errors:
        raise RuntimeError(f"{len(errors)} email(s) not sent (retried by Airflow): " + "; ".join(errors))
    return sent


def _notify(warehouse: Warehouse, outcomes: list[Outcome]) -> list[dict]:
    return send_emails(warehouse, [ReturnOutcome.of(o).as_dict() for o in outcomes])


def returns_kind(today: date | None = None) -> SourceKind:
    """The declaration; `today` decides what a future return month is (tests pin it)."""
    return SourceKind(
        name=SOURCE_KIND,
        raw_table=RETURN_ROWS,
        parse=_parse,
        prepare=_previous_figures,
        validate=partial(_validate, today=today),
        quarantine_name=_quarantine_name,
        wording=Wording(
            failure="{message}", loaded=None, already_decided="same file as already processed: nothing changed"
        ),
        notify=_notify,
    )


RETURNS = returns_kind()
