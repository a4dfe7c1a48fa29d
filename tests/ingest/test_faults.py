"""Faults, each with the real component: a council's HTTP source that times out, refuses
the connection, answers 500, drops the connection or serves a sign-in page; the SMTP
server refusing or down while emails go out; the Postgres connection dying in the middle
of a load; the same month run twice at once.

Every test has its own reporting month (2021 onwards, one month each: later than the
months of test_return_pipeline (2015-2020) and test_return_backfill (2011-2012), whose
month-on-month checks look back at earlier months and so never see these rows) and runs
other councils in the same month to show one council's fault changes nothing of theirs.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.dev.file_server import serve_folder
from councilbench.dev.mailcatcher import start_catcher
from councilbench.ingest.fetch import RetryPolicy
from councilbench.orchestration import airflow_env
from councilbench.returns.contract import CHECKS
from councilbench.returns.parse import parse_return
from councilbench.returns.pipeline import process_return, run_month, send_emails
from councilbench.returns.validate import validate_return
from councilbench.warehouse.connection import Warehouse, connect
from fault_tools import TcpProxy, cut_before_copy_done

FAST = RetryPolicy(attempts=3, backoff_seconds=0.05, connect_timeout=1, read_timeout=1)

DUDLEY, COVENTRY, SANDWELL = "E08000027", "E08000026", "E08000028"
HEREFORDSHIRE, WARWICKSHIRE, TAMWORTH = "E06000019", "E10000031", "E07000199"

_months = (f"{2021 + i // 12}-{i % 12 + 1:02d}" for i in itertools.count())


def fresh_month() -> str:
    return next(_months)


# --- helpers ----------------------------------------------------------------------------


def serve(server, council_code: str, month: str, faults: list[str] | None = None) -> bytes:
    data = sample.faulted_bytes(council_code, month, faults or [])
    path = sample.return_path(server.folder, catalogue.councils()[council_code], month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def url_path(council_code: str, month: str) -> str:
    """The path part of the council's return URL (what demo_http and the proxy log)."""
    return urlsplit(catalogue.councils()[council_code].return_uri(month, "http://127.0.0.1")).path


def data_rows(data: bytes) -> int:
    """Rows in a clean CSV return (the header not counted)."""
    return sum(1 for line in data.decode("utf-8-sig").splitlines() if line.strip(", ")) - 1


def query(warehouse, sql: str, params=()) -> list[tuple]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(sql, params).fetchall()


def submissions(warehouse, council_code: str, month: str) -> list[tuple]:
    return query(
        warehouse,
        """select submission_id, status, outcome, rows_loaded from ops.submissions
                               where source_kind = 'council_return' and subject = %s and period = %s
                               order by submission_id""",
        [council_code, month],
    )


def raw_count(warehouse, submission_id: int) -> int:
    return query(warehouse, "select count(*) from raw.council_return_rows where submission_id = %s", [submission_id])[
        0
    ][0]


def loaded_rows(warehouse, submission_id: int) -> list[tuple]:
    return query(
        warehouse,
        """select row_number, council_code, metric_id, period, value, numerator, denominator,
                                      status, note
                               from raw.council_return_rows where submission_id = %s order by row_number""",
        [submission_id],
    )


def fingerprint(warehouse, excluding: list[str]) -> list[tuple]:
    """Every other council's raw rows and ledger, summarised: what a fault must not touch."""
    rows = query(
        warehouse,
        """select council_code, return_period, submission_id, count(*),
                                      sum(coalesce(value, 0))::text, sum(coalesce(numerator, 0))::text,
                                      sum(coalesce(denominator, 0))::text
                               from raw.council_return_rows where council_code <> all(%s)
                               group by 1, 2, 3 order by 1, 2, 3""",
        [excluding],
    )
    ledger = query(
        warehouse,
        """select subject, period, submission_id, status, rows_loaded from ops.submissions
                                 where source_kind = 'council_return' and subject <> all(%s) order by 3""",
        [excluding],
    )
    return rows + ledger


