"""The Metric explorer page (explorer/views/metric.py) through streamlit.testing's AppTest:
the figures shown equal marts.mart_benchmark read independently here, the comparison
group switch changes the rows, a context metric is never ranked, the CSV download is the
table shown, and a bad or hostile query parameter ends in a warning, not a traceback."""

from __future__ import annotations

import io
from typing import ClassVar

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test

from councilbench.reports import format as fmt
from councilbench.warehouse.connection import connect

METRIC = "waste_household_recycling_rate"  # quarterly, higher is better, districts deliver it
PERIOD = "2026-Q1"
CONTEXT_METRIC = "wf_fte_employees"  # context: shown, never ranked
DUDLEY = "E08000027"
SQL = "x'; drop table marts.dim_council; --"
END = "Source: marts.mart_benchmark"


def marts(built, sql: str, params=()) -> list[tuple]:
    """An independent read of the marts (the warehouse owner, not the app's analyst role)."""
    with connect(built.warehouse) as conn:
        return conn.execute(sql, params).fetchall()


def benchmark(built, metric: str, period: str, group_id: str) -> dict[str, tuple]:
    """council_code -> (rank, normalised_value, position_high_to_low) in mart_benchmark."""
    rows = marts(
        built,
        """select council_code, rank, normalised_value, position_high_to_low from marts.mart_benchmark
           where metric_id = %s and period = %s and group_id = %s""",
        (metric, period, group_id),
    )
    return {code: (rank, float(value), position) for code, rank, value, position in rows}


def shown(at) -> pd.DataFrame:
    """The ranking table on the page (the one with a GSS code column)."""
    tables = [d.value for d in at.dataframe if "GSS code" in d.value.columns]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    return tables[0]


def value_column(table: pd.DataFrame) -> str:
    return next(c for c in table.columns if c.startswith("Value ("))


def assert_ranking_equals_mart(at, built, group_id: str) -> pd.DataFrame:
    table = shown(at)
    mart = benchmark(built, METRIC, PERIOD, group_id)
    assert sorted(table["GSS code"]) == sorted(mart)
    for code, rank, value in zip(table["GSS code"], table["Rank"], table[value_column(table)], strict=True):
        assert (int(rank), pytest.approx(value, abs=1e-9)) == (mart[code][0], mart[code][1]), code
    assert list(table["Rank"]) == sorted(table["Rank"])  # best first
    return table


def assert_ends_with_marker(at) -> None:
    assert at.caption[-1].value.startswith(END)


def test_ranking_equals_the_mart_and_the_group_switch_changes_the_rows(open_page, built):
    at = open_page("metric", metric=METRIC, period=PERIOD)
    assert not at.exception
    region = assert_ranking_equals_mart(at, built, "region")
    assert len(region) == 30
    # the region line is the mart's sum of numerators over sum of denominators
    (region_value,) = {
        float(r[0])
        for r in marts(
            built,
            "select region_value from marts.mart_benchmark where metric_id = %s and period = %s",
            (METRIC, PERIOD),
        )
    }
    region_line = fmt.value(region_value, "percent")
    assert any(m.value.startswith(f"**West Midlands: {region_line}**") for m in at.markdown)
    assert any(m.value.startswith("**England:") for m in at.markdown)
    assert_ends_with_marker(at)

    at.radio(key="group_type").set_value("tier").run()
    at.selectbox(key="group_tier_").set_value("tier:unitary").run()
    assert not at.exception
    unitaries = assert_ranking_equals_mart(at, built, "tier:unitary")
    assert 0 < len(unitaries) < len(region)
    assert set(unitaries["GSS code"]) < set(region["GSS code"])
    assert at.query_params["group"] == "tier:unitary"
    # fewer than 5 councils: said for the group and beside each position
    assert any("Fewer than 5 councils" in i.value for i in at.info)
    assert all("only 4 councils reported" in c for c in unitaries["Caveats"])


