"""The local mail catcher: a real SMTP server that saves .eml files and can play an outage."""

from __future__ import annotations

import argparse
import os
import re
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage

import pytest

from councilbench.dev.mailcatcher import add_command, start_catcher


def _message(to: list[str], subject: str = "Test £ message") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "sender@example.org"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content("Body with a pound sign: £12,345\n")
    return msg


def _send(port: int, msg: EmailMessage, bcc: list[str] = ()) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        return client.send_message(msg, to_addrs=[*msg["To"].split(", "), *bcc])


def test_port_zero_picks_a_free_port_and_saves_each_message(tmp_path):
    folder = tmp_path / "mail"
    with start_catcher(folder) as catcher:
        assert catcher.port > 0
        assert _send(catcher.port, _message(["a.person@dudley.council.example"])) == {}
        assert _send(catcher.port, _message(["b@coventry.council.example"], "Second"), bcc=["hidden@x.example"]) == {}

        files = sorted(folder.glob("*.eml"))
        assert [f.name.split("-", 2)[1:] for f in files] == [
            ["0001", "a.person@dudley.council.example.eml"],
            ["0002", "b@coventry.council.example.eml"],
        ]
        assert all(re.match(r"^\d{8}T\d{6}\.\d{6}Z-", f.name) for f in files)

        first, second = catcher.messages
        assert first["Subject"] == "Test £ message"
        assert first.get_content() == "Body with a pound sign: £12,345\n"
        # The envelope travels with the message, so a Bcc recipient is visible.
        assert second["X-Envelope-To"] == "b@coventry.council.example, hidden@x.example"
        assert catcher.caught[1].rcpt_tos == ("b@coventry.council.example", "hidden@x.example")
        assert b"Body with a pound sign" in files[0].read_bytes()
        assert not list(folder.glob("*.part"))
    # Stopped: nothing listens on the port any more.
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", catcher.port, timeout=2)


def test_simulated_outages_refuse_then_recover(tmp_path):
    with start_catcher(tmp_path) as catcher:
        catcher.fail_next(1, "451")
        with pytest.raises(smtplib.SMTPDataError) as data_error:
            _send(catcher.port, _message(["x@example.org"]))
        assert data_error.value.smtp_code == 451

        catcher.fail_next(2, "421")
        for _ in range(2):
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                _send(catcher.port, _message(["x@example.org"]))
            assert refused.value.smtp_code == 421

        catcher.fail_next(None, "close")  # until recover()
        for _ in range(3):
            with pytest.raises(smtplib.SMTPServerDisconnected):
                smtplib.SMTP("127.0.0.1", catcher.port, timeout=5)
        assert catcher.messages == []
        assert catcher.faults_triggered == 6

        catcher.recover()
        _send(catcher.port, _message(["x@example.org"], "after the outage"))
        assert [m["Subject"] for m in catcher.messages] == ["after the outage"]
        assert len(list(tmp_path.glob("*.eml"))) == 1

        with pytest.raises(ValueError):
            catcher.fail_next(1, "500")


def test_command_registers_on_the_cli_parser(monkeypatch):
    monkeypatch.delenv("COUNCILBENCH_SMTP_PORT", raising=False)
    parser = argparse.ArgumentParser(prog="councilbench")
    add_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["mailcatcher", "--port", "2525", "--folder", "/tmp/x"])
    assert (args.command, args.port, args.folder, args.host) == ("mailcatcher", 2525, "/tmp/x", "127.0.0.1")
    assert parser.parse_args(["mailcatcher"]).port == 8025
    # By default it listens where the project's smtp_default connection points.
    monkeypatch.setenv("COUNCILBENCH_SMTP_PORT", "1025")
    parser = argparse.ArgumentParser(prog="councilbench")
    add_command(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["mailcatcher"]).port == 1025


def test_command_runs_until_interrupted(tmp_path):
    folder = tmp_path / "mail"
    proc = subprocess.Popen(
        [sys.executable, "-m", "councilbench.dev.mailcatcher", "--port", "0", "--folder", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = proc.stdout.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", banner).group(1))
        _send(port, _message(["r.hughes@dudley.council.example"], "Through the CLI"))
        line = proc.stdout.readline()
        assert "to r.hughes@dudley.council.example: Through the CLI" in line
        assert len(list(folder.glob("*.eml"))) == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
