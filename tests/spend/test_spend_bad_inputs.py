"""Bad spend files end to end (issue 15): each served at one council's address, all in ONE
run beside good councils' files, through fetch, landing, the reader, the GX suite, the
ledger and the emails. Each bad file is rejected with a message that names the problem in
plain words, kept (landed whole and linked under quarantine/), loads no line, and is told
to its council alone; every good council's file loads in full."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from councilbench.core import catalogue, settings
from councilbench.dev import sample_spend
from councilbench.spend import pipeline
from councilbench.spend.headers import header_map
from councilbench.spend.read import DEFAULT_MAX_BYTES
from councilbench.warehouse.connection import connect
from warehouse_copy import warehouse_copy

SCALE = 0.01
MONTH = "2026-02"
SUBDIR = "spend-bad-inputs"
GOOD = ["solihull", "worcestershire", "wolverhampton"]  # LGA template CSV, county workbook, city CSV
BIG_BYTES = 200 * 2**20


@dataclass(frozen=True)
class BadInput:
    council: str  # a monthly publisher: due for MONTH
    check: str  # the check that fails it
    words: tuple[str, ...]  # what its message must say
    fault: str | None = None  # a sample_spend fault; None: written below (WRITERS)


BAD = {
    "empty file": BadInput("tamworth", "readable", ("The file is empty (0 bytes)",), "empty"),
    "header only": BadInput(
        "rugby", "readable", ("has a header (row 1) but no payment lines below it",), "header_only"
    ),
    "HTML page with status 200": BadInput(
        "birmingham", "readable", ("served a web page, not a spend file", "'Sign in - Council document store'")
    ),
    "another council's file": BadInput(
        "stoke-on-trent",
        "body",
        ("The file says it is from", "but it was fetched from Stoke-on-Trent City Council's spend address"),
        "other_council",
    ),
    "amounts as text": BadInput(
        "shropshire", "amounts", ("3 amounts in column", "cannot be read", "'TBC' (is words, not a number)"),
        "amounts_as_text",
    ),
    "missing amount column": BadInput(
        "dudley", "columns", ("there is no net amount column", "Headers seen on row 1"), "missing_amount_column"
    ),
    "dates outside the period": BadInput(
        "telford-and-wrekin",
        "period",
        ("3 lines are dated outside February 2026", "Accepted: payment dates from 01/02/2026 to 28/02/2026"),
        "dates_outside_period",
    ),
    "200 MB file": BadInput("newcastle-under-lyme", "readable", ("The file is 200.0 MB", "the limit is 100 MB")),
    "zip named .csv": BadInput(
        "walsall", "readable", ("'spend-2026-02.csv' is a ZIP archive holding", "not a spend table"), "zip_named_csv"
    ),
    "semicolons for commas": BadInput(
        "cannock-chase", "readable", ("separates its columns with semicolons",), "semicolon_delimiter"
    ),
    "month-first dates": BadInput(
        "sandwell", "dates", ("are written month first", "which can only be month/day"), "month_first_dates"
    ),
    "dates that may be month first": BadInput(
        "stratford-on-avon", "dates", ("may be written month first", "No date has a day above 12")
    ),
    "the previous period again": BadInput(
        "redditch",
        "period",
        ("Every line is dated in January 2026, none in February 2026", "published again"),
        "repeat_previous_period",
    ),
    "repeated lines": BadInput(
        "warwick", "no_duplicates", ("3 lines repeat an earlier line exactly",), "duplicate_lines"
    ),
    "#N/A amounts": BadInput(
        "nuneaton-and-bedworth",
        "amounts",
        ("2 amounts in column", "row 3 '#N/A' (is the Excel error #N/A, which a lookup shows when it finds nothing",
         "so the amount is not known)"),
    ),
    "#N/A payment date": BadInput(
        "east-staffordshire",
        "dates",
        ("1 payment date in column", "row 4 '#N/A' (is the Excel error #N/A", "so the payment date is not known)"),
    ),
    "#N/A supplier": BadInput(
        "worcester",
        "suppliers",
        ("1 supplier name in column", "row 5 '#N/A' (is the Excel error #N/A", "so the supplier is not known)"),
    ),
}  # fmt: skip


def code(name: str) -> str:
    return catalogue.find_council(name).code


# --- the bad files not among the generator's faults -------------------------------------------------


def _sheet(name: str):
    _, draft = sample_spend.build(code(name), MONTH, scale=SCALE)
    return draft, draft.ensure_sheet()


def _na_amounts(name: str) -> bytes:
    _, sheet = _sheet(name)
    for row in (sheet.rows[1], sheet.rows[-2]):
        row[sheet.amount_column] = "#N/A"
    return sheet.to_bytes()


def _na_date(name: str) -> bytes:
    _, sheet = _sheet(name)
    sheet.rows[2][sheet.date_column] = "#N/A"
    return sheet.to_bytes()


def _na_supplier(name: str) -> bytes:
    _, sheet = _sheet(name)
    at = header_map(code(name)).map(sheet.header).index("supplier_name")
    sheet.rows[3][at] = "#N/A"
    return sheet.to_bytes()


def _dates_that_may_be_month_first(name: str) -> bytes:
    """February written month/day with no day above 12: read day first (the UK way) they
    spread over the year, each on the 2nd."""
    draft, sheet = _sheet(name)
    for row, line in zip(sheet.rows, draft.lines, strict=True):
        row[sheet.date_column] = f"02/{(line.payment_date.day - 1) % 12 + 1:02d}/2026"
    return sheet.to_bytes()


def _two_hundred_mb(name: str, path: Path) -> None:
    """The council's real lines, then zeros to 200 MB: a sparse file, cheap to write."""
    path.write_bytes(sample_spend.build(code(name), MONTH, scale=SCALE)[0])
    with open(path, "r+b") as f:
        f.truncate(BIG_BYTES)