def emails_about(catcher, submission_id) -> list:
    return [m for m in catcher.messages if m["X-Councilbench-Submission"] == str(submission_id)]


def expected_rows(data: bytes, council_code: str, month: str, tmp_path: Path) -> list[tuple]:
    """What a clean load of these bytes must leave in raw: the validator's own rows,
    computed in memory, in the shape of loaded_rows()."""
    path = tmp_path / f"{council_code}-{month}.csv"
    path.write_bytes(data)
    report = validate_return(parse_return(path), council_code=council_code, return_month=month)
    assert report.outcome != "fail", [c.message for c in report.failures()]

    def num(x):
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

    return [
        (
            int(r["row_number"]),
            r["council_code"],
            r["metric_id"],
            r["period"],
            num(r["value"]),
            num(r["numerator"]),
            num(r["denominator"]),
            r["status"],
            r["note"],
        )
        for r in report.rows.to_dict("records")
    ]


def as_floats(rows: list[tuple]) -> list[tuple]:
    return [tuple(float(v) if v is not None and i in (4, 5, 6) else v for i, v in enumerate(r)) for r in rows]


def assert_loaded_cleanly(warehouse, outcome, data: bytes) -> None:
    assert outcome.status == "loaded", (outcome.council_code, outcome.fetch, outcome.message)
    assert outcome.rows_loaded == data_rows(data)
    assert raw_count(warehouse, outcome.submission_id) == outcome.rows_loaded


# --- 1. a council's source misbehaves ----------------------------------------------------

SOURCE_FAULTS = {
    # fault: what ops.fetch_attempts.message must say
    "timeout": "no answer within 1 s",
    "connection_refused": "could not connect",
    "status_500": "HTTP 500 from the source",
    "dropped_connection": "could not connect",
}


def closed_port_url(tmp_path: Path) -> str:
    """The URL of a server that has stopped: nothing listens on its port any more."""
    (tmp_path / "gone").mkdir()
    with serve_folder(tmp_path / "gone") as gone:
        url = gone.url
    return url


