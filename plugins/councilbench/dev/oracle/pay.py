"""The pay marts recomputed independently (issue 18 item 1), from what the pay and the
gender pay gap loaders wrote (ops.submissions, raw.council_pay_posts,
raw.public_gender_pay_gap), the seeds and the settings, by the rules of
models/marts/pay/_marts__pay*.yml and DESIGN.md ("nobody sees a pay statistic with fewer
than 5 councils or a council above 25% of it"), not by their SQL.

mart_pay_benchmark, per comparison group, pay year and catalogue role with a contributing
council:
- the posts that count are those of each council's latest loaded deposit for the year;
- groups: the region (every council), each tier, each county family (a county and its
  districts), each council's nearest neighbours with the council itself, each partnership
  group of the seed; group_councils is the group's size whoever deposited;
- councils and incumbents (Σ headcount) of the group's members with posts in the role;
- FTE-weighted quantiles of the FTE salaries, each post weighing fte × headcount: the
  p-quantile is the lowest salary at which the posts paid that or less hold at least p of
  the weight (exact decimals, no interpolation), rounded to the nearest £10 (pay_rounding);
  P10 and P90 only from pay_percentile_min_councils councils;
- published only with at least COUNCILBENCH_PAY_MIN_COUNCILS councils and
  _MIN_INCUMBENTS incumbents and no council holding more than _MAX_COUNCIL_SHARE of the
  incumbents; a group smaller than the minimum is refused whatever it holds; otherwise the
  salaries are null and suppression_reason says why in the documented words.

mart_pay_gender_gap: every council x every reporting year loaded, matched to the year's
download by the registry's gpg_employer_id only, and only when the employer at that id is
named like the council; its figures only when matched.

What this does not recompute: which councils are a council's nearest neighbours (read
from int_council__nearest_neighbours: the benchmark oracle's business) and the groups'
labels (read from int_council__comparison_groups; a partnership's is the seed's name)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pandas as pd

from councilbench.core import settings
from councilbench.dev.oracle.frames import read_frame
from councilbench.dev.oracle.spend import dbt_var, seed
from councilbench.public.gender_pay_gap_match import GENERIC_WORDS
from councilbench.warehouse.connection import Warehouse

UK = ZoneInfo("Europe/London")
STATISTICS = {
    "p10_salary": Decimal("0.1"),
    "lower_quartile_salary": Decimal("0.25"),
    "median_salary": Decimal("0.5"),
    "upper_quartile_salary": Decimal("0.75"),
    "p90_salary": Decimal("0.9"),
}
TAILS = ("p10_salary", "p90_salary")


@dataclass(frozen=True)
class PayRules:
    thresholds: settings.PayThresholds
    percentile_min_councils: int
    rounding: int

    @classmethod
    def configured(cls) -> PayRules:
        return cls(
            settings.pay_thresholds(),
            int(dbt_var("pay_percentile_min_councils")),
            int(dbt_var("pay_rounding")),
        )


# --- inputs -----------------------------------------------------------------------------


def counting_posts(warehouse: Warehouse) -> pd.DataFrame:
    """Each council's latest loaded deposit per pay year, its posts, read as the loader."""
    posts = read_frame(
        warehouse,
        """select s.subject, s.period, s.fetched_at, p.submission_id, p.council_code, p.pay_year, p.role_id,
                  p.fte_salary, p.fte, p.headcount
           from raw.council_pay_posts as p join ops.submissions as s using (submission_id)
           where s.source_kind = 'council_pay' and s.status = 'loaded'""",
        role="loader",
    )
    latest = posts.sort_values(["fetched_at", "submission_id"]).groupby(["subject", "period"]).submission_id.last()
    posts = posts[posts.submission_id.isin(set(latest))].copy()
    posts["role_id"] = posts.role_id.str.strip()
    return posts


