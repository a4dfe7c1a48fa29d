"""Late-return reminders: councils are told before a return is due and chased after it.

- reminder (some days before the due date): to each council with no return received for
  the month yet: what is due and when, its pre-filled template attached, where to put
  the file and how to check it first;
- chaser (the day after the due date): one to each council still missing or whose
  latest file was rejected, saying which;
- month summary (with the chaser): one email to the platform team with the month's state
  (loaded, rejected, missing, late) and who was chased.

Every email goes through the send-once outbox (councilbench.mail.outbox), to that council's
own contacts only; a rerun or a retry sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage

from councilbench.core import catalogue
from councilbench.mail import message, outbox
from councilbench.mail.smtp import SMTP_CONN_ID
from councilbench.returns.email_render import (
    POLICY,
    check_page_url,
    council_display_name,
    greeting_line,
    jinja_env,
    month_label,
    possessive,
    uk_time,
)
from councilbench.warehouse.connection import Warehouse, connect

log = logging.getLogger(__name__)

KIND_OF = {"reminder": "return_reminder", "chaser": "return_chaser"}


@dataclass
class CouncilMonth:
    """Where one council's return for a month stands, from the ledger."""

    council_code: str
    council_name: str
    state: str  # missing | received | loaded | rejected
    submission_id: int | None = None
    received_at: datetime | None = None
    reasons: tuple[str, ...] = ()  # why the latest file was rejected

    @property
    def chase(self) -> bool:
        return self.state in ("missing", "rejected")


def month_states(conn, month: str) -> dict[str, CouncilMonth]:
    """Every member council's state for the month: its latest submission's status
    (a corrected file supersedes, so 'loaded' wins over an earlier rejection)."""
    latest = {
        r[0]: r[1:]
        for r in conn.execute(
            """select distinct on (subject) subject, submission_id, status, fetched_at from ops.submissions
           where source_kind = 'council_return' and period = %s
           order by subject, case when status in ('loaded', 'superseded') then 0 else 1 end, submission_id desc""",
            [month],
        ).fetchall()
    }
    reasons: dict[int, list[str]] = {}
    rejected = [v[0] for v in latest.values() if v[1] == "rejected"]
    for sid, reason in conn.execute(
        """select submission_id, message from ops.check_results
                                        where submission_id = any(%s) and outcome = 'fail'
                                        order by submission_id, check_name""",
        [rejected],
    ).fetchall():
        reasons.setdefault(sid, []).append(reason)
    out = {}
    for code, council in catalogue.councils().items():
        sid, status, at = latest.get(code, (None, None, None))
        state = {None: "missing", "superseded": "loaded"}.get(status, status)
        out[code] = CouncilMonth(code, council.name, state, sid, at, tuple(reasons.get(sid, ())))
    return out


def _about_the_month(key: outbox.OutboxKey, subject: str, sender: str | None, ops_email: str, now: datetime) -> dict:
    """The envelope of an email about a council's month (message.envelope's arguments but
    the recipients): which council, kind and month it is about."""
    return {
        "subject": subject,
        "message_id": key.message_id(),
        "headers": {
            "X-Councilbench-Council": key.subject,
            "X-Councilbench-Kind": key.kind,
            "X-Councilbench-Month": key.period,
        },
        "sender": sender,
        "reply_to": ops_email,
        "now": now,
        "policy": POLICY,
    }


def subject_line(kind: str, state: CouncilMonth, month: str, due: datetime) -> str:
    who, label = possessive(council_display_name(state.council_name)), month_label(month)
    if kind == "reminder":
        return f"Reminder: {who} {label} return is due on {due.day} {due:%B %Y}"
    if state.state == "rejected":
        return f"Still needed: a corrected {label} return from {council_display_name(state.council_name)}"
    return f"Overdue: {who} {label} return has not been received"