@pytest.mark.parametrize("fault", list(SOURCE_FAULTS))
def test_unreachable_source_is_retried_then_recorded_as_an_error_and_others_load(
    fault, reference_warehouse, returns_server, tmp_path, caplog
):
    month = fresh_month()
    neighbours = [COVENTRY, TAMWORTH, HEREFORDSHIRE]
    served = {code: serve(returns_server, code, month) for code in neighbours + [DUDLEY]}
    before = fingerprint(reference_warehouse, neighbours + [DUDLEY])
    path = url_path(DUDLEY, month)
    seen_before = len(returns_server.requests)
    base, proxy = returns_server.url, None
    if fault == "timeout":
        # demo_http logs a request once answered, and a timed-out client is gone by then:
        # count the attempts on the wire instead, through a proxy.
        returns_server.set_behaviour(path, "slow:3")
        proxy = TcpProxy("127.0.0.1", returns_server.port)
        base = f"http://127.0.0.1:{proxy.port}"
    elif fault == "connection_refused":
        base = closed_port_url(tmp_path)
    elif fault == "status_500":
        returns_server.set_behaviour(path, "status_500")
    else:
        returns_server.set_behaviour(path, "drop")

    caplog.set_level(logging.WARNING, logger="councilbench.ingest.fetch")
    try:
        first = process_return(
            reference_warehouse, neighbours[0], month, returns_base_url=returns_server.url, policy=FAST
        )
        started = time.monotonic()
        failing = process_return(reference_warehouse, DUDLEY, month, returns_base_url=base, policy=FAST)
        took = time.monotonic() - started
        rest = [
            process_return(reference_warehouse, code, month, returns_base_url=returns_server.url, policy=FAST)
            for code in neighbours[1:]
        ]
        attempts_on_wire = {
            "timeout": lambda: len(proxy.http_requests(path)),
            "status_500": lambda: sum(
                1 for r in returns_server.requests[seen_before:] if r.path == path and r.status == 500
            ),
            "dropped_connection": lambda: sum(
                1
                for r in returns_server.requests[seen_before:]
                if r.path == path and r.status is None and r.behaviour == "drop"
            ),
        }
        counted = attempts_on_wire[fault]() if fault in attempts_on_wire else None
    finally:
        returns_server.set_behaviour(path, "normal")
        if proxy:
            proxy.stop()

    # Retried: every attempt reached the source (or, refused, was logged), with backoff between.
    retries_logged = [r for r in caplog.records if "retrying" in r.getMessage() and path in r.getMessage()]
    assert len(retries_logged) == FAST.attempts - 1
    if counted is not None:
        assert counted == FAST.attempts, f"{fault}: {counted} attempts reached the source"
    assert took >= FAST.delay(1) + FAST.delay(2)
    if fault == "timeout":
        assert took >= FAST.attempts * FAST.read_timeout

    # Recorded as an error, with a message that says what happened; nothing landed or loaded.
    assert (failing.fetch, failing.submission_id, failing.status) == ("error", None, None)
    attempts = query(
        reference_warehouse,
        """select outcome, message from ops.fetch_attempts
                                             where subject = %s and period = %s""",
        [DUDLEY, month],
    )
    assert len(attempts) == 1 and attempts[0][0] == "error"
    assert SOURCE_FAULTS[fault] in attempts[0][1] and f"gave up after {FAST.attempts} attempts" in attempts[0][1]
    assert submissions(reference_warehouse, DUDLEY, month) == []
    assert query(
        reference_warehouse,
        """select count(*) from raw.council_return_rows
                                         where council_code = %s and return_period = %s""",
        [DUDLEY, month],
    ) == [(0,)]

    # The other councils of the month, before and after it, loaded in full; nobody else changed.
    for outcome in [first, *rest]:
        assert_loaded_cleanly(reference_warehouse, outcome, served[outcome.council_code])
    assert fingerprint(reference_warehouse, neighbours + [DUDLEY]) == before

    # The source is back: the next run loads the council's return.
    again = process_return(reference_warehouse, DUDLEY, month, returns_base_url=returns_server.url, policy=FAST)
    assert_loaded_cleanly(reference_warehouse, again, served[DUDLEY])


