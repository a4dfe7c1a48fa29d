"""The emails a council gets about its return, as ready-to-send EmailMessage objects.

Two kinds, one per submission at most (the outbox, ops.outbox, is keyed on them):

- rejection (outcome fail): "Action needed: ...", plain text + HTML, and the failing
  rows as a CSV attachment (none when the file had no rows to correct: a web page, an
  image; the opening then says what was found instead);
- receipt (outcome pass or warn, loaded): "Received and accepted: ...", lower key
  (Importance: low), no attachment: what was loaded, what was tidied up, the warnings if
  any, and where the figures can be seen. One email per accepted file, so the warnings
  are in it (before receipts they had an email of their own, kind 'warning').

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
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

# The same words as `councilbench validate`: the plain-text body, the CSV attachment and
# the check titles the HTML uses as headings all come from report_text.
from councilbench.core.calendar import day_label, month_label, return_due
from councilbench.core.catalogue import Contact, Council
from councilbench.mail import message
from councilbench.returns.contract import CheckOutcome, ValidationReport
from councilbench.returns.report_text import (
    CHECK_TITLES,
    failing_rows_csv,
    findings,
    render_text,
    rows_words,
)

KINDS = ("rejection", "receipt")
#: Headers unfolded up to RFC 5322's hard limit (Python folds a subject over 78
#: characters onto its own continuation line, which some readers show with a leading
#: space); bodies 7-bit clean (quoted-printable / base64), whatever the relay supports.
POLICY = email.policy.default.clone(max_line_length=998, cte_type="7bit")
UK = ZoneInfo("Europe/London")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
MESSAGE_ID_DOMAIN = "councilbench"


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


@dataclass(frozen=True)
class LoadSummary:
    """What an accepted file put in the warehouse, for its receipt (from ops and raw)."""

    rows: int  # rows loaded: one per measure and period
    actual: int  # ... by the status the council gave
    estimates: int
    not_available: int
    replaces: SubmissionRef | None = None  # the accepted file of the month this one superseded
    pack_sent_at: datetime | None = None  # when the month's pack went out, if it has

    def in_words(self) -> str:
        """'4 rows, one per measure: 2 actual figures, 1 estimate and 1 marked not available'."""
        parts = [
            f"{n} {one if n == 1 else more}"
            for n, one, more in (
                (self.actual, "actual figure", "actual figures"),
                (self.estimates, "estimate", "estimates"),
                (self.not_available, "marked not available", "marked not available"),
            )
            if n
        ]
        listed = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
        return f"{self.rows} row{'s' if self.rows != 1 else ''}, one per measure" + (f": {listed}" if listed else "")


# --- small helpers shared by subject, text and HTML --------------------------------------

_NAME_SUFFIXES = (
    " Metropolitan Borough Council",
    " City Council",
    " County Council",
    " District Council",
    " Borough Council",
    " Council",
)


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
    from councilbench.core.catalogue import metrics

    try:
        return {m.metric_id: m.metric_name for m in metrics().values()}
    except OSError:  # no seeds on this machine: ids alone still say which metric
        return {}


def metric_name(metric_id: str | None) -> str | None:
    return _metric_names().get(metric_id) if metric_id else None


def warning_count(report: ValidationReport) -> int:
    """Warnings as a person counts them: one per flagged row (a check with none counts once)."""
    return sum(max(1, len(c.failing_rows)) for c in report.warnings())


def uk_time(moment: datetime) -> str:
    """'09:12 on Sunday 1 November 2026 (UK time)'."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(UK)
    return f"{local:%H:%M} on {local:%A} {day_label(local)} (UK time)"


def validate_command(report: ValidationReport, file_name: str = "YOUR-FILE.csv") -> str:
    return f"councilbench validate {file_name} --council {report.council_code} --period {report.return_month}"


