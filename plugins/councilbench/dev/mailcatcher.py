"""A local mail catcher: a real SMTP server (aiosmtpd) that keeps what it receives.

Every message is written as an .eml file under a folder (default ``<state>/mail/``) and
kept in memory for tests. It can also play an outage: close connections, or answer
421 / 451 for the next N messages, so the notify path is tested against the failures a
real relay produces rather than against a mock.

    councilbench mailcatcher --port 8025            # until Ctrl-C
    with start_catcher(tmp_path) as catcher:        # in tests; port 0 = any free port
        ...; catcher.port; catcher.messages
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from councilbench.core import settings

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025

#: What an outage looks like to the client, per mode:
#: close: the TCP connection is accepted and closed before the greeting (per connection);
#: 421:   "service not available" to MAIL FROM (per message);
#: 451:   "local error in processing" after DATA, so the whole message is refused (per message).
FAULT_MODES = ("close", "421", "451")
_FAULT_REPLIES = {
    "421": "421 4.3.2 Service not available, closing transmission channel (simulated outage)",
    "451": "451 4.3.0 Requested action aborted: local error in processing (simulated outage)",
}


def default_folder() -> Path:
    from councilbench.core import settings

    return settings.state_path("mail")


@dataclass(frozen=True)
class CaughtMail:
    """One received message with its SMTP envelope (which Bcc and the headers may not show)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    path: Path
    message: EmailMessage


class _Faults:
    """The outage plan: which mode, for how many more messages (None = until cleared)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.mode: str | None = None
        self.remaining: int | None = 0
        self.triggered = 0

    def set(self, mode: str, count: int | None) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {FAULT_MODES}, got {mode!r}")
        if count is not None and count < 0:
            raise ValueError("count must be >= 0 (or None for 'until cleared')")
        with self._lock:
            self.mode, self.remaining = mode, count

    def clear(self) -> None:
        with self._lock:
            self.mode, self.remaining = None, 0

    def take(self, mode: str) -> bool:
        """True (and one fewer left) when the plan says this attempt must fail in `mode`."""
        with self._lock:
            if self.mode != mode or self.remaining == 0:
                return False
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining == 0:
                    self.mode = None
            self.triggered += 1
            return True


class _Handler:
    """aiosmtpd handler: refuse per the fault plan, otherwise store the message."""

    def __init__(self, folder: Path, faults: _Faults, on_message=None) -> None:
        self.folder = folder
        self.faults = faults
        self.on_message = on_message
        self._lock = threading.Lock()
        self._counter = 0
        self.caught: list[CaughtMail] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.faults.take("421"):
            return _FAULT_REPLIES["421"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.faults.take("451"):
            return _FAULT_REPLIES["451"]
        try:
            caught = self._store(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content
            )
        except Exception as exc:  # a full disk must not look like a delivered message
            log.exception("could not store a message")
            return f"451 4.3.0 Could not store the message: {exc}"
        if self.on_message:
            self.on_message(caught)
        return "250 Message accepted for delivery"

    def _store(self, mail_from: str, rcpt_tos: list[str], content: bytes | str) -> CaughtMail:
        if isinstance(content, str):
            content = content.encode("utf-8")
        # Like an MTA's Return-Path / Delivered-To: the envelope travels with the file.
        envelope_headers = (f"X-Envelope-From: <{mail_from}>\r\nX-Envelope-To: {', '.join(rcpt_tos)}\r\n").encode()
        raw = envelope_headers + content
        with self._lock:
            self._counter += 1
            counter = self._counter
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        first = re.sub(r"[^A-Za-z0-9@._-]+", "_", rcpt_tos[0] if rcpt_tos else "no-recipient")[:80]
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{stamp}-{counter:04d}-{first}.eml"
        tmp = path.with_suffix(".eml.part")
        tmp.write_bytes(raw)
        tmp.replace(path)  # a reader never sees half a message
        # The file keeps the wire format (CRLF); the parsed copy uses Python's \n.
        message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        caught = CaughtMail(mail_from, tuple(rcpt_tos), path, message)
        with self._lock:
            self.caught.append(caught)
        log.info("caught mail %s from %s to %s", path.name, mail_from, ", ".join(rcpt_tos))
        return caught


class _CatcherSMTP(SMTP):
    """aiosmtpd's SMTP session, able to drop a connection before the greeting."""

    def __init__(self, handler: _Handler, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self._faults = handler.faults

    async def _handle_client(self) -> None:
        if self._faults.take("close"):
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()


class _CatcherController(Controller):
    """Controller that uses _CatcherSMTP and learns its port when asked for port 0."""

    def factory(self):
        return _CatcherSMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self):
        async def create():
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
            )
            # Port 0 asks the OS for a free port: expose the one it gave.
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()


