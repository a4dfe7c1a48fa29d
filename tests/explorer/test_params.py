"""explorer/params.py: the address's query parameters resolved against the marts (codes
or short names, any case, group types or ids) and a bad value turned into a warning that
cannot inject Markdown. A tiny script calls the readers the pages use, through AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from councilbench.explorer import params


def _script():
    import streamlit as st

    from councilbench.explorer import params

    council = params.council()
    metric = params.metric()
    period = params.period(metric.metric_id) if metric else None
    group = params.group(council)
    st.text(f"council={council.council_code if council else None}")
    st.text(f"metric={metric.metric_id if metric else None}")
    st.text(f"period={period}")
    st.text(f"group={group.group_id}")
    params.write(council=council.short_name if council else None, extra=None)


def resolve(**query) -> tuple[dict[str, str], list[str], dict]:
    at = AppTest.from_function(_script, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    shown = dict(t.value.split("=", 1) for t in at.text)
    return shown, [w.value for w in at.warning], dict(at.query_params)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"council": " e08000027 "}, {"council": "E08000027", "group": "region"}),
        ({"council": "dudley", "group": "nearest_neighbours"}, {"group": "nearest_neighbours:E08000027"}),
        ({"council": "Dudley", "group": "TIER"}, {"group": "tier:metropolitan_borough"}),
        ({"group": "county_family:e10000028"}, {"council": "None", "group": "county_family:E10000028"}),
        (
            {"metric": "WASTE_HOUSEHOLD_RECYCLING_RATE", "period": "2026-q1"},
            {"metric": "waste_household_recycling_rate", "period": "2026-Q1"},
        ),
    ],
)
def test_known_values_resolve_in_any_case(built, query, expected):
    shown, warnings, _ = resolve(**query)
    assert warnings == []
    assert {k: shown[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"group": "tier"}, "without a council"),
        ({"council": "herefordshire", "group": "county_family"}, "has no county family"),
        ({"metric": "waste_household_recycling_rate", "period": "2026-04"}, "2025-Q1 to 2026-Q1"),
    ],
)
def test_a_value_that_does_not_fit_says_why_and_falls_back(built, query, says):
    shown, warnings, _ = resolve(**query)
    assert len(warnings) == 1 and says in warnings[0]
    assert shown["group"] == "region" and shown["period"] == "None"


def test_write_puts_the_selection_back_and_removes_what_is_none(built):
    _, _, address = resolve(council="E08000027", extra="x")
    assert address == {"council": "dudley"}


def test_a_bad_value_is_echoed_short_and_inert():
    text = params._echo("[click](https://example.org) *now* `code` " + "x" * 100)
    assert "\\[click\\]\\(https://example.org\\)" in text and "\\*now\\*" in text and "\\`code\\`" in text
    assert text.endswith("…") and len(text) < 100
