"""The Check a file page: a council's upload is read and checked exactly as the pipeline
would (its parse, its validation, the earlier figures it compares with) and answered with
exactly its email's text and failing-rows CSV; nothing uploaded is landed or recorded.

The expected answers are computed here the pipeline's way, independently of the page: the
source kind's parse of the bytes, validate_return with the previous figures read from raw
and ops as the loader (returns.previous), render_text with the email's link, failing_rows_csv.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest

import warehouse_data as wd
from councilbench.core import catalogue
from councilbench.dev import sample_returns as sample
from councilbench.explorer import selfcheck, server
from councilbench.ingest.landing import landing_root
from councilbench.ingest.ledger import Landed
from councilbench.returns import email_render, previous
from councilbench.returns.kind import RETURNS, council_month
from councilbench.returns.parse import DEFAULT_MAX_BYTES
from councilbench.returns.report_text import failing_rows_csv, render_text
from councilbench.returns.validate import validate_return
from councilbench.warehouse.connection import connect

DUDLEY = "E08000027"
#: The month after the test warehouse's history: its previous figures are all loaded.
MONTH = "2026-05"
MARKER = "Nothing you upload on this page is kept"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def pipeline_answer(
    warehouse, data: bytes, tmp_path: Path, council_code: str = DUDLEY, month: str = MONTH, name: str | None = None
):
    """(the email's text, the failing-rows CSV) as the pipeline would produce them for a
    file the source called `name`, landed under its hash."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = tmp_path / sha256
    path.write_bytes(data)
    with connect(warehouse, role="loader") as conn:
        earlier = previous.previous_figures(conn, [council_code], month, month).get((council_code, month))
    landed = Landed(1, sha256, len(data), path, True, "received", original_name=name)
    parsed = RETURNS.parse(landed, council_month(council_code, month))
    report = validate_return(parsed, council_code=council_code, return_month=month, previous_values=earlier)
    council = catalogue.councils()[council_code]
    text = render_text(report, council.name, check_url=email_render.check_page_url(council, month))
    return text.rstrip("\n"), report  # st.code drops the closing newline, as the email's body does


def ledger_state(warehouse) -> tuple[int, list[str]]:
    with connect(warehouse, role="loader") as conn:
        submissions = conn.execute("select count(*) from ops.submissions").fetchone()[0]
    return submissions, sorted(str(p) for p in landing_root().rglob("*"))


def upload(at, name: str, data: bytes, mime: str = "text/csv"):
    at.file_uploader(key="upload").set_value((name, data, mime))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[-1].value.startswith(MARKER)
    return at


def test_a_faulty_file_gets_the_emails_text_and_rows_and_nothing_is_kept(open_page, built, tmp_path):
    before = ledger_state(built.warehouse)
    at = open_page("check", council="dudley", period=MONTH)
    assert not at.exception and at.caption[-1].value.startswith(MARKER)
    assert at.selectbox(key="council").value == DUDLEY and at.selectbox(key="period").value == MONTH
    assert "Upload Dudley's return for May 2026" in at.info[0].value

    faulty = sample.faulted_bytes(DUDLEY, MONTH, ["text_in_numeric", "out_of_bounds", "thousands_separators"])
    upload(at, "dudley-may.csv", faulty)
    text, report = pipeline_answer(built.warehouse, faulty, tmp_path, name="dudley-may.csv")
    assert report.outcome == "fail"
    assert at.code[0].value == text
    assert (
        "REJECTED" in text and "check it in your browser: " in text and "/check?council=dudley&period=2026-05" in text
    )
    assert "This file would be rejected" in at.error[0].value
    shown = at.dataframe[0].value
    expected = pd.read_csv(io.StringIO(failing_rows_csv(report)), dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected)
    assert at.get("download_button")[0].label == "Download these rows (CSV)"

    # A clean file: accepted, compared with May's previous figures (month on month ran).
    clean = sample.faulted_bytes(DUDLEY, MONTH, [])
    upload(at, "dudley-may.csv", clean)
    text, report = pipeline_answer(built.warehouse, clean, tmp_path, name="dudley-may.csv")
    assert report.outcome != "fail" and at.code[0].value == text
    mom = next(c for c in report.checks if c.check == "month_on_month")
    assert "skipped" not in mom.message  # the earlier figures were there to compare with

    assert ledger_state(built.warehouse) == before  # nothing landed, nothing in the ledger


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("login.html", sample.faulted_bytes(DUDLEY, MONTH, ["html_error_page"]), "served a web page, not a return"),
        ("chart.png", PNG, "it looks like a PNG image"),
        ("everything.csv", b"a" * (DEFAULT_MAX_BYTES + 1), "the limit is 20 MB"),
    ],
    ids=["html", "png", "too-large"],
)
def test_a_wrong_file_gets_the_pipelines_own_message(open_page, built, tmp_path, name, data, words):
    at = upload(open_page("check", council="E08000027", period=MONTH), name, data, "application/octet-stream")
    text, report = pipeline_answer(built.warehouse, data, tmp_path, name=name)
    assert at.code[0].value == text and words in text
    assert [c.check for c in report.failures()] == ["readable"]
    assert not at.dataframe  # no rows to correct: the email attaches no CSV either


def test_the_marts_give_the_pipelines_previous_figures(built):
    """The analyst reads earlier figures from marts.fct_metric_value; the pipeline from raw
    and ops. The same for every council checking the month after the history; where a
    quarter was restated by a later return, only that figure differs (selfcheck says so)."""
    with connect(built.warehouse, role="loader") as conn:
        for code in catalogue.councils():
            ours, theirs = selfcheck.previous_values(code, MONTH), previous.previous_values(conn, code, MONTH)
            assert dict(ours) == dict(theirs) and ours.latest_by_council == theirs.latest_by_council
            assert ours, f"{code}: no earlier figures"
        stoke, month, _quarter = wd.SCENARIO.restated
        ours, theirs = selfcheck.previous_values(stoke, month), previous.previous_values(conn, stoke, month)
    differ = {m for m in set(ours) | set(theirs) if ours.get(m) != theirs.get(m)}
    assert differ <= {"econ_vacant_retail_units_pct"}


def test_the_address_is_checked_and_the_upload_limit_is_above_the_pipelines(open_page):
    at = open_page("check", council="x'; drop table marts.dim_council; --", period="2026-13")
    assert not at.exception and at.caption[-1].value.startswith(MARKER)
    assert len(at.warning) == 2 and "not known here" in at.warning[0].value
    assert at.selectbox(key="council").value == "" and at.selectbox(key="period").value == selfcheck.default_month()
    assert "Choose your council" in at.info[0].value
    # Streamlit takes files up to twice the pipeline's limit, so the pipeline's message is seen.
    assert server.UPLOAD_LIMIT_MB * 1024 * 1024 > DEFAULT_MAX_BYTES
    command = server.command(8501)
    assert command[command.index("--server.maxUploadSize") + 1] == str(server.UPLOAD_LIMIT_MB)
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == server.UPLOAD_LIMIT_MB
