"""The Good practice page: every case study of marts.mart_case_studies listed with its
outcomes, whom to ask and its link, filtered by service area, measure and council (from
the address too), and for a chosen council the suggestions of mart_good_practice."""

from __future__ import annotations

from councilbench.core import catalogue
from councilbench.warehouse.connection import connect

MARKER = "Source: marts.mart_case_studies"
HIGHWAYS = "Highways gangs tripled the defects they fix in a day"


def analyst(warehouse, sql: str, params=()) -> list[tuple]:
    with connect(warehouse, role="analyst") as conn:
        return conn.execute(sql, params).fetchall()


def rendered(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.caption[-1].value.startswith(MARKER)


def titles(at) -> set[str]:
    return {s.value for s in at.subheader}


def test_every_case_study_is_listed_with_its_outcome_and_link(open_page, built):
    cases = analyst(built.warehouse, "select distinct title, headline_outcome, link from marts.mart_case_studies")
    at = open_page("practice")
    rendered(at)
    assert titles(at) == {title for title, _, _ in cases}
    text = " ".join(m.value for m in at.markdown).replace("\\", "")  # as shown, Markdown escapes undone
    for _, headline, _ in cases:
        assert f": {headline} (" in text  # each outcome with its dates: "...: 3.5 -> 10.7 ... (March 2019 to ...)"
    assert len(at.get("link_button")) == len(cases)
    assert {b.proto.url for b in at.get("link_button")} == {link for _, _, link in cases}
    assert all("not a verified record" in w.value for w in at.warning)  # every sample says so


def test_filters_by_area_measure_and_council_and_the_address(open_page, built):
    at = open_page("practice")
    at.selectbox(key="area").set_value("roads").run()
    rendered(at)
    assert titles(at) == {HIGHWAYS}
    assert at.query_params["area"] == "roads"

    at = open_page("practice", metric="waste_household_recycling_rate")
    rendered(at)
    assert titles(at) == {"Weekly food waste collections lift recycling"}

    sandwell = catalogue.find_council("sandwell")
    at = open_page("practice", council=sandwell.short_name)
    rendered(at)
    assert titles(at) == {"A text before the first missed instalment raises council tax collection"}

    # a measure outside the chosen area is not offered: the area's case studies are shown
    at = open_page("practice", area="roads", metric="fin_council_tax_collection_rate")
    rendered(at)
    assert titles(at) == {HIGHWAYS}


def test_a_council_sees_what_to_read_beside_its_flagged_measures(open_page, built):
    [(council, metric_name, case_title)] = analyst(
        built.warehouse,
        """select council_code, metric_name, case_study_title from marts.mart_good_practice
           where case_study_id = 'staffordshire-highways-defects' order by council_code limit 1""",
    )
    short = catalogue.councils()[council].short_name
    at = open_page("practice", **{"for": short})
    rendered(at)
    table = at.table[0].value
    assert case_title in table.loc[metric_name, "Case studies to read"]
    assert "3.5 -> 10.7 defects per gang per day" in table.loc[metric_name, "Case studies to read"]
    flagged = analyst(
        built.warehouse,
        "select count(distinct metric_id) from marts.mart_good_practice where council_code = %s",
        (council,),
    )[0][0]
    assert len(table) == flagged


def test_sql_in_the_address_is_only_an_unknown_value(open_page):
    at = open_page("practice", area="roads'; drop table marts.dim_metric; --", council="x' or 1=1")
    rendered(at)
    assert any("service area with no case study" in w.value for w in at.warning)
    assert any("not known here" in w.value for w in at.warning)