def memberships(warehouse: Warehouse) -> pd.DataFrame:
    """group_type, group_id, group_label, council_code: the registry's groups and the
    partnership seed's, and each council's nearest neighbours (as the warehouse has them)."""
    rows = []
    for c in seed("council_registry").itertuples(index=False):
        rows += [("region", "region", c.gss_code), ("tier", f"tier:{c.tier}", c.gss_code)]
        if c.tier in ("county", "district"):
            rows.append(("county_family", f"county_family:{c.county_gss_code or c.gss_code}", c.gss_code))
    neighbours = read_frame(
        warehouse, "select council_code, neighbour_code from intermediate.int_council__nearest_neighbours",
        role="transformer",
    )  # fmt: skip
    for owner in sorted(set(neighbours.council_code)):
        rows.append(("nearest_neighbours", f"nearest_neighbours:{owner}", owner))
    rows += [
        ("nearest_neighbours", f"nearest_neighbours:{n.council_code}", n.neighbour_code)
        for n in neighbours.itertuples()
    ]
    groups = pd.DataFrame(rows, columns=["group_type", "group_id", "council_code"])
    labels = read_frame(
        warehouse, "select distinct group_id, group_label from intermediate.int_council__comparison_groups",
        role="transformer",
    )  # fmt: skip
    groups = groups.merge(labels, on="group_id", how="left")
    partnerships = seed("partnership_groups")
    partnerships = pd.DataFrame(
        {
            "group_type": "partnership",
            "group_id": "partnership:" + partnerships.group_id,
            "council_code": partnerships.council_code,
            "group_label": partnerships.group_name,
        }
    )
    return pd.concat([groups, partnerships], ignore_index=True).drop_duplicates()


# --- mart_pay_benchmark -----------------------------------------------------------------


def weighted_quantile(points: list[tuple[Decimal, Decimal]], p: Decimal) -> Decimal:
    """The lowest salary at which the posts paid that or less hold at least p of the weight."""
    total = sum(weight for _, weight in points)
    cumulative = Decimal(0)
    for salary, weight in sorted(points):
        cumulative += weight
        if cumulative >= p * total:
            return salary
    raise AssertionError("a statistic without weight")


