"""The demo's context: what the public_sources DAG loaded for each public dataset (rows
in raw.public_observations from its newest loaded release), the good practice library
loaded as seeds, one council's context as its pack prints it, the region's economy
against England and the UK, and the neighbours the deprivation and density features
changed (councilbench.reports.neighbour_changes).
"""

from __future__ import annotations

from councilbench.warehouse.connection import Warehouse, connect

#: The council whose context line the demo prints.
CONTEXT_COUNCIL = "E08000027"  # Dudley


def context_summary(warehouse: Warehouse) -> dict:
    from councilbench.reports import neighbour_changes

    with connect(warehouse, role="loader") as conn:
        sources = conn.execute(
            """
            select distinct on (s.subject) s.subject, s.period, s.status, s.outcome, s.rows_loaded
            from ops.submissions as s
            where s.source_kind = 'public_source' and s.status = 'loaded'
            order by s.subject, s.submission_id desc"""
        ).fetchall()
        rows = dict(
            conn.execute(
                """select o.dataset, count(*) from raw.public_observations as o
                   join ops.submissions as s using (submission_id)
                   where s.status = 'loaded' group by o.dataset"""
            ).fetchall()
        )
    with connect(warehouse, role="analyst") as conn:
        context = conn.execute(
            """select council_name, imd_avg_score, imd_rank_avg_score, imd_share_most_deprived_10pct,
                      residents_per_hectare, region_residents_per_hectare, england_residents_per_hectare
               from marts.mart_council_context where council_code = %s""",
            [CONTEXT_COUNCIL],
        ).fetchone()
        economy = conn.execute(
            """select indicator_name, area_name, period, value, change from marts.mart_region_economy
               order by indicator_id, area_level desc"""
        ).fetchall()
        case_studies = conn.execute(
            "select count(distinct case_study_id), count(*) from marts.mart_case_studies"
        ).fetchone()
        suggestions = conn.execute(
            """select count(distinct council_code), count(*) from marts.mart_good_practice
               where suggestion_type = 'case_study'"""
        ).fetchone()
    model, changes = neighbour_changes.compare(warehouse)
    return {
        "sources": [
            {
                "dataset": s[0],
                "period": s[1],
                "outcome": s[3],
                "rows_loaded": s[4],
                "rows_loaded_all": rows.get(s[0], 0),
            }
            for s in sources
        ],
        "context": context,
        "economy": economy,
        "case_studies": {"files": case_studies[0], "metric_links": case_studies[1]},
        "suggestions": {"councils": suggestions[0], "rows": suggestions[1]},
        "neighbour_changes": neighbour_changes.lines(model, changes),
        "councils_with_new_neighbours": sum(1 for c in changes if c.gained),
    }


def print_context(summary: dict | None) -> None:
    if not summary:
        return
    print("  public sources loaded (newest loaded release of each; raw.public_observations rows):")
    for s in summary["sources"]:
        print(f"    {s['dataset']:<28} {s['period']:<20} {s['rows_loaded']:>7,} rows ({s['outcome']})")
    c = summary["context"]
    if c:
        print(
            f"  context beside {c[0]}'s league positions: IMD 2025 average score {c[1]}, rank {c[2]}, "
            f"{c[3]}% of neighbourhoods in England's most deprived 10%; {c[4]} residents per hectare "
            f"(West Midlands {c[5]}, England {c[6]})"
        )
    print("  the region's economy (marts.mart_region_economy: latest, change over the year):")
    for name, area, period, value, change in summary["economy"]:
        moved = "" if change is None else f", change {change:+}"
        print(f"    {name:<58} {area:<15} {period:<8} {value}{moved}")
    cs, sg = summary["case_studies"], summary["suggestions"]
    print(
        f"  good practice library: {cs['files']} case studies on {cs['metric_links']} metrics; "
        f"suggested in {sg['councils']} councils' packs ({sg['rows']} suggestions beside bottom-quartile "
        "or worsening metrics)"
    )
    lines = summary["neighbour_changes"]
    print(f"  nearest neighbours with deprivation and density in the model: {lines[-1]} For example:")
    for line in [x for x in lines[:-1] if not x.startswith(" ")][:6]:
        print(f"    {line}")
    print("    (all of them: `councilbench neighbours --all`)")
