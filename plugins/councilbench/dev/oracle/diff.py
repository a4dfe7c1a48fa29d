"""The oracle's figures against a mart's, cell by cell, with a readable list of what differs.

Tolerances (absolute, plus 1e-12 relative): one unit in the last decimal the mart
publishes, so a figure rounded at a half by PostgreSQL's numeric division and by the
oracle's exact arithmetic still agrees, and nothing coarser:
- 1e-4 for outlier_score (rounded to 4 decimals);
- 1e-8 for trend_slope and region_trend_slope (8 decimals);
- in mart_council_neighbours, 1e-4 for part_* and the 16-64 share (4 decimals), 1e-3
  for the claimant rate and IMD score (3), 1e-2 for residents per hectare (2): figures
  the oracle computes exactly, as the mart does, so they differ only at a half;
- the neighbour model's z-scores and its features' mean and sd are the only floats
  (math.log): rounded to the mart's 6 decimals they agree within the 1e-6 below (a
  float ~1e-15 off a half rounds the other way one time in ~1e9); the distances are
  then exact over the z-scores as published (groups.py);
- 1e-6 for every other number (values, group statistics, regional and annual values: 6
  decimals or exact). The context marts' 2-decimal figures (densities, the manufacturing
  share) need no more: they are ratios of published counts and short decimals, never
  within PostgreSQL's division precision of a half unless exactly on it, so both round
  alike; the public figures they show are as published.
Text, integers, booleans and dates must be equal; null only matches null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

#: Build metadata, not figures: which build wrote the row and with which fingerprint (any
#: *_fingerprint column).
NOT_FIGURES = ("benchmark_fingerprint", "normalisation_fingerprint", "dbt_updated_at")
TOLERANCE = {
    "outlier_score": 1e-4,
    "trend_slope": 1e-8,
    "region_trend_slope": 1e-8,
    # the neighbour model's shares of each distance (4 decimals) and its councils' figures
    **{f"part_{f}": 1e-4 for f in ("population", "share_16_64", "claimant_rate", "deprivation", "density", "tier")},
    **{f"{who}_share_16_64": 1e-4 for who in ("council", "neighbour")},
    **{f"{who}_{f}": 1e-3 for who in ("council", "neighbour") for f in ("claimant_rate", "imd_avg_score")},
    **{f"{who}_residents_per_hectare": 1e-2 for who in ("council", "neighbour")},
}
DEFAULT_TOLERANCE = 1e-6
RELATIVE = 1e-12

KEYS = {
    "mart_benchmark": ("council_code", "metric_id", "period", "group_id"),
    "mart_region_performance": ("financial_year", "metric_id"),
    "mart_region_problems": ("metric_id", "period", "problem_type"),
    "mart_best_practice": ("council_code", "metric_id"),
    "mart_council_context": ("council_code",),
    "mart_region_economy": ("indicator_id", "area_code"),
    "mart_case_studies": ("case_study_id", "metric_id"),
    "mart_good_practice": ("council_code", "metric_id", "suggestion_order"),
    "fct_metric_value": ("council_code", "metric_id", "period"),
    "mart_council_neighbours": ("council_code", "neighbour_rank"),
    "mart_neighbour_model_features": ("feature",),
    "mart_comparison_groups": ("council_code", "group_id", "member_council_code"),
}


def read_mart(conn, name: str) -> tuple[list[str], list[dict]]:
    cur = conn.execute(f"select * from marts.{name}")
    columns = [c.name for c in cur.description]
    return columns, [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def _number(x) -> bool:
    return isinstance(x, int | float | Decimal) and not isinstance(x, bool)


def same(column: str, got, want) -> bool:
    if got == want and (got is None or isinstance(got, bool) == isinstance(want, bool)):
        return True
    if got is None or want is None:
        return got is None and want is None
    if _number(got) and _number(want):
        tolerance = TOLERANCE.get(column, DEFAULT_TOLERANCE)
        return abs(float(got) - float(want)) <= tolerance + RELATIVE * abs(float(want))
    return type(got) is type(want) and got == want


@dataclass
class Difference:
    key: tuple
    column: str
    mart: object
    oracle: object


@dataclass
class Comparison:
    mart: str
    key: tuple[str, ...]
    columns: list[str]
    rows: int = 0
    missing_in_mart: list[tuple] = field(default_factory=list)
    missing_in_oracle: list[tuple] = field(default_factory=list)
    columns_not_in_mart: list[str] = field(default_factory=list)
    columns_not_recomputed: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def figures(self) -> int:
        return self.rows * len(self.columns)

    @property
    def clean(self) -> bool:
        return not (
            self.missing_in_mart
            or self.missing_in_oracle
            or self.columns_not_in_mart
            or self.columns_not_recomputed
            or self.differences
        )

    def summary(self) -> str:
        return (
            f"{self.mart}: {self.rows:,} rows x {len(self.columns)} columns = {self.figures:,} figures compared; "
            f"{len(self.differences):,} differing, {len(self.missing_in_mart):,} rows only in the oracle, "
            f"{len(self.missing_in_oracle):,} only in the mart"
        )

    def report(self, limit: int = 40) -> str:
        """What differs, as a reader wants it: each row's key, the column, both figures."""
        lines = [self.summary()]
        if self.columns_not_in_mart:
            lines.append(f"  columns the oracle computes that the mart lacks: {', '.join(self.columns_not_in_mart)}")
        if self.columns_not_recomputed:
            lines.append(f"  mart columns the oracle does not compute: {', '.join(self.columns_not_recomputed)}")
        by_column: dict[str, int] = {}
        for d in self.differences:
            by_column[d.column] = by_column.get(d.column, 0) + 1
        if by_column:
            lines.append(
                "  differing cells by column: " + ", ".join(f"{c} {n:,}" for c, n in sorted(by_column.items()))
            )
        names = " | ".join(self.key)
        for d in self.differences[:limit]:
            lines.append(f"  [{' | '.join(map(str, d.key))}] {d.column}: mart {d.mart!r}, oracle {d.oracle!r}")
        if len(self.differences) > limit:
            lines.append(f"  ... and {len(self.differences) - limit:,} more ({names})")
        for what, keys in (("only in the oracle", self.missing_in_mart), ("only in the mart", self.missing_in_oracle)):
            for k in keys[:limit]:
                lines.append(f"  row {what}: [{' | '.join(map(str, k))}]")
            if len(keys) > limit:
                lines.append(f"  ... and {len(keys) - limit:,} more rows {what}")
        return "\n".join(lines)


