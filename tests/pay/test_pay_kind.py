"""Council pay deposits through the one ingest lifecycle, end to end: deposits served over
HTTP at the registry's pay_source, landed, validated in one GX run, loaded into
raw.council_pay_posts or rejected and quarantined, each council told once and alone.
A file holding personal data loads nothing and nothing of it is quoted back."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from pay_deposit_files import as_csv, good_posts, totals, write

from councilbench.cli.main import main
from councilbench.core import catalogue, settings
from councilbench.pay import pipeline
from councilbench.pay.kind import SOURCE_KIND, pay_year_of
from councilbench.warehouse.connection import connect
from warehouse_copy import warehouse_copy

YEAR = "2025-26"
SUBDIR = "pay-kind"
GOOD = ["dudley", "walsall"]
#: Personal values written into Sandwell's file: none may reach the warehouse or an email.
PERSONAL = ["Jane Smith", "Ahmed Khan", "Olivia Brown", "Li Wei", "QQ123456C", "AB654321D"]
HOURLY = "14.37"


def code(name: str) -> str:
    return catalogue.find_council(name).code


def _bad_files() -> dict[str, tuple[str, str, tuple[str, ...], str | bytes]]:
    """council -> (the check that fails, the words its message says, what the file holds)."""
    sandwell = good_posts("sandwell", YEAR)
    solihull = [dict(p, role_id="") for p in good_posts("solihull", YEAR)]
    coventry = good_posts("coventry", YEAR)
    coventry[1]["fte_salary"] = HOURLY
    stoke = good_posts("stoke-on-trent", YEAR)
    return {
        "sandwell": ("personal_data", ("column O 'Employee name' holds people's names (its header says so)",
                     "column P 'NI No' holds National Insurance numbers"),
                     as_csv(sandwell, {"Employee name": PERSONAL[:4], "NI No": [PERSONAL[4], PERSONAL[5], "", ""]})),
        "solihull": ("role", ("4 posts have no role id of the catalogue",
                     "row 2 'Planning Officer' has no role id (it may be planning_officer (Planning officer)"),
                     as_csv(solihull)),
        "coventry": ("annual_salary", (f"row 3 £{HOURLY} looks like an hourly rate",), as_csv(coventry)),
        "wolverhampton": ("council", ("but it was fetched from City of Wolverhampton Council's pay deposit address",
                          "It may be Dudley Metropolitan Borough Council's file"), as_csv(good_posts("dudley", YEAR))),
        "stoke-on-trent": ("pay_year", ("the pay year is '2024-25', but this deposit is for 2025-26",),
                           as_csv([dict(p, pay_year="2024-25") for p in stoke])),
        "birmingham": ("readable", ("served a web page, not a pay file (its title is 'Sign in')",),
                       b"<!DOCTYPE html><html><head><title>Sign in</title></head><body></body></html>"),
    }  # fmt: skip


BAD = _bad_files()


@pytest.fixture(scope="module")
def scratch_warehouse(reference_template):
    """A database of this module's own: other modules' deposits never change its counts."""
    with warehouse_copy(reference_template, "pay_kind") as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def run(scratch_warehouse, returns_server, mail_catcher):
    folder, url = returns_server.folder / SUBDIR, f"{returns_server.url}/{SUBDIR}"
    good = {name: good_posts(name, YEAR) for name in GOOD}
    for name, posts in good.items():
        write(folder, name, YEAR, as_csv(posts))
    for name, (_, _, content) in BAD.items():
        write(folder, name, YEAR, content)
    councils = [*GOOD, *BAD, "rugby"]  # Rugby has deposited nothing
    mail_catcher.clear()
    summary, outcomes = pipeline.run_year(scratch_warehouse, YEAR, councils, pay_base_url=url, notify=True)
    emails: dict[str, list] = {}
    for message in mail_catcher.messages:
        emails.setdefault(message["X-Councilbench-Council"], []).append(message)
    done = {catalogue.councils()[o.subject].short_name: o for o in outcomes}
    return {"warehouse": scratch_warehouse, "summary": summary, "done": done, "emails": emails, "good": good,
            "folder": folder, "url": url}  # fmt: skip


def posts_of(warehouse, submission_id: int) -> tuple[int, Decimal]:
    with connect(warehouse, role="loader") as conn:
        return conn.execute(
            "select count(*), coalesce(sum(fte_salary), 0) from raw.council_pay_posts where submission_id = %s",
            [submission_id],
        ).fetchone()


def email_text(message) -> str:
    parts = [message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()]
    parts += [a.get_content() for a in message.iter_attachments()]
    return "\n".join(str(p) for p in parts)


def recipients(message) -> set[str]:
    fields = [message["To"], message["Cc"] or "", message["X-Envelope-To"] or ""]
    return {a.split("<")[-1].strip(" >") for f in fields for a in f.split(",") if a.strip()}


def test_one_run_loads_the_good_deposits_and_rejects_each_bad_one(run):
    s = run["summary"]
    assert (s["files"], s["loaded"], s["rejected"], s["not_received"]) == (len(GOOD) + len(BAD) + 1, 2, len(BAD), 1)
    assert s["emails"] == len(GOOD) + len(BAD)
    assert run["done"]["rugby"].fetch == "not_received" and code("rugby") not in run["emails"]


@pytest.mark.parametrize("name", GOOD)
def test_a_good_deposit_loads_every_post_and_gets_a_receipt_alone(run, name):
    o, posts = run["done"][name], run["good"][name]
    assert (o.status, o.outcome, o.rows_loaded) == ("loaded", "pass", len(posts)), o.message
    assert posts_of(run["warehouse"], o.submission_id) == totals(posts)
    with connect(run["warehouse"], role="loader") as conn:
        rows = conn.execute(
            """select council_code, pay_year, post_id, role_id, scp_min, fte, headcount, market_supplement
               from raw.council_pay_posts where submission_id = %s order by row_number""",
            [o.submission_id],
        ).fetchall()
    assert rows[0] == (code(name), YEAR, "POST-0001", "planning_officer", 23, Decimal("1.0000"), 1, Decimal("1500.00"))
    [email] = run["emails"][code(name)]
    assert email["X-Councilbench-Kind"] == "receipt" and email["X-Councilbench-Source"] == SOURCE_KIND
    assert recipients(email) == {c.email for c in catalogue.contacts()[code(name)]}
    text = email.get_body(("plain",)).get_content()
    assert f"- {len(posts)} posts, {sum(p['headcount'] for p in posts)} incumbents" in text
    assert f"£{HOURLY}" not in email_text(email)  # another council's figure is never in it


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_deposit_is_rejected_kept_and_told_to_its_council_alone(run, name):
    check, words, _ = BAD[name]
    o = run["done"][name]
    assert (o.status, o.outcome, o.checks[check], o.rows_loaded) == ("rejected", "fail", "fail", 0), o.message
    for w in words:
        assert w in o.message, o.message
    assert posts_of(run["warehouse"], o.submission_id) == (0, 0)
    quarantined = Path(o.quarantined)
    short = catalogue.find_council(name).short_name
    assert quarantined.is_relative_to(settings.state_path("quarantine") / short / f"pay-{YEAR}")
    with connect(run["warehouse"], role="loader") as conn:
        landing_path, kind = conn.execute(
            "select landing_path, source_kind from ops.submissions where submission_id = %s", [o.submission_id]
        ).fetchone()
    assert kind == SOURCE_KIND and os.path.samefile(quarantined, landing_path)
    [email] = run["emails"][code(name)]
    assert email["X-Councilbench-Kind"] == "rejection" and "not accepted" in email["Subject"]
    assert recipients(email) == {c.email for c in catalogue.contacts()[code(name)]}
    assert words[0] in email.get_body(("plain",)).get_content()
    assert (f"£{HOURLY}" in email_text(email)) == (name == "coventry")


def test_personal_data_reaches_neither_the_warehouse_nor_the_email(run):
    o = run["done"]["sandwell"]
    assert o.checks == {"readable": "pass", "personal_data": "fail"}  # nothing else was judged
    with connect(run["warehouse"], role="loader") as conn:
        recorded = conn.execute(
            """select s.normalisations::text, coalesce(json_agg(c)::text, '')
               from ops.submissions s left join ops.check_results c using (submission_id)
               where s.submission_id = %s group by s.normalisations""",
            [o.submission_id],
        ).fetchone()
        loaded = conn.execute("select count(*) from raw.council_pay_posts where council_code = %s", [code("sandwell")])
        assert loaded.fetchone()[0] == 0
    [email] = run["emails"][code("sandwell")]
    everything = email_text(email) + "".join(recorded) + o.message
    assert [v for v in PERSONAL if v in everything] == []
    assert "this email quotes none of its values" in email.get_body(("plain",)).get_content()
    [attachment] = list(email.iter_attachments())
    assert "a column of people's names" in attachment.get_content()


def test_a_missing_role_is_answered_with_suggestions_in_the_email(run):
    [email] = run["emails"][code("solihull")]
    text = email.get_body(("plain",)).get_content()
    assert "it may be planning_officer (Planning officer)" in text and "nothing is guessed" in text
    [attachment] = list(email.iter_attachments())
    assert "closest: planning_officer (Planning officer)" in attachment.get_content()


def test_a_rerun_changes_nothing_and_sends_nothing(run, mail_catcher):
    before = len(mail_catcher.messages)
    summary, outcomes = pipeline.run_year(run["warehouse"], YEAR, [*GOOD, *BAD], pay_base_url=run["url"], notify=True)
    assert (summary["new_submissions"], summary["posts_loaded"], summary["emails"]) == (0, 0, 0)
    assert {catalogue.councils()[o.subject].short_name: o.status for o in outcomes} == {
        n: run["done"][n].status for n in [*GOOD, *BAD]
    }
    assert len(mail_catcher.messages) == before


def test_a_corrected_deposit_loads_and_a_new_one_supersedes_the_old(run, monkeypatch, capsys):
    """Through the command line, as an engineer reruns a council that says it deposited."""
    fixed = good_posts("solihull", YEAR)
    write(run["folder"], "solihull", YEAR, as_csv(fixed))
    more = good_posts("dudley", YEAR, count=6)
    write(run["folder"], "dudley", YEAR, as_csv(more))
    monkeypatch.setenv("WAREHOUSE_URL", run["warehouse"].url)
    argv = ["pay", "run", "--year", YEAR, "--council", "solihull", "--council", "dudley", "--no-email",
            "--pay-base-url", run["url"]]  # fmt: skip
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["pay_year"], printed["loaded"], printed["new_submissions"], printed["posts_loaded"]) == (
        YEAR,
        2,
        2,
        len(fixed) + len(more),
    )
    with connect(run["warehouse"], role="loader") as conn:
        status = dict(conn.execute(
            "select subject || ' ' || status, count(*) from ops.submissions where source_kind = %s and subject = any(%s) group by 1",
            [SOURCE_KIND, [code("solihull"), code("dudley")]],
        ).fetchall())  # fmt: skip
        current = conn.execute(
            """select s.subject, count(*) from raw.council_pay_posts p join ops.submissions s using (submission_id)
               where s.status = 'loaded' and s.subject = any(%s) group by 1 order by 1""",
            [[code("solihull"), code("dudley")]],
        ).fetchall()
    assert status == {f"{code('solihull')} rejected": 1, f"{code('solihull')} loaded": 1,
                      f"{code('dudley')} superseded": 1, f"{code('dudley')} loaded": 1}  # fmt: skip
    assert dict(current) == {code("solihull"): len(fixed), code("dudley"): len(more)}


def test_the_pay_year_of_a_date_starts_in_april():
    import datetime as dt

    assert pay_year_of(dt.date(2026, 5, 1)) == "2026-27" and pay_year_of(dt.date(2026, 3, 31)) == "2025-26"


def test_the_command_line_refuses_a_pay_year_that_is_not_one(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["pay", "run", "--year", "2025-27"])
    assert exc.value.code == 2 and "is not a pay year: write YYYY-YY" in capsys.readouterr().err