def test_nearest_neighbours_of_a_chosen_council(open_page, built):
    at = open_page("metric", metric=METRIC, period=PERIOD, council="dudley", group="nearest_neighbours")
    assert not at.exception
    table = shown(at)
    members = {
        r[0]
        for r in marts(
            built,
            """select g.member_council_code from marts.mart_comparison_groups g
               join marts.mart_benchmark b on b.council_code = g.member_council_code
                and b.metric_id = %s and b.period = %s and b.group_type = 'region'
               where g.group_id = %s""",
            (METRIC, PERIOD, f"nearest_neighbours:{DUDLEY}"),
        )
    }
    assert set(table["GSS code"]) == members and DUDLEY in members
    region = benchmark(built, METRIC, PERIOD, "region")
    for code, value in zip(table["GSS code"], table[value_column(table)], strict=True):
        assert value == pytest.approx(region[code][1], abs=1e-9)
    # Dudley's own rank is the mart's, among its own nearest neighbours
    own = benchmark(built, METRIC, PERIOD, f"nearest_neighbours:{DUDLEY}")[DUDLEY][0]
    assert int(table.loc[table["GSS code"] == DUDLEY, "Rank"].iloc[0]) == own
    assert at.radio(key="group_type").value == "nearest_neighbours"


def test_a_context_metric_is_shown_but_never_ranked(open_page, built):
    (period,) = marts(
        built,
        "select max(period) from marts.mart_benchmark where metric_id = %s and frequency = 'monthly'",
        (CONTEXT_METRIC,),
    )[0]
    at = open_page("metric", metric=CONTEXT_METRIC, period=period)
    assert not at.exception
    table = shown(at)
    assert "Rank" not in table.columns and "Quartile" not in table.columns
    mart = benchmark(built, CONTEXT_METRIC, period, "region")
    assert all(rank is None for rank, _, _ in mart.values())
    assert len(table) == len(mart)
    for code, position, value in zip(
        table["GSS code"], table["Position (highest value first)"], table[value_column(table)], strict=True
    ):
        assert (int(position), pytest.approx(value, abs=1e-9)) == (mart[code][2], mart[code][1])
    assert any("never ranked" in i.value for i in at.info)


class _RecordingStorage(MemoryMediaFileStorage):
    """The AppTest's media storage, keeping every file (the run discards its runtime)."""

    files: ClassVar[dict[str, bytes]] = {}

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None) -> str:
        file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
        _RecordingStorage.files[file_id] = self.get_file(file_id).content
        return file_id


def test_the_csv_download_is_the_table_shown(open_page, monkeypatch):
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", _RecordingStorage)
    at = open_page("metric", metric=METRIC, period=PERIOD, group="tier:district")
    assert not at.exception
    (button,) = at.get("download_button")
    file_id = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
    downloaded = _RecordingStorage.files[file_id]
    table = shown(at)
    assert downloaded.decode("utf-8") == table.to_csv(index=False)
    assert len(pd.read_csv(io.BytesIO(downloaded))) == len(table) == 19


def test_unknown_values_in_the_address_get_a_warning_saying_what_is_accepted(open_page):
    at = open_page("metric", metric="no_such_metric", period="1999-Q9", group="nonsense", council="atlantis")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    for name in ("metric", "period", "group", "council"):
        assert f"The address gives {name} = " in warnings
    assert warnings.count("Accepted:") == 4
    assert "metric id such as" in warnings and "GSS code" in warnings and "tier:district" in warnings
    assert shown(at).shape[0] > 0  # the page still shows its defaults
    assert_ends_with_marker(at)


@pytest.mark.parametrize("name", ["metric", "period", "group", "council"])
def test_sql_in_a_parameter_is_just_an_unknown_value(open_page, built, name):
    at = open_page("metric", **{name: SQL})
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert f"The address gives {name} = " in warning and "not known here" in warning and "Accepted:" in warning
    assert marts(built, "select count(*) from marts.dim_council")[0][0] == 33
    assert_ends_with_marker(at)
