"""Council spend ("spend over £500") as a source kind: the declaration the ingest
lifecycle runs.

- targets: each council's file for a period, from its registry `spend_source`: a month
  (YYYY-MM) for a monthly publisher, a calendar quarter (YYYY-Qn) for a quarterly one;
- fetch: the default (http(s) with conditional requests, a folder or object storage);
- parse: read.read_spend (CSV or XLSX in the council's own layout), never raising for
  a bad file: its findings are the first checks of the verdict;
- validate: the reader's findings plus checks.gx_checks (ONE GX run for the batch,
  expectations/council_spend.json) and the period total against the council's usual,
  read once per batch from raw.council_spend_lines (`prepare`);
- raw table: raw.council_spend_lines;
- quarantine: quarantine/<council short name>/spend-<period>/<sha>.rejected;
- notify: the council's contacts, once per file through the outbox (notify.py): a
  rejection (which rows, what was wrong, what is accepted, the rows as CSV) or a receipt
  (lines loaded, redacted lines, tidy-ups), read from the recorded results.
"""

from __future__ import annotations

from councilbench.core import catalogue
from councilbench.ingest.checks import Verdict, overall
from councilbench.ingest.kind import Pending, SourceKind, Target, Wording
from councilbench.ingest.ledger import Landed
from councilbench.ingest.raw import RawTable
from councilbench.spend.headers import CANONICAL_FIELDS

SOURCE_KIND = "council_spend"

#: The reader's frame's columns, after which council and period the lines are for.
LINE_FIELDS = (*CANONICAL_FIELDS, "redacted")
#: Read as text ('' when blank, loaded as NULL).
TEXT_FIELDS = tuple(
    f
    for f in LINE_FIELDS
    if f not in ("payment_date", "net_amount", "irrecoverable_vat", "card_transaction", "redacted")
)
SPEND_LINES = RawTable(
    "raw.council_spend_lines",
    columns=("row_number", "council_code", "spend_period", *LINE_FIELDS),
    # Decimals, dates and booleans go as their text ('1234.50', '2026-02-01', 'True'),
    # which PostgreSQL reads exactly into numeric(14,2), date and boolean.
)


def spend_periods(period: str, council: catalogue.Council) -> list[str]:
    """The periods of `period` the council publishes a file for: a monthly council's month
    (or a quarter's three months); a quarterly council's quarter, due once a quarter (so a
    month gives it nothing unless it ends the quarter)."""
    quarter = "-Q" in period
    if council.spend_frequency == "quarterly":
        if quarter:
            return [period]
        month = int(period[5:7])
        return [f"{period[:4]}-Q{month // 3}"] if month % 3 == 0 else []
    if quarter:
        first = 3 * int(period[-1]) - 2
        return [f"{period[:4]}-{m:02d}" for m in range(first, first + 3)]
    return [period]


def council_period(council_code: str, period: str, spend_base_url: str | None = None) -> Target:
    """A council's spend file for a period, from its source in the member registry."""
    council = catalogue.councils()[council_code]
    return Target(council_code, period, council.spend_uri(period, spend_base_url), council.name, council)


def _parse(landed: Landed, target: Target):
    from councilbench.spend.read import read_spend

    return read_spend(
        landed.path, council_code=target.subject, original_name=landed.original_name, media_type=landed.media_type
    )


def _earlier_totals(conn, items: list[Pending]) -> dict[str, dict[str, float]]:
    """council -> {period: net total} of its loaded files (the usual_total check)."""
    rows = conn.execute(
        """select s.subject, s.period, sum(l.net_amount)::float8
           from ops.submissions s join raw.council_spend_lines l using (submission_id)
           where s.source_kind = %s and s.status = 'loaded' and s.subject = any(%s)
           group by s.subject, s.period""",
        [SOURCE_KIND, sorted({p.target.subject for p in items})],
    ).fetchall()
    out: dict[str, dict[str, float]] = {}
    for subject, period, total in rows:
        out.setdefault(subject, {})[period] = total or 0.0
    return out


def _validate(items: list[Pending], history) -> list[Verdict]:
    """The batch in one GX run. A file's usual total is the council's loaded periods plus
    the batch's own earlier accepted ones (the lifecycle hands them over oldest first), so
    a backfill judges each period as loading them one by one would."""
    from councilbench.spend import checks

    files = [checks.SpendFile(p.parsed, p.target.subject, p.target.period) for p in items]
    suite_checks = checks.gx_checks(files)
    history = {code: dict(periods) for code, periods in (history or {}).items()}
    verdicts = []
    for f, more in zip(files, suite_checks, strict=True):
        outcomes = [*f.read.findings, *more]
        if f.read.frame is not None and overall(outcomes) != "fail":
            total = checks.period_total(f.read)
            earlier = history.setdefault(f.council_code, {})
            outcomes.append(checks.usual_total(f, total, earlier))
            earlier[f.period] = total
        rows = _rows(f) if overall(outcomes) != "fail" else None
        verdicts.append(Verdict(outcomes, f.read.notes, rows))
    return verdicts


def _rows(f) -> object:
    """The lines as raw.council_spend_lines rows: blank text as NULL."""
    frame = f.read.frame.copy()
    for column in TEXT_FIELDS:
        frame[column] = frame[column].mask(frame[column] == "")
    frame["council_code"] = f.council_code
    frame["spend_period"] = f.period
    return frame[list(SPEND_LINES.columns)]


def _notify(warehouse, outcomes):
    from councilbench.spend.notify import send_emails

    return send_emails(warehouse, outcomes)


def _quarantine_name(target: Target) -> tuple[str, str, str]:
    return target.spec.short_name, f"spend-{target.period}", ".rejected"


SPEND = SourceKind(
    name=SOURCE_KIND,
    raw_table=SPEND_LINES,
    parse=_parse,
    prepare=_earlier_totals,
    validate=_validate,
    quarantine_name=_quarantine_name,
    notify=_notify,
    wording=Wording(
        loaded="{rows} payment lines loaded ({outcome})",
        already_decided="the same file as submission {submission_id} ({status}): nothing to do",
    ),
)