def _context(kind: str, state: CouncilMonth, month: str, due: datetime, now: datetime, contacts, ops_email: str):
    from councilbench.returns.template import metrics_due, template_name

    council = catalogue.councils()[state.council_code]
    days = max(0, (due.date() - now.date()).days)
    return {
        "kind": kind,
        "state": state.state,
        "subject": subject_line(kind, state, month, due),
        "greeting": greeting_line([c.name for c in contacts]),
        "ops_email": ops_email,
        "council_name": council.name,
        "possessive_name": possessive(council_display_name(council.name)),
        "month": month_label(month),
        "return_month": month,
        "due": uk_time(due),
        "in_days": f"in {days} day{'s' if days != 1 else ''}" if days else "today",
        "metrics": [
            {"id": m.metric_id, "name": m.metric_name, "period": period}
            for m, period in metrics_due(council.code, month)
        ],
        "template_name": template_name(council.code, month),
        "source_uri": council.return_uri(month),
        "validate_command": f"councilbench validate {template_name(council.code, month)} "
        f"--council {council.code} --period {month}",
        "check_url": check_page_url(council, month),
        "received": uk_time(state.received_at) if state.received_at else None,
        "reasons": list(state.reasons),
    }


def _plain_text(ctx: dict) -> str:
    from councilbench.returns.email_render import fill_text

    if ctx["kind"] == "reminder":
        opening = (
            f"{ctx['possessive_name']} {ctx['month']} return is due by {ctx['due']} ({ctx['in_days']}). "
            "We have not received it yet."
        )
    elif ctx["state"] == "rejected":
        opening = (
            f"{ctx['possessive_name']} {ctx['month']} return was due by {ctx['due']}. The file we "
            f"received at {ctx['received']} could not be accepted, and no corrected file has reached us "
            "since. Until one does, your council is missing from this month's comparisons."
        )
    else:
        opening = (
            f"{ctx['possessive_name']} {ctx['month']} return was due by {ctx['due']} and we have not "
            "received it. Until we do, your council is missing from this month's comparisons."
        )
    lines = [ctx["greeting"], "", fill_text(opening), ""]
    if ctx["reasons"]:
        lines += (
            ["Why the file was not accepted:"]
            + [fill_text(f"- {r}") for r in ctx["reasons"]]
            + ["(the rejection email we sent then lists every row to correct)", ""]
        )
    lines += [f"What is due ({len(ctx['metrics'])} figures):"]
    lines += [f"- {m['id']} ({m['period']}): {m['name']}" for m in ctx["metrics"]]
    lines += [
        "",
        fill_text(
            f"The attached {ctx['template_name']} is the template with these rows already in: "
            "type the figures in and change the status where a figure is an estimate or not available. "
            "Rows of optional measures (no status, marked 'optional') can be left as they are "
            "if you do not give that figure."
        ),
        "",
        "Check the file before you send it (it runs exactly the checks we run):",
        f"    {ctx['validate_command']}",
        f"or check it in your browser: {ctx['check_url']}",
        "",
        fill_text(f"Then publish it at {ctx['source_uri']}: we collect it from there."),
        "",
        fill_text(f"Questions? Reply to this email or write to the platform team at {ctx['ops_email']}."),
        "",
        "-- ",
        "councilbench, the West Midlands councils' benchmarking platform",
    ]
    return "\n".join(lines) + "\n"


def compose(
    kind: str,
    state: CouncilMonth,
    month: str,
    contacts,
    *,
    due: datetime,
    now: datetime | None = None,
    sender: str | None = None,
    ops_email: str | None = None,
) -> EmailMessage:
    """The reminder or chaser for this council's month, to these contacts only, with its
    pre-filled template attached."""
    from councilbench.core import settings
    from councilbench.returns.template import csv_text

    now = now or datetime.now(UTC)
    ops_email = ops_email or settings.ops_email()
    ctx = _context(kind, state, month, due, now, contacts, ops_email)
    key = outbox.OutboxKey(KIND_OF[kind], state.council_code, month)
    return message.council_email(
        council_code=state.council_code,
        contacts=contacts,
        what=f"{kind} email",
        text=_plain_text(ctx),
        html=jinja_env().get_template("email_reminder.html").render(**ctx),
        attachments=[message.Attachment(csv_text(state.council_code, month), ctx["template_name"])],
        **_about_the_month(key, ctx["subject"], sender, ops_email, now),
    )