def test_run_month_rejects_a_sign_in_page_and_carries_on_past_a_failing_source(
    reference_warehouse, returns_server, mail_catcher
):
    """run_month (the default retry policy) over four councils: one answers 500 every
    time, one serves its sign-in page with 200; the other two load."""
    month = fresh_month()
    councils = [DUDLEY, COVENTRY, TAMWORTH, HEREFORDSHIRE]
    served = {code: serve(returns_server, code, month) for code in councils}
    before = fingerprint(reference_warehouse, councils)
    broken, login = url_path(DUDLEY, month), url_path(COVENTRY, month)
    seen_before = len(returns_server.requests)
    returns_server.set_behaviour(broken, "status_500")
    returns_server.set_behaviour(login, "html_login")
    try:
        summary = run_month(reference_warehouse, month, councils=councils, returns_base_url=returns_server.url)
    finally:
        returns_server.set_behaviour(broken, "normal")
        returns_server.set_behaviour(login, "normal")
    log = returns_server.requests[seen_before:]

    assert (summary["fetch_errors"], summary["rejected"], summary["loaded"]) == (1, 1, 2)
    # The 500 was retried (three attempts); the sign-in page is a complete answer: fetched once.
    assert [r.status for r in log if r.path == broken] == [500, 500, 500]
    assert [(r.status, r.behaviour) for r in log if r.path == login] == [(200, "html_login")]

    [(error, message)] = query(
        reference_warehouse,
        """select outcome, message from ops.fetch_attempts
                                                      where subject = %s and period = %s""",
        [DUDLEY, month],
    )
    assert error == "error" and "HTTP 500" in message and "gave up after 3 attempts" in message
    assert submissions(reference_warehouse, DUDLEY, month) == []

    # The sign-in page: kept, rejected as unreadable, and that council (only) is told.
    [(sid, status, outcome, rows)] = submissions(reference_warehouse, COVENTRY, month)
    assert (status, outcome, rows) == ("rejected", "fail", 0) and raw_count(reference_warehouse, sid) == 0
    [(readable, text)] = query(
        reference_warehouse,
        """select outcome, message from ops.check_results
                                                       where submission_id = %s and check_name = 'readable'""",
        [sid],
    )
    assert readable == "fail" and "web page" in text and "Sign in" in text
    [mail] = emails_about(mail_catcher, sid)
    to = {a.addr_spec.lower() for a in mail["To"].addresses}
    assert to == {c.email.lower() for c in catalogue.contacts()[COVENTRY]}

    assert mail["Subject"].startswith("Action needed:")
    for code in (TAMWORTH, HEREFORDSHIRE):
        [(sid, status, _, rows)] = submissions(reference_warehouse, code, month)
        assert status == "loaded" and rows == data_rows(served[code]) == raw_count(reference_warehouse, sid)
        [receipt] = emails_about(mail_catcher, sid)  # one receipt each (with any month-on-month warning in it)
        assert receipt["X-Councilbench-Kind"] == "receipt" and receipt["Subject"].startswith("Received and accepted:")
    assert summary["emails"] == 3  # the sign-in page's rejection and two receipts; the failing source: none
    assert fingerprint(reference_warehouse, councils) == before

    # Both sources fixed: a rerun fetches again (the page had no ETag) and both load.
    rerun = run_month(reference_warehouse, month, councils=councils, returns_base_url=returns_server.url)
    assert (rerun["loaded"], rerun["rejected"], rerun["fetch_errors"], rerun["new_submissions"]) == (4, 0, 0, 2)
    assert [s[1] for s in submissions(reference_warehouse, COVENTRY, month)] == ["rejected", "loaded"]


# --- 2. SMTP down while the emails go out ---------------------------------------------


