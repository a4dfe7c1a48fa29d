"""GOV.UK's gender pay gap data as a public source, end to end: downloads in the published
format (tests/fixtures/public/gpg, and variants written here) served from 127.0.0.1 the
way the service serves them (/viewing/download-data/<year>), landed, validated by real
Great Expectations, loaded into a real Postgres, the councils matched by EmployerId, and
the mart built by dbt.

Each test loads its own reporting year (the session warehouse is shared), so the ledger
rows it checks are its own.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from councilbench.core import settings
from councilbench.core.catalogue import councils
from councilbench.dev import gpg_samples
from councilbench.dev.public_server import SourceServer
from councilbench.ingest.fetch import RetryPolicy
from councilbench.public import gender_pay_gap as gpg
from councilbench.public.gender_pay_gap_load import refresh_year
from councilbench.public.gender_pay_gap_match import GENERIC_WORDS, match_councils
from councilbench.warehouse.connection import connect

FIXTURES = Path(__file__).parents[1] / "fixtures" / "public"
FAST = RetryPolicy(attempts=3, backoff_seconds=0.05, connect_timeout=2, read_timeout=2)
MALVERN, TAMWORTH, BIRMINGHAM = "E07000235", "E07000199", "E08000025"
HEADER = list(gpg.PUBLISHED_COLUMNS)


@pytest.fixture
def gpg_server(monkeypatch, tmp_path):
    """A server of the committed fixtures plus years written by the test into tmp_path/gpg."""
    folder = tmp_path / "sources"
    (folder / "gpg").mkdir(parents=True)
    for path in (FIXTURES / "gpg").iterdir():
        (folder / "gpg" / path.name).write_bytes(path.read_bytes())
    with SourceServer(folder) as server:
        monkeypatch.setenv(gpg.URL_ENV, server.gpg_url)
        yield server


def write_year(server: SourceServer, label: str, table: list[list[str]], header=HEADER) -> Path:
    path = server.folder / "gpg" / gpg.published_name(label)
    path.write_bytes(gpg_samples.gpg_csv(label, table, header))
    return path


def edited(label: str, edit) -> list[list[str]]:
    """The sample rows of a year, with edit(rows by EmployerName) applied."""
    table = gpg_samples.rows(label)
    edit({row[0]: row for row in table})
    return table


def published(path: Path) -> dict[str, dict]:
    """The download read with the csv module alone: EmployerId -> row."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {row["EmployerId"]: row for row in csv.DictReader(f)}