WRITERS = {
    "#N/A amounts": _na_amounts,
    "#N/A payment date": _na_date,
    "#N/A supplier": _na_supplier,
    "dates that may be month first": _dates_that_may_be_month_first,
}


# --- one run ------------------------------------------------------------------------------------------


@dataclass
class Run:
    warehouse: object
    sample: sample_spend.SpendSample
    summary: dict
    outcomes: dict  # short name -> Outcome
    emails: dict  # GSS code -> [EmailMessage]


@pytest.fixture(scope="module")
def scratch_warehouse(reference_template):
    """A warehouse of this module's own: the run resolves suppliers over every loaded line."""
    with warehouse_copy(reference_template, "spend_bad") as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def run(scratch_warehouse, returns_server, mail_catcher):
    """Every council's file written, the bad ones replaced, all served and run once with emails."""
    folder = returns_server.folder / SUBDIR
    councils = [*(b.council for b in BAD.values()), *GOOD]
    faults = {b.council: [b.fault] for b in BAD.values() if b.fault}
    sample = sample_spend.write(folder, [MONTH], councils, faults=faults, scale=SCALE)
    path = {catalogue.councils()[f.council_code].short_name: f.path for f in sample.files}
    for label, write in WRITERS.items():
        path[BAD[label].council].write_bytes(write(BAD[label].council))
    big = BAD["200 MB file"].council
    _two_hundred_mb(big, path[big])
    html = path[BAD["HTML page with status 200"].council].relative_to(returns_server.folder)
    returns_server.set_behaviour(str(html), "html_login", times=1)  # a sign-in page, text/html, 200
    mail_catcher.clear()
    summary, outcomes = pipeline.run_period(
        scratch_warehouse, MONTH, councils, spend_base_url=f"{returns_server.url}/{SUBDIR}", notify=True
    )
    emails: dict[str, list] = {}
    for message in mail_catcher.messages:
        emails.setdefault(message["X-Councilbench-Council"], []).append(message)
    done = {catalogue.councils()[o.subject].short_name: o for o in outcomes}
    yield Run(scratch_warehouse, sample, summary, done, emails)
    landed = submission(scratch_warehouse, done[big].submission_id)["landing_path"]
    for copy in (done[big].quarantined, landed, path[big]):
        Path(copy).unlink(missing_ok=True)  # 200 MB left in the session's state folder helps nobody


def submission(warehouse, submission_id: int) -> dict:
    with connect(warehouse, role="loader") as conn:
        cur = conn.execute(
            """select status, outcome, sha256, size_bytes, landing_path, source_kind
               from ops.submissions where submission_id = %s""",
            [submission_id],
        )
        return dict(zip([d.name for d in cur.description], cur.fetchone(), strict=True))


def council_lines(warehouse, name: str) -> tuple[int, Decimal]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            """select count(*), coalesce(sum(net_amount), 0) from raw.council_spend_lines
               where council_code = %s and spend_period = %s""",
            [code(name), MONTH],
        ).fetchone()


def recipients(message) -> set[str]:
    addresses = [message["To"], message["Cc"] or "", message["X-Envelope-To"]]
    return {a.split("<")[-1].strip(" >") for field in addresses for a in field.split(",") if a.strip()}


