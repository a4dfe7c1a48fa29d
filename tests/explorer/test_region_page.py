"""The Region page: the current region-wide problems with their reasons (the contract's
empty retail units findable by those words), the region against England, and the
Performance of the Region reports to open, each checked against the marts read here."""

from __future__ import annotations

import pytest

from councilbench.explorer import region
from councilbench.reports import data
from councilbench.warehouse.connection import connect

MARKER = "Source: marts.mart_region_problems"
EMPTY_SHOPS = "econ_vacant_retail_units_pct"


def analyst(warehouse, sql: str, params=()):
    with connect(warehouse, role="analyst") as conn:
        return conn.execute(sql, params).fetchall()


def problems_shown(at) -> set[tuple[str, str, str]]:
    table = at.table[0].value
    return set(zip(table["Measure"], table["Why"], table["As of"], strict=True))


def rendered(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[-1].value.startswith(MARKER)


@pytest.fixture
def no_reports(tmp_path, monkeypatch):
    """A state folder of the test's own: the reports the page finds are the test's."""
    monkeypatch.setenv("COUNCILBENCH_STATE_DIR", str(tmp_path))
    return tmp_path / "reports"


def test_the_current_problems_and_empty_retail_units_found_by_those_words(open_page, built, no_reports):
    latest = analyst(
        built.warehouse,
        "select metric_id, metric_name, reason, period from marts.mart_region_problems where is_latest",
    )
    at = open_page("region")
    rendered(at)
    assert problems_shown(at) == {(name, reason, period) for _, name, reason, period in latest}
    assert len(at.table[0].value) == len(latest)

    at.text_input(key="q").set_value("empty retail units").run()
    rendered(at)
    empty_shops = {(name, reason, period) for m, name, reason, period in latest if m == EMPTY_SHOPS}
    assert empty_shops and problems_shown(at) == empty_shops
    assert all("retail units" in reason for _, reason, _ in problems_shown(at))
    assert at.query_params["q"] == "empty retail units"

    # The shared address finds them too, with the words people use for them.
    again = open_page("region", q="Empty shops")
    rendered(again)
    assert problems_shown(again) == empty_shops
    nothing = open_page("region", q="zebra crossings")
    rendered(nothing)
    assert "None of the" in nothing.info[0].value


def test_region_against_england_is_the_marts_figures(open_page, built, no_reports):
    with data.open_marts(built.warehouse) as conn:
        metrics = data.metrics(conn)
    [(latest, compared)] = analyst(
        built.warehouse,
        """select max(financial_year), array_agg(distinct financial_year) filter (where england_value is not null)
           from marts.mart_region_performance""",
    )
    at = open_page("region")
    rendered(at)
    assert at.selectbox(key="year").value == latest
    for year in sorted(compared)[-2:]:  # the two latest years with England figures
        at.selectbox(key="year").set_value(year).run()
        rendered(at)
        rows = analyst(
            built.warehouse,
            """select metric_id, metric_name, region_value, england_value, region_vs_england,
                      region_vs_england_withheld_reason
               from marts.mart_region_performance where financial_year = %s and england_value is not null""",
            (year,),
        )
        table = at.table[1].value
        assert set(table.index) == {name for _, name, *_ in rows}
        for metric_id, name, wm, england, vs, withheld in rows:
            shown = table.loc[name]
            assert shown["West Midlands"] == metrics[metric_id].show(wm)
            assert shown["England"] == metrics[metric_id].show(england)
            if vs == "not comparable":
                assert shown["Compared with England"] == f"Not compared: {withheld}"
            elif vs in ("better", "worse"):
                assert shown["Compared with England"] == f"{vs.capitalize()} than England"
        assert at.query_params["year"] == year


def test_the_reports_to_open_are_the_ones_written(open_page, no_reports):
    at = open_page("region")
    rendered(at)
    assert "No Performance of the Region report has been produced yet" in at.info[-1].value
    assert not at.get("download_button")

    no_reports.mkdir(parents=True, exist_ok=True)
    for name in (
        "performance-of-the-region-2025-26.html",
        "performance-of-the-region-2025-26.pdf",
        "performance-of-the-region-2026-27-year-to-date.html",
        "performance-of-the-region-notes.html",  # not a report's name: not offered
    ):
        (no_reports / name).write_bytes(b"%PDF-1.7" if name.endswith(".pdf") else b"<!doctype html><title>r</title>")
    found = region.annual_reports(no_reports)
    assert [(r.financial_year, r.year_to_date, r.pdf is not None) for r in found] == [
        ("2026-27", True, False),
        ("2025-26", False, True),
    ]
    at = open_page("region")
    rendered(at)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Web page (HTML)", "PDF", "Web page (HTML)"]
    titles = [m.value for m in at.markdown if m.value.startswith("**Performance of the Region")]
    assert titles == ["**Performance of the Region 2026-27 (year to date)**", "**Performance of the Region 2025-26**"]


def test_sql_in_the_address_is_only_a_search_or_an_unknown_year(open_page):
    at = open_page("region", q="'; drop table marts.dim_metric; --", year="2025-26'; select 1; --")
    rendered(at)
    assert "None of the" in at.info[0].value
    assert "financial year with no figures" in at.warning[0].value