def test_smtp_outage_keeps_results_and_retries_send_each_email_exactly_once(
    reference_warehouse, returns_server, tmp_path, monkeypatch
):
    month = fresh_month()
    faulty = {DUDLEY: ["duplicate_rows"], COVENTRY: ["negative_count"], TAMWORTH: ["unknown_metric"]}
    for code, faults in faulty.items():
        serve(returns_server, code, month, faults)
    outcomes = [
        process_return(reference_warehouse, code, month, returns_base_url=returns_server.url, policy=FAST)
        for code in faulty
    ]
    rejected = {o.council_code: o.submission_id for o in outcomes if o.status == "rejected"}
    assert list(rejected) == list(faulty)

    def results_of(sid):
        return query(
            reference_warehouse,
            """select check_name, outcome, failing_row_count, message
                                             from ops.check_results where submission_id = %s order by 1""",
            [sid],
        )

    def notifications(sid):
        return query(
            reference_warehouse,
            "select status, attempts from ops.outbox where submission_id = %s",
            [sid],
        )

    recorded = {sid: results_of(sid) for sid in rejected.values()}
    assert all(len(r) == len(CHECKS) and any(row[1] == "fail" for row in r) for r in recorded.values())

    mail = []  # every message any incarnation of the SMTP server accepted
    catcher = start_catcher(tmp_path / "mail-1")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_env.smtp_connection("127.0.0.1", catcher.port))
    dicts = [o.as_dict() for o in outcomes]
    try:
        # The relay refuses the first message (451 after DATA): the others still go.
        catcher.fail_next(1, "451")
        with pytest.raises(RuntimeError, match=r"1 email\(s\) not sent"):
            send_emails(reference_warehouse, dicts)
        assert catcher.faults_triggered == 1
        assert [len(emails_about(catcher, rejected[c])) for c in faulty] == [0, 1, 1]
        assert notifications(rejected[DUDLEY]) == [("failed", 1)]

        # Then the server is down altogether (connection refused).
        catcher.stop()
        with pytest.raises(RuntimeError, match=r"1 email\(s\) not sent"):
            send_emails(reference_warehouse, dicts)
        assert notifications(rejected[DUDLEY]) == [("failed", 2)]
        [(error,)] = query(
            reference_warehouse, "select last_error from ops.outbox where submission_id = %s", [rejected[DUDLEY]]
        )
        assert "ConnectionRefused" in error
    finally:
        mail += catcher.messages
        catcher.stop()

    # Nothing of the validation was lost while the emails failed.
    for code, sid in rejected.items():
        assert submissions(reference_warehouse, code, month) == [(sid, "rejected", "fail", 0)]
        assert results_of(sid) == recorded[sid]

    # The server is back on the same port: a retry sends only what was not sent; another sends nothing.
    with start_catcher(tmp_path / "mail-2", port=catcher.port) as back:
        sent = send_emails(reference_warehouse, dicts)
        again = send_emails(reference_warehouse, dicts)
        mail += back.messages
    assert [s["council_code"] for s in sent] == list(faulty)
    assert ["already_sent" not in s["result"] for s in sent] == [True, False, False]
    assert all("already_sent" in s["result"] for s in again)
    for code, sid in rejected.items():
        about = [m for m in mail if m["X-Councilbench-Submission"] == str(sid)]
        assert len(about) == 1, f"{code}: {len(about)} emails"
        assert {a.addr_spec.lower() for a in about[0]["To"].addresses} == {
            c.email.lower() for c in catalogue.contacts()[code]
        }
        assert results_of(sid) == recorded[sid]
    assert len(mail) == len(rejected)
    assert notifications(rejected[DUDLEY]) == [("sent", 3)]
    assert notifications(rejected[COVENTRY]) == notifications(rejected[TAMWORTH]) == [("sent", 1)]


def test_receipts_held_up_by_an_smtp_outage_go_once_when_the_month_is_rerun(
    reference_warehouse, returns_server, tmp_path, monkeypatch
):
    """run_month (the engineers' path) while the SMTP server refuses everything: the
    returns load and the run fails on the emails. The rerun, with the server back, finds
    the same files (nothing new) and sends each receipt once; another rerun sends nothing."""
    month = fresh_month()
    councils = [COVENTRY, SANDWELL]
    served = {code: serve(returns_server, code, month) for code in councils}
    with start_catcher(tmp_path / "mail") as catcher:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_env.smtp_connection("127.0.0.1", catcher.port))
        catcher.fail_next(None, "451")  # the relay refuses every message
        with pytest.raises(RuntimeError, match=r"2 email\(s\) not sent"):
            run_month(reference_warehouse, month, councils=councils, returns_base_url=returns_server.url)
        loaded = {code: submissions(reference_warehouse, code, month) for code in councils}
        for code, [(sid, status, _, rows)] in loaded.items():
            assert status == "loaded" and rows == data_rows(served[code]) == raw_count(reference_warehouse, sid)
            assert query(
                reference_warehouse, "select kind, status from ops.outbox where submission_id = %s", [sid]
            ) == [("receipt", "failed")]
        assert catcher.messages == []

        catcher.recover()
        rerun = run_month(reference_warehouse, month, councils=councils, returns_base_url=returns_server.url)
        again = run_month(reference_warehouse, month, councils=councils, returns_base_url=returns_server.url)
        mail = catcher.messages
    assert (rerun["new_submissions"], rerun["emails"], again["emails"]) == (0, 2, 0)
    assert {code: submissions(reference_warehouse, code, month) for code in councils} == loaded
    for code, [(sid, *_)] in loaded.items():
        [receipt] = [m for m in mail if m["X-Councilbench-Submission"] == str(sid)]
        assert receipt["X-Councilbench-Kind"] == "receipt"
        assert {a.addr_spec.lower() for a in receipt["To"].addresses} == {
            c.email.lower() for c in catalogue.contacts()[code]
        }
    assert len(mail) == len(councils)


