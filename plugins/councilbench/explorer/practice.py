"""The Good practice page's data: the case studies of marts.mart_case_studies (one row per
case study and measure), filtered by service area, measure and council and gathered back
into one entry per case study; and, for one council, what marts.mart_good_practice
suggests beside each measure where it is in the bottom quartile or getting worse."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from councilbench.explorer import db
from councilbench.reports import format as fmt


def rows() -> pd.DataFrame:
    """Every case study and measure it bears on, newest review first, then by title."""
    return db.cached_query(
        """
        select case_study_id, title, council_code, council_name, summary, metric_id, metric_name, service_area,
               outcomes_text, contact_role, link, is_sample, reviewed_by, reviewed_on
        from marts.mart_case_studies
        order by reviewed_on desc, title, metric_name"""
    )


def select(found: pd.DataFrame, area: str | None, metric_id: str | None, council_code: str | None) -> pd.DataFrame:
    """The rows of the case studies that bear on a measure of the area (or on the measure)
    and are about the council; None is no filter. A case study keeps all its measures."""
    keep = pd.Series(True, index=found.index)
    if area:
        keep &= found["service_area"] == area
    if metric_id:
        keep &= found["metric_id"] == metric_id
    if council_code:
        keep &= found["council_code"] == council_code
    return found[found["case_study_id"].isin(found.loc[keep, "case_study_id"])]


@dataclass(frozen=True)
class Entry:
    """One case study as the page lists it."""

    case_study_id: str
    title: str
    council_name: str
    summary: str
    measures: tuple[str, ...]
    outcomes: tuple[str, ...]  # each with its dates; the first is the headline
    contact_role: str
    link: str
    is_sample: bool
    reviewed: str


def entries(found: pd.DataFrame) -> list[Entry]:
    """One entry per case study, in the rows' order."""
    out = []
    for case_study_id, group in found.groupby("case_study_id", sort=False):
        first = group.iloc[0]
        out.append(
            Entry(
                case_study_id=case_study_id,
                title=first["title"],
                council_name=fmt.display_name(first["council_name"]),
                summary=first["summary"],
                measures=tuple(group["metric_name"]),
                outcomes=tuple(first["outcomes_text"].split("; ")) if first["outcomes_text"] else (),
                contact_role=first["contact_role"],
                link=first["link"],
                is_sample=bool(first["is_sample"]),
                reviewed=f"{first['reviewed_by']}, {first['reviewed_on']:%-d %B %Y}",
            )
        )
    return out


def areas(found: pd.DataFrame) -> list[str]:
    """The service areas the case studies bear on, in the reports' order."""
    return sorted(found["service_area"].unique(), key=fmt.service_area_rank)


def suggestions(council_code: str) -> pd.DataFrame:
    """For one council, one row per flagged measure: why it is flagged, the case studies to
    read and the councils to ask (marts.mart_good_practice), by service area then measure."""
    found = db.cached_query(
        """
        select metric_id, metric_name, service_area, period, flag_reason, suggestion_order, suggestion_type,
               case_study_title, case_study_council_name, headline_outcome, best_practice_council_name,
               best_practice_rank
        from marts.mart_good_practice
        where council_code = %s
        order by metric_name, suggestion_order""",
        (council_code,),
    )
    columns = ["Service area", "Measure", "As of", "Why it is flagged", "Case studies to read", "Councils to ask"]
    if found.empty:
        return pd.DataFrame(columns=columns)
    table = []
    for _, group in found.groupby("metric_id", sort=False):
        first = group.iloc[0]
        studies = group[group["suggestion_type"] == "case_study"]
        councils = group[group["suggestion_type"] == "best_practice_council"]
        table.append(
            (
                fmt.service_area_rank(first["service_area"]),
                fmt.service_area_label(first["service_area"]),
                first["metric_name"],
                first["period"],
                first["flag_reason"],
                "; ".join(
                    f"{r.case_study_title} ({fmt.display_name(r.case_study_council_name)}: {r.headline_outcome})"
                    for r in studies.itertuples()
                )
                or "–",
                "; ".join(
                    f"{fmt.display_name(r.best_practice_council_name)} (rank {r.best_practice_rank})"
                    for r in councils.itertuples()
                )
                or "–",
            )
        )
    table.sort(key=lambda t: (t[0], t[2]))
    return pd.DataFrame([t[1:] for t in table], columns=columns)