def check_page_url(council: Council, return_month: str) -> str:
    """The explorer's Check a file page for this council and month (COUNCILBENCH_EXPLORER_URL):
    the same checks as the validate command, in a browser, with nothing to install."""
    from urllib.parse import urlencode

    from councilbench.core import settings

    return f"{settings.explorer_url()}/check?{urlencode({'council': council.short_name, 'period': return_month})}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "council"


def attachment_name(council: Council, return_month: str) -> str:
    """'dudley-2026-10-failing-rows.csv'."""
    return f"{slug(council.short_name)}-{return_month}-failing-rows.csv"


def message_id(submission_id: int, kind: str) -> str:
    """Deterministic, so a duplicate send is recognisable as the same email."""
    return f"<submission-{int(submission_id)}.{kind}@{MESSAGE_ID_DOMAIN}>"


def subject_line(kind: str, report: ValidationReport, council: Council, loaded: LoadSummary | None = None) -> str:
    who = possessive(council_display_name(council.name))
    month = month_label(report.return_month)
    if kind == "rejection":
        return f"Action needed: {who} {month} return was not accepted"
    if kind == "receipt":
        n = warning_count(report)
        return (
            f"Received and accepted: {who} {month} return"
            + (", replacing the earlier file" if loaded and loaded.replaces else "")
            + (f"; please check {n} figure{'s' if n != 1 else ''}" if n else "")
        )
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


# --- composing -------------------------------------------------------------------------


def _rows_for_html(check: CheckOutcome) -> list[dict]:
    """One table row per finding: the rows with the same problem together (report_text.findings)."""
    return [
        {
            "row": None
            if not f.rows
            else str(f.rows[0])
            if len(f.rows) == 1
            else f"{rows_words(f.rows).removeprefix('rows ')} ({len(f.rows)} rows)",
            "column": f.column,
            "metric_id": f.metric_id,
            "metric_name": metric_name(f.metric_id),
            "metric_count": len(f.metric_ids),
            "found": f.found,
            "accepted": f.accepted,
        }
        for f in findings(check.failing_rows)
    ]


def _checks_for_html(checks: list[CheckOutcome]) -> list[dict]:
    return [
        {
            "name": c.check,
            "title": check_title(c.check),
            "message": c.message,
            "rows": _rows_for_html(c),
            "row_count": len(c.failing_rows),
        }
        for c in checks
    ]


def rows_to_correct(report: ValidationReport) -> bool:
    """Whether the rejection points at rows of the file (a CSV of them is attached), rather
    than at the file as a whole: a web page or an image has no rows to correct."""
    return any(c.failing_rows for c in report.failures())


@lru_cache(maxsize=1)
def jinja_env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _context(
    kind: str,
    report: ValidationReport,
    council: Council,
    submission: SubmissionRef,
    contacts: list[Contact],
    ops_email: str,
    due: datetime,
    now: datetime,
    loaded: LoadSummary | None = None,
) -> dict:
    file_name = submission.original_name or f"{council.short_name}-{report.return_month}.csv"
    ctx = {
        "kind": kind,
        "subject": subject_line(kind, report, council, loaded),
        "council_name": council.name,
        "council_code": council.code,
        "display_name": council_display_name(council.name),
        "possessive_name": possessive(council_display_name(council.name)),
        "month": month_label(report.return_month),
        "return_month": report.return_month,
        "greeting": greeting_line([c.name for c in contacts]),
        "failures": _checks_for_html(report.failures()),
        "rows_to_correct": rows_to_correct(report),
        "unreadable": any(c.check == "readable" for c in report.failures()),
        "warnings": _checks_for_html(report.warnings()),
        "warning_count": warning_count(report),
        "normalisations": list(report.normalisations),
        "validate_command": validate_command(report, file_name),
        "check_url": check_page_url(council, report.return_month),
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
        **_receipt_context(loaded, council),
    }
    ctx["where_to_see"] = _where_to_see(ctx) if loaded else None
    return ctx