# --- 3. the warehouse connection dies in the middle of a load ----------------------------


def blocked_loader_pid(monitor, deadline: float = 30) -> int:
    """The backend waiting for a lock on raw.council_return_rows (the loader mid-load)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        rows = monitor.execute(
            """select a.pid from pg_stat_activity a join pg_locks l on l.pid = a.pid and not l.granted
               where a.datname = current_database() and a.pid <> pg_backend_pid()
                 and l.relation = 'raw.council_return_rows'::regclass"""
        ).fetchall()
        if rows:
            assert len(rows) == 1, rows
            return rows[0][0]
        time.sleep(0.05)
    raise AssertionError("the loader never reached raw.council_return_rows")


def run_in_thread(fn) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def assert_rolled_back_then_rerun_is_identical(
    warehouse, returns_server, month: str, data: bytes, sid: int, tmp_path: Path, others_before
) -> None:
    # Rolled back: no row of the submission in raw, the submission not loaded; the
    # validation (committed before the load) kept.
    assert raw_count(warehouse, sid) == 0
    [(same, status, outcome, rows)] = submissions(warehouse, DUDLEY, month)
    assert (same, status, rows) == (sid, "received", None) and outcome in ("pass", "warn")
    assert len(query(warehouse, "select 1 from ops.check_results where submission_id = %s", [sid])) == len(CHECKS)

    # The rerun (the file is unchanged: 304) finishes the job on the same submission.
    rerun = process_return(warehouse, DUDLEY, month, returns_base_url=returns_server.url, policy=FAST)
    assert (rerun.fetch, rerun.submission_id, rerun.status) == ("unchanged", sid, "loaded")
    assert_loaded_cleanly(warehouse, rerun, data)
    # Identical to a clean load of the same file, nothing duplicated.
    assert as_floats(loaded_rows(warehouse, sid)) == expected_rows(data, DUDLEY, month, tmp_path)
    assert query(
        warehouse,
        """select count(*), count(distinct (metric_id, period)) from raw.council_return_rows
                               where council_code = %s and return_period = %s""",
        [DUDLEY, month],
    ) == [(data_rows(data), data_rows(data))]
    # Rerunning again changes nothing.
    third = process_return(warehouse, DUDLEY, month, returns_base_url=returns_server.url, policy=FAST)
    assert (third.submission_id, third.status, raw_count(warehouse, sid)) == (sid, "loaded", data_rows(data))
    assert len(submissions(warehouse, DUDLEY, month)) == 1
    assert fingerprint(warehouse, [DUDLEY]) == others_before


def test_loader_backend_killed_mid_load_rolls_back_and_rerun_loads_identical_rows(
    reference_warehouse, returns_server, tmp_path
):
    month = fresh_month()
    data = serve(returns_server, DUDLEY, month)
    coventry = serve(returns_server, COVENTRY, month)
    neighbour = process_return(reference_warehouse, COVENTRY, month, returns_base_url=returns_server.url, policy=FAST)
    assert_loaded_cleanly(reference_warehouse, neighbour, coventry)
    others_before = fingerprint(reference_warehouse, [DUDLEY])

    # SHARE mode lets the validator read raw (previous values) but stops the load's
    # DELETE/COPY: the loader blocks inside its load transaction.
    locker = psycopg.connect(reference_warehouse.url)
    monitor = psycopg.connect(reference_warehouse.url, autocommit=True)
    try:
        locker.execute("lock table raw.council_return_rows in share mode")
        thread, box = run_in_thread(
            lambda: process_return(reference_warehouse, DUDLEY, month, returns_base_url=returns_server.url, policy=FAST)
        )
        pid = blocked_loader_pid(monitor)
        [(sid, status)] = [(s[0], s[1]) for s in submissions(reference_warehouse, DUDLEY, month)]
        assert status == "received"  # landed and validated, the load in progress
        assert monitor.execute("select pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    finally:
        locker.rollback()
        locker.close()
    thread.join(30)
    monitor.close()
    assert not thread.is_alive(), "process_return hung after its connection was killed"
    assert isinstance(box.get("error"), psycopg.OperationalError), box

    assert_rolled_back_then_rerun_is_identical(
        reference_warehouse, returns_server, month, data, sid, tmp_path, others_before
    )


def test_connection_cut_mid_copy_rolls_back_and_rerun_loads_identical_rows(
    reference_warehouse, returns_server, tmp_path
):
    """The loader's connection goes through a TCP proxy that drops it once every row of
    the COPY has been sent, before the COPY ends: a network failure mid-stream."""
    month = fresh_month()
    data = serve(returns_server, DUDLEY, month)
    others_before = fingerprint(reference_warehouse, [DUDLEY])
    parts = reference_warehouse.parts
    with TcpProxy(parts.host, parts.port, cut_client_data=cut_before_copy_done("raw.council_return_rows")) as proxy:
        through_proxy = Warehouse(
            parts.replace(host="127.0.0.1", port=proxy.port).url + "?sslmode=disable&gssencmode=disable", "proxy"
        )
        with pytest.raises(psycopg.OperationalError):
            process_return(through_proxy, DUDLEY, month, returns_base_url=returns_server.url, policy=FAST)
        assert proxy.cuts == 1
        # Every row went over the wire inside the COPY; its end never did.
        [copy_stream] = [bytes(s) for s in proxy.client_streams if b"copy raw.council_return_rows" in s]
        copy_data = copy_stream[copy_stream.index(b"copy raw.council_return_rows") :]
        assert copy_data.count(DUDLEY.encode()) == data_rows(data)
    [(sid, status, *_)] = submissions(reference_warehouse, DUDLEY, month)
    assert status == "received"
    # The server notices the lost client and rolls back; wait for its backend to go.
    with psycopg.connect(reference_warehouse.url, autocommit=True) as monitor:
        end = time.monotonic() + 10
        while monitor.execute("""select count(*) from pg_stat_activity where datname = current_database()
                                 and query ilike 'copy raw.council_return_rows%'""").fetchone()[0]:
            assert time.monotonic() < end, "the server kept the cut COPY open"
            time.sleep(0.05)
    assert_rolled_back_then_rerun_is_identical(
        reference_warehouse, returns_server, month, data, sid, tmp_path, others_before
    )


# --- 4. the same month twice at once ------------------------------------------------------


@pytest.mark.parametrize("how", ["run_month", "process_return"])
def test_same_month_run_twice_at_once_gives_one_set_of_rows_and_one_email(
    how, reference_warehouse, returns_server, mail_catcher
):
    """Two runs of the same month at once: two run_month calls (a backfill and a rerun),
    or two DAG runs' mapped tasks (process_return then send_emails per council, all at once)."""
    month = fresh_month()
    councils = [DUDLEY, COVENTRY, SANDWELL, HEREFORDSHIRE, WARWICKSHIRE]
    served = {
        code: serve(returns_server, code, month, ["numerator_above_denominator"] if code == SANDWELL else [])
        for code in councils
    }
    before = fingerprint(reference_warehouse, councils)

    if how == "run_month":
        start = threading.Barrier(2)

        def run(order):
            start.wait()
            return run_month(reference_warehouse, month, councils=order, returns_base_url=returns_server.url)

        # One run goes forwards, the other backwards: they race on every council.
        runs = [run_in_thread(lambda o=order: run(o)) for order in (councils, councils[::-1])]
    else:
        start = threading.Barrier(2 * len(councils))

        def task(code):
            start.wait()
            outcome = process_return(reference_warehouse, code, month, returns_base_url=returns_server.url, policy=FAST)
            send_emails(reference_warehouse, [outcome.as_dict()])
            return outcome

        runs = [run_in_thread(lambda c=code: task(c)) for code in councils for _ in range(2)]
    for thread, _ in runs:
        thread.join(120)
    results = [box.get("result") or box.get("error") for _, box in runs]
    failures = [r for r in results if isinstance(r, BaseException) or r is None]
    assert failures == [], "\n".join(f"{type(e).__name__}: {e}" for e in failures)
    if how == "run_month":
        assert sum(s["new_submissions"] for s in results) == len(councils)
        assert all((s["loaded"], s["rejected"]) == (4, 1) for s in results), results
    else:
        assert sorted(o.council_code for o in results if o.new_submission) == sorted(councils)
        assert all(o.status == ("rejected" if o.council_code == SANDWELL else "loaded") for o in results)

    for code in councils:
        [(sid, status, _, rows)] = submissions(reference_warehouse, code, month)  # one per council
        attempts = query(
            reference_warehouse,
            """select outcome from ops.fetch_attempts where subject = %s
                                                 and period = %s order by 1""",
            [code, month],
        )
        assert [a for (a,) in attempts] == ["received", "unchanged"]  # the second run waited, then found it done
        if code == SANDWELL:
            assert (status, raw_count(reference_warehouse, sid)) == ("rejected", 0)
            assert len(emails_about(mail_catcher, sid)) == 1
        else:
            assert status == "loaded" and rows == data_rows(served[code]) == raw_count(reference_warehouse, sid)
            [receipt] = emails_about(mail_catcher, sid)  # one receipt, however many runs raced
            assert receipt["X-Councilbench-Kind"] == "receipt"
    duplicates = query(
        reference_warehouse,
        """select council_code, metric_id, period, count(*)
                                               from raw.council_return_rows where return_period = %s
                                                 and council_code = any(%s)
                                               group by 1, 2, 3 having count(*) > 1""",
        [month, councils],
    )
    assert duplicates == []
    assert fingerprint(reference_warehouse, councils) == before


