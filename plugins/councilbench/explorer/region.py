"""The Region page's data: the region-wide problems of the current list
(marts.mart_region_problems where is_latest) with their plain-English reasons and a word
search over them, the region against England for a financial year
(marts.mart_region_performance), and the Performance of the Region reports the reports
run has written (reports.pipeline writes them under the state folder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from councilbench.core import settings
from councilbench.explorer import db
from councilbench.reports import annual
from councilbench.reports import format as fmt
from councilbench.reports.data import MetricInfo

#: Each problem type in the words of the page.
PROBLEM_TYPES = {
    "worse_than_england": "Worse than England",
    "region_worsening": "Getting worse across the region",
    "most_councils_worsening": "Most councils worse than a year earlier",
    "most_councils_trending_worse": "Most councils trending worse",
}

#: Words people use for what the catalogue names otherwise: a search for "empty shops"
#: or "empty retail units" finds vacant retail units, and the other way round.
SYNONYMS = {
    "empty": ("vacant",),
    "vacant": ("empty",),
    "shop": ("retail",),
    "shops": ("retail",),
    "retail": ("shop",),
    "bins": ("collections", "bin"),
    "rubbish": ("waste", "residual"),
}

#: The file stem of the annual report (reports.annual.file_stem): the financial year and
#: whether it is the year to date.
_REPORT_STEM = re.compile(r"performance-of-the-region-(\d{4}-\d{2})(-year-to-date)?")


# --- region-wide problems ----------------------------------------------------------------------


def problems(metrics: dict[str, MetricInfo]) -> pd.DataFrame:
    """The current list of region-wide problems, one row per metric and problem, by service
    area then measure: the columns the page shows plus `search_text` (what the search box
    looks in: the measure's name and definition, the service area, the problem, the reason)."""
    rows = db.cached_query(
        """
        select metric_id, metric_name, service_area, period, problem_type, reason
        from marts.mart_region_problems
        where is_latest
        order by metric_name, problem_type"""
    )
    if rows.empty:
        return rows.assign(search_text=pd.Series(dtype=str))
    rows["Service area"] = rows["service_area"].map(fmt.service_area_label)
    rows["Problem"] = rows["problem_type"].map(lambda t: PROBLEM_TYPES.get(t, t))
    definitions = rows["metric_id"].map(lambda m: metrics[m].definition if m in metrics else "")
    parts = [rows["metric_name"], definitions, rows["Service area"], rows["Problem"], rows["reason"]]
    rows["search_text"] = pd.concat(parts, axis=1).agg(" ".join, axis=1)
    rows["_area_rank"] = rows["service_area"].map(fmt.service_area_rank)
    return rows.sort_values(["_area_rank", "metric_name", "problem_type"], kind="stable").drop(columns="_area_rank")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def matches(search_text: str, query: str) -> bool:
    """Every word of the query (or a synonym of it) begins a word of the text: "empty retail
    units" finds "Vacant retail units in town centres"; word order and case do not matter."""
    words = set(_words(search_text))
    for word in _words(query):
        wanted = (word, *SYNONYMS.get(word, ()))
        if not any(w.startswith(x) for w in words for x in wanted):
            return False
    return True


def search(rows: pd.DataFrame, query: str | None) -> pd.DataFrame:
    """The rows whose search_text matches the query (all of them for an empty query)."""
    if not query or not _words(query) or rows.empty:
        return rows
    return rows[rows["search_text"].map(lambda t: matches(t, query))]


def problems_table(rows: pd.DataFrame) -> pd.DataFrame:
    """What the page shows of the problems."""
    return pd.DataFrame(
        {
            "Service area": rows["Service area"],
            "Measure": rows["metric_name"],
            "Problem": rows["Problem"],
            "Why": rows["reason"],
            "As of": rows["period"],
        }
    )


# --- the region against England ----------------------------------------------------------------


def financial_years() -> list[str]:
    """The financial years of mart_region_performance, newest first."""
    rows = db.cached_query("select distinct financial_year from marts.mart_region_performance order by 1 desc")
    return rows["financial_year"].tolist()


def vs_england(financial_year: str, metrics: dict[str, MetricInfo]) -> pd.DataFrame:
    """Every measure with an England figure in the year: the West Midlands' and England's
    figures (in the measure's unit), how the region compares (or why it is not compared),
    and the region's trend, by service area then measure."""
    rows = db.cached_query(
        """
        select metric_id, metric_name, service_area, financial_year, latest_period, periods_covered,
               periods_expected, region_value, england_value, region_vs_england,
               region_vs_england_withheld_reason, region_trend_direction, comparator_source
        from marts.mart_region_performance
        where financial_year = %s and england_value is not null
        order by metric_name""",
        (financial_year,),
    )
    if rows.empty:
        return pd.DataFrame(columns=["Service area", "Measure", "West Midlands", "England", "Compared with England"])
    rows["_area_rank"] = rows["service_area"].map(fmt.service_area_rank)
    rows = rows.sort_values(["_area_rank", "metric_name"], kind="stable")
    show = [metrics[m].show for m in rows["metric_id"]]
    return pd.DataFrame(
        {
            "Service area": rows["service_area"].map(fmt.service_area_label).tolist(),
            "Measure": rows["metric_name"].tolist(),
            "Periods": [f"{c} of {e}" for c, e in zip(rows["periods_covered"], rows["periods_expected"], strict=True)],
            "West Midlands": [f(v) for f, v in zip(show, rows["region_value"], strict=True)],
            "England": [f(v) for f, v in zip(show, rows["england_value"], strict=True)],
            "Compared with England": [
                _comparison_words(c, why, metrics[m].polarity)
                for c, why, m in zip(
                    rows["region_vs_england"], rows["region_vs_england_withheld_reason"], rows["metric_id"], strict=True
                )
            ],
            "Regional trend": [
                f"{fmt.direction_symbol(d)} {fmt.direction_text(d)}" for d in rows["region_trend_direction"]
            ],
            "England's figure from": rows["comparator_source"].tolist(),
        }
    )


def _comparison_words(comparison: str | None, withheld: str | None, polarity: str) -> str:
    if comparison == "not comparable":
        return f"Not compared: {withheld}" if withheld else "Not compared"
    if comparison is None:
        return "Context only (neither higher nor lower is better)" if polarity == "context" else "–"
    return f"{fmt.comparison_text(comparison)} than England" if comparison != "same" else "The same as England"


# --- the annual reports ------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnualReport:
    """A Performance of the Region report the reports run wrote (HTML, and PDF when Chromium
    was there to print it)."""

    financial_year: str
    year_to_date: bool
    html: Path
    pdf: Path | None

    @property
    def title(self) -> str:
        return f"Performance of the Region {self.financial_year}" + (" (year to date)" if self.year_to_date else "")


def reports_folder() -> Path:
    """Where reports.pipeline.render_annual writes (settings.state_path("reports"))."""
    return settings.state_path("reports")


def annual_reports(folder: Path | None = None) -> list[AnnualReport]:
    """The annual reports on disk, newest year first (a complete year before its year to date)."""
    found = []
    try:
        written = sorted((folder or reports_folder()).glob("performance-of-the-region-*.html"))
    except OSError:  # a state folder this process cannot write or read: as good as none produced
        written = []
    for html in written:
        match = _REPORT_STEM.fullmatch(html.stem)
        if not match or html.stem != annual.file_stem(match[1], bool(match[2])):
            continue
        pdf = html.with_suffix(".pdf")
        found.append(AnnualReport(match[1], bool(match[2]), html, pdf if pdf.is_file() else None))
    return sorted(found, key=lambda r: (r.financial_year, not r.year_to_date), reverse=True)
