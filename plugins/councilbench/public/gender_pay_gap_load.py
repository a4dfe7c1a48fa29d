"""GOV.UK's gender pay gap data through the ingest lifecycle, one reporting year at a time.

The declaration the lifecycle runs (the same ledger kind as the other public sources,
``public_source``; subject ``gender_pay_gap``, period the reporting year ``2024-25``):
- fetch: the year's download at COUNCILBENCH_GPG_URL (conditional requests: an
  unchanged file is a 304, the same bytes again the same ledger row);
- parse: gender_pay_gap.read_file; an answer that is no CSV at all is a failed
  ``readable`` check;
- validate: gender_pay_gap_checks.validate (expectations/public_gender_pay_gap.json,
  and which councils were matched by EmployerId);
- raw table: raw.public_gender_pay_gap, every employer's row, tagged with the
  submission; a newer download of the same year supersedes the older;
- quarantine: quarantine/gender_pay_gap/<reporting year>/<sha>.csv;
- notify: nobody (a rejected year fails its Airflow task, whose failure notifier tells
  the platform team).
"""

from __future__ import annotations

from datetime import date

from councilbench.ingest import lifecycle
from councilbench.ingest.checks import Verdict, unreadable
from councilbench.ingest.fetch import Fetched, RetryPolicy
from councilbench.ingest.kind import Pending, SourceKind, Target, Wording, fetch_uri
from councilbench.ingest.ledger import Landed
from councilbench.ingest.raw import RawTable
from councilbench.public import gender_pay_gap as gpg
from councilbench.public.kind import SOURCE_KIND
from councilbench.public.load import DatasetResult
from councilbench.warehouse.connection import Warehouse

TABLE = RawTable(
    "raw.public_gender_pay_gap",
    columns=gpg.RAW_COLUMNS,
    numbers=tuple(gpg.PERCENT_COLUMNS.values()),
)


def year_target(label: str) -> Target:
    gpg.first_year(label)  # refuse a malformed year before anything is fetched
    return Target(gpg.DATASET_ID, label, gpg.url(label), f"{gpg.TITLE}, {label}")


def _fetch(target: Target, **kwargs) -> Fetched:
    fetched = fetch_uri(target, **kwargs)
    if fetched.outcome == "received":  # GOV.UK's address ends in the year, not the file's name
        fetched.original_name = gpg.published_name(target.period)
    return fetched


def _parse(landed: Landed, target: Target) -> gpg.GpgFile | str:
    """The download, or in words why it is no CSV at all (the validator's `readable` failure)."""
    try:
        return gpg.read_file(landed.path)
    except gpg.GpgFormatError as exc:
        return f"{gpg.published_name(target.period)}: {exc}"


def _validate(items: list[Pending], context=None) -> list[Verdict]:
    from councilbench.core.catalogue import councils
    from councilbench.public.gender_pay_gap_checks import validate

    return [
        Verdict([unreadable(p.parsed)])
        if isinstance(p.parsed, str)
        else validate(p.parsed, p.target.period, councils())
        for p in items
    ]


GENDER_PAY_GAP = SourceKind(
    name=SOURCE_KIND,
    raw_table=TABLE,
    parse=_parse,
    validate=_validate,
    fetch=_fetch,
    quarantine_name=lambda target: (target.subject, target.period, ".csv"),
    wording=Wording(
        loaded="{rows} employers' figures loaded ({outcome})",
        already_decided="the same download as submission {submission_id} ({status}): nothing to do",
    ),
)


def refresh_year(warehouse: Warehouse, label: str, *, policy: RetryPolicy = RetryPolicy()) -> DatasetResult:
    """Fetch, land, validate and load one reporting year's download."""
    return DatasetResult.of(lifecycle.process(warehouse, GENDER_PAY_GAP, year_target(label), policy=policy))


def refresh_years(
    warehouse: Warehouse, labels: list[str] | None = None, *, policy: RetryPolicy = RetryPolicy()
) -> list[DatasetResult]:
    """The years given, or the DEFAULT_YEARS latest whose deadline has passed."""
    labels = labels or gpg.years_from_params({}, date.today())
    return [refresh_year(warehouse, label, policy=policy) for label in labels]
