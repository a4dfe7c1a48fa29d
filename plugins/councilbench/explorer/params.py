"""The address's query parameters, read and checked in one place for every page, so a link
can be shared (?metric=waste_household_recycling_rate&period=2026-Q2&group=tier&council=dudley)
and a bad one never ends in a traceback.

The API (each reader returns None, or the default, when the parameter is absent; when it is
present but unknown it shows a warning saying what is accepted and returns the same as if
it were absent, so the page still renders):

- ``council()`` -> CouncilInfo | None: a GSS code (E08000027, any case) or a short name
  (dudley), resolved with core.catalogue.find_council, then looked up in marts.dim_council.
- ``metric()`` -> MetricInfo | None: a metric id that is in marts.dim_metric.
- ``period(metric_id, quiet=False)`` -> str | None: a period with figures for the metric in
  marts.mart_benchmark (2026-04, 2026-Q1, 2025-26).
- ``month(offered)`` -> str | None: a reporting month (YYYY-MM) among the page's own list.
- ``group(council)`` -> Group: a group type (region, tier, county_family,
  nearest_neighbours: the chosen council's group of that type) or a group id as
  mart_comparison_groups has it (tier:district, county_family:E10000028,
  nearest_neighbours:E08000027); region when absent.
- ``write(metric=..., period=..., group=..., council=...)``: put the page's selection
  back in the address (None removes a parameter).

Cached readers the pages share: ``metrics()``, ``councils()``, ``periods(metric_id)``,
``groups()``, ``council_groups(council_code)``.

A value is only ever compared with the lists read from the marts (never put in SQL), so a
parameter carrying SQL is just an unknown value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from councilbench.core import catalogue
from councilbench.explorer import db
from councilbench.reports import data

#: Comparison group types, in the order the pages offer them, with their plain names.
GROUP_TYPES = {
    "region": "The region (all councils that deliver the service)",
    "tier": "Same tier",
    "county_family": "County family (a county and its districts)",
    "nearest_neighbours": "Nearest neighbours",
}

#: Longest stretch of a bad value repeated in a message.
_ECHO_CHARS = 60


@dataclass(frozen=True)
class Group:
    """A comparison group of mart_comparison_groups / mart_benchmark."""

    group_type: str
    group_id: str
    label: str

    @property
    def is_region(self) -> bool:
        return self.group_type == "region"


REGION = Group("region", "region", "West Midlands: all member councils")


# --- cached readers ---------------------------------------------------------------------------------


def metrics() -> dict[str, data.MetricInfo]:
    """Every metric of marts.dim_metric by id (reports.data.MetricInfo)."""
    return _metrics(db.warehouse().url)


def councils() -> dict[str, data.CouncilInfo]:
    """Every council of marts.dim_council by GSS code, ordered by name (reports.data.CouncilInfo)."""
    return _councils(db.warehouse().url)


@st.cache_data(ttl=db.CACHE_SECONDS, show_spinner=False)
def _metrics(url: str) -> dict[str, data.MetricInfo]:
    with db.marts() as conn:
        return data.metrics(conn)


@st.cache_data(ttl=db.CACHE_SECONDS, show_spinner=False)
def _councils(url: str) -> dict[str, data.CouncilInfo]:
    with db.marts() as conn:
        return data.councils(conn)


def periods(metric_id: str) -> list[str]:
    """The metric's periods with figures in marts.mart_benchmark, oldest first."""
    rows = db.cached_query(
        """
        select period from marts.mart_benchmark
        where metric_id = %s and group_type = 'region'
        group by period, period_index order by period_index""",
        (metric_id,),
    )
    return rows["period"].tolist()


def groups() -> pd.DataFrame:
    """Every comparison group: group_type, group_id, group_label (mart_comparison_groups)."""
    return db.cached_query(
        """
        select distinct group_type, group_id, group_label from marts.mart_comparison_groups
        order by group_type, group_label"""
    )