def to_nearest(value: Decimal, step: int) -> int:
    return int((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step)


def percent_words(largest: int, incumbents: int, threshold: float) -> str:
    """The largest council's share in words: a whole percent, unless that would not read
    as above the threshold (25.3% is not '25%'): then to two places."""
    share = Decimal(100 * largest) / incumbents
    whole = share.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if whole > Decimal(str(threshold * 100)):
        return f"{whole}%"
    return f"{share.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP).normalize():f}%"


def suppression(group_councils: int, councils: int, incumbents: int, largest: int, t: settings.PayThresholds):
    """Why a statistic is withheld, in the documented words; None when it is published."""
    if group_councils < t.min_councils:
        return f"a comparison group of fewer than {t.min_councils} councils ({group_councils}) is refused"
    why = []
    if councils < t.min_councils:
        why.append(f"fewer than {t.min_councils} councils ({councils})")
    if incumbents < t.min_incumbents:
        why.append(f"fewer than {t.min_incumbents} incumbents ({incumbents})")
    if largest > Decimal(str(t.max_council_share)) * incumbents:
        threshold = f"{t.max_council_share * 100:g}%"
        why.append(
            f"one council holds {percent_words(largest, incumbents, t.max_council_share)} of the incumbents "
            f"(more than {threshold})"
        )
    return "; ".join(why) or None


def pay_benchmark(posts: pd.DataFrame, groups: pd.DataFrame, rules: PayRules) -> pd.DataFrame:
    """mart_pay_benchmark."""
    roles = {r.role_id: r for r in seed("pay_roles").itertuples(index=False)}
    sizes = groups.groupby("group_id").council_code.nunique().to_dict()
    members_of = groups.groupby("group_id").council_code.agg(set).to_dict()
    # per council, pay year and role: incumbents and its (salary, weight) points
    incumbents: dict[tuple, int] = defaultdict(int)
    points: dict[tuple, list] = defaultdict(list)
    for p in posts.itertuples(index=False):
        incumbents[p.council_code, p.pay_year, p.role_id] += int(p.headcount)
        points[p.council_code, p.pay_year, p.role_id].append((Decimal(p.fte_salary), Decimal(p.fte) * p.headcount))
    statistics = sorted({(year, role) for _, year, role in incumbents})
    rows = []
    for group in groups.drop_duplicates("group_id").itertuples(index=False):
        members = members_of[group.group_id]
        for year, role in statistics:
            by_council = {c: incumbents[c, year, role] for c in members if (c, year, role) in incumbents}
            if not by_council:
                continue
            councils, total = len(by_council), sum(by_council.values())
            why = suppression(int(sizes[group.group_id]), councils, total, max(by_council.values()), rules.thresholds)
            weighted = [point for c in by_council for point in points[c, year, role]]
            salaries = {
                name: None
                if why is not None or (name in TAILS and councils < rules.percentile_min_councils)
                else to_nearest(weighted_quantile(weighted, p), rules.rounding)
                for name, p in STATISTICS.items()
            }
            rows.append(
                {
                    "pay_year": year,
                    "role_id": role,
                    "role_name": roles[role].role_name if role in roles else None,
                    "job_family": roles[role].job_family if role in roles else None,
                    "group_type": group.group_type,
                    "group_id": group.group_id,
                    "group_label": group.group_label,
                    "group_councils": int(sizes[group.group_id]),
                    "councils": councils,
                    "incumbents": total,
                    **salaries,
                    "is_suppressed": why is not None,
                    "suppression_reason": why,
                }
            )
    return pd.DataFrame(rows, dtype=object)


# --- mart_pay_gender_gap ----------------------------------------------------------------

#: The mart's columns that are the download's figures, shown only for a matched council.
FIGURES = {
    "employer_size": "employer_size",
    "mean_hourly_gap_pct": "diff_mean_hourly_pct",
    "median_hourly_gap_pct": "diff_median_hourly_pct",
    "female_lower_quartile_pct": "female_lower_quartile_pct",
    "female_lower_middle_quartile_pct": "female_lower_middle_quartile_pct",
    "female_upper_middle_quartile_pct": "female_upper_middle_quartile_pct",
    "female_top_quartile_pct": "female_top_quartile_pct",
    "mean_bonus_gap_pct": "diff_mean_bonus_pct",
    "median_bonus_gap_pct": "diff_median_bonus_pct",
    "female_bonus_pct": "female_bonus_pct",
    "male_bonus_pct": "male_bonus_pct",
    "submitted_late": "submitted_after_deadline",
    "due_date": "due_date",
    "link_to_gpg_info": "link_to_gpg_info",
    "submission_id": "submission_id",
}


def loaded_gender_pay_gap(warehouse: Warehouse) -> pd.DataFrame:
    """The rows of each reporting year's loaded download, read as the loader."""
    return read_frame(
        warehouse,
        """select g.* from raw.public_gender_pay_gap as g join ops.submissions as s using (submission_id)
           where s.source_kind = 'public_source' and s.subject = 'gender_pay_gap' and s.status = 'loaded'""",
        role="loader",
    )


def name_words(name: str | None) -> frozenset[str]:
    """A name's distinctive words: lower case, letters and digits, the kind-of-body words left out."""
    return frozenset(re.findall(r"[a-z0-9]+", (name or "").lower())) - GENERIC_WORDS


def gender_gap(rows: pd.DataFrame) -> pd.DataFrame:
    """mart_pay_gender_gap. match_note is left to `note_says_why` (its words are not
    documented, only that it says why)."""
    first = rows.sort_values("row_number").drop_duplicates(["reporting_year", "employer_id"])
    filed = {(r["reporting_year"], r["employer_id"]): r for r in first.to_dict("records")}
    out = []
    for council in seed("council_registry").itertuples(index=False):
        employer_id = council.gpg_employer_id.strip() or None
        for year in sorted(set(rows.reporting_year)):
            row = filed.get((year, employer_id)) if employer_id else None
            alike = row is not None and name_words(council.council_name) in (
                name_words(row["employer_name"]),
                name_words(row["current_name"]),
            )
            status = (
                "no_employer_id"
                if employer_id is None
                else "id_not_in_file"
                if row is None
                else "matched"
                if alike
                else "name_differs"
            )
            matched = status == "matched"
            submitted = row["date_submitted"] if matched else None
            out.append(
                {
                    "council_code": council.gss_code,
                    "council_name": council.council_name,
                    "tier": council.tier,
                    "reporting_year": year,
                    "snapshot_date": dt.date(int(year[:4]), 3, 31),
                    "employer_id": employer_id,
                    "match_status": status,
                    "employer_name": row["employer_name"] if matched else None,
                    **{column: row[raw] if matched else None for column, raw in FIGURES.items()},
                    # published in UK time
                    "date_submitted": submitted.replace(tzinfo=UK) if submitted is not None else None,
                    "filed_name": row["employer_name"] if row is not None else None,
                }
            )
    return pd.DataFrame(out, dtype=object)


def note_says_why(note, status: str, employer_id, filed_name) -> bool:
    """match_note: none when matched; otherwise words that name the id (and, when it is
    another employer's, that employer)."""
    if status == "matched":
        return note is None
    if not note:
        return False
    if status == "no_employer_id":
        return "gpg_employer_id" in note
    return employer_id in note and (status != "name_differs" or filed_name in note)