def compare(mart: str, mart_columns: list[str], mart_rows: list[dict], oracle_rows: list[dict]) -> Comparison:
    """Every mart column except the build metadata, on every row both have (the rows each
    lacks are differences too)."""
    key = KEYS[mart]
    oracle_columns = [c for c in (oracle_rows[0] if oracle_rows else {}) if not c.startswith("_")]
    figures = [c for c in mart_columns if c not in NOT_FIGURES]
    result = Comparison(
        mart=mart,
        key=key,
        columns=[c for c in figures if c in oracle_columns and c not in key],
        columns_not_in_mart=[c for c in oracle_columns if c not in mart_columns],
        columns_not_recomputed=[c for c in figures if oracle_rows and c not in oracle_columns],
    )
    got = {tuple(r[k] for k in key): r for r in mart_rows}
    want = {tuple(r[k] for k in key): r for r in oracle_rows}
    assert len(got) == len(mart_rows) and len(want) == len(oracle_rows), f"{mart}: duplicate keys"
    result.missing_in_mart = sorted(k for k in want if k not in got)
    result.missing_in_oracle = sorted(k for k in got if k not in want)
    for k in sorted(set(got) & set(want)):
        result.rows += 1
        g, w = got[k], want[k]
        for column in result.columns:
            a, b = g[column], w[column]
            if a == b and (type(a) is bool) == (type(b) is bool):  # the common case, cheaply
                continue
            if not same(column, a, b):
                result.differences.append(Difference(k, column, a, b))
    return result
