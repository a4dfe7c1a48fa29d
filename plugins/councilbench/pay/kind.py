"""Council pay deposits as a source kind: the declaration the ingest lifecycle runs.

- targets: each council's deposit for a pay year (YYYY-YY, the NJC pay year from 1 April:
  the ledger's period), from its registry `pay_source`;
- fetch: the default (http(s) with conditional requests, a folder or object storage);
- parse: read.read_pay (CSV or XLSX), never raising for a bad file: its findings are the
  first checks of the verdict, `personal_data` among them (a file holding names, dates of
  birth, employee or NI numbers is read no further and loads nothing);
- validate: the reader's findings plus checks.gx_checks (ONE GX run for the batch,
  expectations/council_pay.json: salaries against the pay year's spine, FTE, headcount,
  roles with suggestions, duplicate posts, hourly or monthly salaries, the pay year and
  the council);
- raw table: raw.council_pay_posts (loader and transformer only);
- quarantine: quarantine/<council short name>/pay-<pay year>/<sha>.rejected;
- notify: the council's own contacts, once per file through the outbox (notify.py).
"""

from __future__ import annotations

from councilbench.core import catalogue
from councilbench.ingest.checks import Verdict, overall
from councilbench.ingest.kind import Pending, SourceKind, Target, Wording
from councilbench.ingest.ledger import Landed
from councilbench.ingest.raw import RawTable

SOURCE_KIND = "council_pay"

#: raw.council_pay_posts's columns after submission_id (warehouse/ddl.py).
POST_COLUMNS = (
    "row_number", "council_code", "pay_year", "post_id", "job_title", "role_id", "grade", "scp_min", "scp_max",
    "fte_salary", "fte", "headcount", "allowances", "market_supplement", "contract_type",
)  # fmt: skip
PAY_POSTS = RawTable(
    "raw.council_pay_posts",
    columns=POST_COLUMNS,
    # Whole numbers as ints and pounds as Decimals, NULL when blank: their text is exact.
    numbers=("scp_min", "scp_max", "fte_salary", "fte", "allowances", "market_supplement"),
    integers=("row_number", "headcount"),
)
#: Text columns loaded as NULL when blank.
OPTIONAL_TEXT = ("grade", "contract_type")


def pay_year_of(day) -> str:
    """The NJC pay year a date falls in: 1 April to 31 March ('2026-05-01' -> '2026-27')."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def council_year(council_code: str, pay_year: str, pay_base_url: str | None = None) -> Target:
    """A council's pay deposit for a pay year, from its source in the member registry."""
    council = catalogue.councils()[council_code]
    return Target(council_code, pay_year, council.pay_uri(pay_year, pay_base_url), council.name, council)


def _parse(landed: Landed, target: Target):
    from councilbench.pay.read import read_pay

    return read_pay(
        landed.path, pay_year=target.period, original_name=landed.original_name, media_type=landed.media_type
    )


def _validate(items: list[Pending], _context) -> list[Verdict]:
    """The batch in one GX run; each deposit judged on its own rows."""
    from councilbench.pay import checks

    files = [checks.PayFile(p.parsed, p.target.subject, p.target.period) for p in items]
    verdicts = []
    for f, more in zip(files, checks.gx_checks(files), strict=True):
        outcomes = [*f.read.findings, *more]
        rows = _rows(f) if overall(outcomes) != "fail" else None
        verdicts.append(Verdict(outcomes, f.read.notes, rows))
    return verdicts


def _rows(f) -> object:
    """The posts as raw.council_pay_posts rows: the council and pay year the deposit was
    fetched for (checked equal to the file's own), blank optional text as NULL."""
    frame = f.read.frame.copy()
    for column in OPTIONAL_TEXT:
        frame[column] = frame[column].mask(frame[column] == "")
    frame["council_code"] = f.council_code
    frame["pay_year"] = f.pay_year
    return frame[list(PAY_POSTS.columns)]


def _notify(warehouse, outcomes):
    from councilbench.pay.notify import send_emails

    return send_emails(warehouse, outcomes)


def _quarantine_name(target: Target) -> tuple[str, str, str]:
    return target.spec.short_name, f"pay-{target.period}", ".rejected"


PAY = SourceKind(
    name=SOURCE_KIND,
    raw_table=PAY_POSTS,
    parse=_parse,
    validate=_validate,
    quarantine_name=_quarantine_name,
    notify=_notify,
    wording=Wording(
        loaded="{rows} posts loaded ({outcome})",
        already_decided="the same file as submission {submission_id} ({status}): nothing to do",
    ),
)
