"""One settings module and one calendar: every COUNCILBENCH_* variable is read in
core/settings.py, and the returns' due day reaches the timetable, the emails, the
template and dbt from that one setting."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pendulum
from airflow.timetables.base import DataInterval, TimeRestriction

from councilbench.core import catalogue, settings
from councilbench.dev import sample_returns as sample
from councilbench.orchestration.timetables import ReportingMonthTimetable
from councilbench.returns import email_render, template
from councilbench.returns.validate import validate_return
from councilbench.warehouse.transform import run_dbt

REPO = Path(__file__).resolve().parents[2]
DUDLEY, MONTH = "E08000027", "2026-10"


def test_one_due_day_moves_the_timetable_the_emails_the_template_and_dbt(
    monkeypatch, tmp_path, reference_warehouse, state_dir
):
    monkeypatch.setenv("COUNCILBENCH_RETURNS_DUE_DAY", "28")
    due_words = "28 November 2026"

    # 1. the timetable: the month's run starts on the 28th
    info = ReportingMonthTimetable.from_env().next_dagrun_info(
        last_automated_data_interval=DataInterval(pendulum.datetime(2026, 9, 1), pendulum.datetime(2026, 10, 1)),
        restriction=TimeRestriction(None, None, True),
    )
    assert info.run_after == pendulum.datetime(2026, 11, 28, 6)

    # 2. the emails: a rejection before the due date says when it is due
    path = tmp_path / "dudley.csv"
    path.write_bytes(sample.faulted_bytes(DUDLEY, MONTH, ["semicolon_delimiter"]))
    report = validate_return(path, council_code=DUDLEY, return_month=MONTH)
    council = catalogue.councils()[DUDLEY]
    msg = email_render.compose(
        "rejection",
        report,
        council=council,
        contacts=catalogue.contacts()[DUDLEY],
        submission=email_render.SubmissionRef(1, "ab" * 32, datetime(2026, 11, 2, tzinfo=UTC)),
        now=datetime(2026, 11, 2, 7, tzinfo=UTC),
    )
    assert due_words in msg.get_body(("plain",)).get_content()

    # 3. the template's instructions
    assert due_words in " ".join(f"{a} {b}" for a, b in template.instructions_lines(DUDLEY, MONTH))

    # 4. dbt: mart_submission_quality's due date is compiled from the same setting
    run_dbt(reference_warehouse, ["compile", "--select", "mart_submission_quality"])
    compiled = next((state_dir / "dbt" / "target" / "compiled").rglob("mart_submission_quality.sql")).read_text()
    assert re.search(r"least\(\s*28\s*,", compiled), "the due day did not reach dbt as its var"


def test_every_councilbench_variable_is_read_in_the_settings_module_only():
    reads = re.compile(r"""(os\.environ(\.get)?\s*[\[(]\s*|getenv\(\s*)["']COUNCILBENCH_""")
    offenders = [
        f"{p.relative_to(REPO)}:{n}"
        for folder in ("plugins", "dags")
        for p in (REPO / folder).rglob("*.py")
        if p.name != "settings.py"
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if reads.search(line)
    ]
    assert offenders == []


def test_every_setting_is_in_the_readme_table_with_its_default():
    readme = (REPO / "README.md").read_text()
    table = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(COUNCILBENCH_\w+)` \| ([^|]*) \|", readme, re.M)}
    assert set(settings.SETTINGS) <= set(table), set(settings.SETTINGS) - set(table)
    for s in settings.SETTINGS.values():
        if s.default is not None:
            assert s.default in table[s.name], (s.name, s.default, table[s.name])
