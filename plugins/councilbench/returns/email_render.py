"""The emails a council gets about its return, as ready-to-send EmailMessage objects.

Two kinds, one per submission at most (ops.notifications is keyed on them):

- rejection (outcome fail): "Action needed: ...", plain text + HTML, and the failing
  rows as a CSV attachment;
- warning (outcome warn, accepted): "For information: ...", lower key (Importance: low),
  no attachment.

The plain-text body is ``report_text.render_text`` (the words `councilbench validate`
prints) with the email's own opening and closing around it; the HTML carries the same
content as headings, one table per check and lists. Nothing here touches the network
or the database: notify.py finds the recipients and sends.
"""

from __future__ import annotations

import email.policy
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from councilbench.catalogue import Contact, Council
from councilbench.returns.contract import CheckOutcome, ValidationReport
# The same words as `councilbench validate`: the plain-text body, the CSV attachment and
# the check titles the HTML uses as headings all come from report_text.
from councilbench.returns.report_text import CHECK_TITLES, failing_rows_csv, render_text

KINDS = ("rejection", "warning")
#: Headers unfolded up to RFC 5322's hard limit (Python folds a subject over 78
#: characters onto its own continuation line, which some readers show with a leading
#: space); bodies 7-bit clean (quoted-printable / base64), whatever the relay supports.
POLICY = email.policy.default.clone(max_line_length=998, cte_type="7bit")
UK = ZoneInfo("Europe/London")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
MESSAGE_ID_DOMAIN = "councilbench"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

@dataclass(frozen=True)
class SubmissionRef:
    """What identifies the file the email is about (from ops.submissions)."""

    submission_id: int
    sha256: str
    received_at: datetime
    source_uri: str | None = None
    original_name: str | None = None

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


# --- small helpers shared by subject, text and HTML --------------------------------------

def month_label(return_month: str) -> str:
    """'2026-10' -> 'October 2026'."""
    year, month = return_month.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


_NAME_SUFFIXES = (" Metropolitan Borough Council", " City Council", " County Council", " District Council",
                  " Borough Council", " Council")


def council_display_name(council_name: str) -> str:
    """'Dudley Metropolitan Borough Council' -> 'Dudley'; 'City of Wolverhampton Council' -> 'Wolverhampton'."""
    name = council_name.removeprefix("City of ")
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def check_title(check: str) -> str:
    return CHECK_TITLES.get(check, check.replace("_", " ").capitalize())


@lru_cache(maxsize=1)
def _metric_names() -> dict[str, str]:
    from councilbench.catalogue import metrics

    try:
        return {m.metric_id: m.metric_name for m in metrics().values()}
    except OSError:  # no seeds on this machine: ids alone still say which metric
        return {}


def metric_name(metric_id: str | None) -> str | None:
    return _metric_names().get(metric_id) if metric_id else None


def warning_count(report: ValidationReport) -> int:
    """Warnings as a person counts them: one per flagged row (a check with none counts once)."""
    return sum(max(1, len(c.failing_rows)) for c in report.warnings())


def return_due(return_month: str) -> datetime:
    """When a month's return is due (councilbench.due_dates: the timetable's calendar)."""
    from councilbench.due_dates import return_due as due

    return due(return_month)