class CatcherHandle:
    """A running catcher. Use as a context manager, or call stop()."""

    def __init__(self, controller: _CatcherController, handler: _Handler, folder: Path) -> None:
        self._controller = controller
        self._handler = handler
        self.folder = folder
        self.host: str = controller.hostname
        self.port: int = controller.port
        self._running = True

    # --- what was received ---------------------------------------------------------
    @property
    def caught(self) -> list[CaughtMail]:
        """Received messages with their envelopes, oldest first (a copy)."""
        with self._handler._lock:
            return list(self._handler.caught)

    @property
    def messages(self) -> list[EmailMessage]:
        """Received messages, parsed, oldest first (a copy). Each carries X-Envelope-From
        and X-Envelope-To headers with the SMTP envelope."""
        return [c.message for c in self.caught]

    def clear(self) -> None:
        """Forget the in-memory messages (files stay)."""
        with self._handler._lock:
            self._handler.caught.clear()

    # --- outages -------------------------------------------------------------------
    def fail_next(self, count: int | None = 1, mode: str = "451") -> None:
        """Make the next `count` attempts fail ('close' counts connections, '421' and
        '451' count messages); count=None keeps failing until recover()."""
        self._handler.faults.set(mode, count)

    def recover(self) -> None:
        """End a simulated outage: the next message is accepted."""
        self._handler.faults.clear()

    @property
    def faults_triggered(self) -> int:
        """How many attempts the simulated outage refused so far."""
        return self._handler.faults.triggered

    # --- lifecycle -----------------------------------------------------------------
    def stop(self) -> None:
        if self._running:
            self._controller.stop()
            self._running = False

    def __enter__(self) -> CatcherHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<CatcherHandle {self.host}:{self.port} -> {self.folder} ({len(self.caught)} messages)>"


def start_catcher(
    folder: Path | str | None = None, host: str = DEFAULT_HOST, port: int = 0, *, on_message=None
) -> CatcherHandle:
    """Start an SMTP server on host:port (0 = a free port) in a background thread.

    Messages are written to `folder` (default <state>/mail/) as
    <UTC timestamp>-<counter>-<first recipient>.eml. `on_message(CaughtMail)` is called
    for each one (from the server thread).
    """
    folder = Path(folder) if folder is not None else default_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # aiosmtpd logs every SMTP command at INFO; keep that out of task and test logs.
    smtp_log = logging.getLogger("mail.log")
    if smtp_log.level == logging.NOTSET:
        smtp_log.setLevel(logging.WARNING)
    handler = _Handler(folder, _Faults(), on_message)
    controller = _CatcherController(
        handler, hostname=host, port=port, ready_timeout=10, server_hostname="councilbench-mailcatcher"
    )
    controller.start()
    return CatcherHandle(controller, handler, folder)


@dataclass(frozen=True)
class SmtpRelay:
    """An SMTP server this process does not run (Mailpit under docker compose, a real
    relay): what it received is read there, not here."""

    host: str
    port: int


def smtp_relay() -> SmtpRelay | None:
    """The SMTP server COUNCILBENCH_SMTP_HOST (and COUNCILBENCH_SMTP_PORT) name, if set:
    a run that would start a catcher of its own (the demo) sends there instead."""
    host = settings.smtp_host()
    return SmtpRelay(host, settings.smtp_port()) if host else None


@contextlib.contextmanager
def relay_or_catcher(folder: Path | str | None = None) -> Iterator[SmtpRelay | CatcherHandle]:
    """Where a self-contained run sends its email: the server named by
    COUNCILBENCH_SMTP_HOST when it is set (docker compose sets it to Mailpit), otherwise a
    catcher started here on a free port, saving to `folder`. Either has .host and .port."""
    relay = smtp_relay()
    if relay is not None:
        yield relay
        return
    with start_catcher(folder) as catcher:
        yield catcher


# --- command line ----------------------------------------------------------------------


def add_command(subparsers) -> None:
    """Register `councilbench mailcatcher` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "mailcatcher",
        help="run a local SMTP server that saves every email as an .eml file",
        description="A local SMTP server for development: every message Airflow or councilbench "
        "sends is written as an .eml file under the folder. Runs until Ctrl-C.",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    port = settings.smtp_port()
    p.add_argument(
        "--port",
        type=int,
        default=port,
        help=f"port (default {port}: COUNCILBENCH_SMTP_PORT or {DEFAULT_PORT}, where the "
        f"smtp_default connection points; 0 = any free port)",
    )
    p.add_argument("--folder", default=None, help="where .eml files go (default <state>/mail/)")
    p.set_defaults(func=cmd_mailcatcher)


def cmd_mailcatcher(args) -> int:
    def announce(caught: CaughtMail) -> None:
        print(f"{caught.path.name}: to {', '.join(caught.rcpt_tos)}: {caught.message['Subject']}", flush=True)

    handle = start_catcher(args.folder, host=args.host, port=args.port, on_message=announce)
    print(
        f"mailcatcher listening on {handle.host}:{handle.port}, saving to {handle.folder} (Ctrl-C to stop)", flush=True
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m councilbench.dev.mailcatcher` until the command is wired into the CLI."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="councilbench")
    add_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["mailcatcher", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
