"""What a source kind declares, for the ingest lifecycle to run (lifecycle.py): how a
subject and period is fetched, how a landed file is read and a batch of them validated,
the raw table accepted rows go to, where a rejected file is quarantined, the words of its
outcomes and who is told. Council returns (returns/kind.py) and public statistics
(public/kind.py) are two such declarations; a new kind is a third, with no change here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from councilbench.ingest import ledger, raw
from councilbench.ingest.checks import Verdict
from councilbench.ingest.fetch import Fetched, RetryPolicy, fetch
from councilbench.warehouse.connection import Warehouse


@dataclass(frozen=True)
class Target:
    """One subject and period to fetch: a council's return for a month, a dataset's range."""

    subject: str  # the ledger's subject: a council's GSS code, a dataset id
    period: str  # the ledger's period: a month, a requested range, a release
    uri: str  # where it is fetched from (the default fetch's source_uri)
    label: str = ""  # for people and logs: the council's or the dataset's name
    spec: object = None  # the kind's own description of it (a council, a dataset request)


@dataclass
class Outcome:
    """What happened to one target this run (plain data: it can be an Airflow XCom)."""

    subject: str
    period: str
    label: str = ""
    fetch: str = "not_received"  # received | unchanged | not_received | error
    submission_id: int | None = None
    status: str | None = None  # received | rejected | loaded | superseded
    outcome: str | None = None  # pass | warn | fail
    rows_loaded: int = 0
    new_submission: bool = False
    recorded_now: bool = False  # validated and recorded (rejected or loaded) by this run
    message: str = ""
    quarantined: str | None = None
    checks: dict[str, str] = field(default_factory=dict)  # check -> outcome, when recorded now

    def as_dict(self) -> dict:
        return asdict(self)


def tally(outcomes: list[Outcome]) -> dict[str, int]:
    """A run's outcomes counted the same way for every kind (its summary, log and XCom)."""

    def count(pred) -> int:
        return sum(1 for o in outcomes if pred(o))

    return {
        "loaded": count(lambda o: o.status in ("loaded", "superseded") and o.outcome in ("pass", "warn")),
        "rejected": count(lambda o: o.status == "rejected"),
        "not_received": count(lambda o: o.fetch == "not_received" and o.submission_id is None),
        "fetch_errors": count(lambda o: o.fetch == "error"),
        "with_warnings": count(lambda o: o.outcome == "warn"),
        "new_submissions": count(lambda o: o.new_submission),
        "rows_loaded": sum(o.rows_loaded for o in outcomes if o.new_submission),
    }


@dataclass
class Pending:
    """A landed file waiting for validation in this batch."""

    target: Target
    outcome: Outcome
    landed: ledger.Landed
    fetch_note: str = ""  # what fetching said about the answer (NOMIS: pages and records)
    parsed: object = None  # what the kind's parser made of the landed file


@dataclass(frozen=True)
class Wording:
    """How a run's outcome describes a submission (str.format templates)."""

    failure: str = "{check}: {message}"  # each failing check of a rejected file, joined by "; "
    loaded: str | None = "{rows} rows loaded ({outcome})"  # None: keep what the fetch said
    already_decided: str = "the same file as submission {submission_id} ({status}): nothing to do"


def quarantine_by_subject(target: Target) -> tuple[str, str, str]:
    """quarantine/<subject>/<period>/<sha[:12]>: folder, subfolder and file suffix."""
    return target.subject, target.period.replace("/", "--"), ""


def fetch_uri(target: Target, *, etag=None, last_modified=None, policy=RetryPolicy(), session=None) -> Fetched:
    """The default fetch: target.uri over http(s) (conditional, retried), a local folder
    or object storage."""
    return fetch(target.uri, etag=etag, last_modified=last_modified, policy=policy, session=session)


@dataclass(frozen=True)
class SourceKind:
    """A source kind, declared. What a new kind provides; everything else is the lifecycle."""

    name: str  # ops.submissions.source_kind
    raw_table: raw.RawTable  # where accepted rows go, by COPY
    #: A landed file -> what `validate` reads. Content the kind cannot read is its
    #: validator's finding (a failed `readable` check), not an exception: an exception
    #: is the platform's fault (the landed file cannot be opened).
    parse: Callable[[ledger.Landed, Target], object]
    #: A batch of parsed files -> one Verdict (or a report with checks, normalisations and
    #: rows) each, in order, in ONE GX run. Its second argument is what `prepare` read.
    validate: Callable[[list[Pending], object], list[Verdict]]
    #: What validation needs from the warehouse, read once per batch (earlier figures).
    prepare: Callable[[object, list[Pending]], object] | None = None
    #: How a target is fetched: (target, etag=, last_modified=, policy=, session=) -> Fetched.
    fetch: Callable[..., Fetched] = fetch_uri
    #: Where a rejected file's link goes under quarantine/: (folder, subfolder, suffix).
    quarantine_name: Callable[[Target], tuple[str, str, str]] = quarantine_by_subject
    wording: Wording = Wording()
    #: Who is told about recorded submissions: (warehouse, outcomes) -> what was sent. A step
    #: of its own after the loads (an SMTP outage never loses a result); None: nobody (the
    #: platform team hears of failed runs from the task-failure notifier).
    notify: Callable[[Warehouse, list[Outcome]], list[dict]] | None = None

    def lock_key(self, subject: str, period: str) -> str:
        return f"{self.name}:{subject}:{period}"