def test_validations_at_once_in_one_process_judge_each_return_by_its_own_rows(tmp_path):
    """What two runs at once in one process (threads) come down to: several returns
    validated at the same moment. Each report must be the one that return gets alone."""
    month = "2021-03"  # in memory only: nothing is loaded
    returns = [
        (DUDLEY, []),
        (SANDWELL, ["numerator_above_denominator"]),
        (HEREFORDSHIRE, []),
        (WARWICKSHIRE, ["duplicate_rows"]),
        (TAMWORTH, ["negative_count"]),
        (COVENTRY, []),
    ]
    paths = []
    for code, faults in returns:
        path = tmp_path / f"{code}.csv"
        path.write_bytes(sample.faulted_bytes(code, month, faults))
        paths.append((code, path))

    def judged(code, path):
        report = validate_return(parse_return(path), council_code=code, return_month=month)
        return report.outcome, sorted((c.check, c.outcome, len(c.failing_rows)) for c in report.checks)

    alone = {code: judged(code, path) for code, path in paths}  # also warms GX up
    assert [alone[code][0] for code, _ in returns] == ["pass", "fail", "pass", "fail", "fail", "pass"]
    for _ in range(2):
        start = threading.Barrier(len(paths))

        def at_once(code, path, start=start):
            start.wait()
            return judged(code, path)

        runs = [(code, *run_in_thread(lambda c=code, p=path: at_once(c, p))) for code, path in paths]
        for _, thread, _ in runs:
            thread.join(60)
        together = {code: box.get("result", box.get("error")) for code, _, box in runs}
        assert together == alone