# --- each bad input ------------------------------------------------------------------------------------


def test_one_run_rejects_every_bad_file_and_loads_every_good_one(run):
    assert run.summary["files"] == len(BAD) + len(GOOD)
    assert (run.summary["rejected"], run.summary["loaded"]) == (len(BAD), len(GOOD)), run.summary
    assert run.summary["emails"] == len(BAD) + len(GOOD)


@pytest.mark.parametrize("label", list(BAD))
def test_a_bad_file_is_rejected_with_a_plain_message(run, label):
    bad = BAD[label]
    o = run.outcomes[bad.council]
    assert (o.status, o.outcome, o.checks[bad.check], o.rows_loaded) == ("rejected", "fail", "fail", 0), o.message
    assert submission(run.warehouse, o.submission_id)["status"] == "rejected"
    with connect(run.warehouse, role="loader") as conn:
        (message,) = conn.execute(
            "select message from ops.check_results where submission_id = %s and check_name = %s",
            [o.submission_id, bad.check],
        ).fetchone()
    for words in bad.words:
        assert words in message, message
    assert message in o.message  # the run's outcome says the same


@pytest.mark.parametrize("label", list(BAD))
def test_a_bad_file_is_kept_whole_and_quarantined(run, label):
    o = run.outcomes[BAD[label].council]
    landed = submission(run.warehouse, o.submission_id)
    path = Path(landed["landing_path"])
    assert path.stat().st_size == landed["size_bytes"]
    if label == "200 MB file":
        assert landed["size_bytes"] == BIG_BYTES
    else:  # the 200 MB one is not hashed again here: its size says it was kept whole
        assert hashlib.sha256(path.read_bytes()).hexdigest() == landed["sha256"]
    quarantined = Path(o.quarantined)
    assert quarantined.is_relative_to(settings.state_path("quarantine") / BAD[label].council / f"spend-{MONTH}")
    assert os.path.samefile(quarantined, path)


@pytest.mark.parametrize("label", list(BAD))
def test_a_bad_file_loads_nothing_and_is_told_to_its_council_alone(run, label):
    council = catalogue.find_council(BAD[label].council)
    assert council_lines(run.warehouse, council.short_name) == (0, 0)
    [email] = run.emails[council.code]
    assert (email["X-Councilbench-Kind"], email["X-Councilbench-Source"]) == ("rejection", "council_spend")
    assert recipients(email) == {c.email for c in catalogue.contacts()[council.code]}
    assert BAD[label].words[0] in email.get_body(("plain",)).get_content()


def test_the_served_body_of_an_html_page_is_what_is_kept(run):
    o = run.outcomes[BAD["HTML page with status 200"].council]
    landed = submission(run.warehouse, o.submission_id)
    assert Path(landed["landing_path"]).read_bytes().startswith(b"<!DOCTYPE html>")


def test_another_councils_file_loads_nothing_for_either_council(run):
    other = catalogue.councils()[sample_spend.other_council_for(code(BAD["another council's file"].council))]
    o = run.outcomes[BAD["another council's file"].council]
    assert f"It may be {other.name}'s file" in o.message
    assert council_lines(run.warehouse, other.short_name) == (0, 0)


@pytest.mark.parametrize("label", ["month-first dates", "dates that may be month first"])
def test_dates_in_doubt_are_not_judged_against_the_period(run, label):
    """Read the wrong way round they would be 'outside February' for nothing."""
    o = run.outcomes[BAD[label].council]
    assert "period" not in o.checks and "outside" not in o.message
    assert o.checks["no_duplicates"] == "pass"  # the rest of the suite still ran


def test_a_file_over_the_limit_is_never_read(run):
    """Its size alone decides: read, its zeros would be 'binary data, not text'."""
    o = run.outcomes[BAD["200 MB file"].council]
    assert BIG_BYTES > DEFAULT_MAX_BYTES and o.checks == {"readable": "fail"}
    assert "binary" not in o.message


# --- the good councils -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOOD)
def test_every_good_council_loads_its_whole_file(run, name):
    o = run.outcomes[name]
    truth = next(f for f in run.sample.files if f.council_code == code(name))
    assert (o.status, o.outcome) == ("loaded", "pass"), o.message
    assert o.rows_loaded == len(truth.lines)
    assert council_lines(run.warehouse, name) == (len(truth.lines), Decimal(truth.net_pence) / 100)
    [email] = run.emails[code(name)]
    assert email["X-Councilbench-Kind"] == "receipt"
    assert recipients(email) == {c.email for c in catalogue.contacts()[code(name)]}
