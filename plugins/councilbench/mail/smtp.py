"""Handing a prepared email to the SMTP server through Airflow's SMTP provider, and saying
in one line why a send failed. The send-once outbox calls this; nothing here retries
(retries belong to Airflow and go through the outbox, so a retry never double-sends)."""

from __future__ import annotations

import contextlib
import smtplib

SMTP_CONN_ID = "smtp_default"


def describe_error(exc: BaseException) -> str:
    """A one-line, human-readable reason for a failed send (the ledger's last_error)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__}: SMTP {exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"SMTPRecipientsRefused: {exc.recipients}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def send_message(msg, *, from_addr: str, to_addrs: list[str], smtp_conn_id: str = SMTP_CONN_ID) -> dict:
    """Send a prepared EmailMessage through Airflow's SMTP provider; {} when all accepted,
    else {refused address: (code, reply)} as smtplib reports a partial refusal.

    SmtpHook.send_email_smtp builds its own HTML-only message from files on disk, so it
    cannot send a multipart/alternative message with an in-memory attachment. The hook
    is used for what it is good at (the connection from AIRFLOW_CONN_SMTP_DEFAULT /
    the metadata DB, TLS / SSL / login and connect retries from the connection extra,
    its timeout) and the message goes through the smtplib client it opened. That client
    is the hook's `_smtp_client` (no public accessor in provider 3.2; the provider's own
    test_connection uses it too). The message is sent once: retries belong to Airflow
    (with backoff) and go through the ledger, so a retry can never double-send.
    """
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=smtp_conn_id) as hook:
        client = getattr(hook, "_smtp_client", None)
        if not isinstance(client, smtplib.SMTP):
            raise RuntimeError(
                f"SmtpHook({smtp_conn_id!r}) opened no smtplib client "
                f"(got {type(client).__name__}); has the SMTP provider changed?"
            )
        refused = client.send_message(msg, from_addr=from_addr, to_addrs=list(to_addrs))
        with contextlib.suppress(smtplib.SMTPException):  # accepted: a rude goodbye changes nothing
            client.quit()
    return refused
