"""The explorer's Open data page in streamlit.testing: every mart with its description and
rows as the warehouse has them, one table's CSV download whose bytes are the mart's rows,
and the whole release as a zip.

The page's downloads are deferred (built when clicked): the test records the callables the
page hands to Streamlit's media file manager and calls them, as the server does on a click."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from councilbench.reports import opendata
from councilbench.warehouse import build as warehouse_build
from councilbench.warehouse.connection import connect

END = "Source: every table of the marts the analyst role may read."


@pytest.fixture
def deferred(monkeypatch) -> dict:
    """file id -> the callable a deferred download button registered."""
    registered = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, *args, **kwargs):
        file_id = original(self, data_callable, *args, **kwargs)
        registered[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return registered


def sql(built, query: str, params=None) -> list[tuple]:
    with connect(built.warehouse) as conn:
        return conn.execute(query, params).fetchall()


def download(at, deferred: dict, key: str) -> tuple[str, bytes]:
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}")]
    return button.proto.label, deferred[button.proto.deferred_file_id]()


def last_element(at):
    main = at.main
    return main.children[max(main.children)]


def test_the_page_lists_every_mart_with_its_description_and_rows(open_page, built, deferred):
    at = open_page("data")
    assert not at.exception and not at.error
    assert last_element(at).value.startswith(END)

    table = at.table[0].value
    assert list(table["File"]) == [f"{name}.csv" for name in warehouse_build.MARTS]
    for name, rows, holds in zip(warehouse_build.MARTS, table["Rows"], table["What it holds"], strict=True):
        count, comment = sql(
            built, f"select (select count(*) from marts.{name}), obj_description('marts.{name}'::regclass)"
        )[0]
        assert rows == f"{count:,}", name
        assert holds and comment.startswith(holds), name

    # the whole release as a zip: datapackage.json and a CSV per mart, as `councilbench export` writes it
    label, data = download(at, deferred, "zip")
    assert f"{len(warehouse_build.MARTS)} CSV files" in label
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == sorted(
        [opendata.DESCRIPTOR] + [f"{name}.csv" for name in warehouse_build.MARTS]
    )
    descriptor = json.loads(archive.read(opendata.DESCRIPTOR))
    assert [r["name"] for r in descriptor["resources"]] == list(warehouse_build.MARTS)


def test_a_table_downloads_as_its_mart(open_page, built, deferred):
    at = open_page("data")
    # the first table: byte for byte the mart's rows as a CSV writer writes them
    label, data = download(at, deferred, "csv")
    assert label == "Download dim_council.csv (33 rows)"
    cur_rows = sql(built, "select * from marts.dim_council")
    columns = [
        r[0]
        for r in sql(
            built,
            "select column_name from information_schema.columns where "
            "table_schema = 'marts' and table_name = 'dim_council' order by ordinal_position",
        )
    ]
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in cur_rows)
    assert data == expected.getvalue().encode("utf-8")

    # another table chosen: its file, its rows and its description
    at.selectbox(key="table").select("mart_region_problems").run()
    assert not at.exception
    label, data = download(at, deferred, "csv")
    (count,) = sql(built, "select count(*) from marts.mart_region_problems")[0]
    assert label == f"Download mart_region_problems.csv ({count:,} rows)"
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) == count
    keys = {
        (
            r[header.index("metric_id")],
            r[header.index("period")],
            r[header.index("problem_type")],
            r[header.index("reason")],
        )
        for r in rows
    }
    assert keys == set(sql(built, "select metric_id, period, problem_type, reason from marts.mart_region_problems"))
    assert any("retail" in reason for *_, reason in keys)  # the contract's example is in the open data
    assert last_element(at).value.startswith(END)