def council_groups(council_code: str) -> dict[str, Group]:
    """The council's own comparison groups by type (a unitary has no county family)."""
    rows = db.cached_query(
        """
        select distinct group_type, group_id, group_label from marts.mart_comparison_groups
        where member_council_code = %s and (group_type <> 'nearest_neighbours' or council_code = %s)""",
        (council_code, council_code),
    )
    return {r.group_type: Group(r.group_type, r.group_id, r.group_label) for r in rows.itertuples()}


# --- the parameters ---------------------------------------------------------------------------------


def text(name: str) -> str | None:
    """The parameter as typed, stripped; None when absent or empty."""
    value = st.query_params.get(name)
    value = value.strip() if isinstance(value, str) else None
    return value or None


def council(name: str = "council") -> data.CouncilInfo | None:
    value = text(name)
    if value is None:
        return None
    try:
        code = catalogue.find_council(value).code
    except catalogue.UnknownCouncil:
        code = None
    found = councils().get(code) if code else None
    if found is None:
        _unknown(
            name,
            value,
            "a member council's GSS code (for example E08000027) or its short name (for example dudley)",
        )
    return found


def metric(name: str = "metric") -> data.MetricInfo | None:
    value = text(name)
    if value is None:
        return None
    found = metrics().get(value.lower())
    if found is None:
        _unknown(
            name, value, "a metric id such as waste_household_recycling_rate (the Metric explorer lists every metric)"
        )
    return found


def period(metric_id: str, name: str = "period", *, quiet: bool = False) -> str | None:
    """quiet: no warning (a page whose metric just changed keeps the period only if the
    new metric has it)."""
    value = text(name)
    if value is None:
        return None
    available = periods(metric_id)
    match = next((p for p in available if p.lower() == value.lower()), None)
    if match is None and not quiet:
        span = f"{available[0]} to {available[-1]}" if available else "none yet"
        _unknown(name, value, f"a period with figures for {metric_id}: {span}")
    return match


def month(offered: list[str], name: str = "period") -> str | None:
    """A reporting month (YYYY-MM) among `offered`, the page's own list (read from the marts
    or the calendar)."""
    value = text(name)
    if value is None:
        return None
    if value in offered:
        return value
    span = f"{min(offered)} to {max(offered)}" if offered else "none yet"
    _unknown(name, value, f"a month written YYYY-MM, from {span}")
    return None


def group(chosen_council: data.CouncilInfo | None, name: str = "group") -> Group:
    value = text(name)
    if value is None:
        return REGION
    value = value.lower()
    if value == "region":
        return REGION
    if value in GROUP_TYPES:
        if chosen_council is None:
            st.warning(
                f"The address asks for the group {value!r} without a council: add one "
                f"(for example &council=dudley), or name the group itself (for example group=tier:district). "
                "Showing the region instead."
            )
            return REGION
        own = council_groups(chosen_council.council_code).get(value)
        if own is None:
            st.warning(
                f"{chosen_council.council_name} has no county family: a county family is a county "
                "council and its districts. Showing the region instead."
            )
            return REGION
        return own
    known = groups()
    hit = known[known["group_id"].str.lower() == value]
    if hit.empty:
        _unknown(
            name,
            value,
            "region, tier, county_family or nearest_neighbours (with a council), or a group id such as "
            "tier:district, county_family:E10000028 or nearest_neighbours:E08000027",
        )
        return REGION
    row = hit.iloc[0]
    return Group(row["group_type"], row["group_id"], row["group_label"])


def write(**values: str | None) -> None:
    """Put the selection in the address (shareable); None removes a parameter. Only
    changed parameters are written, so an unchanged page does not touch the address."""
    for key, value in values.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value


# --- messages ---------------------------------------------------------------------------------------


def _unknown(name: str, value: str, accepted: str) -> None:
    st.warning(
        f"The address gives {name} = “{_echo(value)}”, which is not known here. "
        f"Accepted: {accepted}. The page shows its default instead."
    )


def _echo(value: str) -> str:
    """The bad value, short and inert in Markdown (no links, emphasis or code spans)."""
    short = value if len(value) <= _ECHO_CHARS else value[:_ECHO_CHARS] + "…"
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~$-])", r"\\\1", short)