def checks_of(warehouse, submission_id: int) -> dict[str, tuple]:
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            "select check_name, outcome, message, failing_row_count, failing_rows"
            " from ops.check_results where submission_id = %s",
            [submission_id],
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def raw_rows(warehouse, submission_id: int) -> dict[str, dict]:
    with connect(warehouse, role="loader") as conn:
        cur = conn.execute("select * from raw.public_gender_pay_gap where submission_id = %s", [submission_id])
        names = [d.name for d in cur.description]
        return {r[names.index("employer_id")]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


# --- reporting years and the address ------------------------------------------------------


def test_reporting_years_follow_the_public_sector_deadline():
    assert gpg.latest_reporting_year(date(2026, 3, 30)) == "2024-25"  # 2025-26 is due by 30 March 2026
    assert gpg.latest_reporting_year(date(2026, 3, 31)) == "2025-26"
    assert gpg.years_from_params({}, date(2026, 12, 2)) == ["2023-24", "2024-25", "2025-26"]
    assert gpg.years_from_params({"gpg_year_from": "2019-20", "gpg_year_to": "2020-21"}, date(2026, 1, 1)) == [
        "2019-20",
        "2020-21",
    ]
    assert gpg.snapshot_date("2024-25") == date(2024, 3, 31)
    with pytest.raises(ValueError, match="consecutive years"):
        gpg.years_from_params({"gpg_year_to": "2024-26"}, date(2026, 1, 1))
    assert (
        settings.SETTINGS[gpg.URL_ENV].default == "https://gender-pay-gap.service.gov.uk/viewing/download-data/{year}"
    )
    assert gpg.url("2024-25", settings.SETTINGS[gpg.URL_ENV].default).endswith("/viewing/download-data/2024")
    assert gpg.published_name("2024-25") == "UK Gender Pay Gap Data - 2024 to 2025.csv"


def test_the_suite_and_the_sql_name_rule_agree_with_the_code(repo):
    suite = json.loads((repo / "expectations" / "public_gender_pay_gap.json").read_text())
    (columns,) = [e for e in suite["expectations"] if e["meta"]["check"] == "columns"]
    assert tuple(columns["kwargs"]["column_set"]) == gpg.PUBLISHED_COLUMNS
    assert {e["meta"]["check"] for e in suite["expectations"]} == {
        "columns",
        "one_row_per_employer",
        "reporting_year",
        "values_numeric",
        "within_range",
        "quartiles_sum_to_100",
        "submitted_late_flag",
    }
    macro = (repo / "dbt_project" / "macros" / "public" / "gpg_name_words.sql").read_text()
    listed = re.search(r"return\(\[(.*?)\]\)", macro, re.S).group(1)
    assert set(re.findall(r"'(\w+)'", listed)) == GENERIC_WORDS
    assert "ResponsiblePerson" not in gpg.RAW_COLUMNS and "responsible" not in " ".join(gpg.RAW_COLUMNS)


# --- matching -----------------------------------------------------------------------------


def test_councils_are_matched_by_employer_id_and_a_wrong_or_blank_id_is_reported_never_guessed():
    table = gpg.read_file(FIXTURES / "gpg" / gpg.published_name("2023-24")).rows
    registry = dict(councils())
    registry[BIRMINGHAM] = dataclasses.replace(registry[BIRMINGHAM], gpg_employer_id="")
    university = next(r["EmployerId"] for r in table if r["EmployerName"] == "BIRMINGHAM CITY UNIVERSITY")
    registry["E08000026"] = dataclasses.replace(registry["E08000026"], gpg_employer_id=university)
    by_code = {m.council.code: m for m in match_councils(table, registry)}
    assert (by_code[BIRMINGHAM].status, by_code[BIRMINGHAM].index) == ("no_employer_id", None)
    assert "BIRMINGHAM CITY COUNCIL" in {r["EmployerName"] for r in table}  # there by name, not taken
    assert by_code["E08000026"].status == "name_differs"
    assert "'BIRMINGHAM CITY UNIVERSITY' in the file, not this council" in by_code["E08000026"].reason
    hereford = by_code["E06000019"]  # published as COUNTY OF HEREFORDSHIRE DISTRICT COUNCIL
    assert hereford.matched and table[hereford.index]["EmployerName"] == "COUNTY OF HEREFORDSHIRE DISTRICT COUNCIL"
    assert sum(m.matched for m in by_code.values()) == 31


# --- the download, end to end ---------------------------------------------------------------


def test_a_year_is_fetched_loaded_whole_and_its_councils_matched(warehouse, gpg_server):
    result = refresh_year(warehouse, "2024-25", policy=FAST)
    assert (result.outcome, result.status, result.validation) == ("loaded", "loaded", "warn"), result.message
    assert gpg_server.requests_to("/viewing/download-data/") == ["/viewing/download-data/2024"]
    path = FIXTURES / "gpg" / gpg.published_name("2024-25")
    file = published(path)
    assert result.rows_loaded == len(file) == 44  # every employer's row: 32 councils and 12 others
    checks = checks_of(warehouse, result.submission_id)
    assert {c: v[0] for c, v in checks.items() if v[0] != "pass"} == {"councils_matched": "warn"}
    _, message, count, failing = checks["councils_matched"]
    assert message.startswith("32 of 33 councils matched by EmployerId")
    assert "Malvern Hills District Council: EmployerId 11564 is not in the file" in message
    assert count == 1 and failing[0]["council_code"] == MALVERN and failing[0]["status"] == "id_not_in_file"

    loaded = raw_rows(warehouse, result.submission_id)
    birmingham = loaded[councils()[BIRMINGHAM].gpg_employer_id]
    source = file[councils()[BIRMINGHAM].gpg_employer_id]
    assert birmingham["employer_name"] == source["EmployerName"] == "BIRMINGHAM CITY COUNCIL"
    assert float(birmingham["diff_mean_hourly_pct"]) == float(source["DiffMeanHourlyPercent"])
    assert float(birmingham["female_top_quartile_pct"]) == float(source["FemaleTopQuartile"])
    assert birmingham["diff_mean_bonus_pct"] is None and source["DiffMeanBonusPercent"] == ""  # blank, not zero
    assert birmingham["sic_codes"] == "1,\n84110" and birmingham["due_date"] == date(2025, 3, 31)
    assert "responsible_person" not in birmingham
    with connect(warehouse, role="loader") as conn:
        name = conn.execute(
            "select original_name from ops.submissions where submission_id = %s", [result.submission_id]
        ).fetchone()[0]
    assert name == "UK Gender Pay Gap Data - 2024 to 2025.csv"

    again = refresh_year(warehouse, "2024-25", policy=FAST)  # a conditional request: 304
    assert (again.outcome, again.submission_id, again.status) == ("unchanged", result.submission_id, "loaded")


def test_a_council_whose_id_is_not_in_the_file_is_reported_and_not_taken_by_name(warehouse, gpg_server, capsys):
    tamworth = councils()[TAMWORTH]

    def reregistered(rows):  # the service gave Tamworth a new EmployerId; its name is unchanged
        rows["TAMWORTH BOROUGH COUNCIL"][1] = "99999"

    path = write_year(gpg_server, "2021-22", edited("2021-22", reregistered))
    result = refresh_year(warehouse, "2021-22", policy=FAST)
    assert (result.status, result.validation) == ("loaded", "warn"), result.message
    _, message, count, failing = checks_of(warehouse, result.submission_id)["councils_matched"]
    assert count == 1 and failing[0]["council_code"] == TAMWORTH
    assert f"Tamworth Borough Council: EmployerId {tamworth.gpg_employer_id} is not in the file" in message
    assert "never guessed by name" in message
    assert "99999" in raw_rows(warehouse, result.submission_id)  # loaded as published, as nobody's

    from councilbench.cli.main import main

    assert main(["gpg-match", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{TAMWORTH} Tamworth Borough Council: EmployerId {tamworth.gpg_employer_id} is not in the file" in out
    assert "same name: EmployerId 99999  TAMWORTH BOROUGH COUNCIL" in out
    assert f"{TAMWORTH},99999  # TAMWORTH BOROUGH COUNCIL" in out  # proposed, for a person to confirm
    assert "32 of 33 councils matched" in out and BIRMINGHAM not in out


def test_a_renamed_column_fails_naming_it_and_nothing_is_loaded(warehouse, gpg_server):
    header = ["MeanHourlyGapPercent" if c == "DiffMeanHourlyPercent" else c for c in HEADER]
    write_year(gpg_server, "2020-21", gpg_samples.rows("2020-21"), header)
    result = refresh_year(warehouse, "2020-21", policy=FAST)
    assert (result.outcome, result.status, result.validation) == ("rejected", "rejected", "fail")
    checks = checks_of(warehouse, result.submission_id)
    assert list(checks) == ["columns"]  # nothing else runs on a file laid out otherwise
    outcome, message, count, failing = checks["columns"]
    assert outcome == "fail" and count == 1 and failing[0]["column"] == "DiffMeanHourlyPercent"
    assert "1 column missing: DiffMeanHourlyPercent" in message
    assert "columns not in the published layout: MeanHourlyGapPercent" in message
    assert raw_rows(warehouse, result.submission_id) == {}
    assert list((settings.state_path("quarantine") / "gender_pay_gap" / "2020-21").iterdir())


def test_a_bad_council_row_rejects_the_year_and_another_employers_only_warns(warehouse, gpg_server):
    def council_quartiles_off(rows):
        rows["BIRMINGHAM CITY COUNCIL"][HEADER.index("FemaleTopQuartile")] = "67.8"

    write_year(gpg_server, "2019-20", edited("2019-20", council_quartiles_off))
    rejected = refresh_year(warehouse, "2019-20", policy=FAST)
    assert (rejected.status, rejected.validation) == ("rejected", "fail"), rejected.message
    outcome, message, count, failing = checks_of(warehouse, rejected.submission_id)["quartiles_sum_to_100"]
    assert outcome == "fail" and count == 1 and failing[0]["council_code"] == BIRMINGHAM
    assert message.startswith("1 council row with a quartile whose men's and women's shares do not add up to 100")
    assert "TopQuartile '" in message and "+ 67.8' for BIRMINGHAM CITY COUNCIL" in message
    assert raw_rows(warehouse, rejected.submission_id) == {}

    def others_odd(rows):
        rows["MIDLAND METAL PRESSINGS LIMITED"][HEADER.index("DiffMedianHourlyPercent")] = "n/a"
        rows["SEVERN TRENT WATER LIMITED"][HEADER.index("DiffMeanBonusPercent")] = "-250.0"  # allowed: no floor

    write_year(gpg_server, "2018-19", edited("2018-19", others_odd))
    warned = refresh_year(warehouse, "2018-19", policy=FAST)
    assert (warned.status, warned.validation) == ("loaded", "warn"), warned.message
    checks = checks_of(warehouse, warned.submission_id)
    assert checks["within_range"][0] == "pass"
    outcome, message, *_ = checks["values_numeric"]
    assert outcome == "warn" and "other employers (no council's)" in message
    assert "DiffMedianHourlyPercent 'n/a' for MIDLAND METAL PRESSINGS LIMITED" in message
    assert raw_rows(warehouse, warned.submission_id)["9555"]["diff_median_hourly_pct"] is None


def test_the_wrong_years_file_fails_the_reporting_year_check(warehouse, gpg_server):
    write_year(gpg_server, "2017-18", gpg_samples.rows("2016-17"))  # last year's download at this year's address
    result = refresh_year(warehouse, "2017-18", policy=FAST)
    assert result.status == "rejected"
    outcome, message, count, _ = checks_of(warehouse, result.submission_id)["reporting_year"]
    assert outcome == "fail" and count == 33
    assert "DueDate '2017/03/31 00:00:00'" in message


# --- dbt: the mart ------------------------------------------------------------------------


def test_the_mart_holds_each_councils_published_figures(reference_warehouse, gpg_server):
    from councilbench.warehouse.transform import run_dbt

    wh = reference_warehouse
    for label in ("2022-23", "2024-25"):
        result = refresh_year(wh, label, policy=FAST)
        assert result.status == "loaded", result.message
    built = run_dbt(wh, ["build", "--select", "stg_govuk__gender_pay_gap", "mart_pay_gender_gap"])
    assert built.success and not built.failures()
    assert any("unit_test" in n["node"] for n in built.nodes)
    with connect(wh, role="analyst") as conn:
        cur = conn.execute("select * from marts.mart_pay_gender_gap where reporting_year in ('2022-23', '2024-25')")
        names = [d.name for d in cur.description]
        mart = {(r[0], r[names.index("reporting_year")]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    assert len(mart) == 66  # every council, both years
    assert mart[(MALVERN, "2024-25")]["match_status"] == "id_not_in_file"
    assert mart[(MALVERN, "2024-25")]["mean_hourly_gap_pct"] is None
    assert mart[(MALVERN, "2022-23")]["match_status"] == "matched"

    pairs = {
        "mean_hourly_gap_pct": "DiffMeanHourlyPercent",
        "median_hourly_gap_pct": "DiffMedianHourlyPercent",
        "female_lower_quartile_pct": "FemaleLowerQuartile",
        "female_lower_middle_quartile_pct": "FemaleLowerMiddleQuartile",
        "female_upper_middle_quartile_pct": "FemaleUpperMiddleQuartile",
        "female_top_quartile_pct": "FemaleTopQuartile",
        "female_bonus_pct": "FemaleBonusPercent",
        "male_bonus_pct": "MaleBonusPercent",
        "mean_bonus_gap_pct": "DiffMeanBonusPercent",
        "median_bonus_gap_pct": "DiffMedianBonusPercent",
    }
    compared = 0
    for label in ("2022-23", "2024-25"):
        file = published(FIXTURES / "gpg" / gpg.published_name(label))
        for code, council in councils().items():
            row, source = mart[(code, label)], file.get(council.gpg_employer_id)
            if source is None:
                continue
            assert row["match_status"] == "matched" and row["employer_name"] == source["EmployerName"]
            for column, published_column in pairs.items():
                expected = float(source[published_column]) if source[published_column] else None
                assert (float(row[column]) if row[column] is not None else None) == expected, (code, column)
            assert row["submitted_late"] == (source["SubmittedAfterTheDeadline"] == "True")
            submitted = row["date_submitted"].astimezone(ZoneInfo("Europe/London"))  # published in UK time
            assert submitted.strftime("%Y/%m/%d %H:%M:%S") == source["DateSubmitted"]
            assert row["snapshot_date"] == date(int(label[:4]), 3, 31)
            compared += 1
    assert compared == 65
    assert mart[("E08000028", "2024-25")]["submitted_late"] is True  # Sandwell reported late that year


# --- the demo's sources -------------------------------------------------------------------


def test_demo_sources_serve_the_years_the_dag_asks_for(warehouse, tmp_path, monkeypatch):
    from councilbench.dev.public_sources import serve_demo_sources

    as_of = date(2026, 11, 21)
    with serve_demo_sources(tmp_path / "demo", as_of) as overrides:
        assert overrides[gpg.URL_ENV].endswith("/viewing/download-data/{year}")
        monkeypatch.setenv(gpg.URL_ENV, overrides[gpg.URL_ENV])
        assert gpg.years_from_params({}, as_of) == ["2023-24", "2024-25", "2025-26"]
        result = refresh_year(warehouse, "2025-26", policy=FAST)
    assert (result.status, result.validation, result.rows_loaded) == ("loaded", "pass", 45), result.message
