"""The open data release (`councilbench export --out DIR`, reports/opendata.py): one CSV per
mart the analyst role may read and a datapackage.json that frictionless validates, whose
rows are the marts' rows and whose words are the dbt docs'. The release is written once
per module, through the command line, on the shared test warehouse."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import time
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import frictionless
import psycopg
import pytest
import yaml

import warehouse_data as wd
from councilbench.cli.main import main
from councilbench.core import settings
from councilbench.reports import opendata
from councilbench.warehouse import build as warehouse_build
from councilbench.warehouse.connection import connect

ANALYST = settings.ROLES["analyst"]
#: A sample of each mart's rows is compared cell by cell (every row's key is compared).
SAMPLE = 150


@pytest.fixture(scope="module")
def built(reference_warehouse, state_dir):
    return wd.built_warehouse(reference_warehouse, state_dir)


@pytest.fixture(scope="module")
def release(built, tmp_path_factory):
    """`councilbench export --out DIR` in this process, as an operator would run it."""
    out = tmp_path_factory.mktemp("open-data")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_URL", built.warehouse.url)
        mp.delenv("WAREHOUSE_ANALYST_URL", raising=False)
        started = time.monotonic()
        with contextlib.redirect_stdout(printed):
            code = main(["export", "--out", str(out)])
        seconds = time.monotonic() - started
    print(f"\nopen data export on the test warehouse: {seconds:.2f} s")
    assert code == 0, printed.getvalue()
    descriptor = json.loads((out / opendata.DESCRIPTOR).read_text(encoding="utf-8"))
    return {"out": out, "printed": printed.getvalue(), "descriptor": descriptor}


def sql(built, query: str, params=None) -> list[tuple]:
    with connect(built.warehouse) as conn:
        return conn.execute(query, params).fetchall()


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def resources(release) -> dict[str, dict]:
    return {r["name"]: r for r in release["descriptor"]["resources"]}


def same_cell(text: str, value) -> bool:
    """A CSV cell against the value PostgreSQL holds (the release's conventions: an empty
    cell for NULL, true/false, ISO 8601 dates and times)."""
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == str(value).lower()
    if isinstance(value, int | float | Decimal):
        return Decimal(text) == Decimal(str(value))
    if isinstance(value, datetime):
        return datetime.fromisoformat(text) == value
    if isinstance(value, date):
        return date.fromisoformat(text) == value
    return text == str(value)


def marts_yml() -> dict[str, dict]:
    models = {}
    for path in sorted((settings.dbt_project_dir() / "models" / "marts").glob("*/_marts__*.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            models[model["name"]] = model
    return models


# --- the release ------------------------------------------------------------------------------


def test_export_writes_a_csv_per_mart_and_a_datapackage_frictionless_finds_valid(built, release):
    out, descriptor = release["out"], release["descriptor"]
    names = [r["name"] for r in descriptor["resources"]]
    assert names == list(warehouse_build.MARTS)  # every mart, in the order a reader meets them
    assert sorted(p.name for p in out.iterdir()) == sorted([opendata.DESCRIPTOR] + [f"{n}.csv" for n in names])

    report = frictionless.validate(str(out / opendata.DESCRIPTOR))
    assert report.valid, report.flatten(["title", "message"])
    assert report.stats["errors"] == 0 and len(report.tasks) == len(names)
    counts = {t.name: t.stats.get("rows", 0) for t in report.tasks}  # no "rows" for a header-only table
    for name in names:
        assert counts[name] == sql(built, f"select count(*) from marts.{name}")[0][0], name

    assert descriptor["profile"] == "tabular-data-package" and descriptor["licenses"][0]["name"] == "OGL-UK-3.0"
    assert (
        descriptor["dataAsAt"]
        == sql(built, "select max(return_month) from marts.mart_submission_quality where final_status = 'loaded'")[0][0]
    )
    # what the command says it wrote
    for name in names:
        assert f"{name}.csv" in release["printed"]
    assert "valid" in release["printed"]


def test_each_csv_holds_its_marts_rows(built, release):
    for name, resource in resources(release).items():
        header, rows = read_csv(release["out"] / resource["path"])
        columns = [
            r[0]
            for r in sql(
                built,
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = %s order by ordinal_position",
                [name],
            )
        ]
        assert header == columns, name
        key = resource["schema"]["primaryKey"]  # every mart declares its key in its yml
        db_rows = sql(built, f"select * from marts.{name}")
        assert len(rows) == len(db_rows), name

        at = [header.index(k) for k in key]
        by_key = {tuple(str(r[i]) for i in at): r for r in db_rows}
        csv_by_key = {tuple(r[i] for i in at): r for r in rows}
        assert csv_by_key.keys() == by_key.keys(), name
        step = max(1, len(rows) // SAMPLE)
        for row in rows[::step]:
            expected = by_key[tuple(row[i] for i in at)]
            for column, text, value in zip(header, row, expected, strict=True):
                assert same_cell(text, value), f"{name}.{column}: CSV {text!r}, mart {value!r}"


def test_descriptions_and_types_come_from_the_dbt_docs(release):
    models = marts_yml()
    catalog = json.loads((warehouse_build.docs_dir() / "catalog.json").read_text())["nodes"]
    to_table_schema = {
        "text": "string",
        "numeric": "number",
        "bigint": "integer",
        "integer": "integer",
        "boolean": "boolean",
        "timestamp with time zone": "datetime",
        "date": "date",
    }
    for name, resource in resources(release).items():
        model = models[name]
        assert resource["description"] == model["description"].strip(), name
        documented = {c["name"]: c["description"].strip() for c in model["columns"]}
        catalogued = catalog[f"model.councilbench.{name}"]["columns"]
        for field in resource["schema"]["fields"]:
            assert field["description"] == documented[field["name"]], f"{name}.{field['name']}"
            pg_type = re.sub(r"\(.*\)", "", catalogued[field["name"]]["type"])  # numeric(14,2) -> numeric
            assert field["type"] == to_table_schema[pg_type], f"{name}.{field['name']}"
        assert [f["name"] for f in resource["schema"]["fields"]] == list(documented), name


def test_the_release_holds_only_what_the_analyst_role_may_read(built, release, tmp_path):
    readable = {
        r[0]
        for r in sql(
            built,
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and has_table_privilege(%s, format('%%I.%%I', table_schema, table_name), 'SELECT')",
            [ANALYST],
        )
    }
    assert set(resources(release)) == readable == set(warehouse_build.MARTS)
    for path in release["out"].glob("*.csv"):
        assert b"@" not in path.read_bytes(), f"{path.name} carries an email address"
    for resource in resources(release).values():
        # no address or contact of a person; a case study's contact role is a job title
        # (case_studies/schema.json), and no CSV holds an "@" (above)
        assert not [
            f
            for f in resource["schema"]["fields"]
            if "email" in f["name"] or ("contact" in f["name"] and not f["name"].endswith("contact_role"))
        ]

    # A mart granted to another role only (confidential pay, say) stays out of the release.
    with connect(built.warehouse, autocommit=True) as admin:
        admin.execute("create table marts.zz_confidential (council_code text, salary numeric)")
        admin.execute(f'revoke all on marts.zz_confidential from "{ANALYST}"')
        try:
            assert "zz_confidential" not in [m.name for m in opendata.listing(built.warehouse).marts]
            opendata.export(built.warehouse, tmp_path, check=False)
            assert not (tmp_path / "zz_confidential.csv").exists()
            assert (tmp_path / "dim_council.csv").exists()
        finally:
            admin.execute("drop table marts.zz_confidential")

    # and the export's connection cannot reach raw, ops or the contacts at all
    for table in ("ops.submissions", "raw.council_return_rows", "reference.council_contacts"):
        with opendata.snapshot(built.warehouse) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select 1 from {table} limit 1")


def test_the_release_is_one_repeatable_read_snapshot(built):
    with connect(built.warehouse, autocommit=True) as admin:
        admin.execute("create table marts.zz_probe (n int)")
        admin.execute(f'grant select on marts.zz_probe to "{ANALYST}"')
        admin.execute("insert into marts.zz_probe values (1)")
        try:
            with opendata.snapshot(built.warehouse) as conn:
                assert conn.execute(
                    "select current_user, current_setting('transaction_isolation'), "
                    "current_setting('transaction_read_only')"
                ).fetchone() == (ANALYST, "repeatable read", "on")
                probe = opendata.find_mart(conn, "zz_probe")
                assert opendata.row_counts(conn, [probe]) == {"zz_probe": 1}
                admin.execute("insert into marts.zz_probe values (2)")  # a build commits meanwhile
                out = io.BytesIO()
                assert opendata.write_csv(conn, probe, out).rows == 1
                assert out.getvalue() == b"n\n1\n"
        finally:
            admin.execute("drop table marts.zz_probe")


def test_an_invalid_release_is_refused_and_the_published_one_kept(built, release, tmp_path, monkeypatch):
    # frictionless checks each file against its descriptor: a changed byte is an error
    one = dict(release["descriptor"], resources=[resources(release)["dim_council"]])
    (tmp_path / opendata.DESCRIPTOR).write_text(json.dumps(one))
    text = (release["out"] / "dim_council.csv").read_text(encoding="utf-8")
    (tmp_path / "dim_council.csv").write_text(text.replace("Birmingham", "Birminghan", 1), encoding="utf-8")
    with pytest.raises(opendata.ReleaseInvalid, match="hash"):
        opendata.validate(tmp_path / opendata.DESCRIPTOR)

    # an export that fails validation leaves the folder as it was
    published = tmp_path / "published"
    published.mkdir()
    (published / opendata.DESCRIPTOR).write_text('{"resources": []}')

    def refuse(path):
        raise opendata.ReleaseInvalid(["a test refusal"])

    monkeypatch.setattr(opendata, "validate", refuse)
    with pytest.raises(opendata.ReleaseInvalid):
        opendata.export(built.warehouse, published)
    assert [p.name for p in published.iterdir()] == [opendata.DESCRIPTOR]
    assert (published / opendata.DESCRIPTOR).read_text() == '{"resources": []}'


def test_the_zip_is_the_release(built, release):
    archive = zipfile.ZipFile(io.BytesIO(opendata.release_zip(built.warehouse)))
    assert sorted(archive.namelist()) == sorted(p.name for p in release["out"].iterdir())
    for name in archive.namelist():
        if name.endswith(".csv"):
            assert archive.read(name) == (release["out"] / name).read_bytes(), name
    zipped = json.loads(archive.read(opendata.DESCRIPTOR))
    assert zipped["resources"] == release["descriptor"]["resources"]