def uk_time(moment: datetime) -> str:
    """'09:12 on Sunday 1 November 2026 (UK time)'."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(UK)
    return f"{local:%H:%M} on {local:%A} {local.day} {MONTHS[local.month - 1]} {local.year} (UK time)"


def validate_command(report: ValidationReport, file_name: str = "YOUR-FILE.csv") -> str:
    return f"councilbench validate {file_name} --council {report.council_code} --period {report.return_month}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "council"


def attachment_name(council: Council, return_month: str) -> str:
    """'dudley-2026-10-failing-rows.csv'."""
    return f"{slug(council.short_name)}-{return_month}-failing-rows.csv"


def message_id(submission_id: int, kind: str) -> str:
    """Deterministic, so a duplicate send is recognisable as the same email."""
    return f"<submission-{int(submission_id)}.{kind}@{MESSAGE_ID_DOMAIN}>"


def subject_line(kind: str, report: ValidationReport, council: Council) -> str:
    who = possessive(council_display_name(council.name))
    month = month_label(report.return_month)
    if kind == "rejection":
        return f"Action needed: {who} {month} return was not accepted"
    if kind == "warning":
        n = warning_count(report)
        return f"For information: {who} {month} return was accepted with {n} warning{'s' if n != 1 else ''}"
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


# --- composing -------------------------------------------------------------------------

def _rows_for_html(check: CheckOutcome) -> list[dict]:
    return [
        {"row": r.row, "column": r.column, "metric_id": r.metric_id, "metric_name": metric_name(r.metric_id),
         "found": r.found, "accepted": r.accepted}
        for r in check.failing_rows
    ]


def _checks_for_html(checks: list[CheckOutcome]) -> list[dict]:
    return [{"name": c.check, "title": check_title(c.check), "message": c.message, "rows": _rows_for_html(c)}
            for c in checks]


@lru_cache(maxsize=1)
def jinja_env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _context(kind: str, report: ValidationReport, council: Council, submission: SubmissionRef,
             contacts: list[Contact], ops_email: str, due: datetime, now: datetime) -> dict:
    file_name = submission.original_name or f"{council.short_name}-{report.return_month}.csv"
    return {
        "kind": kind,
        "subject": subject_line(kind, report, council),
        "council_name": council.name,
        "council_code": council.code,
        "display_name": council_display_name(council.name),
        "possessive_name": possessive(council_display_name(council.name)),
        "month": month_label(report.return_month),
        "return_month": report.return_month,
        "greeting": greeting_line([c.name for c in contacts]),
        "failures": _checks_for_html(report.failures()),
        "warnings": _checks_for_html(report.warnings()),
        "warning_count": warning_count(report),
        "normalisations": list(report.normalisations),
        "validate_command": validate_command(report, file_name),
        "file_name": file_name,
        "source_uri": submission.source_uri,
        "attachment_name": attachment_name(council, report.return_month),
        "due": uk_time(due),
        # Scheduled runs start at the due date, so most rejections arrive after it.
        "overdue": now >= due,
        "ops_email": ops_email,
        "submission_id": submission.submission_id,
        "short_hash": submission.short_hash,
        "received": uk_time(submission.received_at),
    }


def greeting_line(names: list[str]) -> str:
    if not names:
        return "Hello,"
    if len(names) == 1:
        return f"Dear {names[0]},"
    return f"Dear {', '.join(names[:-1])} and {names[-1]},"


def fill_text(text: str) -> str:
    """Wrap prose at 78 columns without splitting addresses, hashes or hyphenated names."""
    return textwrap.fill(text, 78, break_on_hyphens=False, break_long_words=False)


def _plain_text(ctx: dict, report: ValidationReport) -> str:
    """The email's opening, report_text's explanation, then due date, contact and reference."""
    if ctx["kind"] == "rejection":
        when = "as soon as you can" if ctx["overdue"] else f"by {ctx['due']}"
        opening = (f"We could not accept {ctx['possessive_name']} {ctx['month']} return. "
                   "Nothing from this file has been loaded. Please correct the rows listed below "
                   f"(they are also attached as {ctx['attachment_name']}) and send the file again {when}.")
        closing = [fill_text(f"The {ctx['month']} return {'was' if ctx['overdue'] else 'is'} due by {ctx['due']}."), ""]
    else:
        n = ctx["warning_count"]
        opening = (f"{ctx['possessive_name']} {ctx['month']} return was accepted and loaded. "
                   f"We noticed {n} figure{'s' if n != 1 else ''} worth a second look (listed below). "
                   f"Please check {'them' if n != 1 else 'it'}: if {'they are' if n != 1 else 'it is'} right, "
                   "a short reply confirming it (and why) helps colleagues comparing councils; if not, "
                   "send a corrected file.")
        closing = []
    body = render_text(report, ctx["council_name"]).rstrip("\n")
    lines = [ctx["greeting"], "", fill_text(opening), "", body, ""]
    lines += closing
    lines += [
        fill_text(f"Questions? Reply to this email or write to the platform team at {ctx['ops_email']}."),
        "",
        fill_text(f"Submission reference: submission {ctx['submission_id']}, file fingerprint (SHA-256) "
              f"{ctx['short_hash']}, received {ctx['received']}."),
        "",
        "-- ",
        "councilbench, the West Midlands councils' benchmarking platform",
    ]
    return "\n".join(lines) + "\n"


def compose(kind: str, report: ValidationReport, *, council: Council, contacts: list[Contact],
            submission: SubmissionRef, sender: str | None = None, ops_email: str | None = None,
            due: datetime | None = None, now: datetime | None = None) -> EmailMessage:
    """The email of this kind about this report, addressed to these contacts only.

    Raises ValueError if a contact belongs to another council, or the report does not
    call for this kind of email (a rejection needs outcome fail, a warning outcome warn).
    """
    from councilbench import airflow_env, dag_defaults

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    expected = {"rejection": "fail", "warning": "warn"}[kind]
    if report.outcome != expected:
        raise ValueError(f"a {kind} email needs a report with outcome {expected!r}, not {report.outcome!r}")
    if council.code != report.council_code:
        raise ValueError(f"report is for {report.council_code}, council given is {council.code}")
    strangers = [c.email for c in contacts if c.council_code != council.code]
    if strangers:
        raise ValueError(f"contacts of another council in an email to {council.code}: {strangers}")
    if not contacts:
        raise ValueError(f"no contacts to send {council.code}'s {kind} email to")

    sender = sender or airflow_env.sender()
    ops_email = ops_email or dag_defaults.ops_email()
    due = due or return_due(report.return_month)
    now = now or datetime.now(timezone.utc)
    ctx = _context(kind, report, council, submission, list(contacts), ops_email, due, now)

    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = ctx["subject"]
    msg["From"] = Address("West Midlands benchmarking (councilbench)", addr_spec=sender)
    msg["To"] = [Address(c.name, addr_spec=c.email) for c in contacts]
    msg["Reply-To"] = ops_email
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(submission.submission_id, kind)
    msg["X-Councilbench-Submission"] = str(submission.submission_id)
    msg["X-Councilbench-Kind"] = kind
    msg["X-Councilbench-Council"] = council.code
    # RFC 3834 and Exchange: no out-of-office replies or auto-forward loops.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if kind == "warning":
        msg["Importance"] = "low"

    msg.set_content(_plain_text(ctx, report))
    msg.add_alternative(jinja_env().get_template(f"email_{kind}.html").render(**ctx), subtype="html")
    if kind == "rejection":
        csv_text = failing_rows_csv(report)
        msg.add_attachment(csv_text, subtype="csv", filename=ctx["attachment_name"])
    return msg


def compose_rejection(report: ValidationReport, **kwargs) -> EmailMessage:
    return compose("rejection", report, **kwargs)


def compose_warning(report: ValidationReport, **kwargs) -> EmailMessage:
    return compose("warning", report, **kwargs)


__all__ = [
    "KINDS", "SubmissionRef", "compose", "compose_rejection", "compose_warning", "subject_line", "message_id",
    "attachment_name", "month_label", "council_display_name", "return_due", "render_text", "failing_rows_csv",
]