def send_reminders(
    warehouse: Warehouse,
    month: str,
    kind: str,
    *,
    councils: list[str] | None = None,
    now: datetime | None = None,
    smtp_conn_id: str = SMTP_CONN_ID,
) -> list[dict]:
    """Email every council this run is for (reminder: no return yet; chaser: missing or
    rejected), once each; `councils` (GSS codes) narrows it to those. Every council is
    attempted before an SMTP failure is raised."""
    from councilbench.core.calendar import return_due
    from councilbench.returns.notify import council_contacts

    if kind not in KIND_OF:
        raise ValueError(f"kind must be reminder or chaser (got {kind!r})")
    due = return_due(month)
    sent, errors = [], []
    with connect(warehouse, role="loader") as conn:
        states = month_states(conn, month)
        wanted = [
            s
            for s in states.values()
            if (s.state == "missing" if kind == "reminder" else s.chase)
            and (councils is None or s.council_code in councils)
        ]
        for state in wanted:

            def prepare(conn, state=state) -> EmailMessage:
                contacts = council_contacts(conn, state.council_code)
                if not contacts:
                    raise outbox.NoRecipients(
                        f"no contacts for {state.council_name} in reference.council_contacts",
                        subject_line=subject_line(kind, state, month, due),
                    )
                return compose(kind, state, month, contacts, due=due, now=now)

            key = outbox.OutboxKey(KIND_OF[kind], state.council_code, month)
            try:
                result = outbox.send_once(conn, key, prepare, smtp_conn_id=smtp_conn_id)
                sent.append({**result.as_dict(), "state": state.state})
            except Exception as exc:  # noqa: BLE001 - the other councils' emails must not wait
                log.error("%s to %s about %s failed: %s", kind, state.council_name, month, exc)
                errors.append(f"{state.council_name}: {exc}")
    if errors:
        raise RuntimeError(f"{len(errors)} {kind} email(s) not sent (retried by Airflow): " + "; ".join(errors))
    log.info("%s for %s: %d council(s) emailed", kind, month, sum(1 for s in sent if s["status"] == "sent"))
    return sent


def summary_lines(states: dict[str, CouncilMonth], due: datetime) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {"loaded": [], "late": [], "received": [], "rejected": [], "missing": []}
    for s in sorted(states.values(), key=lambda s: s.council_name):
        groups[s.state].append(s.council_name)
        if s.state == "loaded" and s.received_at and s.received_at > due:
            groups["late"].append(f"{s.council_name} ({uk_time(s.received_at)})")
    return groups


def send_month_summary(
    warehouse: Warehouse,
    month: str,
    chased: list[dict],
    *,
    now: datetime | None = None,
    smtp_conn_id: str = SMTP_CONN_ID,
) -> dict:
    """The platform team's one summary of the month the day after its due date."""
    from councilbench.core import settings
    from councilbench.core.calendar import return_due

    due, now = return_due(month), now or datetime.now(UTC)
    with connect(warehouse, role="loader") as conn:
        groups = summary_lines(month_states(conn, month), due)
    counts = {k: len(v) for k, v in groups.items()}
    subject = (
        f"councilbench: {month_label(month)} returns the day after the due date: {counts['loaded']} loaded, "
        f"{counts['rejected']} rejected, {counts['missing']} missing"
    )
    key = outbox.OutboxKey("month_summary", outbox.REGION_CODE, month)
    ops_email = settings.ops_email()

    def prepare(conn) -> EmailMessage:
        msg = message.envelope(
            to=[Address("councilbench platform team", addr_spec=ops_email)],
            **_about_the_month(key, subject, None, ops_email, now),
        )
        lines = [f"{month_label(month)} returns were due by {uk_time(due)}.", ""]
        for name, title in (
            ("loaded", "Loaded"),
            ("late", "Of which arrived after the due date"),
            ("received", "Received, not validated yet"),
            ("rejected", "Rejected, no correction yet"),
            ("missing", "Not received"),
        ):
            lines.append(f"{title} ({counts[name]}): {', '.join(groups[name]) or 'none'}")
        chaser_to = [c for c in chased if c["status"] in ("sent", "already_sent")]
        lines += [
            "",
            f"Chasers sent to {len(chaser_to)} council(s): "
            + (", ".join(sorted(catalogue.councils()[c["council_code"]].name for c in chaser_to)) or "none"),
            "",
            f"The ledger: ops.submissions (period = '{month}'), ops.outbox (kind return_chaser).",
        ]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    with connect(warehouse, role="loader") as conn:
        return outbox.send_once(conn, key, prepare, smtp_conn_id=smtp_conn_id).as_dict()