def _receipt_context(loaded: LoadSummary | None, council: Council) -> dict:
    """What only a receipt shows: what was loaded, the file it replaces, the pack."""
    replaces = loaded.replaces if loaded else None
    return {
        "loaded": loaded.in_words() if loaded else None,
        "replaces": replaces and {"short_hash": replaces.short_hash, "received": uk_time(replaces.received_at)},
        "pack_name": f"How {council_display_name(council.name)} compares",
        "pack_sent": uk_time(loaded.pack_sent_at) if loaded and loaded.pack_sent_at else None,
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
        if ctx["rows_to_correct"]:
            fix = (
                f"Please correct the rows listed below (they are also attached as {ctx['attachment_name']}) "
                f"and send the file again {when}."
            )
        elif ctx["unreadable"]:
            fix = (
                "The file we collected could not be read as a return, so none of it was checked; what we found "
                f"is below. Please publish the return itself (a CSV or Excel file) at the same address {when}."
            )
        else:
            fix = f"Please put right what is described below and send the file again {when}."
        opening = (
            f"We could not accept {ctx['possessive_name']} {ctx['month']} return. "
            f"Nothing from this file has been loaded. {fix}"
        )
        closing = [fill_text(f"The {ctx['month']} return {'was' if ctx['overdue'] else 'is'} due by {ctx['due']}."), ""]
    else:
        opening, closing = _receipt_opening(ctx), _receipt_closing(ctx)
    body = render_text(report, ctx["council_name"], check_url=ctx["check_url"]).rstrip("\n")
    lines = [ctx["greeting"], "", fill_text(opening), ""]
    if ctx["kind"] == "receipt":
        lines += _what_we_loaded(ctx)
    lines += [body, ""]
    lines += closing
    lines += [
        fill_text(f"Questions? Reply to this email or write to the platform team at {ctx['ops_email']}."),
        "",
        fill_text(
            f"Submission reference: submission {ctx['submission_id']}, file fingerprint (SHA-256) "
            f"{ctx['short_hash']}, received {ctx['received']}."
        ),
        "",
        "-- ",
        "councilbench, the West Midlands councils' benchmarking platform",
    ]
    return "\n".join(lines) + "\n"


def _receipt_opening(ctx: dict) -> str:
    text = (
        f"We received {ctx['possessive_name']} {ctx['month']} return and have accepted it: its figures are now loaded."
    )
    if ctx["replaces"]:
        text += (
            f" It replaces the file we accepted at {ctx['replaces']['received']}: from now on the figures "
            "of this file are the ones that count. The earlier file is kept, so nothing is lost."
        )
    if n := ctx["warning_count"]:
        text += (
            f" We noticed {n} figure{'s' if n != 1 else ''} worth a second look (listed below). "
            f"Please check {'them' if n != 1 else 'it'}: if {'they are' if n != 1 else 'it is'} right, "
            "a short reply confirming it (and why) helps colleagues comparing councils; if not, "
            "send a corrected file."
        )
    return text


def _bullet(text: str) -> str:
    return textwrap.fill(
        text, 78, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False, break_long_words=False
    )


def _what_we_loaded(ctx: dict) -> list[str]:
    source = f" from {ctx['source_uri']}" if ctx["source_uri"] else ""
    tidied = (
        f"{len(ctx['normalisations'])} thing{'s' if len(ctx['normalisations']) != 1 else ''}, listed below"
        if ctx["normalisations"]
        else "nothing, the file was read exactly as written"
    )
    items = [
        f"Period: {ctx['month']}",
        f"Loaded: {ctx['loaded']}",
        f"File: {ctx['file_name']}{source}, received {ctx['received']}, fingerprint (SHA-256) {ctx['short_hash']}",
    ]
    if ctx["replaces"]:
        items.append(
            f"Replaces: the file we accepted at {ctx['replaces']['received']}, fingerprint "
            f"{ctx['replaces']['short_hash']} (kept, but its figures no longer count)"
        )
    items.append(f"Tidied up: {tidied}")
    return ["What we loaded", "--------------", *map(_bullet, items), ""]


def _where_to_see(ctx: dict) -> str:
    """Where the council finds the figures: its monthly pack (or, if the month's pack has
    gone, the warehouse and later packs). The HTML says the same words."""
    pack = f'{ctx["possessive_name"]} benchmarking pack for {ctx["month"]}, "{ctx["pack_name"]}"'
    warehouse = (
        "the regional warehouse from its next rebuild, which starts automatically (colleagues who use it "
        "directly, in Power BI or SQL, find them in marts.fct_metric_value)"
    )
    if ctx["pack_sent"]:
        return (
            f"{pack}, went out at {ctx['pack_sent']} with the figures we had then. These figures are in "
            f"{warehouse}, and in the packs of the months that follow."
        )
    return (
        f"They will be in {pack}, which we email to you once the month's figures for the region have been "
        f"built. They are also in {warehouse}."
    )


def _receipt_closing(ctx: dict) -> list[str]:
    return ["Where to see your figures", "-------------------------", fill_text(ctx["where_to_see"]), ""]


def compose(
    kind: str,
    report: ValidationReport,
    *,
    council: Council,
    contacts: list[Contact],
    submission: SubmissionRef,
    sender: str | None = None,
    ops_email: str | None = None,
    due: datetime | None = None,
    now: datetime | None = None,
    loaded: LoadSummary | None = None,
) -> EmailMessage:
    """The email of this kind about this report, addressed to these contacts only.
    A receipt also needs `loaded`: what the file put in the warehouse.

    Raises ValueError if a contact belongs to another council, or the report does not
    call for this kind of email (a rejection needs outcome fail, a receipt pass or warn).
    """
    from councilbench.core import settings

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    expected = {"rejection": ("fail",), "receipt": ("pass", "warn")}[kind]
    if report.outcome not in expected:
        raise ValueError(f"a {kind} email needs a report with outcome {' or '.join(expected)}, not {report.outcome!r}")
    if kind == "receipt" and loaded is None:
        raise ValueError("a receipt needs what was loaded (LoadSummary)")
    if council.code != report.council_code:
        raise ValueError(f"report is for {report.council_code}, council given is {council.code}")
    sender = sender or settings.mail_from()
    ops_email = ops_email or settings.ops_email()
    due = due or return_due(report.return_month)
    now = now or datetime.now(UTC)
    ctx = _context(kind, report, council, submission, list(contacts), ops_email, due, now, loaded)
    attachments = []
    if kind == "rejection" and ctx["rows_to_correct"]:
        attachments.append(message.Attachment(failing_rows_csv(report), ctx["attachment_name"]))
    return message.council_email(
        council_code=council.code,
        contacts=contacts,
        what=f"{kind} email",
        subject=ctx["subject"],
        message_id=message_id(submission.submission_id, kind),
        headers={
            "X-Councilbench-Submission": str(submission.submission_id),
            "X-Councilbench-Kind": kind,
            "X-Councilbench-Council": council.code,
            **({"Importance": "low"} if kind == "receipt" else {}),
        },
        text=_plain_text(ctx, report),
        html=jinja_env().get_template(f"email_{kind}.html").render(**ctx),
        attachments=attachments,
        sender=sender,
        reply_to=ops_email,
        now=now,
        policy=POLICY,
    )


def compose_rejection(report: ValidationReport, **kwargs) -> EmailMessage:
    return compose("rejection", report, **kwargs)


def compose_receipt(report: ValidationReport, **kwargs) -> EmailMessage:
    return compose("receipt", report, **kwargs)


__all__ = [
    "KINDS",
    "LoadSummary",
    "SubmissionRef",
    "attachment_name",
    "check_page_url",
    "compose",
    "compose_receipt",
    "compose_rejection",
    "council_display_name",
    "failing_rows_csv",
    "message_id",
    "month_label",
    "render_text",
    "return_due",
    "subject_line",
]
